/**
 * One hosted topic-partition (Kafka's Partition.scala): the log, this broker's leadership state
 * (leader / follower / none, leader epoch, replicas, ISR), the leader epoch cache, the high
 * watermark and last stable offset (kept apart from the log end offset), the state of remote
 * replicas as seen by the leader, and the entry points produce, fetch, ListOffsets and
 * DeleteRecords go through, each with its leader checks.
 *
 * Offsets, and who moves them:
 * - log start offset, log end offset (LEO): the log (appends, retention, DeleteRecords, truncation);
 * - high watermark (HW): here. A leader moves it to the smallest LEO of its ISR (itself included),
 *   so on a single replica it reaches the LEO right after each append; a follower takes the
 *   leader's HW, capped by its own LEO. Consumers never read past it. Checkpointed by the
 *   ReplicaManager in `replication-offset-checkpoint`.
 * - last stable offset (LSO): the HW, or the first offset of the oldest open transaction.
 *
 * Leadership is driven from outside (the metadata layer, through ReplicaManager.applyDelta /
 * becomeLeaderOrFollower): makeLeader / makeFollower. ISR changes come back in later partition
 * states (Kafka's AlterPartition round trip); the leader only proposes them.
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { BATCH_HEADER_SIZE, batchBaseOffset, batchLastOffset, batchPartitionLeaderEpoch, batchProducerId, batchSize } from '@samsa/protocol/records';
import type { PartitionAppendHook } from '../handlers/types.js';
import type { AppendInfo, LogObserver, LogOffsetMetadata, PartitionLog, PreparedRead, ReadInfo, TimestampOffset } from '../storage/partition-log.js';
import { offsetOnlyMetadata } from '../storage/partition-log.js';
import { OffsetOutOfRangeError } from '../storage/errors.js';
import { LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';

/**
 * Test-only, deliberately broken replication for the fault suite's self-test: the leader's HW
 * follows its own log end, acknowledging acks=all before followers have the records.
 */
const UNSAFE_HW_AT_LOG_END = process.env['SAMSA_TEST_UNSAFE_HW_AT_LOG_END'] === '1';

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
  /** The leader's LEO when this replica fetched last: reaching it by the next fetch counts as caught up then. */
  lastFetchLeaderLogEndOffset: bigint;
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
  /** See AppendOptions.callerKeepsBatches. */
  callerKeepsBatches?: boolean;
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

/**
 * The guard of an append that needed no verification because the producer's transaction was open
 * in the partition (Kafka's VerificationGuard.SENTINEL): it holds only while that transaction stays open.
 */
export const NO_VERIFICATION_GUARD: object = Object.freeze({});

const REBUILD_READ_BYTES = 1 << 20;

