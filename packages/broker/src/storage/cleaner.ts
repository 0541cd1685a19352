/**
 * Log compaction (cleanup.policy=compact), following Kafka's LogCleaner / Cleaner:
 * keep, per key, only the record with the latest offset; offsets are preserved (a compacted log
 * has gaps); tombstones (null values) survive delete.retention.ms, then go.
 *
 * Pure over batch bytes, no I/O. The storage engine reads segments, feeds their batches in and
 * writes what comes out. Every pass is a generator that does a bounded amount of work per step
 * (`batchesPerStep` batches or `stepBudgetMs`, default 64 / 5 ms), so the engine can run it in the background, one step per
 * setImmediate (`runInBackground`), and the append path is never blocked for long.
 *
 * How the engine runs a cleaning (one partition, cleanup.policy contains "compact"):
 *   1. const plan = planCompaction({ segments: log.segments(), logStartOffset, logEndOffset,
 *        firstDirtyOffset: <cleaner checkpoint, else log start>, nowMs, config })
 *      null -> nothing worth cleaning (dirty ratio below min.cleanable.dirty.ratio, or the dirty
 *      segments are all younger than min.compaction.lag.ms; the active segment is never cleaned).
 *   2. const map = new OffsetMap(maxEntries)        // log.cleaner.dedupe.buffer.size / ~24 B
 *      const { cleanUpTo } = await runInBackground(buildOffsetMap(map,
 *        <batches of [plan.firstDirtyOffset, plan.firstUncleanableOffset)>, { startOffset, endOffset }))
 *      The map may fill up first: then cleanUpTo < plan.firstUncleanableOffset and the rest waits
 *      for the next round.
 *   3. For each group of groupSegments(plan.segments with baseOffset < cleanUpTo, segment.bytes):
 *        runInBackground(cleanBatches(<batches of the group's segments, in order>, {
 *          map, nowMs, deleteRetentionMs, producers: producerState.lastDataOffsets() }),
 *          (chunk) => append chunk to `<group base offset>.log.cleaned`)
 *      then build its indexes and swap it in for the group's segments (Kafka: .cleaned -> .swap ->
 *      rename; the segment keeps the group's first base offset). Appends may continue meanwhile:
 *      only segments below the active one are rewritten.
 *   4. Store cleanUpTo as the new cleaner checkpoint (Kafka: cleaner-offset-checkpoint).
 *
 * Rules (Kafka's Cleaner.shouldRetainRecord / MemoryRecords.filterTo):
 * - records past the map's latest offset are kept (not yet known to be superseded);
 * - a keyed record is kept iff its offset >= the map's offset for the key, and it has a value or
 *   its batch's delete horizon has not passed; keyless records are dropped (compacted topics
 *   require keys: produce must reject them with INVALID_RECORD);
 * - tombstones use Kafka 3.x's delete horizon (KIP-534): the first cleaning that keeps a
 *   tombstone rewrites its batch with the delete-horizon attribute bit set and
 *   baseTimestamp = now + delete.retention.ms; a later cleaning after that time drops it;
 * - transactions (Kafka's CleanedTransactionMetadata, fed from the aborted-transaction index):
 *   nothing at or past the last stable offset is cleaned (the planner caps the round there);
 *   batches of aborted transactions are removed, and never enter the offset map; a marker stays
 *   while data of its transaction does (an ABORT marker kept keeps its .txnindex entry), then
 *   gets a delete horizon (now + delete.retention.ms) on the first cleaning that finds no data of
 *   its transaction, and goes on a cleaning after that horizon (Kafka's two passes);
 * - a batch left empty is dropped, unless it is the last batch of an active producer (from the
 *   producer state): its header stays, with its offsets and sequence, so the producer's last
 *   sequence survives compaction;
 * - a batch whose records all stay is copied byte for byte; otherwise it is re-encoded with the
 *   same codec, base offset, last offset delta, producer fields and base sequence.
 */
