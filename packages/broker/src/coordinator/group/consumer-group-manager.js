/**
 * KIP-848 consumer groups (Kafka's GroupMetadataManager, consumer half): ConsumerGroupHeartbeat
 * and ConsumerGroupDescribe. The coordinator owns the assignment: each membership or
 * subscription change bumps the group epoch, a server-side assignor computes the target
 * assignment, and every member reconciles towards it one heartbeat at a time: it first revokes
 * what it must give up (UNREVOKED_PARTITIONS), then gets the new epoch and the partitions that
 * nobody else still holds (UNRELEASED_PARTITIONS until all are free), then is STABLE.
 *
 * State changes are made in memory and persisted as the consumer-group records (types 3-8);
 * replay of those records rebuilds the groups when a shard loads.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, } from '@samsa/protocol';
import { consumerGroupRecord } from '../records.js';
import { ASSIGNORS } from './assignors.js';
/** Kafka's MemberState values (ConsumerGroupCurrentMemberAssignmentValue.state). */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 };
const LEAVE_GROUP_MEMBER_EPOCH = -1;
const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const EMPTY_TOPIC_VIEW = { byName: () => undefined, nameOf: () => undefined };
export class ConsumerGroupMember {
    memberId;
    memberEpoch = 0;
    previousMemberEpoch = -1;
    state = MemberState.STABLE;
    assigned = new Map();
    pendingRevocation = new Map();
    instanceId = null;
    rackId = null;
    clientId = '';
    clientHost = '';
    subscribedTopicNames = [];
    subscribedTopicRegex = null;
    rebalanceTimeoutMs = -1;
    serverAssignor = null;
    constructor(memberId) {
        this.memberId = memberId;
    }
}
export class ConsumerGroup {
    groupId;
    groupEpoch = 0;
    assignmentEpoch = 0;
    members = new Map();
    targetAssignment = new Map();
    /** Subscribed topics as last resolved: name -> id and partition count. */
    subscriptionMetadata = new Map();
    dead = false;
    constructor(groupId) {
        this.groupId = groupId;
    }
    get state() {
        if (this.dead)
            return 'Dead';
        if (this.members.size === 0)
            return 'Empty';
        if (this.groupEpoch > this.assignmentEpoch)
            return 'Assigning';
        for (const m of this.members.values())
            if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE)
                return 'Reconciling';
        return 'Stable';
    }
    staticMember(instanceId) {
        for (const m of this.members.values())
            if (m.instanceId === instanceId)
                return m;
        return undefined;
    }
    /** Topic names any member subscribes to. */
    subscribedTopics() {
        const out = new Set();
        for (const m of this.members.values())
            for (const t of m.subscribedTopicNames)
                out.add(t);
        return out;
    }
    /** Whether another member than `except` holds (or still revokes) a partition. */
    isOwnedByOther(topicId, partition, except) {
        for (const m of this.members.values()) {
            if (m.memberId === except)
                continue;
            if (m.assigned.get(topicId)?.has(partition) === true || m.pendingRevocation.get(topicId)?.has(partition) === true)
                return true;
        }
        return false;
    }
}
function copy(a) {
    return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}
