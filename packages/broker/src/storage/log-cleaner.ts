/**
 * The broker side of log compaction (Kafka's LogCleaner + LogCleanerManager): decides which
 * partition to clean, drives the compaction algorithm of cleaner.ts over it in the background
 * and remembers how far each log is clean.
 *
 * - Compactable logs: cleanup.policy contains "compact" (alone or with "delete": retention still
 *   applies to those through PartitionLog.applyRetention).
 * - Selection (grabFilthiestCompactedLog): of the logs whose dirty ratio reaches
 *   min.cleanable.dirty.ratio (or whose dirty data is older than max.compaction.lag.ms), the
 *   filthiest. A log whose oldest kept tombstone has passed its delete horizon is cleaned again
 *   in full even without new dirty data, so tombstones really go after delete.retention.ms.
 * - Loop (CleanerThread.doWork): clean the filthiest log; when there is none, wait
 *   log.cleaner.backoff.ms on the broker clock.
 * - Bounded steps: every pass is a step generator (cleaner.ts); one step runs per setImmediate,
 *   so produce and fetch run between steps. Reads go through PartitionLog.read in chunks of
 *   log.cleaner.io.buffer.size; the swap (PartitionLog.replaceSegments: .cleaned -> .swap ->
 *   rename) is one synchronous step, bounded by capping a group's input at `maxGroupBytes`.
 *   `stats` records the longest step.
 * - Progress: `cleaner-offset-checkpoint` in each log dir, Kafka's offset checkpoint format,
 *   written after each cleaning. The memory engine keeps it in memory.
 * - Cleaned segments are swapped in without append(), so log observers (producer state) never
 *   see them; the producers' last batches (producer state) are kept as empty headers.
 * - Transactions: a round stops at the log's last stable offset; the aborted-transaction index
 *   tells which batches to remove, and after each swap it holds, for the new segment, the aborted
 *   transactions whose ABORT marker was kept (Kafka's cleaned .txnindex).
 * - Concurrent changes to the log (retention, DeleteRecords, truncation, deletion) make the swap
 *   or a read fail: the round is dropped and the next one starts over.
 */
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ATTR_DELETE_HORIZON, batchAttributes, batchBaseTimestamp, batchLastOffset } from '@samsa/protocol/records';
import { partitionKey, readCheckpoint, writeCheckpoint, type OffsetCheckpoint } from './checkpoint.js';
import {
  buildOffsetMap,
  cleanBatches,
  groupSegments,
  OffsetMap,
  planCompaction,
  splitBatches,
  TransactionCleaningState,
  type AbortedTransaction,
  type CleanStats,
  type CompactionPlan,
  type ProducerLastBatch,
} from './cleaner.js';
import type { LogConfig, PartitionLog } from './partition-log.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
/** Kafka sizes its dedupe map at 24 bytes per entry (16-byte MD5 + 8-byte offset). */
const BYTES_PER_MAP_ENTRY = 24;
/** Key of the in-memory checkpoint of logs without a directory (memory engine). */
const NO_DIR = '';

export interface CleanableLog {
  log: PartitionLog;
  /** The log's effective config (cleanup.policy, delete.retention.ms, ...). */
  config: LogConfig;
  /** max.compaction.lag.ms (absent or >= 2^53: never forces a cleaning). */
  maxCompactionLagMs?: number;
  /** The last stable offset (high watermark, or the first offset of the oldest open transaction): rounds stop there. */
  lastStableOffset?: bigint;
}

/** The aborted-transaction index of a log (.txnindex), as the cleaner reads and rewrites it. */
export interface CleanerTxnIndex {
  collect(fromOffset: bigint, upperBoundOffset: bigint): AbortedTransaction[];
  /** The segments at `oldBaseOffsets` became one at `newBaseOffset`; `retained` are its aborted transactions. */
  replaceSegments(oldBaseOffsets: readonly bigint[], newBaseOffset: bigint, retained: readonly AbortedTransaction[]): void;
}

/** A number, or a function giving the current value (dynamic broker configs). */
export type Setting = number | (() => number);
const valueOf = (s: Setting): number => (typeof s === 'function' ? s() : s);

