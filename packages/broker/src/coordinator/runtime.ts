/**
 * The coordinator runtime (Kafka's coordinator-common CoordinatorRuntime, in miniature). The
 * state of a coordinator is split into shards, one per partition of an internal compacted topic.
 * An operation on a shard returns a CoordinatorResult: the records that make its change durable
 * and the response. The runtime appends the records to the shard's partition as one RecordBatch
 * with acks=all rules (min.insync.replicas is checked on append), then waits until the partition's
 * high watermark passes them: only then are the records applied to the shard (unless the
 * operation already changed the in-memory state itself) and the response given. So an offset
 * commit or a transaction state change is never seen (OffsetFetch, DescribeTransactions...)
 * before the in-sync replicas have it.
 *
 * Failures: an append that is refused (NOT_ENOUGH_REPLICAS, NOT_LEADER_OR_FOLLOWER, a storage
 * error) is answered with its error and changes nothing (records that were to be replayed never
 * are; an operation that changed memory itself undoes it in afterWrite, or, when it has no
 * afterWrite, the shard is rebuilt from its log). An append whose records are not committed within
 * the write timeout is answered REQUEST_TIMED_OUT (mapped by the caller, as Kafka does); its records
 * stay in the local log, so they are applied if and when they commit later, and dropped with the
 * shard if leadership moves first (the new leader's log decides).
 *
 * Pending writes of a shard complete in log order; an operation without records that comes while
 * writes are pending is answered after them (Kafka's deferred read-after-write). Loading replays the partition to its log end
 * and serves once the high watermark has reached that end. Timers (session timeouts, join delays)
 * run as operations too, on an injected Clock.
 */