export class Partition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly epochCache: LeaderEpochFileCache;
  private readonly localBrokerId: number;
  private readonly listener: PartitionListener;
  private roleValue: ReplicaRole = 'none';
  private leaderIdValue = -1;
  private leaderEpochValue = -1;
  private partitionEpochValue = -1;
  private replicasValue: readonly number[] = [];
  private isrValue: readonly number[] = [];
  /** The offset the current leader epoch started at (Kafka's leaderEpochStartOffsetOpt). */
  private leaderEpochStartOffset = -1n;
  private hw: LogOffsetMetadata;
  private readonly remotes = new Map<number, RemoteReplicaState>();
  private readonly logObserver: LogObserver;
  private readonly firstUnstableOffset: () => bigint | null;
  /**
   * KIP-890 verifications in flight, by producer id (Kafka's VerificationStateEntry): a marker
   * for the producer ends its transaction and drops the guard, so a batch verified before the
   * marker is refused after it.
   */
  private readonly verificationGuards = new Map<bigint, object>();

  constructor(log: PartitionLog, opts: PartitionOptions) {
    this.topic = log.topic;
    this.partition = log.partition;
    this.log = log;
    this.localBrokerId = opts.localBrokerId;
    this.listener = opts.listener ?? {};
    this.firstUnstableOffset = opts.firstUnstableOffset ?? (() => null);
    this.epochCache = new LeaderEpochFileCache(log.dir);
    // Recovery may have cut the log below what the cache (or an old checkpoint) knew.
    this.epochCache.truncateFromEnd(log.logEndOffset);
    if (this.epochCache.isEmpty && log.logEndOffset > log.logStartOffset) rebuildEpochCache(this.epochCache, log);
    this.hw = offsetOnlyMetadata(this.clampToLog(opts.initialHighWatermark ?? 0n));
    this.logObserver = {
      onTruncate: (end) => {
        this.epochCache.truncateFromEnd(end);
        if (this.hw.messageOffset > end) this.hw = this.log.logEndOffsetMetadata;
      },
      onLogStartOffsetChange: (start) => {
        this.epochCache.truncateFromStart(start);
        if (this.hw.messageOffset < start) this.hw = offsetOnlyMetadata(start);
      },
      onDirChange: (dir) => {
        this.epochCache.relocate(dir);
        // Positions were in the old log's segments; the offset stays.
        this.hw = offsetOnlyMetadata(this.hw.messageOffset);
      },
    };
    log.addObserver(this.logObserver);
  }

  // ---- state ------------------------------------------------------------------------------

  get role(): ReplicaRole {
    return this.roleValue;
  }
  get isLeader(): boolean {
    return this.roleValue === 'leader';
  }
  get leaderId(): number {
    return this.leaderIdValue;
  }
  get leaderEpoch(): number {
    return this.leaderEpochValue;
  }
  get partitionEpoch(): number {
    return this.partitionEpochValue;
  }
  get replicas(): readonly number[] {
    return this.replicasValue;
  }
  get isr(): readonly number[] {
    return this.isrValue;
  }
  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }
  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }
  get highWatermark(): bigint {
    return this.hw.messageOffset;
  }
  get highWatermarkMetadata(): LogOffsetMetadata {
    return this.hw;
  }
  /** The HW, or the first offset of the oldest open transaction when that is lower (Kafka's lastStableOffset). */
  get lastStableOffset(): bigint {
    const first = this.firstUnstableOffset();
    const hw = this.hw.messageOffset;
    return first !== null && first < hw ? first : hw;
  }
  /** The leader's view of a remote replica (undefined when not a replica or not leader). */
  remoteReplica(brokerId: number): RemoteReplicaState | undefined {
    return this.remotes.get(brokerId);
  }

  // ---- leadership -------------------------------------------------------------------------

  /**
   * Becomes (or stays) leader for `state` (Kafka's Partition.makeLeader). A new epoch starts
   * at the current log end: it goes into the leader epoch cache, remote replica states start
   * afresh, and the HW moves if the ISR allows. Returns true when this broker was not leader
   * of this epoch before.
   */
  makeLeader(state: PartitionState, nowMs = 0): boolean {
    const isNewLeaderEpoch = !this.isLeader || state.leaderEpoch > this.leaderEpochValue;
    this.applyState('leader', state);
    if (isNewLeaderEpoch) {
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.epochCache.assign(state.leaderEpoch, this.leaderEpochStartOffset);
      this.remotes.clear();
    }
    for (const id of state.replicas) {
      if (id === this.localBrokerId || this.remotes.has(id)) continue;
      this.remotes.set(id, { brokerId: id, logEndOffset: -1n, logStartOffset: -1n, lastFetchTimeMs: 0, lastCaughtUpTimeMs: nowMs, lastFetchLeaderLogEndOffset: -1n });
    }
    for (const id of [...this.remotes.keys()]) if (!state.replicas.includes(id)) this.remotes.delete(id);
    this.maybeIncrementLeaderHW();
    return isNewLeaderEpoch;
  }

  /** Becomes (or stays) a follower of `state.leader` (Kafka's makeFollower). Returns true when the leader or epoch changed. */
  makeFollower(state: PartitionState): boolean {
    const changed = this.roleValue !== 'follower' || state.leader !== this.leaderIdValue || state.leaderEpoch !== this.leaderEpochValue;
    this.applyState('follower', state);
    this.remotes.clear();
    this.leaderEpochStartOffset = -1n;
    return changed;
  }

  /** Stops serving the partition (replica removed, or not a replica any more). */
  makeNone(): void {
    this.roleValue = 'none';
    this.remotes.clear();
  }

  private applyState(role: ReplicaRole, state: PartitionState): void {
    this.roleValue = role;
    this.leaderIdValue = state.leader;
    this.leaderEpochValue = state.leaderEpoch;
    this.partitionEpochValue = state.partitionEpoch ?? -1;
    this.replicasValue = state.replicas;
    this.isrValue = state.isr;
  }

  /**
   * The checks every client request makes (Kafka's localLogWithEpochOrThrow): a stale or
   * future `currentLeaderEpoch` (-1 = not given) and, when `requireLeader`, leadership.
   */
  checkLeaderEpoch(currentLeaderEpoch: number, requireLeader: boolean): void {
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== this.leaderEpochValue) {
      if (currentLeaderEpoch > this.leaderEpochValue) {
        throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, `Received leader epoch ${currentLeaderEpoch} is newer than the current leader epoch ${this.leaderEpochValue} of ${this.name}`);
      }
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `Received leader epoch ${currentLeaderEpoch} is older than the current leader epoch ${this.leaderEpochValue} of ${this.name}`);
    }
    if (requireLeader && !this.isLeader) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Leader not local for partition ${this.name} on broker ${this.localBrokerId}`);
    }
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  // ---- produce ----------------------------------------------------------------------------

  /**
   * A client (or coordinator) append on the leader (Kafka's appendRecordsToLeader): leader check,
   * min.insync.replicas for acks=all, the producer-state hook, then the log assigns offsets and
   * this epoch in place. The HW moves as far as the ISR allows.
   */
  appendRecordsAsLeader(batch: Buffer, opts: LeaderAppendOptions): LeaderAppendResult {
    this.checkLeaderEpoch(-1, true);
    if (opts.requiredAcks === -1 && this.isrValue.length < opts.minInsyncReplicas) {
      throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR ${this.isrValue.length} is insufficient to satisfy the min.isr requirement of ${opts.minInsyncReplicas} for partition ${this.name}`);
    }
    const hook = opts.hook ?? null;
    if (hook !== null) {
      const dup = hook.beforeAppend(this.log, batch, { transactionalId: opts.transactionalId ?? null });
      if (dup !== null) return { ...dup, duplicate: true };
    }
    const info = this.log.append(batch, { leaderEpoch: this.leaderEpochValue, nowMs: opts.nowMs, callerKeepsBatches: opts.callerKeepsBatches === true });
    if (this.verificationGuards.size > 0) {
      // A marker ends the producer's transaction here; its first data batch starts the next one: either way the guard is spent.
      this.verificationGuards.delete(batchProducerId(batch));
    }
    hook?.afterAppend?.(this.log, batch, info);
    this.epochCache.assign(this.leaderEpochValue, info.baseOffset);
    this.listener.onLogEndAdvanced?.(this, batch.length);
    this.maybeIncrementLeaderHW();
    return { ...info, duplicate: false };
  }

  /** Starts verifying a producer's first transactional batch here (KIP-890); the guard must still hold when the batch is appended. */
  startTransactionVerification(producerId: bigint): object {
    let guard = this.verificationGuards.get(producerId);
    if (guard === undefined) this.verificationGuards.set(producerId, (guard = {}));
    return guard;
  }

  /**
   * Kafka's VerificationGuard check on append (KIP-890): a producer's transactional batch that
   * does not continue a transaction open here must carry the guard its verification started, still
   * unspent (no batch or marker of the producer appended since); INVALID_TXN_STATE otherwise: the
   * transaction ended, or another one began, while the coordinator was asked.
   */
  checkVerificationGuard(hook: PartitionAppendHook | null, producerId: bigint, guard: object): void {
    if (hook?.hasOngoingTransaction?.(this.log, producerId) === true || this.verificationGuards.get(producerId) === guard) return;
    throw new KafkaError(ErrorCode.INVALID_TXN_STATE, 'Record was not part of an ongoing transaction');
  }

  /**
   * A follower's append of what it fetched from the leader (Kafka's appendRecordsToFollowerOrFutureReplica):
   * offsets and partition leader epochs are kept byte for byte; the epoch cache learns every
   * new epoch the batches carry. Returns null when `batches` is empty.
   */
  appendRecordsAsFollower(batches: Buffer, nowMs: number): AppendInfo | null {
    if (batches.length === 0) return null;
    if (this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.name}: the leader does not append as a follower`);
    const info = this.log.append(batches, { leaderEpoch: this.leaderEpochValue, nowMs, origin: 'replication' });
    assignEpochsOf(this.epochCache, batches);
    this.epochCache.persist();
    this.listener.onLogEndAdvanced?.(this, batches.length);
    return info;
  }

  /** A follower takes the leader's HW, capped by its own log end (ReplicaFetcherThread). */
  updateHighWatermarkAsFollower(leaderHighWatermark: bigint): void {
    const end = this.log.logEndOffset;
    const next = leaderHighWatermark < end ? leaderHighWatermark : end;
    this.setHighWatermark(next === end ? this.log.logEndOffsetMetadata : offsetOnlyMetadata(this.clampToLog(next)));
  }

  /**
   * The leader records a follower's fetch position (Kafka's updateFollowerFetchState). Returns
   * true when the HW moved. ISR expansion is proposed by the caller from remoteReplica() state.
   */
  updateFollowerFetchState(replicaId: number, fetch: { logEndOffset: bigint; logStartOffset: bigint; nowMs: number }): boolean {
    const r = this.remotes.get(replicaId);
    if (r === undefined) return false;
    // Kafka's rule: caught up now if it asked for everything; caught up at its previous fetch if
    // it now asks for what the leader had then (under steady appends a follower is never at the end).
    const leaderEnd = this.log.logEndOffset;
    if (fetch.logEndOffset >= leaderEnd) r.lastCaughtUpTimeMs = Math.max(r.lastCaughtUpTimeMs, fetch.nowMs);
    else if (r.lastFetchLeaderLogEndOffset >= 0n && fetch.logEndOffset >= r.lastFetchLeaderLogEndOffset) r.lastCaughtUpTimeMs = Math.max(r.lastCaughtUpTimeMs, r.lastFetchTimeMs);
    r.logEndOffset = fetch.logEndOffset;
    r.logStartOffset = fetch.logStartOffset;
    r.lastFetchTimeMs = fetch.nowMs;
    r.lastFetchLeaderLogEndOffset = leaderEnd;
    return this.maybeIncrementLeaderHW();
  }

  /**
   * acks=all: whether the ISR holds everything up to `requiredOffset` (Kafka's
   * checkEnoughReplicasReachOffset): NONE, null (not yet), or an error code.
   */
  checkEnoughReplicasReachOffset(requiredOffset: bigint, minInsyncReplicas: number): number | null {
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.hw.messageOffset >= requiredOffset) {
      return this.isrValue.length < minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
    }
    return null;
  }

  /** The leader's HW: the smallest LEO in the ISR (this broker's included). Returns true when it moved. */
  private maybeIncrementLeaderHW(): boolean {
    if (!this.isLeader) return false;
    if (UNSAFE_HW_AT_LOG_END) return this.setHighWatermark(this.log.logEndOffsetMetadata);
    let next = this.log.logEndOffsetMetadata;
    for (const id of this.isrValue) {
      if (id === this.localBrokerId) continue;
      const r = this.remotes.get(id);
      const leo = r === undefined ? -1n : r.logEndOffset;
      if (leo < next.messageOffset) next = offsetOnlyMetadata(leo < 0n ? this.hw.messageOffset : leo);
    }
    return this.setHighWatermark(next);
  }

  /** Moves the HW forward only (truncation lowers it through the log observer). */
  private setHighWatermark(next: LogOffsetMetadata): boolean {
    const old = this.hw;
    if (next.messageOffset > old.messageOffset) {
      this.hw = next;
      this.listener.onHighWatermarkAdvanced?.(this, exposedBytes(old, next));
      return true;
    }
    // Same offset, now with its position: keep the richer metadata.
    if (next.messageOffset === old.messageOffset && old.relativePositionInSegment < 0) this.hw = next;
    return false;
  }

  private clampToLog(offset: bigint): bigint {
    const start = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    return offset < start ? start : offset > end ? end : offset;
  }

  // ---- fetch ------------------------------------------------------------------------------

  /**
   * Reads for a fetch (Kafka's fetchRecords/readRecords): consumers up to the HW (or LSO for
   * read_committed), followers up to the log end. HW and LSO are taken before the read, so the
   * response never claims more than it had when the read started.
   */
  readRecords(fetchOffset: bigint, maxBytes: number, opts: { isolation: FetchIsolation; minOneBatch: boolean; currentLeaderEpoch: number; fetchOnlyFromLeader: boolean }): PartitionReadResult {
    this.checkLeaderEpoch(opts.currentLeaderEpoch, opts.fetchOnlyFromLeader);
    const highWatermark = this.hw.messageOffset;
    const lastStableOffset = this.lastStableOffset;
    const maxOffset = opts.isolation === 'log-end' ? undefined : opts.isolation === 'txn-committed' ? lastStableOffset : highWatermark;
    const info = maxOffset === undefined ? this.log.read(fetchOffset, maxBytes, { minOneBatch: opts.minOneBatch }) : this.log.read(fetchOffset, maxBytes, { minOneBatch: opts.minOneBatch, maxOffset });
    return { ...info, highWatermark, lastStableOffset };
  }

  /**
   * Before readRecords with the same arguments: reads what it may need of the disk off the event
   * loop (PartitionLog.prepareRead); null when readRecords can run now.
   */
  prepareRead(fetchOffset: bigint, maxBytes: number, opts: { isolation: FetchIsolation; minOneBatch: boolean }): Promise<PreparedRead> | null {
    const maxOffset = opts.isolation === 'log-end' ? this.log.logEndOffset : opts.isolation === 'txn-committed' ? this.lastStableOffset : this.hw.messageOffset;
    if (fetchOffset >= maxOffset) return null;
    return this.log.prepareRead?.(fetchOffset, maxBytes, opts.minOneBatch) ?? null;
  }

  // ---- ListOffsets, DeleteRecords, OffsetForLeaderEpoch -----------------------------------

  /** ListOffsets by timestamp, among committed records (below the HW) as Kafka answers consumers. */
  offsetForTimestamp(timestamp: bigint): TimestampOffset | null {
    const r = this.log.offsetForTimestamp(timestamp);
    return r !== null && r.offset < this.hw.messageOffset ? r : null;
  }

  offsetOfMaxTimestamp(): TimestampOffset | null {
    return this.log.offsetOfMaxTimestamp();
  }

  /** DeleteRecords on the leader: the offset may not pass the HW. Returns the new log start offset (low watermark). */
  deleteRecordsOnLeader(offset: bigint): bigint {
    this.checkLeaderEpoch(-1, true);
    const hw = this.hw.messageOffset;
    if (offset < 0n || offset > hw) throw new OffsetOutOfRangeError(this.topic, this.partition, offset, this.log.logStartOffset, hw);
    return this.log.deleteRecordsBefore(offset);
  }

  /** OffsetForLeaderEpoch on the leader (or a follower, for tools): the end offset of `requestedEpoch`. */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, requestedEpoch: number, fetchOnlyFromLeader: boolean): { leaderEpoch: number; endOffset: bigint } {
    this.checkLeaderEpoch(currentLeaderEpoch, fetchOnlyFromLeader);
    const r = this.epochCache.endOffsetFor(requestedEpoch, this.log.logEndOffset);
    if (r.epoch === UNDEFINED_EPOCH) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    return { leaderEpoch: r.epoch, endOffset: r.endOffset };
  }

  // ---- truncation (followers) -------------------------------------------------------------

  /** Removes everything from `offset` on (a follower diverging from its leader); epochs and HW follow. */
  truncateTo(offset: bigint): void {
    this.log.truncateTo(offset);
  }

  /** Empties the log and restarts it at `offset` (a follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.log.truncateFullyAndStartAt(offset);
    this.epochCache.clear();
    this.hw = offsetOnlyMetadata(offset);
  }

  /** Stops following the log (the partition is deleted or no longer hosted). */
  close(): void {
    this.log.removeObserver(this.logObserver);
    this.roleValue = 'none';
  }
}

/** Bytes between two offsets' positions when both are known in one segment, else a lower bound. */
function exposedBytes(from: LogOffsetMetadata, to: LogOffsetMetadata): number {
  if (from.segmentBaseOffset >= 0n && from.segmentBaseOffset === to.segmentBaseOffset && to.relativePositionInSegment > from.relativePositionInSegment) {
    return to.relativePositionInSegment - from.relativePositionInSegment;
  }
  return Math.max(1, to.relativePositionInSegment);
}

/** Adds the leader epoch of every batch in `batches` to the cache (in memory; the caller persists). */
function assignEpochsOf(cache: LeaderEpochFileCache, batches: Buffer): void {
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= batches.length) {
    cache.assignInMemory(batchPartitionLeaderEpoch(batches, pos), batchBaseOffset(batches, pos));
    pos += batchSize(batches, pos);
  }
}

/** A log without a leader-epoch-checkpoint (written before it existed): learn the epochs from its batch headers. */
function rebuildEpochCache(cache: LeaderEpochFileCache, log: PartitionLog): void {
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  while (offset < end) {
    const { records } = log.read(offset, REBUILD_READ_BYTES, { minOneBatch: true });
    if (records.length === 0) break;
    assignEpochsOf(cache, records);
    let pos = 0;
    let next = offset;
    while (pos + BATCH_HEADER_SIZE <= records.length) {
      const after = batchLastOffset(records, pos) + 1n;
      if (after > next) next = after;
      pos += batchSize(records, pos);
    }
    if (next <= offset) break;
    offset = next;
  }
  cache.persist();
}