export interface LogCleanerOptions {
  clock: Clock;
  /** The hosted logs, asked for at every round. */
  logs: () => Iterable<CleanableLog>;
  /** The last data batch of each active producer of a log (ProducerStateManager.lastDataOffsets). */
  producerLastBatches?: (log: PartitionLog) => ReadonlyMap<bigint, ProducerLastBatch>;
  /** The log's aborted-transaction index (the producer state's); none: no transactions to handle. */
  transactionIndex?: (log: PartitionLog) => CleanerTxnIndex | null;
  logger: Logger;
  /** log.cleaner.backoff.ms (a function: read at each use, so dynamic broker configs apply) */
  backoffMs: Setting;
  /** log.cleaner.dedupe.buffer.size: bounds the offset map (24 bytes an entry). */
  dedupeBufferSize: Setting;
  /** log.cleaner.io.buffer.size: bytes per read of the log. */
  ioBufferSize: Setting;
  /** Upper bound of a group's input bytes (and of the synchronous swap step); default 16 MiB. */
  maxGroupBytes?: number;
  /** Per step: batches (default 64) and time (default 5 ms) budgets. */
  batchesPerStep?: number;
  stepBudgetMs?: number;
  /** How the next step is scheduled (setImmediate). */
  schedule?: (fn: () => void) => void;
}

export interface LogCleanerStats {
  /** cleanings finished (a log cleaned up to its first uncleanable offset, or as far as the map went) */
  cleanings: number;
  /** cleanings dropped because the log changed under them, or failed */
  aborted: number;
  steps: number;
  /** longest single step (a map/clean step or a swap), ms of wall-clock time on the event loop */
  maxStepMs: number;
  /** longest swap (replaceSegments: write, fsync, reindex) */
  maxSwapMs: number;
  /** most CPU time (user + system) of one step, ms: the step's own work, without I/O waits */
  maxStepCpuMs: number;
  totalStepMs: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRetained: number;
}

export interface CleaningResult {
  topic: string;
  partition: number;
  /** the new cleaner checkpoint */
  cleanedUpTo: bigint;
  forced: boolean;
  dirtyRatio: number;
  segmentsReplaced: number;
  stats: CleanStats;
}

/** The cleaner was stopped mid-cleaning. */
export class CleanerStoppedError extends Error {
  override readonly name = 'CleanerStoppedError';
}

export function isCompacted(config: LogConfig): boolean {
  return config.cleanupPolicy.split(',').some((p) => p.trim() === 'compact');
}

