/**
 * Committed offsets (Kafka's OffsetMetadataManager): OffsetCommit validation against the group's
 * generation, OffsetFetch, OffsetDelete, the offsets part of DeleteGroups, and expiry after
 * offsets.retention.minutes. The map of offsets changes only by replaying OffsetCommit records
 * (after they are written), so the log and the memory agree by construction.
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { groupMetadataTombstone, offsetCommitRecord, offsetCommitTombstone } from '../records.js';
import { CONSUMER_PROTOCOL_TYPE } from './classic-group.js';
export class OffsetMetadataManager {
    ctx;
    config;
    groups;
    consumerGroups;
    /** group -> topic -> partition -> offset */
    offsets = new Map();
    constructor(ctx, config, groups, consumerGroups) {
        this.ctx = ctx;
        this.config = config;
        this.groups = groups;
        this.consumerGroups = consumerGroups;
    }
    commit(req, version) {
        const errorAll = (code) => ({
            records: [],
            response: { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) },
        });
        const generationId = req.generationIdOrMemberEpoch ?? -1;
        const memberId = req.memberId ?? '';
        const instanceId = req.groupInstanceId ?? null;
        const cg = this.consumerGroups.groups.get(req.groupId);
        let group = this.groups.groups.get(req.groupId);
        if (cg !== undefined) {
            const code = this.consumerGroups.validateOffsetCommit(cg, memberId, generationId, version);
            if (code !== ErrorCode.NONE)
                return errorAll(code);
        }
        else if (group === undefined) {
            if (generationId >= 0)
                return errorAll(version >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
            // Admin clients and consumers without group management commit into a "simple" group.
            group = this.groups.getOrCreateSimpleGroup(req.groupId);
        }
        try {
            if (group !== undefined && cg === undefined)
                validateOffsetCommit(group, memberId, instanceId, generationId);
        }
        catch (e) {
            if (e instanceof KafkaError)
                return errorAll(e.code);
            throw e;
        }
        const now = this.ctx.clock.now();
        const retention = req.retentionTimeMs ?? -1n;
        const expireTimestampMs = version >= 2 && version <= 4 && retention !== -1n ? now + Number(retention) : -1;
        const records = [];
        const topics = [];
        for (const t of req.topics) {
            const partitions = [];
            for (const p of t.partitions) {
                const metadata = p.committedMetadata ?? '';
                if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
                    partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
                    continue;
                }
                const commitTs = p.commitTimestamp !== undefined && p.commitTimestamp !== -1n ? Number(p.commitTimestamp) : now;
                const value = {
                    offset: p.committedOffset,
                    leaderEpoch: p.committedLeaderEpoch ?? -1,
                    metadata,
                    commitTimestamp: BigInt(commitTs),
                };
                if (expireTimestampMs >= 0)
                    value.expireTimestamp = BigInt(expireTimestampMs);
                records.push(offsetCommitRecord(req.groupId, t.name, p.partitionIndex, value));
                partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE });
            }
            topics.push({ name: t.name, partitions });
        }
        return { records, response: { topics } };
    }
    /** Offsets of a group: for the listed topics/partitions, or all of them when topics is null. */
    fetch(groupId, topics) {
        const group = this.offsets.get(groupId);
        const toFetched = (partitionIndex, o) => o === undefined
            ? { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
            : { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
        if (topics === null) {
            const out = [];
            for (const [name, parts] of group ?? [])
                out.push({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([p, o]) => toFetched(p, o)) });
            return out;
        }
        return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => toFetched(p, group?.get(t.name)?.get(p))) }));
    }
    hasOffsets(groupId) {
        return (this.offsets.get(groupId)?.size ?? 0) > 0;
    }
    /** OffsetDelete: tombstones for the partitions the group does not consume from. */
    deleteOffsets(groupId, topics) {
        const cg = this.consumerGroups.groups.get(groupId);
        const classic = this.groups.groups.get(groupId);
        if (cg === undefined && (classic === undefined || classic.is('Dead')))
            return { records: [], response: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] } };
        const group = cg === undefined ? classic : { is: (s) => s === 'Empty' && cg.members.size === 0, protocolType: CONSUMER_PROTOCOL_TYPE, isSubscribedTo: (t) => cg.members.size > 0 && cg.subscribedTopics().has(t) };
        if (!group.is('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE)
            return { records: [], response: { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] } };
        const records = [];
        const offsets = this.offsets.get(groupId);
        const out = topics.map((t) => {
            const subscribed = group.isSubscribedTo(t.name);
            return {
                name: t.name,
                partitions: t.partitions.map((p) => {
                    if (subscribed)
                        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
                    if (offsets?.get(t.name)?.has(p.partitionIndex) === true)
                        records.push(offsetCommitTombstone(groupId, t.name, p.partitionIndex));
                    return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
                }),
            };
        });
        return { records, response: { errorCode: ErrorCode.NONE, topics: out } };
    }
    /** Tombstones for every offset of a group (DeleteGroups). */
    tombstones(groupId) {
        const out = [];
        for (const [topic, parts] of this.offsets.get(groupId) ?? [])
            for (const p of parts.keys())
                out.push(offsetCommitTombstone(groupId, topic, p));
        return out;
    }
    /** Tombstones for every offset, of any group, of deleted topics (Kafka's onPartitionsDeleted). */
    tombstonesForTopics(topics) {
        const out = [];
        for (const [groupId, byTopic] of this.offsets) {
            for (const [topic, parts] of byTopic) {
                if (!topics.has(topic))
                    continue;
                for (const p of parts.keys())
                    out.push(offsetCommitTombstone(groupId, topic, p));
            }
        }
        return out;
    }
    /**
     * Expired offsets (Kafka's cleanupGroupMetadata): those of empty groups, counted from when the
     * group became empty (or from the commit, for groups that never had members); of consumer
     * groups, those of topics no member subscribes to any more; any with an expired explicit
     * expire timestamp. A group left empty with no offsets is deleted (tombstone).
     */
    expire() {
        const now = this.ctx.clock.now();
        const retention = this.config.offsetsRetentionMs;
        const records = [];
        const groupIds = new Set([...this.offsets.keys(), ...[...this.groups.groups.values()].filter((g) => g.is('Empty')).map((g) => g.groupId)]);
        for (const groupId of groupIds) {
            const group = this.groups.groups.get(groupId);
            const offsets = this.offsets.get(groupId);
            let remaining = 0;
            for (const [topic, parts] of offsets ?? []) {
                for (const [partition, o] of parts) {
                    let expired;
                    const cg = this.consumerGroups.groups.get(groupId);
                    if (o.expireTimestampMs >= 0)
                        expired = now >= o.expireTimestampMs;
                    else if (cg !== undefined) {
                        // KIP-848 groups: offsets of topics nobody subscribes to (or of an empty group) age from their commit.
                        expired = (cg.members.size === 0 || !cg.subscribedTopics().has(topic)) && now - o.commitTimestampMs >= retention;
                    }
                    else if (group === undefined || group.is('Empty')) {
                        const base = group !== undefined && group.protocolType !== null && group.currentStateTimestamp !== null ? group.currentStateTimestamp : o.commitTimestampMs;
                        expired = now - base >= retention;
                    }
                    else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && !group.subscribedTopics.has(topic) && group.is('Stable')) {
                        expired = now - o.commitTimestampMs >= retention;
                    }
                    else
                        expired = false;
                    if (expired)
                        records.push(offsetCommitTombstone(groupId, topic, partition));
                    else
                        remaining++;
                }
            }
            if (remaining === 0 && group !== undefined && group.is('Empty') && group.pendingMembers.size === 0) {
                records.push(groupMetadataTombstone(groupId));
            }
        }
        if (records.length > 0)
            this.ctx.log?.info(`Removed ${records.length} expired offsets / groups in partition ${this.ctx.partition}`);
        return records;
    }
    replayOffset(groupId, topic, partition, value) {
        if (value === null) {
            const g = this.offsets.get(groupId);
            const t = g?.get(topic);
            t?.delete(partition);
            if (t !== undefined && t.size === 0)
                g.delete(topic);
            if (g !== undefined && g.size === 0)
                this.offsets.delete(groupId);
            return;
        }
        // An offset of a group with no group record belongs to a simple group.
        if (!this.consumerGroups.groups.has(groupId))
            this.groups.getOrCreateSimpleGroup(groupId);
        let g = this.offsets.get(groupId);
        if (g === undefined)
            this.offsets.set(groupId, (g = new Map()));
        let t = g.get(topic);
        if (t === undefined)
            g.set(topic, (t = new Map()));
        t.set(partition, {
            offset: value.offset,
            leaderEpoch: value.leaderEpoch ?? -1,
            metadata: value.metadata,
            commitTimestampMs: Number(value.commitTimestamp),
            expireTimestampMs: value.expireTimestamp !== undefined ? Number(value.expireTimestamp) : -1,
        });
    }
    removeGroupOffsets(groupId) {
        this.offsets.delete(groupId);
    }
}
/** Kafka's ClassicGroup.validateOffsetCommit. */
function validateOffsetCommit(group, memberId, instanceId, generationId) {
    if (group.is('Dead'))
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Commits without a generation into an empty group: admin tools, manual assignment.
    if (generationId < 0 && group.is('Empty'))
        return;
    if (generationId >= 0 || memberId !== '' || instanceId !== null) {
        group.validateMember(memberId, instanceId);
        if (generationId !== group.generationId)
            throw new KafkaError(ErrorCode.ILLEGAL_GENERATION);
    }
    else if (!group.is('Empty')) {
        // Without member id and generation, commits are only accepted while the group has no members.
        throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    // The member has this generation's JoinGroup response but not its assignment yet.
    if (group.is('CompletingRebalance'))
        throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS);
}
//# sourceMappingURL=offset-metadata-manager.js.map