function sameAssignment(a, b) {
    const norm = (x) => JSON.stringify([...x].filter(([, s]) => s.size > 0).map(([t, s]) => [t, [...s].sort((p, q) => p - q)]).sort());
    return norm(a) === norm(b);
}
function toWire(a) {
    return [...a].filter(([, s]) => s.size > 0).sort(([x], [y]) => (x < y ? -1 : 1)).map(([topicId, s]) => ({ topicId, partitions: [...s].sort((p, q) => p - q) }));
}
function fromWire(tps) {
    return new Map(tps.map((t) => [t.topicId, new Set(t.partitions)]));
}
class RequestError extends Error {
    code;
    constructor(code, message) {
        super(message);
        this.code = code;
    }
}
export class ConsumerGroupManager {
    ctx;
    config;
    topics;
    classicGroupInUse;
    takeOverClassicGroup;
    groups = new Map();
    constructor(ctx, config, topics, 
    /** Whether a classic group of this id exists with members (then the id is taken). */
    classicGroupInUse, 
    /** Drops an empty classic group of this id (the consumer group takes the id over); returns its tombstone, if any. */
    takeOverClassicGroup) {
        this.ctx = ctx;
        this.config = config;
        this.topics = topics;
        this.classicGroupInUse = classicGroupInUse;
        this.takeOverClassicGroup = takeOverClassicGroup;
    }
    // ------------------------------------------------------------------------------------------
    // ConsumerGroupHeartbeat
    heartbeat(info, req) {
        const fail = (code, message = null) => ({
            records: [], replayRecords: false,
            response: { throttleTimeMs: 0, errorCode: code, errorMessage: message, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null },
        });
        try {
            this.validate(req, info.apiVersion);
            if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH)
                return this.leave(req);
            return this.joinOrHeartbeat(info, req);
        }
        catch (e) {
            if (e instanceof RequestError)
                return fail(e.code, e.message);
            throw e;
        }
    }
    validate(req, version) {
        const invalid = (m) => {
            throw new RequestError(ErrorCode.INVALID_REQUEST, m);
        };
        if (req.groupId === '')
            invalid('GroupId can\'t be empty.');
        if (req.instanceId === '')
            invalid('InstanceId can\'t be empty.');
        if (req.rackId === '')
            invalid('RackId can\'t be empty.');
        if (version >= 1 && req.memberId === '')
            invalid('MemberId can\'t be empty.');
        if (req.memberEpoch > 0 && req.memberId === '')
            invalid('MemberId can\'t be empty.');
        if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH)
            invalid('MemberEpoch is invalid.');
        if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && req.instanceId === null)
            invalid('InstanceId can\'t be null.');
        if (req.memberEpoch === 0) {
            if (req.rebalanceTimeoutMs === -1)
                invalid('RebalanceTimeoutMs must be provided in first request.');
            if (req.topicPartitions === null || req.topicPartitions.length > 0)
                invalid('TopicPartitions must be empty when (re-)joining.');
            const hasRegex = req.subscribedTopicRegex !== undefined && req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '';
            if (!hasRegex && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0))
                invalid('SubscribedTopicNames must be set in first request.');
        }
        if (req.subscribedTopicRegex !== undefined && req.subscribedTopicRegex !== null) {
            throw new RequestError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicRegex is not supported by this coordinator.');
        }
        if (req.serverAssignor !== null && !this.config.consumerAssignors.includes(req.serverAssignor)) {
            throw new RequestError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.config.consumerAssignors.join(', ')}.`);
        }
    }
    joinOrHeartbeat(info, req) {
        const records = [];
        const extra = [];
        let group = this.groups.get(req.groupId);
        if (group === undefined) {
            if (req.memberEpoch !== 0)
                throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
            if (this.classicGroupInUse(req.groupId))
                throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
            extra.push(...this.takeOverClassicGroup(req.groupId));
            group = new ConsumerGroup(req.groupId);
            this.groups.set(req.groupId, group);
        }
        let member;
        let isNew = false;
        if (req.memberEpoch === 0) {
            const memberId = req.memberId !== '' ? req.memberId : randomUUID();
            if (req.instanceId !== null) {
                const previous = group.staticMember(req.instanceId);
                if (previous !== undefined && previous.memberId !== memberId) {
                    // The instance came back with a new member id: the old one is fenced and its partitions freed.
                    this.removeMember(group, previous, records);
                }
            }
            const existing = group.members.get(memberId);
            if (existing !== undefined)
                this.removeMember(group, existing, records);
            member = new ConsumerGroupMember(memberId);
            group.members.set(memberId, member);
            isNew = true;
        }
        else {
            const m = group.members.get(req.memberId);
            if (m === undefined)
                throw new RequestError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
            if (req.memberEpoch !== m.memberEpoch) {
                // A member that missed our last response heartbeats with the previous epoch: fine as long
                // as it owns nothing it should not.
                const owned = req.topicPartitions === null ? null : fromWire(req.topicPartitions);
                const ownsOnlyAssigned = owned === null || [...owned].every(([t, ps]) => [...ps].every((p) => m.assigned.get(t)?.has(p) === true));
                if (!(req.memberEpoch === m.previousMemberEpoch && ownsOnlyAssigned)) {
                    throw new RequestError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}).`);
                }
            }
            member = m;
        }
        // Member metadata; a changed subscription or assignor bumps the group epoch.
        let bump = isNew;
        let metadataChanged = isNew;
        const set = (k, v, bumps) => {
            if (JSON.stringify(member[k]) === JSON.stringify(v))
                return;
            member[k] = v;
            metadataChanged = true;
            if (bumps)
                bump = true;
        };
        set('clientId', info.clientId, false);
        set('clientHost', info.clientHost, false);
        if (req.instanceId !== null)
            set('instanceId', req.instanceId, false);
        if (req.rackId !== null)
            set('rackId', req.rackId, false);
        if (req.rebalanceTimeoutMs !== -1)
            set('rebalanceTimeoutMs', req.rebalanceTimeoutMs, false);
        if (req.subscribedTopicNames !== null)
            set('subscribedTopicNames', [...req.subscribedTopicNames].sort(), true);
        if (req.serverAssignor !== null)
            set('serverAssignor', req.serverAssignor, true);
        if (metadataChanged)
            records.push(this.memberMetadataRecord(group, member));
        // The topics behind the subscriptions: new partitions or topics also mean a new assignment.
        const metadata = this.resolveSubscriptions(group);
        if (!sameMetadata(metadata, group.subscriptionMetadata)) {
            group.subscriptionMetadata = metadata;
            records.push({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: [...metadata].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions, partitionMetadata: [] })) } });
            bump = true;
        }
        if (bump) {
            group.groupEpoch++;
            records.push({ type: 'cg-metadata', groupId: group.groupId, value: { epoch: group.groupEpoch } });
        }
        if (group.groupEpoch > group.assignmentEpoch)
            this.computeTargetAssignment(group, records);
        const before = { epoch: member.memberEpoch, assigned: copy(member.assigned) };
        const owned = req.topicPartitions === null ? null : fromWire(req.topicPartitions);
        this.reconcile(group, member, owned, records);
        this.scheduleSessionTimeout(group, member);
        const assignmentChanged = !sameAssignment(before.assigned, member.assigned) || before.epoch !== member.memberEpoch;
        const sendAssignment = req.memberEpoch === 0 || assignmentChanged || (owned !== null && !sameAssignment(owned, member.assigned));
        return {
            records: [...extra, ...records.map(consumerGroupRecord)],
            replayRecords: false,
            response: {
                throttleTimeMs: 0,
                errorCode: ErrorCode.NONE,
                errorMessage: null,
                memberId: member.memberId,
                memberEpoch: member.memberEpoch,
                heartbeatIntervalMs: this.config.consumerHeartbeatIntervalMs,
                assignment: sendAssignment ? { topicPartitions: toWire(member.assigned) } : null,
            },
        };
    }
    leave(req) {
        const group = this.groups.get(req.groupId);
        if (group === undefined)
            throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
        const member = req.memberId !== '' ? group.members.get(req.memberId) : (req.instanceId !== null ? group.staticMember(req.instanceId) : undefined);
        if (member === undefined)
            throw new RequestError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
        const records = [];
        this.fenceMember(group, member, records);
        return {
            records: records.map(consumerGroupRecord),
            replayRecords: false,
            response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null },
        };
    }
    /** Removes a member and bumps the group epoch (the others get a new assignment on their next heartbeat). */
    fenceMember(group, member, records) {
        this.removeMember(group, member, records);
        group.groupEpoch++;
        records.push({ type: 'cg-metadata', groupId: group.groupId, value: { epoch: group.groupEpoch } });
        const metadata = this.resolveSubscriptions(group);
        if (!sameMetadata(metadata, group.subscriptionMetadata)) {
            group.subscriptionMetadata = metadata;
            records.push({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: [...metadata].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions, partitionMetadata: [] })) } });
        }
    }
    removeMember(group, member, records) {
        group.members.delete(member.memberId);
        group.targetAssignment.delete(member.memberId);
        this.ctx.timer.cancel(sessionKey(group.groupId, member.memberId));
        this.ctx.timer.cancel(revocationKey(group.groupId, member.memberId));
        records.push({ type: 'cg-current-member', groupId: group.groupId, memberId: member.memberId, value: null }, { type: 'cg-target-member', groupId: group.groupId, memberId: member.memberId, value: null }, { type: 'cg-member-metadata', groupId: group.groupId, memberId: member.memberId, value: null });
    }
    resolveSubscriptions(group) {
        const view = this.topics();
        const out = new Map();
        for (const name of [...group.subscribedTopics()].sort()) {
            const t = view.byName(name);
            if (t !== undefined)
                out.set(name, t);
        }
        return out;
    }
    computeTargetAssignment(group, records) {
        const assignor = ASSIGNORS.get(this.preferredAssignor(group));
        const topics = new Map([...group.subscriptionMetadata.values()].map((t) => [t.id, t.numPartitions]));
        const members = [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            subscribedTopicIds: new Set(m.subscribedTopicNames.map((n) => group.subscriptionMetadata.get(n)?.id).filter((x) => x !== undefined)),
            current: group.targetAssignment.get(m.memberId) ?? new Map(),
        }));
        const target = assignor.assign({ members, topics });
        for (const [memberId, a] of target) {
            const prev = group.targetAssignment.get(memberId);
            if (prev !== undefined && sameAssignment(prev, a))
                continue;
            group.targetAssignment.set(memberId, a);
            records.push({ type: 'cg-target-member', groupId: group.groupId, memberId, value: { topicPartitions: toWire(a) } });
        }
        group.assignmentEpoch = group.groupEpoch;
        records.push({ type: 'cg-target-metadata', groupId: group.groupId, value: { assignmentEpoch: group.assignmentEpoch } });
    }
    /** The assignor most members ask for (ties: the configured order), else the default. */
    preferredAssignor(group) {
        const votes = new Map();
        for (const m of group.members.values())
            if (m.serverAssignor !== null)
                votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
        let best = this.config.consumerAssignors[0];
        let bestVotes = 0;
        for (const name of this.config.consumerAssignors) {
            const v = votes.get(name) ?? 0;
            if (v > bestVotes)
                [best, bestVotes] = [name, v];
        }
        return best;
    }
    /** Kafka's CurrentAssignmentBuilder: one step of a member towards its target assignment. */
    reconcile(group, member, owned, records) {
        const before = JSON.stringify([member.memberEpoch, member.previousMemberEpoch, member.state, toWire(member.assigned), toWire(member.pendingRevocation)]);
        if (member.state === MemberState.UNREVOKED_PARTITIONS) {
            const stillOwnsRevoked = owned === null || [...member.pendingRevocation].some(([t, ps]) => [...ps].some((p) => owned.get(t)?.has(p) === true));
            if (!stillOwnsRevoked) {
                member.pendingRevocation = new Map();
                member.state = MemberState.STABLE;
                this.ctx.timer.cancel(revocationKey(group.groupId, member.memberId));
            }
        }
        if (member.state !== MemberState.UNREVOKED_PARTITIONS && (member.memberEpoch !== group.assignmentEpoch || member.state === MemberState.UNRELEASED_PARTITIONS)) {
            const target = group.targetAssignment.get(member.memberId) ?? new Map();
            const keep = new Map();
            const revoke = new Map();
            for (const [t, ps] of member.assigned) {
                for (const p of ps) {
                    const dst = target.get(t)?.has(p) === true ? keep : revoke;
                    let s = dst.get(t);
                    if (s === undefined)
                        dst.set(t, (s = new Set()));
                    s.add(p);
                }
            }
            if ([...revoke.values()].some((s) => s.size > 0)) {
                member.assigned = keep;
                member.pendingRevocation = revoke;
                member.state = MemberState.UNREVOKED_PARTITIONS;
                const timeout = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : this.config.consumerSessionTimeoutMs;
                this.ctx.timer.schedule(revocationKey(group.groupId, member.memberId), timeout, () => this.expireRevocation(group, member.memberId));
            }
            else {
                let unreleased = false;
                const next = copy(keep);
                for (const [t, ps] of target) {
                    for (const p of ps) {
                        if (next.get(t)?.has(p) === true)
                            continue;
                        if (group.isOwnedByOther(t, p, member.memberId)) {
                            unreleased = true;
                            continue;
                        }
                        let s = next.get(t);
                        if (s === undefined)
                            next.set(t, (s = new Set()));
                        s.add(p);
                    }
                }
                if (member.memberEpoch !== group.assignmentEpoch) {
                    member.previousMemberEpoch = member.memberEpoch;
                    member.memberEpoch = group.assignmentEpoch;
                }
                member.assigned = next;
                member.state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
            }
        }
        const after = JSON.stringify([member.memberEpoch, member.previousMemberEpoch, member.state, toWire(member.assigned), toWire(member.pendingRevocation)]);
        if (before !== after)
            records.push(this.currentAssignmentRecord(group, member));
    }
    scheduleSessionTimeout(group, member) {
        this.ctx.timer.schedule(sessionKey(group.groupId, member.memberId), this.config.consumerSessionTimeoutMs, () => this.expireSession(group, member.memberId));
    }
    expireSession(group, memberId) {
        const member = group.members.get(memberId);
        if (this.groups.get(group.groupId) !== group || member === undefined)
            return { records: [], response: undefined };
        this.ctx.log?.info(`[GroupId ${group.groupId}] Member ${memberId} fenced from the group because its session expired.`);
        const records = [];
        this.fenceMember(group, member, records);
        return { records: records.map(consumerGroupRecord), response: undefined, replayRecords: false };
    }
    expireRevocation(group, memberId) {
        const member = group.members.get(memberId);
        if (this.groups.get(group.groupId) !== group || member === undefined || member.state !== MemberState.UNREVOKED_PARTITIONS)
            return { records: [], response: undefined };
        this.ctx.log?.info(`[GroupId ${group.groupId}] Member ${memberId} fenced from the group because it failed to revoke partitions within its rebalance timeout.`);
        const records = [];
        this.fenceMember(group, member, records);
        return { records: records.map(consumerGroupRecord), response: undefined, replayRecords: false };
    }
    // ------------------------------------------------------------------------------------------
    // Records
    memberMetadataRecord(group, m) {
        return {
            type: 'cg-member-metadata', groupId: group.groupId, memberId: m.memberId,
            value: {
                instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
                subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
                rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classicMemberMetadata: null,
            },
        };
    }
    currentAssignmentRecord(group, m) {
        return {
            type: 'cg-current-member', groupId: group.groupId, memberId: m.memberId,
            value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state, assignedPartitions: toWire(m.assigned), partitionsPendingRevocation: toWire(m.pendingRevocation) },
        };
    }
    /** Tombstones for every record of a group (DeleteGroups, expiry). */
    tombstones(group) {
        const out = [];
        for (const id of new Set([...group.members.keys(), ...group.targetAssignment.keys()])) {
            out.push({ type: 'cg-current-member', groupId: group.groupId, memberId: id, value: null });
            out.push({ type: 'cg-target-member', groupId: group.groupId, memberId: id, value: null });
            out.push({ type: 'cg-member-metadata', groupId: group.groupId, memberId: id, value: null });
        }
        out.push({ type: 'cg-target-metadata', groupId: group.groupId, value: null }, { type: 'cg-partition-metadata', groupId: group.groupId, value: null }, { type: 'cg-metadata', groupId: group.groupId, value: null });
        return out.map(consumerGroupRecord);
    }
    replay(r) {
        let group = this.groups.get(r.groupId);
        if (group === undefined) {
            if (r.value === null)
                return;
            group = new ConsumerGroup(r.groupId);
            this.groups.set(r.groupId, group);
        }
        const memberOf = (id) => {
            let m = group.members.get(id);
            if (m === undefined)
                group.members.set(id, (m = new ConsumerGroupMember(id)));
            return m;
        };
        switch (r.type) {
            case 'cg-metadata':
                if (r.value === null) {
                    group.dead = true;
                    this.groups.delete(r.groupId);
                }
                else
                    group.groupEpoch = r.value.epoch;
                break;
            case 'cg-partition-metadata':
                group.subscriptionMetadata = new Map((r.value?.topics ?? []).map((t) => [t.topicName, { id: t.topicId, numPartitions: t.numPartitions }]));
                break;
            case 'cg-member-metadata':
                if (r.value === null)
                    group.members.delete(r.memberId);
                else {
                    const m = memberOf(r.memberId);
                    const v = r.value;
                    Object.assign(m, { instanceId: v.instanceId, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost, subscribedTopicNames: v.subscribedTopicNames, subscribedTopicRegex: v.subscribedTopicRegex, rebalanceTimeoutMs: v.rebalanceTimeoutMs, serverAssignor: v.serverAssignor });
                }
                break;
            case 'cg-target-metadata':
                group.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
                break;
            case 'cg-target-member':
                if (r.value === null)
                    group.targetAssignment.delete(r.memberId);
                else
                    group.targetAssignment.set(r.memberId, fromWire(r.value.topicPartitions));
                break;
            case 'cg-current-member': {
                // Its tombstone comes with the member metadata tombstone, which removes the member.
                if (r.value === null)
                    break;
                const m = memberOf(r.memberId);
                m.memberEpoch = r.value.memberEpoch;
                m.previousMemberEpoch = r.value.previousMemberEpoch;
                m.state = r.value.state;
                m.assigned = fromWire(r.value.assignedPartitions);
                m.pendingRevocation = fromWire(r.value.partitionsPendingRevocation);
                break;
            }
        }
    }
    /** After loading: loaded members must heartbeat within the session timeout. */
    onLoaded() {
        for (const g of this.groups.values())
            for (const m of g.members.values())
                this.scheduleSessionTimeout(g, m);
    }
    // ------------------------------------------------------------------------------------------
    // Describe
    /** ListGroups entries of the consumer groups. */
    list(statesFilter, typesFilter) {
        const states = new Set(statesFilter.map((s) => s.toLowerCase()));
        const types = new Set(typesFilter.map((s) => s.toLowerCase()));
        if (types.size > 0 && !types.has('consumer'))
            return [];
        const out = [];
        for (const g of this.groups.values()) {
            if (states.size > 0 && !states.has(g.state.toLowerCase()))
                continue;
            out.push({ groupId: g.groupId, protocolType: 'consumer', groupState: g.state, groupType: 'consumer' });
        }
        return out;
    }
    describe(groupId) {
        const group = this.groups.get(groupId);
        if (group === undefined) {
            return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 };
        }
        const view = this.topics();
        const describeAssignment = (a) => ({
            topicPartitions: toWire(a).map((t) => ({ topicId: t.topicId, topicName: view.nameOf(t.topicId) ?? '', partitions: t.partitions })),
        });
        return {
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            groupId,
            groupState: group.state,
            groupEpoch: group.groupEpoch,
            assignmentEpoch: group.assignmentEpoch,
            assignorName: this.preferredAssignor(group),
            members: [...group.members.values()].map((m) => ({
                memberId: m.memberId,
                instanceId: m.instanceId,
                rackId: m.rackId,
                memberEpoch: m.memberEpoch,
                clientId: m.clientId,
                clientHost: m.clientHost,
                subscribedTopicNames: m.subscribedTopicNames,
                subscribedTopicRegex: m.subscribedTopicRegex,
                assignment: describeAssignment(m.assigned),
                targetAssignment: describeAssignment(group.targetAssignment.get(m.memberId) ?? new Map()),
            })),
            authorizedOperations: -2147483648,
        };
    }
    /** Offset commits of a consumer group: the member and its epoch must match (STALE_MEMBER_EPOCH otherwise). */
    validateOffsetCommit(group, memberId, memberEpoch, version) {
        if (memberEpoch < 0 && memberId === '')
            return group.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
        const m = group.members.get(memberId);
        if (m === undefined)
            return ErrorCode.UNKNOWN_MEMBER_ID;
        if (memberEpoch !== m.memberEpoch)
            return version >= 9 ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.ILLEGAL_GENERATION;
        return ErrorCode.NONE;
    }
}
function sameMetadata(a, b) {
    if (a.size !== b.size)
        return false;
    for (const [k, v] of a) {
        const w = b.get(k);
        if (w === undefined || w.id !== v.id || w.numPartitions !== v.numPartitions)
            return false;
    }
    return true;
}
function sessionKey(groupId, memberId) {
    return `consumer-session-${groupId}-${memberId}`;
}
function revocationKey(groupId, memberId) {
    return `consumer-revocation-${groupId}-${memberId}`;
}
//# sourceMappingURL=consumer-group-manager.js.map