import { performance } from 'node:perf_hooks';
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  batchProducerId,
  ControlRecordType,
  decodeControlRecordKey,
  batchAttributes,
  batchBaseOffset,
  batchLastOffset,
  batchRecordCount,
  batchSize,
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
  TimestampType,
  type BatchRecord,
  type RecordBatch,
} from '@samsa/protocol/records';

// ---------------------------------------------------------------------------------------------
// Planning

export interface CompactionConfig {
  /** min.compaction.lag.ms: a record stays uncompacted at least this long */
  minCompactionLagMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** max.compaction.lag.ms: clean regardless of the ratio once dirty data is this old (optional) */
  maxCompactionLagMs?: number;
}

/** What the planner needs per segment (PartitionLog.segments() gives it), oldest first. */
export interface CleanerSegment {
  baseOffset: bigint;
  sizeBytes: number;
  /** largest timestamp in the segment, -1n if empty */
  maxTimestamp: bigint;
}

export interface CompactionPlan {
  firstDirtyOffset: bigint;
  /** exclusive end of what may be cleaned: the active segment or a segment within the lag */
  firstUncleanableOffset: bigint;
  dirtyRatio: number;
  cleanBytes: number;
  dirtyBytes: number;
  /** every segment that starts below firstUncleanableOffset: all of them are rewritten */
  segments: CleanerSegment[];
  /** where each of `segments` ends (the next segment's base offset): past firstUncleanableOffset for one cut by the last stable offset */
  segmentEnds: bigint[];
}

export function planCompaction(input: {
  segments: readonly CleanerSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** the cleaner checkpoint; the log start when unknown */
  firstDirtyOffset?: bigint;
  nowMs: number;
  config: CompactionConfig;
  /** plan even below min.cleanable.dirty.ratio (e.g. to drop expired tombstones) */
  force?: boolean;
  /** the log's last stable offset (min of the high watermark and the first open transaction): nothing from it on is cleaned */
  lastStableOffset?: bigint;
}): CompactionPlan | null {
  const { segments, logStartOffset, logEndOffset, nowMs, config } = input;
  if (segments.length < 2) return null; // only the active segment
  let firstDirty = input.firstDirtyOffset ?? logStartOffset;
  if (firstDirty < logStartOffset || firstDirty > logEndOffset) firstDirty = logStartOffset;

  // The active segment is never cleaned; nor is anything from the first segment that holds a
  // record younger than min.compaction.lag.ms (Kafka: LogCleanerManager.cleanableOffsets).
  let firstUncleanable = segments[segments.length - 1]!.baseOffset;
  if (input.lastStableOffset !== undefined && input.lastStableOffset < firstUncleanable) firstUncleanable = input.lastStableOffset;
  const lagHorizon = BigInt(nowMs - config.minCompactionLagMs);
  if (config.minCompactionLagMs > 0) {
    for (let i = 0; i < segments.length - 1; i++) {
      const s = segments[i]!;
      const end = segments[i + 1]!.baseOffset;
      if (end <= firstDirty) continue;
      if (s.maxTimestamp > lagHorizon) {
        if (s.baseOffset < firstUncleanable) firstUncleanable = s.baseOffset;
        break;
      }
    }
  }
  if (firstUncleanable <= firstDirty) return null;

  let cleanBytes = 0;
  let dirtyBytes = 0;
  const chosen: CleanerSegment[] = [];
  const segmentEnds: bigint[] = [];
  let oldestDirtyTimestamp: bigint | null = null;
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    if (s.baseOffset >= firstUncleanable) break;
    chosen.push(s);
    const end = segments[i + 1]!.baseOffset;
    segmentEnds.push(end);
    if (end <= firstDirty) cleanBytes += s.sizeBytes;
    else {
      dirtyBytes += s.sizeBytes;
      if (oldestDirtyTimestamp === null && s.maxTimestamp >= 0n) oldestDirtyTimestamp = s.maxTimestamp;
    }
  }
  const total = cleanBytes + dirtyBytes;
  const dirtyRatio = total === 0 ? 0 : dirtyBytes / total;
  const overdue =
    config.maxCompactionLagMs !== undefined &&
    oldestDirtyTimestamp !== null &&
    oldestDirtyTimestamp <= BigInt(nowMs - config.maxCompactionLagMs);
  if (dirtyBytes === 0 && !input.force) return null;
  if (dirtyRatio < config.minCleanableDirtyRatio && !overdue && !input.force) return null;
  return { firstDirtyOffset: firstDirty, firstUncleanableOffset: firstUncleanable, dirtyRatio, cleanBytes, dirtyBytes, segments: chosen, segmentEnds };
}