import { ErrorCode, KafkaError, createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol';
import { batchProducerId, ControlRecordType, createEndTxnMarkerBatch, decodeEndTxnMarker } from '@samsa/protocol/records';
import type { Partition } from '../cluster/partition.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { BrokerTransactionCoordinator } from './transaction/broker-transaction-coordinator.js';
import { verificationErrorFor } from './transaction/verification.js';
import type { CoordinatorRecord } from './records.js';

/** The producer of a transactional write (TxnOffsetCommit) and of its end marker. */
export interface TransactionalProducer {
  producerId: bigint;
  producerEpoch: number;
}

/** A transactional write as KIP-890 verifies it: the producer and its transactional id. */
export interface TransactionalWrite extends TransactionalProducer {
  transactionalId: string;
  /** The request's version knows TRANSACTION_ABORTABLE (TxnOffsetCommit v4+); older ones get INVALID_TXN_STATE. */
  abortableSupported: boolean;
}

/** What an operation returns: records to append, and the response once they are committed. */
export interface CoordinatorResult<T> {
  records: CoordinatorRecord[];
  response: T;
  /**
   * false when the operation already applied its change to the in-memory state (classic group
   * operations do; Kafka's replayRecords flag), true (default) to apply the records by replay
   * once they are committed.
   */
  replayRecords?: boolean;
  /** Called once the records are committed (error = null) or when the write failed or timed out; Kafka's appendFuture. */
  afterWrite?: (error: unknown) => void;
  /** Writes the records as a transactional batch of this producer (Kafka's transactional offset commits). */
  transaction?: TransactionalProducer;
}

/**
 * What a client sees when a coordinator's write failed (Kafka's CoordinatorOperationExceptionHelper
 * and TransactionStateManager mapping): errors of the log append or of the wait for the ISR
 * become "find the coordinator again" or "retry later".
 */
export function appendErrorToResponseError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export function result<T>(response: T, records: CoordinatorRecord[] = [], replayRecords = true): CoordinatorResult<T> {
  return { records, response, replayRecords };
}

/** Where a coordinator's records go: the partitions of its internal topic. */
export interface CoordinatorPartitionWriter {
  /**
   * Appends one RecordBatch on the leader with acks=all rules (min.insync.replicas checked
   * first); returns its base offset. Throws on failure (a KafkaError with the partition's code).
   */
  append(partition: number, batch: Buffer, verificationGuard?: object | null): bigint;
  /**
   * KIP-890 before a transactional write (Kafka's PartitionWriter.maybeStartTransactionVerification,
   * with transaction.partition.verification.enable): the transaction coordinator confirms the
   * partition is in the producer's transaction. Resolves with the guard the append must carry
   * (null: nothing to verify); rejects with a KafkaError (TRANSACTION_ABORTABLE or
   * INVALID_TXN_STATE when the partition was not added, INVALID_PRODUCER_EPOCH when fenced...).
   */
  verifyTransaction?(partition: number, txn: TransactionalWrite): Promise<object | null>;
  /** The partition's high watermark: what the in-sync replicas all have. */
  highWatermark(partition: number): bigint;
  /**
   * Resolves NONE once the high watermark reaches `endOffset`, else an error code:
   * REQUEST_TIMED_OUT after `timeoutMs`, NOT_LEADER_OR_FOLLOWER when leadership moved.
   */
  awaitCommitted(partition: number, endOffset: bigint, timeoutMs: number): Promise<number>;
  /** Whole batches from `offset` (for replay); empty records at the end of the log. */
  read(partition: number, offset: bigint, maxBytes: number): { records: Buffer; logStartOffset: bigint; logEndOffset: bigint };
}

/**
 * Kafka's InMemoryPartitionWriter: batches kept in memory, offsets assigned as a log would. By
 * default everything appended is committed at once (a single replica); with `holdCommits` the
 * high watermark stays until `commit()` moves it, as slow followers would.
 */
export class InMemoryPartitionWriter implements CoordinatorPartitionWriter {
  private readonly logs = new Map<number, { batches: Buffer[]; endOffset: bigint; hw: bigint }>();
  private readonly waiters: Array<{ partition: number; end: bigint; done: (code: number) => void }> = [];
  /** Set to make the next appends throw (write-failure tests). */
  failAppends: Error | null = null;
  /** Holds the high watermark where it is (followers that do not fetch). */
  holdCommits = false;

  /** `clock` times out awaitCommitted; without one, waits never time out. */
  constructor(private readonly clock?: Clock) {}

  private log(partition: number): { batches: Buffer[]; endOffset: bigint; hw: bigint } {
    let log = this.logs.get(partition);
    if (log === undefined) this.logs.set(partition, (log = { batches: [], endOffset: 0n, hw: 0n }));
    return log;
  }

  append(partition: number, batch: Buffer): bigint {
    if (this.failAppends !== null) throw this.failAppends;
    const log = this.log(partition);
    const copy = Buffer.from(batch);
    const base = log.endOffset;
    copy.writeBigInt64BE(base, 0); // the base offset is outside the CRC
    const lastOffsetDelta = copy.readInt32BE(23);
    log.batches.push(copy);
    log.endOffset = base + BigInt(lastOffsetDelta) + 1n;
    if (!this.holdCommits) log.hw = log.endOffset;
    return base;
  }

  highWatermark(partition: number): bigint {
    return this.logs.get(partition)?.hw ?? 0n;
  }

  /** Moves the high watermark to `offset` (default: the log end) and completes the waits it satisfies. */
  commit(partition: number, offset?: bigint): void {
    const log = this.log(partition);
    const to = offset ?? log.endOffset;
    if (to > log.hw) log.hw = to;
    for (const w of [...this.waiters]) {
      if (w.partition === partition && w.end <= log.hw) w.done(ErrorCode.NONE);
    }
  }

  awaitCommitted(partition: number, endOffset: bigint, timeoutMs: number): Promise<number> {
    if (this.highWatermark(partition) >= endOffset) return Promise.resolve(ErrorCode.NONE);
    return new Promise((resolve) => {
      const timer = this.clock?.setTimeout(() => w.done(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      const w = {
        partition, end: endOffset,
        done: (code: number) => {
          const i = this.waiters.indexOf(w);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          if (timer !== undefined) this.clock!.clearTimeout(timer);
          resolve(code);
        },
      };
      this.waiters.push(w);
    });
  }

  read(partition: number, offset: bigint, _maxBytes: number): { records: Buffer; logStartOffset: bigint; logEndOffset: bigint } {
    const log = this.logs.get(partition);
    if (log === undefined) return { records: Buffer.alloc(0), logStartOffset: 0n, logEndOffset: 0n };
    const out = log.batches.filter((b) => b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) >= offset);
    return { records: Buffer.concat(out), logStartOffset: 0n, logEndOffset: log.endOffset };
  }

  /** Every batch written to a partition, as a log reader would see it. */
  batches(partition: number): Buffer {
    return Buffer.concat(this.logs.get(partition)?.batches ?? []);
  }
}

/**
 * The broker's writer: the internal topic's Partitions. Appends go through the leader path
 * (leader check, min.insync.replicas of the topic, epoch stamping; the producer state learns
 * transactional batches and markers from the log); commits are waited for in the produce
 * purgatory like acks=all produces; replay reads the whole local log, as Kafka's loader does.
 */
export class PartitionLogWriter implements CoordinatorPartitionWriter {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly topic: string,
    private readonly clock: Clock,
    /** The KIP-890 verifier while transaction.partition.verification.enable is on; none for the transaction coordinator's own writes. */
    private readonly verifier?: () => Pick<BrokerTransactionCoordinator, 'verifyAppends'> | null,
  ) {}

  private partition(partition: number): Partition {
    const p = this.replicas.getPartition(this.topic, partition);
    if (p === undefined || !p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not lead ${this.topic}-${partition}`);
    return p;
  }

  private minInsyncReplicas(): number {
    return this.replicas.topic(this.topic)?.config.num('min.insync.replicas') ?? 1;
  }

  append(partition: number, batch: Buffer, verificationGuard?: object | null): bigint {
    const p = this.partition(partition);
    if (verificationGuard != null) p.checkVerificationGuard(this.replicas.appendHook, batchProducerId(batch), verificationGuard);
    return p.appendRecordsAsLeader(batch, { requiredAcks: -1, minInsyncReplicas: this.minInsyncReplicas(), nowMs: this.clock.now() }).baseOffset;
  }

  async verifyTransaction(partition: number, txn: TransactionalWrite): Promise<object | null> {
    const verifier = this.verifier?.() ?? null;
    if (verifier === null) return null;
    const p = this.partition(partition);
    const v = await verifier.verifyAppends(txn.transactionalId, txn.producerId, txn.producerEpoch, [p]);
    for (const code of v.failed.values()) throw new KafkaError(verificationErrorFor(code, txn.abortableSupported), `${this.topic}-${partition} could not be verified in the transaction of ${txn.transactionalId}`);
    return v.guards.values().next().value ?? null;
  }

  highWatermark(partition: number): bigint {
    return this.replicas.getPartition(this.topic, partition)?.highWatermark ?? -1n;
  }

  async awaitCommitted(partition: number, endOffset: bigint, timeoutMs: number): Promise<number> {
    // min.insync.replicas was checked on append; here only the high watermark counts (Kafka's coordinator runtime).
    const [code] = await this.replicas.awaitHighWatermarks([{ topic: this.topic, partition, requiredOffset: endOffset, minInsyncReplicas: 1 }], timeoutMs);
    return code ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  read(partition: number, offset: bigint, maxBytes: number): { records: Buffer; logStartOffset: bigint; logEndOffset: bigint } {
    const p = this.partition(partition);
    const from = offset < p.logStartOffset ? p.logStartOffset : offset;
    const r = p.readRecords(from, maxBytes, { isolation: 'log-end', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: false });
    return { records: r.records, logStartOffset: r.logStartOffset, logEndOffset: r.logEndOffset };
  }
}

/** Keyed timers of one shard (Kafka's CoordinatorTimer): scheduling a key replaces its previous timer. */
export interface CoordinatorTimer {
  schedule(key: string, delayMs: number, op: () => CoordinatorResult<void>): void;
  cancel(key: string): void;
  isScheduled(key: string): boolean;
}

export interface CoordinatorShard {
  /**
   * Applies one committed record (from replay, or after a write with replayRecords).
   * `producerId` is the producer of a transactional batch (its records wait for the end
   * marker), -1n for ordinary records.
   */
  replay(record: CoordinatorRecord, offset: bigint, producerId: bigint): void;
  /** A committed COMMIT/ABORT marker of a producer's transaction in this partition. */
  replayEndTransactionMarker?(producerId: bigint, commit: boolean, offset: bigint): void;
  /** The shard finished loading (reschedule timers for what was loaded). */
  onLoaded?(): void;
  /** The shard is being unloaded (resign, shutdown). */
  onUnloaded?(): void;
}

export interface ShardContext {
  readonly partition: number;
  readonly clock: Clock;
  readonly timer: CoordinatorTimer;
  readonly log: Logger | null;
}

/** A write whose records are in the log but not yet committed (Kafka's deferred event). */
interface PendingWrite {
  readonly base: bigint;
  readonly end: bigint;
  readonly result: CoordinatorResult<unknown>;
  /** Null for a marker (applied through replayEndTransactionMarker). */
  readonly marker: { producerId: bigint; commit: boolean } | null;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** The caller has its answer (committed, or failed / timed out). */
  answered: boolean;
}

interface ActiveShard<S> {
  status: 'active';
  epoch: number;
  shard: S;
  timers: Map<string, TimerHandle>;
  /** In log order. */
  pending: PendingWrite[];
}

type ShardState<S> =
  | { status: 'loading'; epoch: number }
  | ActiveShard<S>
  | { status: 'failed'; epoch: number; error: unknown };

export interface RuntimeOptions<S> {
  clock: Clock;
  writer: CoordinatorPartitionWriter;
  newShard(ctx: ShardContext): S;
  log?: Logger;
  /** Bytes per read while loading; the runtime yields to the event loop between reads. */
  loadChunkBytes?: number;
  /**
   * How long a write waits for its records to be committed (offsets.commit.timeout.ms for
   * groups, request.timeout.ms for transactions, as in Kafka) before REQUEST_TIMED_OUT.
   */
  writeTimeoutMs?: number;
}

const DEFAULT_WRITE_TIMEOUT_MS = 5000;

export class CoordinatorRuntime<S extends CoordinatorShard> {
  private readonly shards = new Map<number, ShardState<S>>();
  private readonly clock: Clock;
  private readonly writer: CoordinatorPartitionWriter;
  private readonly writeTimeoutMs: number;

  constructor(private readonly opts: RuntimeOptions<S>) {
    this.clock = opts.clock;
    this.writer = opts.writer;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
  }

  /** Partitions that are active (loaded) here. */
  activePartitions(): number[] {
    return [...this.shards].filter(([, s]) => s.status === 'active').map(([p]) => p);
  }

  isLoaded(partition: number): boolean {
    return this.shards.get(partition)?.status === 'active';
  }

  isHosted(partition: number): boolean {
    return this.shards.has(partition);
  }

  /**
   * Becomes coordinator of a partition: replays it to its log end, waits until that end is
   * committed (a new leader's tail may not be yet), then serves it. Operations in between answer
   * COORDINATOR_LOAD_IN_PROGRESS. Returns when the shard is active.
   */
  async load(partition: number, epoch = 0): Promise<void> {
    const cur = this.shards.get(partition);
    if (cur !== undefined && cur.epoch >= epoch && cur.status !== 'failed') return;
    if (cur?.status === 'active') this.unload(partition);
    this.shards.set(partition, { status: 'loading', epoch });
    const timers = new Map<string, TimerHandle>();
    const shard = this.opts.newShard({ partition, clock: this.clock, timer: this.timerFor(partition, timers), log: this.opts.log ?? null });
    const current = (): boolean => this.shards.get(partition)?.epoch === epoch && this.shards.get(partition)?.status === 'loading';
    try {
      const started = Date.now();
      const { end, records } = await this.replayLog(partition, shard, current);
      if (!current()) return;
      // Serve only what the in-sync replicas have: a new leader's tail commits once followers catch up.
      for (;;) {
        const code = await this.writer.awaitCommitted(partition, end, this.writeTimeoutMs);
        if (!current()) return;
        if (code === ErrorCode.NONE) break;
        if (code !== ErrorCode.REQUEST_TIMED_OUT) throw new KafkaError(code, `partition ${partition} cannot commit its log end ${end}`);
      }
      this.shards.set(partition, { status: 'active', epoch, shard, timers, pending: [] });
      shard.onLoaded?.();
      this.opts.log?.info(`Finished loading of partition ${partition} (${records} records) in ${Date.now() - started} ms`);
    } catch (e) {
      this.opts.log?.error(`Failed to load coordinator partition ${partition}`, e);
      if (this.shards.get(partition)?.epoch === epoch) this.shards.set(partition, { status: 'failed', epoch, error: e });
      throw e;
    }
  }

  /** Replays a partition from its start: records (transactional ones by producer), and end-transaction markers. */
  private async replayLog(partition: number, shard: S, current: () => boolean): Promise<{ end: bigint; records: number }> {
    let offset = 0n;
    let records = 0;
    const chunk = this.opts.loadChunkBytes ?? 1 << 20;
    for (;;) {
      const r = this.writer.read(partition, offset, chunk);
      if (offset < r.logStartOffset) offset = r.logStartOffset;
      if (r.records.length === 0) break;
      for (const batch of decodeRecordBatches(r.records, { verifyCrc: false })) {
        const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
        if (last < offset) continue;
        if (batch.isControl) {
          const rec = batch.records[0];
          const marker = rec === undefined ? null : decodeEndTxnMarker(rec);
          if (marker !== null) shard.replayEndTransactionMarker?.(batch.producerId, marker.type === ControlRecordType.Commit, batch.baseOffset);
        } else {
          const producerId = batch.isTransactional ? batch.producerId : -1n;
          for (const rec of batch.records) {
            const recOffset = batch.baseOffset + BigInt(rec.offsetDelta);
            if (recOffset < offset || rec.key === null) continue;
            shard.replay({ key: rec.key, value: rec.value }, recOffset, producerId);
            records++;
          }
        }
        offset = last + 1n;
      }
      if (offset >= r.logEndOffset) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!current()) break;
    }
    return { end: offset, records };
  }

  /** Stops coordinating a partition: its timers stop, writes still waiting fail NOT_COORDINATOR, its state is dropped. */
  unload(partition: number): void {
    const s = this.shards.get(partition);
    this.shards.delete(partition);
    if (s?.status !== 'active') return;
    for (const h of s.timers.values()) this.clock.clearTimeout(h);
    s.timers.clear();
    const waiting = s.pending.splice(0);
    for (const w of waiting) this.fail(w, new KafkaError(ErrorCode.NOT_COORDINATOR, `coordinator partition ${partition} was unloaded before the write committed`));
    s.shard.onUnloaded?.();
  }

  close(): void {
    for (const p of [...this.shards.keys()]) this.unload(p);
  }

  private active(partition: number): ActiveShard<S> {
    const s = this.shards.get(partition);
    if (s === undefined || s.status === 'failed') throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not coordinate partition ${partition}`);
    if (s.status === 'loading') throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `partition ${partition} is loading`);
    return s;
  }

  /** Reads a shard's committed state (no records). */
  read<T>(partition: number, fn: (shard: S) => T): T {
    return fn(this.active(partition).shard);
  }

  /**
   * Runs an operation that never writes records (a heartbeat): it may change the in-memory
   * state, and answers at once.
   */
  mutate<T>(partition: number, fn: (shard: S) => T): T {
    return fn(this.active(partition).shard);
  }

  /**
   * Runs an operation: its records are appended as one batch, and the returned promise settles
   * once they are committed (or the write failed: rejected with the partition's error, or
   * REQUEST_TIMED_OUT after the write timeout). Without records it settles at once, or, when
   * writes are pending, with the last of them.
   */
  async write<T>(partition: number, op: (shard: S) => CoordinatorResult<T>): Promise<T> {
    const s = this.active(partition);
    const res = op(s.shard);
    return this.submit(partition, s, res, null);
  }

  /**
   * A transactional write (Kafka's scheduleTransactionalWriteOperation): with KIP-890 verification
   * the transaction coordinator first confirms the partition is in the producer's transaction;
   * then the operation runs and its records are appended as the producer's transactional batch,
   * carrying the verification's guard.
   */
  async writeTransactional<T>(partition: number, txn: TransactionalWrite, op: (shard: S) => CoordinatorResult<T>): Promise<T> {
    this.active(partition);
    const guard = (await this.writer.verifyTransaction?.(partition, txn)) ?? null;
    const s = this.active(partition);
    const res = op(s.shard);
    res.transaction = { producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    return this.submit(partition, s, res, null, undefined, guard);
  }

  /**
   * Ends a producer's transaction in a partition (Kafka's scheduleTransactionCompletion): the
   * COMMIT/ABORT marker goes into the log through the runtime, so the shard applies it in log
   * order with the transaction's records, once committed.
   */
  async writeEndTransactionMarker(partition: number, producer: TransactionalProducer, coordinatorEpoch: number, commit: boolean): Promise<void> {
    const s = this.active(partition);
    const batch = encodeRecordBatch(createEndTxnMarkerBatch({
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      type: commit ? ControlRecordType.Commit : ControlRecordType.Abort,
      coordinatorEpoch,
      timestamp: BigInt(this.clock.now()),
    }));
    return this.submit(partition, s, { records: [], response: undefined }, { producerId: producer.producerId, commit }, batch);
  }

  private submit<T>(partition: number, s: ActiveShard<S>, res: CoordinatorResult<T>, marker: PendingWrite['marker'], markerBatch?: Buffer, verificationGuard: object | null = null): Promise<T> {
    if (res.records.length === 0 && markerBatch === undefined) {
      const last = s.pending[s.pending.length - 1];
      if (last === undefined) {
        res.afterWrite?.(null);
        return Promise.resolve(res.response);
      }
      // Kafka's read-after-write rule: an answer may rest on state written but not committed yet,
      // so it waits for the last pending write (and fails with it when that times out).
      return new Promise<T>((resolve, reject) => {
        const w: PendingWrite = { base: last.end, end: last.end, result: res, marker: null, resolve: resolve as (v: unknown) => void, reject, answered: false };
        s.pending.push(w);
        this.awaitCommit(partition, s, w);
      });
    }
    const batch = markerBatch ?? encodeRecordBatch(createRecordBatch(res.records.map((r) => ({ key: r.key, value: r.value })), {
      now: BigInt(this.clock.now()),
      ...(res.transaction !== undefined ? { isTransactional: true, producerId: res.transaction.producerId, producerEpoch: res.transaction.producerEpoch } : {}),
    }));
    let base: bigint;
    try {
      base = this.writer.append(partition, batch, verificationGuard);
    } catch (e) {
      res.afterWrite?.(e);
      if (res.replayRecords === false && res.afterWrite === undefined) this.revertByReload(partition, s);
      return Promise.reject(e);
    }
    const end = base + BigInt(Math.max(res.records.length, 1));
    return new Promise<T>((resolve, reject) => {
      const w: PendingWrite = { base, end, result: res, marker, resolve: resolve as (v: unknown) => void, reject, answered: false };
      s.pending.push(w);
      // A single replica commits on append: complete now, so the state is current when write() returns.
      if (this.writer.highWatermark(partition) >= end) this.completeUpTo(s, end);
      else this.awaitCommit(partition, s, w);
    });
  }

  /** Waits for a write's commit; after a timeout its caller is answered and the wait goes on, so late commits still apply. */
  private awaitCommit(partition: number, s: ActiveShard<S>, w: PendingWrite): void {
    void this.writer.awaitCommitted(partition, w.end, this.writeTimeoutMs).then((code) => {
      if (this.shards.get(partition) !== s || !s.pending.includes(w)) return;
      if (code === ErrorCode.NONE) {
        this.completeUpTo(s, w.end);
        return;
      }
      this.fail(w, new KafkaError(code, `records of coordinator partition ${partition} up to offset ${w.end} were not committed`));
      if (code === ErrorCode.REQUEST_TIMED_OUT) this.awaitCommit(partition, s, w);
    });
  }

  /** Applies, in log order, every pending write the high watermark has passed, and answers them. */
  private completeUpTo(s: ActiveShard<S>, committedEnd: bigint): void {
    while (s.pending.length > 0 && s.pending[0]!.end <= committedEnd) {
      const w = s.pending.shift()!;
      const res = w.result;
      if (w.marker !== null) s.shard.replayEndTransactionMarker?.(w.marker.producerId, w.marker.commit, w.base);
      else if (res.replayRecords !== false) {
        const producerId = res.transaction?.producerId ?? -1n;
        res.records.forEach((r, i) => s.shard.replay(r, w.base + BigInt(i), producerId));
      }
      if (w.answered) continue;
      w.answered = true;
      res.afterWrite?.(null);
      w.resolve(res.response);
    }
  }

  private fail(w: PendingWrite, e: unknown): void {
    if (w.answered) return;
    w.answered = true;
    try {
      w.result.afterWrite?.(e);
    } finally {
      w.reject(e);
    }
  }

  /**
   * An operation changed the in-memory state itself and its append was refused: the log is the
   * truth, so the shard is rebuilt from it (Kafka reverts its timeline data structures instead).
   */
  private revertByReload(partition: number, s: ActiveShard<S>): void {
    if (this.shards.get(partition) !== s) return;
    this.opts.log?.warn(`Reloading coordinator partition ${partition} from its log after a failed write`);
    this.unload(partition);
    this.load(partition, s.epoch).catch(() => {});
  }

  private timerFor(partition: number, timers: Map<string, TimerHandle>): CoordinatorTimer {
    return {
      schedule: (key, delayMs, op) => {
        const prev = timers.get(key);
        if (prev !== undefined) this.clock.clearTimeout(prev);
        const handle = this.clock.setTimeout(() => {
          if (timers.get(key) !== handle) return;
          timers.delete(key);
          const s = this.shards.get(partition);
          if (s?.status !== 'active' || s.timers !== timers) return;
          let res: CoordinatorResult<void>;
          try {
            res = op();
          } catch (e) {
            this.opts.log?.error(`Coordinator timer ${key} of partition ${partition} failed`, e);
            return;
          }
          this.submit(partition, s, res, null).catch((e: unknown) => this.opts.log?.warn(`Coordinator timer ${key} of partition ${partition}: write failed: ${(e as Error).message}`));
        }, delayMs);
        timers.set(key, handle);
      },
      cancel: (key) => {
        const h = timers.get(key);
        if (h === undefined) return;
        this.clock.clearTimeout(h);
        timers.delete(key);
      },
      isScheduled: (key) => timers.has(key),
    };
  }
}
