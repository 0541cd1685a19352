/**
 * The coordinator runtime (Kafka's coordinator-common CoordinatorRuntime, in miniature). The
 * state of a coordinator is split into shards, one per partition of an internal compacted topic.
 * An operation on a shard returns a CoordinatorResult: the records that make its change durable
 * and the response. The runtime writes the records to the shard's partition as one RecordBatch
 * before anyone sees the response, then (unless the operation already changed the in-memory
 * state itself) applies them to the shard. Loading a shard replays its partition, so the state
 * after a restart is whatever the log says.
 *
 * Everything here is synchronous: appends to a PartitionLog are, and JavaScript runs one
 * operation at a time, so operations on a shard never interleave. Timers (session timeouts,
 * join delays) run as operations too, on an injected Clock.
 */
import { ErrorCode, KafkaError, createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol';
import type { Partition } from '../cluster/partition.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { CoordinatorRecord } from './records.js';

/** What an operation returns: records to append, and the response once they are written. */
export interface CoordinatorResult<T> {
  records: CoordinatorRecord[];
  response: T;
  /**
   * false when the operation already applied its change to the in-memory state (classic group
   * operations do; Kafka's replayRecords flag), true (default) to apply the records by replay.
   */
  replayRecords?: boolean;
  /** Called after the append (error = null) or when it failed; Kafka's appendFuture. */
  afterWrite?: (error: unknown) => void;
}

export function result<T>(response: T, records: CoordinatorRecord[] = [], replayRecords = true): CoordinatorResult<T> {
  return { records, response, replayRecords };
}

/** Where a coordinator's records go: the partitions of its internal topic. */
export interface CoordinatorPartitionWriter {
  /** Appends one RecordBatch, durably as far as the log promises; returns its base offset. Throws on failure. */
  append(partition: number, batch: Buffer): bigint;
  /** Whole batches from `offset` (for replay); empty records at the end of the log. */
  read(partition: number, offset: bigint, maxBytes: number): { records: Buffer; logStartOffset: bigint; logEndOffset: bigint };
}

/** Kafka's InMemoryPartitionWriter: batches kept in memory, offsets assigned as a log would. */
export class InMemoryPartitionWriter implements CoordinatorPartitionWriter {
  private readonly logs = new Map<number, { batches: Buffer[]; endOffset: bigint }>();
  /** Set to make the next appends throw (write-failure tests). */
  failAppends: Error | null = null;

  append(partition: number, batch: Buffer): bigint {
    if (this.failAppends !== null) throw this.failAppends;
    let log = this.logs.get(partition);
    if (log === undefined) this.logs.set(partition, (log = { batches: [], endOffset: 0n }));
    const copy = Buffer.from(batch);
    const base = log.endOffset;
    copy.writeBigInt64BE(base, 0); // the base offset is outside the CRC
    const lastOffsetDelta = copy.readInt32BE(23);
    log.batches.push(copy);
    log.endOffset = base + BigInt(lastOffsetDelta) + 1n;
    return base;
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
 * The broker's writer: the internal topic's Partitions, through a resolver (partitions come and
 * go with metadata). Appends go through the leader path (leader check, epoch stamping); replay
 * reads the whole local log, as Kafka's coordinator loader does.
 */
export class PartitionLogWriter implements CoordinatorPartitionWriter {
  constructor(
    private readonly resolve: (partition: number) => Partition | undefined,
    private readonly clock: Clock,
  ) {}

  private partition(partition: number): Partition {
    const p = this.resolve(partition);
    if (p === undefined || !p.isLeader) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not lead coordinator partition ${partition}`);
    return p;
  }

  append(partition: number, batch: Buffer): bigint {
    return this.partition(partition).appendRecordsAsLeader(batch, { requiredAcks: 1, minInsyncReplicas: 1, nowMs: this.clock.now() }).baseOffset;
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
  /** Applies one record (from replay, or after a write with replayRecords). */
  replay(record: CoordinatorRecord, offset: bigint): void;
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

type ShardState<S> =
  | { status: 'loading'; epoch: number }
  | { status: 'active'; epoch: number; shard: S; timers: Map<string, TimerHandle> }
  | { status: 'failed'; epoch: number; error: unknown };

export interface RuntimeOptions<S> {
  clock: Clock;
  writer: CoordinatorPartitionWriter;
  newShard(ctx: ShardContext): S;
  log?: Logger;
  /** Bytes per read while loading; the runtime yields to the event loop between reads. */
  loadChunkBytes?: number;
}

export class CoordinatorRuntime<S extends CoordinatorShard> {
  private readonly shards = new Map<number, ShardState<S>>();
  private readonly clock: Clock;
  private readonly writer: CoordinatorPartitionWriter;

  constructor(private readonly opts: RuntimeOptions<S>) {
    this.clock = opts.clock;
    this.writer = opts.writer;
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
   * Becomes coordinator of a partition: replays it, then serves it. Operations in between answer
   * COORDINATOR_LOAD_IN_PROGRESS. Returns when the shard is active.
   */
  async load(partition: number, epoch = 0): Promise<void> {
    const cur = this.shards.get(partition);
    if (cur !== undefined && cur.epoch >= epoch && cur.status !== 'failed') return;
    if (cur?.status === 'active') this.unload(partition);
    this.shards.set(partition, { status: 'loading', epoch });
    const timers = new Map<string, TimerHandle>();
    const shard = this.opts.newShard({ partition, clock: this.clock, timer: this.timerFor(partition, timers), log: this.opts.log ?? null });
    try {
      const started = Date.now();
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
          if (!batch.isControl) {
            for (const rec of batch.records) {
              const recOffset = batch.baseOffset + BigInt(rec.offsetDelta);
              if (recOffset < offset || rec.key === null) continue;
              shard.replay({ key: rec.key, value: rec.value }, recOffset);
              records++;
            }
          }
          offset = last + 1n;
        }
        if (offset >= r.logEndOffset) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.shards.get(partition)?.epoch !== epoch) return; // unloaded or reloaded meanwhile
      }
      const now = this.shards.get(partition);
      if (now === undefined || now.epoch !== epoch || now.status !== 'loading') return;
      this.shards.set(partition, { status: 'active', epoch, shard, timers });
      shard.onLoaded?.();
      this.opts.log?.info(`Finished loading of partition ${partition} (${records} records) in ${Date.now() - started} ms`);
    } catch (e) {
      this.opts.log?.error(`Failed to load coordinator partition ${partition}`, e);
      this.shards.set(partition, { status: 'failed', epoch, error: e });
      throw e;
    }
  }

  /** Stops coordinating a partition: its timers stop, its state is dropped. */
  unload(partition: number): void {
    const s = this.shards.get(partition);
    this.shards.delete(partition);
    if (s?.status !== 'active') return;
    for (const h of s.timers.values()) this.clock.clearTimeout(h);
    s.timers.clear();
    s.shard.onUnloaded?.();
  }

  close(): void {
    for (const p of [...this.shards.keys()]) this.unload(p);
  }

  private active(partition: number): { shard: S; timers: Map<string, TimerHandle> } {
    const s = this.shards.get(partition);
    if (s === undefined || s.status === 'failed') throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not coordinate partition ${partition}`);
    if (s.status === 'loading') throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `partition ${partition} is loading`);
    return s;
  }

  /** Reads a shard's state (no records). */
  read<T>(partition: number, fn: (shard: S) => T): T {
    return fn(this.active(partition).shard);
  }

  /**
   * Runs an operation: its records are appended as one batch before the response is returned.
   * A failed append throws (mapped by the caller), after telling the operation through afterWrite.
   */
  write<T>(partition: number, op: (shard: S) => CoordinatorResult<T>): T {
    const { shard } = this.active(partition);
    return this.complete(partition, shard, op(shard));
  }

  private complete<T>(partition: number, shard: S, res: CoordinatorResult<T>): T {
    if (res.records.length > 0) {
      const batch = encodeRecordBatch(createRecordBatch(res.records.map((r) => ({ key: r.key, value: r.value })), { now: BigInt(this.clock.now()) }));
      let base: bigint;
      try {
        base = this.writer.append(partition, batch);
      } catch (e) {
        res.afterWrite?.(e);
        throw e;
      }
      if (res.replayRecords !== false) res.records.forEach((r, i) => shard.replay(r, base + BigInt(i)));
    }
    res.afterWrite?.(null);
    return res.response;
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
          try {
            this.complete(partition, s.shard, op());
          } catch (e) {
            this.opts.log?.error(`Coordinator timer ${key} of partition ${partition} failed`, e);
          }
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