/**
 * Groups consecutive segments so each group's cleaned output fits one segment (Kafka:
 * groupSegmentsBySize): at most `maxBytes` of input per group. A group is rewritten into a
 * single segment whose base offset is its first segment's.
 */
export function groupSegments<S extends CleanerSegment>(segments: readonly S[], maxBytes: number): S[][] {
  const groups: S[][] = [];
  let current: S[] = [];
  let bytes = 0;
  for (const s of segments) {
    if (current.length > 0 && bytes + s.sizeBytes > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(s);
    bytes += s.sizeBytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

// ---------------------------------------------------------------------------------------------
// The offset map: key -> offset of its latest record in the dirty section

export class OffsetMap {
  private readonly offsets = new Map<string, bigint>();
  /** Last offset the map covers (Kafka: OffsetMap.latestOffset); -1n when empty. */
  latestOffset = -1n;

  constructor(readonly maxEntries = 1_000_000) {}

  get size(): number {
    return this.offsets.size;
  }

  // latin1 maps each byte to one UTF-16 unit: a lossless, cheap key for arbitrary bytes
  put(key: Buffer, offset: bigint): void {
    this.offsets.set(key.toString('latin1'), offset);
  }

  /** The latest offset of `key`, or -1n. */
  get(key: Buffer): bigint {
    return this.offsets.get(key.toString('latin1')) ?? -1n;
  }

  clear(): void {
    this.offsets.clear();
    this.latestOffset = -1n;
  }
}

export interface OffsetMapResult {
  /** the map filled up before endOffset */
  full: boolean;
  /** exclusive end of what the map describes: clean segments below it */
  cleanUpTo: bigint;
  batchesRead: number;
}

const DEFAULT_BATCHES_PER_STEP = 64;
const DEFAULT_STEP_BUDGET_MS = 5;

/** Ends a step after `batches` batches or `budgetMs` of work, whichever comes first. */
class StepClock {
  private count = 0;
  private start = performance.now();
  constructor(private readonly batches: number, private readonly budgetMs: number) {}

  /** Counts one batch; true when the step should end (then the next step starts). */
  tick(): boolean {
    if (++this.count < this.batches && performance.now() - this.start < this.budgetMs) return false;
    this.count = 0;
    return true;
  }

  restart(): void {
    this.start = performance.now();
  }
}

/** Splits concatenated whole batches into views (no copies). */
export function* splitBatches(chunk: Buffer): Generator<Buffer> {
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= chunk.length) {
    const size = batchSize(chunk, pos);
    if (size < BATCH_HEADER_SIZE || pos + size > chunk.length) break;
    yield chunk.subarray(pos, pos + size);
    pos += size;
  }
}

/**
 * Reads the dirty section [startOffset, endOffset) and records each key's latest offset.
 * `input` yields buffers of whole batches in offset order (segment reads); it may start before
 * startOffset. Yields after every `batchesPerStep` batches.
 */
export function* buildOffsetMap(
  map: OffsetMap,
  input: Iterable<Buffer>,
  opts: { startOffset: bigint; endOffset: bigint; batchesPerStep?: number; stepBudgetMs?: number; abortedTransactions?: readonly AbortedTransaction[] },
): Generator<void, OffsetMapResult> {
  const clock = new StepClock(opts.batchesPerStep ?? DEFAULT_BATCHES_PER_STEP, opts.stepBudgetMs ?? DEFAULT_STEP_BUDGET_MS);
  // Records of aborted transactions never supersede anything (Kafka's buildOffsetMapForSegment).
  const txns = new TransactionCleaningState(opts.abortedTransactions ?? []);
  let batchesRead = 0;
  for (const chunk of input) {
    for (const batch of splitBatches(chunk)) {
      const base = batchBaseOffset(batch);
      if (base >= opts.endOffset) return { full: false, cleanUpTo: opts.endOffset, batchesRead };
      const last = batchLastOffset(batch);
      if (last < opts.startOffset) continue;
      const attributes = batchAttributes(batch);
      if ((attributes & ATTR_CONTROL) !== 0) txns.onControlBatchRead(batch);
      else if (!txns.onBatchRead(batchProducerId(batch), (attributes & ATTR_TRANSACTIONAL) !== 0, last)) {
        const count = batchRecordCount(batch);
        if (map.size > 0 && map.size + count > map.maxEntries) {
          return { full: true, cleanUpTo: map.latestOffset + 1n, batchesRead };
        }
        const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
        for (const r of decoded.records) {
          const offset = base + BigInt(r.offsetDelta);
          if (r.key !== null && offset >= opts.startOffset && offset < opts.endOffset) map.put(r.key, offset);
        }
      }
      if (last > map.latestOffset) map.latestOffset = last < opts.endOffset ? last : opts.endOffset - 1n;
      batchesRead++;
      if (clock.tick()) {
        yield;
        clock.restart();
      }
    }
  }
  return { full: false, cleanUpTo: opts.endOffset, batchesRead };
}

// ---------------------------------------------------------------------------------------------
// Cleaning

export interface ProducerLastBatch {
  /** offset of the producer's last data batch's last record; -1n if its last entry is a marker */
  lastOffset: bigint;
  producerEpoch: number;
}

export interface CleanOptions {
  map: OffsetMap;
  nowMs: number;
  /** delete.retention.ms */
  deleteRetentionMs: number;
  /** active producers (ProducerStateManager.lastDataOffsets()): their last batch is never removed */
  producers: ReadonlyMap<bigint, ProducerLastBatch>;
  /**
   * What the transaction index says about the batches cleaned (aborted transactions with data or
   * marker in them); the ABORT markers this cleaning keeps end up in its `retainedAborted`.
   */
  transactions?: TransactionCleaningState;
  /** a step ends after this many input batches (default 64) ... */
  batchesPerStep?: number;
  /** ... or after this much time (default 5 ms), whichever comes first */
  stepBudgetMs?: number;
}

export interface CleanStats {
  batchesRead: number;
  batchesWritten: number;
  recordsRead: number;
  recordsRetained: number;
  bytesRead: number;
  bytesWritten: number;
  /** batches copied unchanged (no decode of their output needed) */
  batchesCopied: number;
  /** records dropped for having no key */
  keylessRecords: number;
}

/**
 * Rewrites batches of the segments being cleaned. Yields, every `batchesPerStep` input batches,
 * the output batches of that step (views into the input when copied unchanged, new buffers when
 * re-encoded) to be appended, in order, to the cleaned segment. Returns the totals.
 */
export function* cleanBatches(input: Iterable<Buffer>, opts: CleanOptions): Generator<Buffer[], CleanStats> {
  const clock = new StepClock(opts.batchesPerStep ?? DEFAULT_BATCHES_PER_STEP, opts.stepBudgetMs ?? DEFAULT_STEP_BUDGET_MS);
  const stats: CleanStats = {
    batchesRead: 0, batchesWritten: 0, recordsRead: 0, recordsRetained: 0,
    bytesRead: 0, bytesWritten: 0, batchesCopied: 0, keylessRecords: 0,
  };
  let out: Buffer[] = [];
  const txns = opts.transactions ?? new TransactionCleaningState([]);
  for (const chunk of input) {
    for (const batch of splitBatches(chunk)) {
      const cleaned = cleanBatch(batch, opts, stats, txns);
      stats.batchesRead++;
      stats.bytesRead += batch.length;
      if (cleaned !== null) {
        out.push(cleaned);
        stats.batchesWritten++;
        stats.bytesWritten += cleaned.length;
        if (cleaned === batch) stats.batchesCopied++;
      }
      if (clock.tick()) {
        yield out;
        out = [];
        clock.restart();
      }
    }
  }
  if (out.length > 0) yield out;
  return stats;
}

/** One batch: the batch itself, a rewritten one, an empty header, or null (removed). */
export function cleanBatch(batch: Buffer, opts: CleanOptions, stats?: CleanStats, txns: TransactionCleaningState = new TransactionCleaningState([])): Buffer | null {
  const attributes = batchAttributes(batch);
  const count = batchRecordCount(batch);
  if (stats) stats.recordsRead += count;
  if ((attributes & ATTR_CONTROL) !== 0) {
    // A marker is kept while data of its transaction is; then it waits out delete.retention.ms (Kafka's two passes).
    const canDiscard = txns.onControlBatchRead(batch);
    if (!canDiscard) {
      if (stats) stats.recordsRetained += count;
      return batch;
    }
    const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
    if (!decoded.hasDeleteHorizon) {
      if (stats) stats.recordsRetained += count;
      return decoded.records.length === 0 ? batch : rewrite(decoded, decoded.records, BigInt(opts.nowMs + opts.deleteRetentionMs));
    }
    if (BigInt(opts.nowMs) < decoded.baseTimestamp) {
      if (stats) stats.recordsRetained += count;
      return batch;
    }
    return isLastBatchOfProducer(decoded, opts.producers) ? emptyBatch(decoded) : null;
  }
  if (txns.onBatchRead(batchProducerId(batch), (attributes & ATTR_TRANSACTIONAL) !== 0, batchLastOffset(batch))) {
    // Data of an aborted transaction: gone (its header stays if it holds the producer's last sequence).
    const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
    return isLastBatchOfProducer(decoded, opts.producers) ? emptyBatch(decoded) : null;
  }
  const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
  const { map, nowMs } = opts;
  const base = decoded.baseOffset;
  const horizon = decoded.hasDeleteHorizon ? decoded.baseTimestamp : null;
  const retainDeletes = horizon === null || BigInt(nowMs) < horizon;
  const kept: BatchRecord[] = [];
  let keptTombstone = false;
  for (const r of decoded.records) {
    const offset = base + BigInt(r.offsetDelta);
    let keep: boolean;
    if (offset > map.latestOffset) keep = true;
    else if (r.key === null) {
      keep = false;
      if (stats) stats.keylessRecords++;
    } else keep = offset >= map.get(r.key) && (r.value !== null || retainDeletes);
    if (keep) {
      kept.push(r);
      if (r.value === null) keptTombstone = true;
    }
  }
  if (stats) stats.recordsRetained += kept.length;
  const needHorizon = keptTombstone && horizon === null;
  if (kept.length === decoded.records.length && !needHorizon) return batch;
  if (kept.length === 0) return isLastBatchOfProducer(decoded, opts.producers) ? emptyBatch(decoded) : null;
  const newHorizon = needHorizon ? BigInt(nowMs + opts.deleteRetentionMs) : horizon;
  return rewrite(decoded, kept, newHorizon);
}

/** An aborted transaction, as the transaction index (.txnindex) records it (Kafka's AbortedTxn). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
  /** offset of its ABORT marker */
  lastOffset: bigint;
  lastStableOffset: bigint;
}

/**
 * The transactions seen while reading batches in offset order (Kafka's CleanedTransactionMetadata):
 * which data batches belong to aborted transactions, and which markers no data depends on any
 * more. Fed with the aborted transactions overlapping what is read (from the transaction index).
 */
export class TransactionCleaningState {
  /** Aborted transactions not reached yet, by first offset. */
  private readonly waiting: AbortedTransaction[];
  private next = 0;
  private readonly seen = new Set<string>();
  /** Aborted transactions under way at the current offset, by producer, and whether a batch of theirs was read. */
  private readonly ongoingAborted = new Map<bigint, { txn: AbortedTransaction; dataRead: boolean }>();
  /** Producers with a committed (or still open) transaction under way whose data was read. */
  private readonly ongoingCommitted = new Set<bigint>();
  /** Aborted transactions whose ABORT marker was kept: the cleaned segments' .txnindex entries. */
  readonly retainedAborted: AbortedTransaction[] = [];

  constructor(aborted: readonly AbortedTransaction[]) {
    this.waiting = [];
    this.add(aborted);
  }

  /** More aborted transactions (of the next range read); ones already known are ignored. */
  add(aborted: readonly AbortedTransaction[]): void {
    for (const t of aborted) {
      const key = `${t.producerId}:${t.lastOffset}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.waiting.push(t);
    }
    const rest = this.waiting.splice(this.next).sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
    this.waiting.push(...rest);
  }

  private reach(offset: bigint): void {
    while (this.next < this.waiting.length && this.waiting[this.next]!.firstOffset <= offset) {
      const t = this.waiting[this.next++]!;
      if (!this.ongoingAborted.has(t.producerId)) this.ongoingAborted.set(t.producerId, { txn: t, dataRead: false });
    }
  }

  /** A data batch: true when it belongs to an aborted transaction (to be removed). */
  onBatchRead(producerId: bigint, isTransactional: boolean, lastOffset: bigint): boolean {
    this.reach(lastOffset);
    if (!isTransactional) return false;
    const aborted = this.ongoingAborted.get(producerId);
    if (aborted !== undefined) {
      aborted.dataRead = true;
      return true;
    }
    this.ongoingCommitted.add(producerId);
    return false;
  }

  /** A control batch: true when no data of its transaction was read, so the marker may go (after its delete horizon). */
  onControlBatchRead(batch: Buffer): boolean {
    this.reach(batchLastOffset(batch));
    const decoded = decodeRecordBatch(batch, 0, { verifyCrc: false });
    const record = decoded.records[0];
    if (record === undefined) return true; // an empty control batch was cleaned before
    const producerId = decoded.producerId;
    const { type } = decodeControlRecordKey(record.key);
    if (type === ControlRecordType.Abort) {
      const aborted = this.ongoingAborted.get(producerId);
      this.ongoingAborted.delete(producerId);
      if (aborted !== undefined && aborted.dataRead) {
        this.retainedAborted.push(aborted.txn);
        return false;
      }
      return true;
    }
    if (type === ControlRecordType.Commit) return !this.ongoingCommitted.delete(producerId);
    return false;
  }
}

function isLastBatchOfProducer(b: RecordBatch, producers: ReadonlyMap<bigint, ProducerLastBatch>): boolean {
  if (b.producerId < 0n) return false;
  const last = producers.get(b.producerId);
  if (last === undefined) return false;
  if (last.lastOffset >= 0n) return b.baseOffset + BigInt(b.lastOffsetDelta) === last.lastOffset;
  return b.isControl && b.producerEpoch === last.producerEpoch;
}

/**
 * Re-encodes with the kept records. Each record keeps its absolute timestamp: deltas are taken
 * from the new base timestamp (the delete horizon when set, else the first kept record's).
 */
function rewrite(b: RecordBatch, kept: BatchRecord[], deleteHorizon: bigint | null): Buffer {
  const oldBase = Number(b.baseTimestamp);
  const firstAbs = oldBase + kept[0]!.timestampDelta;
  const newBase = deleteHorizon === null ? firstAbs : Number(deleteHorizon);
  let maxAbs = -Infinity;
  const records: BatchRecord[] = kept.map((r) => {
    const abs = oldBase + r.timestampDelta;
    if (abs > maxAbs) maxAbs = abs;
    return { ...r, timestampDelta: abs - newBase };
  });
  const logAppendTime = b.timestampType === TimestampType.LogAppendTime;
  return encodeRecordBatch({
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    compression: b.compression,
    timestampType: b.timestampType,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    hasDeleteHorizon: deleteHorizon !== null,
    lastOffsetDelta: b.lastOffsetDelta,
    baseTimestamp: BigInt(newBase),
    maxTimestamp: logAppendTime ? b.maxTimestamp : BigInt(maxAbs),
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    records,
  });
}

/** Kafka's DefaultRecordBatch.writeEmptyHeader: offsets, producer fields and sequence, no records. */
function emptyBatch(b: RecordBatch): Buffer {
  return encodeRecordBatch({
    baseOffset: b.baseOffset,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    compression: CompressionType.None,
    timestampType: b.timestampType,
    isTransactional: b.isTransactional,
    isControl: b.isControl,
    lastOffsetDelta: b.lastOffsetDelta,
    baseTimestamp: b.maxTimestamp,
    maxTimestamp: b.maxTimestamp,
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    records: [],
  });
}

// ---------------------------------------------------------------------------------------------
// Driving

/**
 * Runs a step generator in the background: one step per `schedule` tick (setImmediate by
 * default, so I/O callbacks and appends run between steps). `onStep` receives what each step
 * yields. Resolves with the generator's return value.
 */
export function runInBackground<Y, R>(
  job: Generator<Y, R>,
  onStep?: (value: Y) => void,
  schedule: (fn: () => void) => void = setImmediate,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const step = (): void => {
      try {
        const r = job.next();
        if (r.done) {
          resolve(r.value);
          return;
        }
        onStep?.(r.value);
        schedule(step);
      } catch (err) {
        reject(err);
      }
    };
    schedule(step);
  });
}

/** Runs a step generator to completion synchronously (tests, small logs). */
export function runToCompletion<Y, R>(job: Generator<Y, R>, onStep?: (value: Y) => void): R {
  for (;;) {
    const r = job.next();
    if (r.done) return r.value;
    onStep?.(r.value);
  }
}

/**
 * The whole algorithm over an in-memory log (the memory engine, tests): builds the map over
 * [firstDirtyOffset, endOffset) and cleans every batch below the map's end; batches from there on
 * are passed through. Returns the new log's batches and the new checkpoint.
 */
export function compactBatches(
  batches: readonly Buffer[],
  opts: Omit<CleanOptions, 'map' | 'transactions'> & { firstDirtyOffset?: bigint; endOffset: bigint; maxMapEntries?: number; abortedTransactions?: readonly AbortedTransaction[] },
): { batches: Buffer[]; cleanUpTo: bigint; stats: CleanStats; retainedAborted: AbortedTransaction[] } {
  const map = new OffsetMap(opts.maxMapEntries);
  const aborted = opts.abortedTransactions ?? [];
  const { cleanUpTo } = runToCompletion(
    buildOffsetMap(map, batches, { startOffset: opts.firstDirtyOffset ?? -1n, endOffset: opts.endOffset, abortedTransactions: aborted }),
  );
  const below = batches.filter((b) => batchBaseOffset(b) < cleanUpTo);
  const rest = batches.filter((b) => batchBaseOffset(b) >= cleanUpTo);
  const out: Buffer[] = [];
  const transactions = new TransactionCleaningState(aborted);
  const stats = runToCompletion(cleanBatches(below, { ...opts, map, transactions }), (chunk) => out.push(...chunk));
  return { batches: [...out, ...rest], cleanUpTo, stats, retainedAborted: transactions.retainedAborted };
}
