import type { PartitionAppendHook } from '../handlers/types.js';
import type { AppendInfo, LogOffsetMetadata, PartitionLog, ReadInfo, TimestampOffset } from '../storage/partition-log.js';
import { LeaderEpochFileCache } from './leader-epoch-cache.js';
/** What the metadata layer says about a partition (Kafka's LeaderAndIsr / PartitionRegistration). */
export interface PartitionState {
    readonly leader: number;
    readonly leaderEpoch: number;
    /** Bumped on every change of the partition's registration (ISR, replicas); -1 when unknown. */
    readonly partitionEpoch?: number;
    readonly replicas: readonly number[];
    readonly isr: readonly number[];
}
export type ReplicaRole = 'leader' | 'follower' | 'none';
/** Up to where a fetch may read (Kafka's FetchIsolation). */
export type FetchIsolation = 'log-end' | 'high-watermark' | 'txn-committed';
/** A remote replica as the leader sees it, from its fetches (Kafka's Replica / ReplicaState). */
export interface RemoteReplicaState {
    readonly brokerId: number;
    logEndOffset: bigint;
    logStartOffset: bigint;
    lastFetchTimeMs: number;
    /** Last time this replica had fetched up to the leader's LEO (ISR shrink uses replica.lag.time.max.ms). */
    lastCaughtUpTimeMs: number;
}
export interface LeaderAppendOptions {
    /** -1 (all), 0 or 1. */
    requiredAcks: number;
    /** min.insync.replicas of the topic. */
    minInsyncReplicas: number;
    nowMs: number;
    transactionalId?: string | null;
    /** Producer state: sequence checks and duplicate detection (null: none). */
    hook?: PartitionAppendHook | null;
}
export interface LeaderAppendResult extends AppendInfo {
    /** True when the batch was a retry of one already in the log (nothing appended). */
    duplicate: boolean;
}
export interface PartitionReadResult extends ReadInfo {
    highWatermark: bigint;
    lastStableOffset: bigint;
}
export interface PartitionListener {
    /** The high watermark moved forward; `bytes` estimates the data it exposed (> 0). */
    onHighWatermarkAdvanced?(partition: Partition, bytes: number): void;
    /** The log end moved (followers long-polling the leader wait on this). */
    onLogEndAdvanced?(partition: Partition, bytes: number): void;
}
export interface PartitionOptions {
    localBrokerId: number;
    /** The checkpointed HW (replication-offset-checkpoint), if any. */
    initialHighWatermark?: bigint;
    listener?: PartitionListener;
    /** The first offset of the oldest open transaction in the log (producer state), null when none. */
    firstUnstableOffset?: () => bigint | null;
}
export declare class Partition {
    readonly topic: string;
    readonly partition: number;
    readonly log: PartitionLog;
    readonly epochCache: LeaderEpochFileCache;
    private readonly localBrokerId;
    private readonly listener;
    private roleValue;
    private leaderIdValue;
    private leaderEpochValue;
    private partitionEpochValue;
    private replicasValue;
    private isrValue;
    /** The offset the current leader epoch started at (Kafka's leaderEpochStartOffsetOpt). */
    private leaderEpochStartOffset;
    private hw;
    private readonly remotes;
    private readonly logObserver;
    private readonly firstUnstableOffset;
    constructor(log: PartitionLog, opts: PartitionOptions);
    get role(): ReplicaRole;
    get isLeader(): boolean;
    get leaderId(): number;
    get leaderEpoch(): number;
    get partitionEpoch(): number;
    get replicas(): readonly number[];
    get isr(): readonly number[];
    get logStartOffset(): bigint;
    get logEndOffset(): bigint;
    get highWatermark(): bigint;
    get highWatermarkMetadata(): LogOffsetMetadata;
    /** The HW, or the first offset of the oldest open transaction when that is lower (Kafka's lastStableOffset). */
    get lastStableOffset(): bigint;
    /** The leader's view of a remote replica (undefined when not a replica or not leader). */
    remoteReplica(brokerId: number): RemoteReplicaState | undefined;
    /**
     * Becomes (or stays) leader for `state` (Kafka's Partition.makeLeader). A new epoch starts
     * at the current log end: it goes into the leader epoch cache, remote replica states start
     * afresh, and the HW moves if the ISR allows. Returns true when this broker was not leader
     * of this epoch before.
     */
    makeLeader(state: PartitionState, nowMs?: number): boolean;
    /** Becomes (or stays) a follower of `state.leader` (Kafka's makeFollower). Returns true when the leader or epoch changed. */
    makeFollower(state: PartitionState): boolean;
    /** Stops serving the partition (replica removed, or not a replica any more). */
    makeNone(): void;
    private applyState;
    /**
     * The checks every client request makes (Kafka's localLogWithEpochOrThrow): a stale or
     * future `currentLeaderEpoch` (-1 = not given) and, when `requireLeader`, leadership.
     */
    checkLeaderEpoch(currentLeaderEpoch: number, requireLeader: boolean): void;
    get name(): string;
    /**
     * A client (or coordinator) append on the leader (Kafka's appendRecordsToLeader): leader check,
     * min.insync.replicas for acks=all, the producer-state hook, then the log assigns offsets and
     * this epoch in place. The HW moves as far as the ISR allows.
     */
    appendRecordsAsLeader(batch: Buffer, opts: LeaderAppendOptions): LeaderAppendResult;
    /**
     * A follower's append of what it fetched from the leader (Kafka's appendRecordsToFollowerOrFutureReplica):
     * offsets and partition leader epochs are kept byte for byte; the epoch cache learns every
     * new epoch the batches carry. Returns null when `batches` is empty.
     */
    appendRecordsAsFollower(batches: Buffer, nowMs: number): AppendInfo | null;
    /** A follower takes the leader's HW, capped by its own log end (ReplicaFetcherThread). */
    updateHighWatermarkAsFollower(leaderHighWatermark: bigint): void;
    /**
     * The leader records a follower's fetch position (Kafka's updateFollowerFetchState). Returns
     * true when the HW moved. ISR expansion is proposed by the caller from remoteReplica() state.
     */
    updateFollowerFetchState(replicaId: number, fetch: {
        logEndOffset: bigint;
        logStartOffset: bigint;
        nowMs: number;
    }): boolean;
    /**
     * acks=all: whether the ISR holds everything up to `requiredOffset` (Kafka's
     * checkEnoughReplicasReachOffset): NONE, null (not yet), or an error code.
     */
    checkEnoughReplicasReachOffset(requiredOffset: bigint, minInsyncReplicas: number): number | null;
    /** The leader's HW: the smallest LEO in the ISR (this broker's included). Returns true when it moved. */
    private maybeIncrementLeaderHW;
    /** Moves the HW forward only (truncation lowers it through the log observer). */
    private setHighWatermark;
    private clampToLog;
    /**
     * Reads for a fetch (Kafka's fetchRecords/readRecords): consumers up to the HW (or LSO for
     * read_committed), followers up to the log end. HW and LSO are taken before the read, so the
     * response never claims more than it had when the read started.
     */
    readRecords(fetchOffset: bigint, maxBytes: number, opts: {
        isolation: FetchIsolation;
        minOneBatch: boolean;
        currentLeaderEpoch: number;
        fetchOnlyFromLeader: boolean;
    }): PartitionReadResult;
    /** Throws OFFSET_OUT_OF_RANGE for an offset outside [log start, log end], as a read would. */
    checkFetchOffset(fetchOffset: bigint): void;
    /** ListOffsets by timestamp, among committed records (below the HW) as Kafka answers consumers. */
    offsetForTimestamp(timestamp: bigint): TimestampOffset | null;
    offsetOfMaxTimestamp(): TimestampOffset | null;
    /** DeleteRecords on the leader: the offset may not pass the HW. Returns the new log start offset (low watermark). */
    deleteRecordsOnLeader(offset: bigint): bigint;
    /** OffsetForLeaderEpoch on the leader (or a follower, for tools): the end offset of `requestedEpoch`. */
    lastOffsetForLeaderEpoch(currentLeaderEpoch: number, requestedEpoch: number, fetchOnlyFromLeader: boolean): {
        leaderEpoch: number;
        endOffset: bigint;
    };
    /** Removes everything from `offset` on (a follower diverging from its leader); epochs and HW follow. */
    truncateTo(offset: bigint): void;
    /** Empties the log and restarts it at `offset` (a follower far behind the leader's log start). */
    truncateFullyAndStartAt(offset: bigint): void;
    /** Stops following the log (the partition is deleted or no longer hosted). */
    close(): void;
}