export class LogCleaner {
  readonly stats: LogCleanerStats = {
    cleanings: 0, aborted: 0, steps: 0, maxStepMs: 0, maxSwapMs: 0, maxStepCpuMs: 0, totalStepMs: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0,
  };
  /** log dir (or NO_DIR) -> topic-partition -> first dirty offset */
  private readonly checkpoints = new Map<string, OffsetCheckpoint>();
  /** Earliest delete horizon of a tombstone still in a log (ms), by log. */
  private readonly horizons = new WeakMap<PartitionLog, number>();
  private readonly schedule: (fn: () => void) => void;
  private readonly maxGroupBytes: number;
  private timer: TimerHandle | null = null;
  private running = false;
  private stopping = false;
  /** The cleaning in progress (one at a time, as one cleaner thread). */
  private current: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: LogCleanerOptions) {
    this.schedule = opts.schedule ?? setImmediate;
    this.maxGroupBytes = opts.maxGroupBytes ?? 16 * 1024 * 1024;
  }

  /** Loads the checkpoints of `logDirs` (Kafka's format; an unreadable file counts as empty). */
  loadCheckpoints(logDirs: readonly string[]): void {
    for (const configured of logDirs) {
      const dir = resolve(configured);
      let cp: OffsetCheckpoint;
      try {
        cp = readCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT));
      } catch (e) {
        this.opts.logger.warn(`Ignoring unreadable ${CLEANER_OFFSET_CHECKPOINT} in ${dir}: ${(e as Error).message}`);
        cp = new Map();
      }
      this.checkpoints.set(dir, cp);
    }
  }

  /** Starts the background loop (log.cleaner.enable). */
  start(): void {
    this.running = true;
    this.stopping = false;
    this.opts.logger.info('Starting the log cleaner');
    this.loop();
  }

  /** Stops the loop; a cleaning in progress is dropped at its next step. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer !== null) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.current.catch(() => {});
  }

  /** The first dirty offset recorded for a log (the cleaner checkpoint), if any. */
  checkpointOf(log: PartitionLog): bigint | undefined {
    const v = this.checkpoints.get(dirOf(log))?.get(partitionKey(log.topic, log.partition));
    return v === undefined ? undefined : BigInt(v);
  }

  /**
   * Cleans the filthiest log now, if any log needs cleaning, after any cleaning in progress.
   * Resolves with what was done, or null when nothing needed cleaning.
   */
  cleanFilthiest(): Promise<CleaningResult | null> {
    const run = this.current.catch(() => {}).then(() => this.cleanFilthiestNow());
    this.current = run;
    return run;
  }

  /** Cleans until no log needs it (tests, admin); at most `maxCleanings`. Resolves with the cleanings done. */
  async cleanAll(maxCleanings = 1000): Promise<CleaningResult[]> {
    const done: CleaningResult[] = [];
    for (let i = 0; i < maxCleanings; i++) {
      const r = await this.cleanFilthiest();
      if (r === null) break;
      done.push(r);
    }
    return done;
  }

  private loop(): void {
    if (!this.running) return;
    this.cleanFilthiest().then(
      (r) => {
        if (!this.running) return;
        // As CleanerThread: straight on while there is work, else back off.
        if (r !== null) this.schedule(() => this.loop());
        else this.timer = this.opts.clock.setTimeout(() => {
          this.timer = null;
          this.loop();
        }, valueOf(this.opts.backoffMs));
      },
      (e: unknown) => {
        if (!this.running) return;
        this.opts.logger.error('Log cleaner failed', e);
        this.timer = this.opts.clock.setTimeout(() => {
          this.timer = null;
          this.loop();
        }, valueOf(this.opts.backoffMs));
      },
    );
  }

  // ---- selection ------------------------------------------------------------------------------

  private grabFilthiest(nowMs: number): { entry: CleanableLog; plan: CompactionPlan; forced: boolean } | null {
    let best: { entry: CleanableLog; plan: CompactionPlan; forced: boolean } | null = null;
    const hosted = new Set<string>();
    for (const entry of this.opts.logs()) {
      const { log, config } = entry;
      hosted.add(`${dirOf(log)}\u0000${partitionKey(log.topic, log.partition)}`);
      if (!isCompacted(config)) continue;
      try {
        const lag = entry.maxCompactionLagMs;
        const compaction = {
          minCompactionLagMs: config.minCompactionLagMs,
          minCleanableDirtyRatio: config.minCleanableDirtyRatio,
          ...(lag !== undefined && lag < Number.MAX_SAFE_INTEGER ? { maxCompactionLagMs: lag } : {}),
        };
        const base = {
          segments: log.segments(), logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, nowMs, config: compaction,
          ...(entry.lastStableOffset !== undefined ? { lastStableOffset: entry.lastStableOffset } : {}),
        };
        const checkpoint = this.checkpointOf(log);
        let plan = planCompaction({ ...base, ...(checkpoint !== undefined ? { firstDirtyOffset: checkpoint } : {}) });
        let forced = false;
        const horizon = this.horizons.get(log);
        if (plan === null && horizon !== undefined && horizon <= nowMs) {
          // Tombstones past their delete horizon: clean everything again so they go.
          plan = planCompaction({ ...base, firstDirtyOffset: log.logStartOffset, force: true });
          forced = plan !== null;
        }
        if (plan !== null && (best === null || plan.dirtyRatio > best.plan.dirtyRatio)) best = { entry, plan, forced };
      } catch (e) {
        this.opts.logger.warn(`Cannot plan the cleaning of ${log.topic}-${log.partition}: ${(e as Error).message}`);
      }
    }
    this.pruneCheckpoints(hosted);
    return best;
  }

  /** Forgets checkpoints of logs no longer hosted (deleted topics). */
  private pruneCheckpoints(hosted: Set<string>): void {
    for (const [dir, cp] of this.checkpoints) {
      let changed = false;
      for (const key of cp.keys()) {
        if (!hosted.has(`${dir}\u0000${key}`)) {
          cp.delete(key);
          changed = true;
        }
      }
      if (changed) this.writeCheckpointFile(dir);
    }
  }

  // ---- cleaning -------------------------------------------------------------------------------

  private async cleanFilthiestNow(): Promise<CleaningResult | null> {
    if (this.stopping) return null;
    const nowMs = this.opts.clock.now();
    const chosen = this.grabFilthiest(nowMs);
    if (chosen === null) return null;
    const { entry, plan, forced } = chosen;
    const { log, config } = entry;
    try {
      return await this.clean(log, config, plan, forced, nowMs);
    } catch (e) {
      this.stats.aborted++;
      if (e instanceof CleanerStoppedError) return null;
      // The log moved under us (retention, DeleteRecords, deletion) or I/O failed: the next round retries.
      this.opts.logger.warn(`Cleaning of ${log.topic}-${log.partition} aborted: ${(e as Error).message}`);
      return null;
    }
  }

  private async clean(log: PartitionLog, config: LogConfig, plan: CompactionPlan, forced: boolean, nowMs: number): Promise<CleaningResult> {
    const stepOpts = {
      ...(this.opts.batchesPerStep !== undefined ? { batchesPerStep: this.opts.batchesPerStep } : {}),
      ...(this.opts.stepBudgetMs !== undefined ? { stepBudgetMs: this.opts.stepBudgetMs } : {}),
    };
    const txnIndex = this.opts.transactionIndex?.(log) ?? null;
    // 1. key -> latest offset over the dirty section (records of aborted transactions left out)
    const map = new OffsetMap(Math.max(1, Math.floor(valueOf(this.opts.dedupeBufferSize) / BYTES_PER_MAP_ENTRY)));
    const { cleanUpTo } = await this.drive(
      buildOffsetMap(map, this.readRange(log, plan.firstDirtyOffset, plan.firstUncleanableOffset), {
        startOffset: plan.firstDirtyOffset, endOffset: plan.firstUncleanableOffset, ...stepOpts,
        abortedTransactions: txnIndex?.collect(plan.firstDirtyOffset, plan.firstUncleanableOffset) ?? [],
      }),
    );
    // 2. rewrite every segment below the map's end, in groups that each become one segment; a
    // segment cut by the last stable offset is rewritten whole (what is past the map is kept)
    const ends = new Map<bigint, bigint>();
    plan.segments.forEach((s, i) => ends.set(s.baseOffset, plan.segmentEnds[i]!));
    const segments = plan.segments.filter((s) => s.baseOffset < cleanUpTo);
    const groups = groupSegments(segments, Math.min(config.segmentBytes, this.maxGroupBytes));
    const total: CleanStats = { batchesRead: 0, batchesWritten: 0, recordsRead: 0, recordsRetained: 0, bytesRead: 0, bytesWritten: 0, batchesCopied: 0, keylessRecords: 0 };
    let horizon = Infinity;
    // One view of the transactions for the whole round: a marker stays while its data is in any group.
    const transactions = new TransactionCleaningState([]);
    for (const group of groups) {
      const start = group[0]!.baseOffset;
      const end = ends.get(group[group.length - 1]!.baseOffset)!;
      const producers = this.opts.producerLastBatches?.(log) ?? new Map<bigint, ProducerLastBatch>();
      const out: Buffer[] = [];
      transactions.add(txnIndex?.collect(start, end) ?? []);
      const retainedBefore = transactions.retainedAborted.length;
      const stats = await this.drive(
        cleanBatches(this.readRange(log, start, end), { map, nowMs, deleteRetentionMs: config.deleteRetentionMs, producers, transactions, ...stepOpts }),
        (chunk) => {
          for (const b of chunk) out.push(b);
        },
      );
      if (this.stopping) throw new CleanerStoppedError('the log cleaner is stopping');
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      log.replaceSegments(group.map((s) => s.baseOffset), out);
      txnIndex?.replaceSegments(group.map((s) => s.baseOffset), start, transactions.retainedAborted.slice(retainedBefore));
      this.recordStep(performance.now() - t0, process.cpuUsage(cpu0), true);
      for (const b of out) {
        // A horizon already passed marks no tombstone any more: this cleaning dropped them.
        if ((batchAttributes(b) & ATTR_DELETE_HORIZON) === 0) continue;
        const h = Number(batchBaseTimestamp(b));
        if (h > nowMs && h < horizon) horizon = h;
      }
      addStats(total, stats);
    }
    // Segments past cleanUpTo (map full) were never cleaned, so hold no horizon: this round saw them all.
    if (horizon === Infinity) this.horizons.delete(log);
    else this.horizons.set(log, horizon);
    this.setCheckpoint(log, cleanUpTo);
    this.stats.cleanings++;
    this.stats.bytesRead += total.bytesRead;
    this.stats.bytesWritten += total.bytesWritten;
    this.stats.recordsRead += total.recordsRead;
    this.stats.recordsRetained += total.recordsRetained;
    this.opts.logger.info(
      `Cleaned log ${log.topic}-${log.partition}${forced ? ' (delete horizon passed)' : ''}: dirty ratio ${plan.dirtyRatio.toFixed(3)}, ` +
        `${segments.length} segment(s) into ${groups.length}, ${total.bytesRead} -> ${total.bytesWritten} bytes, ` +
        `${total.recordsRead} -> ${total.recordsRetained} records, clean up to ${cleanUpTo}`,
    );
    return { topic: log.topic, partition: log.partition, cleanedUpTo: cleanUpTo, forced, dirtyRatio: plan.dirtyRatio, segmentsReplaced: segments.length, stats: total };
  }

  /** Whole batches of [from, to) in chunks of log.cleaner.io.buffer.size, read when asked for. */
  private *readRange(log: PartitionLog, from: bigint, to: bigint): Generator<Buffer> {
    const chunkBytes = Math.max(1, valueOf(this.opts.ioBufferSize));
    let offset = from < log.logStartOffset ? log.logStartOffset : from;
    while (offset < to) {
      const { records } = log.read(offset, chunkBytes, { minOneBatch: true, maxOffset: to });
      if (records.length === 0) return;
      let next = offset;
      for (const b of splitBatches(records)) {
        const after = batchLastOffset(b) + 1n;
        if (after > next) next = after;
      }
      yield records;
      if (next <= offset) return;
      offset = next;
    }
  }

  /** Runs a step generator one step per `schedule` tick, timing each step. */
  private drive<Y, R>(job: Generator<Y, R>, onStep?: (value: Y) => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const step = (): void => {
        if (this.stopping) {
          job.return(undefined as R);
          reject(new CleanerStoppedError('the log cleaner is stopping'));
          return;
        }
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        let r: IteratorResult<Y, R>;
        try {
          r = job.next();
          if (!r.done) onStep?.(r.value);
        } catch (e) {
          reject(e);
          return;
        }
        this.recordStep(performance.now() - t0, process.cpuUsage(cpu0), false);
        if (r.done) resolve(r.value);
        else this.schedule(step);
      };
      this.schedule(step);
    });
  }

  private recordStep(ms: number, cpu: NodeJS.CpuUsage, swap: boolean): void {
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (cpuMs > this.stats.maxStepCpuMs) this.stats.maxStepCpuMs = cpuMs;
    this.stats.steps++;
    this.stats.totalStepMs += ms;
    if (ms > this.stats.maxStepMs) this.stats.maxStepMs = ms;
    if (swap && ms > this.stats.maxSwapMs) this.stats.maxSwapMs = ms;
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  private setCheckpoint(log: PartitionLog, offset: bigint): void {
    const dir = dirOf(log);
    let cp = this.checkpoints.get(dir);
    if (cp === undefined) {
      cp = new Map();
      this.checkpoints.set(dir, cp);
    }
    cp.set(partitionKey(log.topic, log.partition), Number(offset));
    this.writeCheckpointFile(dir);
  }

  private writeCheckpointFile(dir: string): void {
    if (dir === NO_DIR) return;
    try {
      writeCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT), this.checkpoints.get(dir)!);
    } catch (e) {
      // Losing it only means the next cleaning starts from the log start.
      this.opts.logger.warn(`Cannot write ${CLEANER_OFFSET_CHECKPOINT} in ${dir}: ${(e as Error).message}`);
    }
  }
}

/** The log dir holding a log (its partition directory's parent); NO_DIR for the memory engine. */
function dirOf(log: PartitionLog): string {
  return log.dir === null ? NO_DIR : resolve(dirname(log.dir));
}

function addStats(into: CleanStats, s: CleanStats): void {
  into.batchesRead += s.batchesRead;
  into.batchesWritten += s.batchesWritten;
  into.recordsRead += s.recordsRead;
  into.recordsRetained += s.recordsRetained;
  into.bytesRead += s.bytesRead;
  into.bytesWritten += s.bytesWritten;
  into.batchesCopied += s.batchesCopied;
  into.keylessRecords += s.keylessRecords;
}
