/**
 * Committed offsets (Kafka's OffsetMetadataManager): OffsetCommit validation against the group's
 * generation, OffsetFetch, OffsetDelete, the offsets part of DeleteGroups, and expiry after
 * offsets.retention.minutes. The map of offsets changes only by replaying OffsetCommit records
 * (after they are written), so the log and the memory agree by construction.
 */
import { ErrorCode, KafkaError, type OffsetCommitRequest, type OffsetCommitResponse, type OffsetCommitValue, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '@samsa/protocol';
import { groupMetadataTombstone, offsetCommitRecord, offsetCommitTombstone, type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, ShardContext } from '../runtime.js';
import { CONSUMER_PROTOCOL_TYPE } from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { ConsumerGroupManager } from './consumer-group-manager.js';
import type { GroupMetadataManager } from './group-metadata-manager.js';

export interface OffsetAndMetadata {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only from OffsetCommit v2-v4 with a retention time; -1 otherwise. */
  expireTimestampMs: number;
  /** Offset of the record in `__consumer_offsets`: the newest of a plain and a transactional commit wins. */
  recordOffset: bigint;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

type Offsets = Map<string, Map<number, OffsetAndMetadata>>;

/** An (Txn)OffsetCommit response where every partition of the request has the same code. */
export function everyPartition(topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>, errorCode: number): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

export class OffsetMetadataManager {
  /** group -> topic -> partition -> offset */
  readonly offsets = new Map<string, Offsets>();
  /** Transactional offsets in the log waiting for their producer's marker: producer id -> group -> offsets. */
  readonly pendingTransactionalOffsets = new Map<bigint, Map<string, Offsets>>();

  constructor(
    private readonly ctx: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    private readonly groups: GroupMetadataManager,
    private readonly consumerGroups: ConsumerGroupManager,
  ) {}

  /**
   * Whether a commit may go in (Kafka's validateOffsetCommit and validateTransactionalOffsetCommit):
   * NONE, or the code every partition of the request gets. A group that does not exist takes
   * commits without a generation (admin tools, manual assignment: a "simple" group is created);
   * with one it answers GROUP_ID_NOT_FOUND (OffsetCommit v9+) or ILLEGAL_GENERATION. Otherwise the
   * group checks the member, its static instance and its generation or epoch (KIP-447 fences a
   * TxnOffsetCommit of a zombie member the same way).
   */
  private validateCommit(groupId: string, memberId: string, instanceId: string | null, generationId: number, version: number, transactional: boolean): number {
    const cg = this.consumerGroups.groups.get(groupId);
    if (cg !== undefined) return this.consumerGroups.validateOffsetCommit(cg, memberId, instanceId, generationId, version, transactional);
    let group = this.groups.groups.get(groupId);
    if (group === undefined) {
      if (generationId >= 0) return version >= 9 && !transactional ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
      group = this.groups.getOrCreateSimpleGroup(groupId);
    }
    try {
      group.validateOffsetCommit(memberId, instanceId, generationId, transactional);
      return ErrorCode.NONE;
    } catch (e) {
      if (e instanceof KafkaError) return e.code;
      throw e;
    }
  }

  commit(req: OffsetCommitRequest, version: number): CoordinatorResult<OffsetCommitResponse> {
    const code = this.validateCommit(req.groupId, req.memberId ?? '', req.groupInstanceId ?? null, req.generationIdOrMemberEpoch ?? -1, version, false);
    if (code !== ErrorCode.NONE) return { records: [], response: { topics: everyPartition(req.topics, code) } };
    const now = this.ctx.clock.now();
    const retention = req.retentionTimeMs ?? -1n;
    const expireTimestampMs = version >= 2 && version <= 4 && retention !== -1n ? now + Number(retention) : -1;
    const records: CoordinatorRecord[] = [];
    const topics: OffsetCommitResponse['topics'] = [];
    for (const t of req.topics) {
      const partitions: OffsetCommitResponse['topics'][number]['partitions'] = [];
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
          continue;
        }
        const commitTs = p.commitTimestamp !== undefined && p.commitTimestamp !== -1n ? Number(p.commitTimestamp) : now;
        const value: OffsetCommitValue = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata,
          commitTimestamp: BigInt(commitTs),
        };
        if (expireTimestampMs >= 0) value.expireTimestamp = BigInt(expireTimestampMs);
        records.push(offsetCommitRecord(req.groupId, t.name, p.partitionIndex, value));
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE });
      }
      topics.push({ name: t.name, partitions });
    }
    return { records, response: { topics } };
  }

  /** Offsets of a group: for the listed topics/partitions, or all of them when topics is null. */
  /**
   * Offsets of a group: for the listed topics/partitions, or all of them when topics is null.
   * With requireStable (KIP-447), a partition with a transactional offset waiting for its
   * marker answers UNSTABLE_OFFSET_COMMIT (retriable), as Kafka.
   */
  fetch(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null, requireStable = false): Array<{ name: string; partitions: FetchedOffset[] }> {
    const group = this.offsets.get(groupId);
    const toFetched = (topic: string, partitionIndex: number, o: OffsetAndMetadata | undefined): FetchedOffset => {
      if (requireStable && this.hasPendingTransactionalOffset(groupId, topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      return o === undefined
        ? { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      const out: Array<{ name: string; partitions: FetchedOffset[] }> = [];
      for (const [name, parts] of group ?? []) out.push({ name, partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([p, o]) => toFetched(name, p, o)) });
      return out;
    }
    return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => toFetched(t.name, p, group?.get(t.name)?.get(p))) }));
  }

  private hasPendingTransactionalOffset(groupId: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pendingTransactionalOffsets.values()) if (byGroup.get(groupId)?.get(topic)?.has(partition) === true) return true;
    return false;
  }

  /**
   * TxnOffsetCommit (Kafka's OffsetMetadataManager.commitTransactionalOffset): OffsetCommit
   * records written as the producer's transactional batch; replayed as pending offsets.
   */
  commitTransactional(req: TxnOffsetCommitRequest, version: number): CoordinatorResult<TxnOffsetCommitResponse['topics']> {
    const code = this.validateCommit(req.groupId, req.memberId ?? '', req.groupInstanceId ?? null, req.generationId ?? -1, version, true);
    if (code !== ErrorCode.NONE) return { records: [], response: everyPartition(req.topics, code) };
    const now = BigInt(this.ctx.clock.now());
    const records: CoordinatorRecord[] = [];
    const topics: TxnOffsetCommitResponse['topics'] = [];
    for (const t of req.topics) {
      const partitions: TxnOffsetCommitResponse['topics'][number]['partitions'] = [];
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
          continue;
        }
        records.push(offsetCommitRecord(req.groupId, t.name, p.partitionIndex, { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata, commitTimestamp: now }));
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE });
      }
      topics.push({ name: t.name, partitions });
    }
    return { records, response: topics };
  }

  hasOffsets(groupId: string): boolean {
    return (this.offsets.get(groupId)?.size ?? 0) > 0;
  }

  /** OffsetDelete: tombstones for the partitions the group does not consume from. */
  deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>): CoordinatorResult<{ errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> }> {
    const cg = this.consumerGroups.groups.get(groupId);
    const classic = this.groups.groups.get(groupId);
    if (cg === undefined && (classic === undefined || classic.is('Dead'))) return { records: [], response: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] } };
    const group = cg === undefined ? classic! : { is: (s: string) => s === 'Empty' && cg.members.size === 0, protocolType: CONSUMER_PROTOCOL_TYPE, isSubscribedTo: (t: string) => cg.members.size > 0 && cg.subscribedTopics().has(t) };
    if (!group.is('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return { records: [], response: { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] } };
    const records: CoordinatorRecord[] = [];
    const offsets = this.offsets.get(groupId);
    const out = topics.map((t) => {
      const subscribed = group.isSubscribedTo(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (subscribed) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (offsets?.get(t.name)?.has(p.partitionIndex) === true) records.push(offsetCommitTombstone(groupId, t.name, p.partitionIndex));
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    });
    return { records, response: { errorCode: ErrorCode.NONE, topics: out } };
  }

  /** Tombstones for every offset of a group (DeleteGroups). */
  tombstones(groupId: string): CoordinatorRecord[] {
    const out: CoordinatorRecord[] = [];
    for (const [topic, parts] of this.offsets.get(groupId) ?? []) for (const p of parts.keys()) out.push(offsetCommitTombstone(groupId, topic, p));
    return out;
  }

  /** Tombstones for every offset, of any group, of deleted topics (Kafka's onPartitionsDeleted). */
  tombstonesForTopics(topics: ReadonlySet<string>): CoordinatorRecord[] {
    const out: CoordinatorRecord[] = [];
    for (const [groupId, byTopic] of this.offsets) {
      for (const [topic, parts] of byTopic) {
        if (!topics.has(topic)) continue;
        for (const p of parts.keys()) out.push(offsetCommitTombstone(groupId, topic, p));
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
  expire(): CoordinatorRecord[] {
    const now = this.ctx.clock.now();
    const retention = this.config.offsetsRetentionMs;
    const records: CoordinatorRecord[] = [];
    const groupIds = new Set([...this.offsets.keys(), ...[...this.groups.groups.values()].filter((g) => g.is('Empty')).map((g) => g.groupId)]);
    for (const groupId of groupIds) {
      const group = this.groups.groups.get(groupId);
      const offsets = this.offsets.get(groupId);
      let remaining = 0;
      for (const [topic, parts] of offsets ?? []) {
        for (const [partition, o] of parts) {
          let expired: boolean;
          const cg = this.consumerGroups.groups.get(groupId);
          if (o.expireTimestampMs >= 0) expired = now >= o.expireTimestampMs;
          else if (cg !== undefined) {
            // KIP-848 groups: offsets of topics nobody subscribes to (or of an empty group) age from their commit.
            expired = (cg.members.size === 0 || !cg.subscribedTopics().has(topic)) && now - o.commitTimestampMs >= retention;
          }
          else if (group === undefined || group.is('Empty')) {
            const base = group !== undefined && group.protocolType !== null && group.currentStateTimestamp !== null ? group.currentStateTimestamp : o.commitTimestampMs;
            expired = now - base >= retention;
          } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && !group.subscribedTopics.has(topic) && group.is('Stable')) {
            expired = now - o.commitTimestampMs >= retention;
          } else expired = false;
          if (expired) records.push(offsetCommitTombstone(groupId, topic, partition));
          else remaining++;
        }
      }
      if (remaining === 0 && group !== undefined && group.is('Empty') && group.pendingMembers.size === 0) {
        records.push(groupMetadataTombstone(groupId));
      }
    }
    if (records.length > 0) this.ctx.log?.info(`Removed ${records.length} expired offsets / groups in partition ${this.ctx.partition}`);
    return records;
  }

  replayOffset(groupId: string, topic: string, partition: number, value: OffsetCommitValue | null, recordOffset: bigint, producerId: bigint): void {
    if (producerId >= 0n) {
      // A transactional commit: pending until the producer's marker (Kafka keeps them the same way).
      if (value === null) return;
      let byGroup = this.pendingTransactionalOffsets.get(producerId);
      if (byGroup === undefined) this.pendingTransactionalOffsets.set(producerId, (byGroup = new Map()));
      setOffset(byGroup, groupId, topic, partition, toOffsetAndMetadata(value, recordOffset));
      return;
    }
    if (value === null) {
      for (const byGroup of this.pendingTransactionalOffsets.values()) byGroup.get(groupId)?.get(topic)?.delete(partition);
      const g = this.offsets.get(groupId);
      const t = g?.get(topic);
      t?.delete(partition);
      if (t !== undefined && t.size === 0) g!.delete(topic);
      if (g !== undefined && g.size === 0) this.offsets.delete(groupId);
      return;
    }
    // An offset of a group with no group record belongs to a simple group.
    if (!this.consumerGroups.groups.has(groupId)) this.groups.getOrCreateSimpleGroup(groupId);
    setOffset(this.offsets, groupId, topic, partition, toOffsetAndMetadata(value, recordOffset));
  }

  /**
   * A committed COMMIT/ABORT marker (Kafka's replayEndTransactionMarker): the producer's pending
   * offsets become committed, unless a newer plain commit of the same partition is already
   * there, or are dropped.
   */
  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    const byGroup = this.pendingTransactionalOffsets.get(producerId);
    if (byGroup === undefined) return;
    this.pendingTransactionalOffsets.delete(producerId);
    if (!commit) return;
    for (const [groupId, byTopic] of byGroup) {
      for (const [topic, parts] of byTopic) {
        for (const [partition, o] of parts) {
          const existing = this.offsets.get(groupId)?.get(topic)?.get(partition);
          if (existing !== undefined && existing.recordOffset > o.recordOffset) continue;
          if (!this.consumerGroups.groups.has(groupId)) this.groups.getOrCreateSimpleGroup(groupId);
          setOffset(this.offsets, groupId, topic, partition, o);
        }
      }
    }
  }

  removeGroupOffsets(groupId: string): void {
    this.offsets.delete(groupId);
  }
}

function toOffsetAndMetadata(value: OffsetCommitValue, recordOffset: bigint): OffsetAndMetadata {
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch ?? -1,
    metadata: value.metadata,
    commitTimestampMs: Number(value.commitTimestamp),
    expireTimestampMs: value.expireTimestamp !== undefined ? Number(value.expireTimestamp) : -1,
    recordOffset,
  };
}

function setOffset(offsets: Map<string, Offsets>, groupId: string, topic: string, partition: number, o: OffsetAndMetadata): void {
  let g = offsets.get(groupId);
  if (g === undefined) offsets.set(groupId, (g = new Map()));
  let t = g.get(topic);
  if (t === undefined) g.set(topic, (t = new Map()));
  t.set(partition, o);
}

