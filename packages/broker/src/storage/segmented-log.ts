/**
 * The engine-independent half of a partition log: offset assignment, roll policy, retention,
 * DeleteRecords, ListOffsets by timestamp, observers. Engines (file, memory) supply segment
 * storage, indexing and reads. Sharing this code is what makes both engines behave the same.
 */
import { setBatchBaseOffset, setBatchPartitionLeaderEpoch } from '@samsa/protocol/records';
import type { AppendInfo, AppendOptions, LogConfig, LogObserver, LogOffsetMetadata, PartitionLog, ReadInfo, SegmentInfo, TimestampOffset } from './partition-log.js';
import {
  headerBaseOffset,
  headerLastOffsetDelta,
  headerLeaderEpoch,
  headerMaxTimestamp,
  headerSize,
  scanAppend,
  stampLogAppendTime,
  visitRecordTimestamps,
  type RecordsDecompressor,
} from './batch-util.js';
import type { ReadBufferPool } from './read-buffers.js';
import { CorruptRecordError, LogClosedError, OffsetOutOfRangeError, RecordBatchTooLargeError } from './errors.js';

export const EMPTY_RECORDS: Buffer = Buffer.alloc(0);
/** Upper bound of one read (a client may ask for 2 GiB; Kafka caps fetches with fetch.max.bytes, 55 MiB). */
export const MAX_READ_BYTES = 64 * 1024 * 1024;
/** Kafka rolls when an offset would not fit the index's int32 relative offset. */
const MAX_RELATIVE_OFFSET = 0x7fffffff;

/** What the shared code needs to know about a segment. Offsets and timestamps are numbers. */
export interface SegmentState {
  readonly baseOffset: number;
  /** last offset + 1; baseOffset when empty */
  nextOffset: number;
  size: number;
  /** largest batch maxTimestamp so far, -1 when none */
  maxTimestamp: number;
  /** last offset of the first batch that carried maxTimestamp (Kafka's "shallow" offset) */
  offsetOfMaxTimestamp: number;
  /** maxTimestamp of the segment's first batch (segment.ms rolls on it), -1 when unknown */
  rollingBasedTimestamp: number;
  createdMs: number;
  /** clock time of the last append (stands in for the file mtime when batches carry no timestamp) */
  lastModifiedMs: number;
}

export interface LogOptions {
  now: () => number;
  decompress?: RecordsDecompressor | undefined;
  /** The engine instance's read slabs. */
  readBuffers: ReadBufferPool;
}

export abstract class SegmentedLog<S extends SegmentState> implements PartitionLog {
  protected segs: S[] = [];
  protected lso = 0;
  protected totalSize = 0;
  protected closed = false;
  protected config: LogConfig;
  protected readonly now: () => number;
  protected readonly decompress: RecordsDecompressor | undefined;
  protected readonly readBuffers: ReadBufferPool;
  private observers: LogObserver[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    config: LogConfig,
    options: LogOptions,
  ) {
    this.config = { ...config };
    this.now = options.now;
    this.decompress = options.decompress;
    this.readBuffers = options.readBuffers;
  }

  abstract readonly dir: string | null;

  // ---- engine hooks -------------------------------------------------------------------------

  /** Writes already-stamped batches at the end of the active segment and indexes them (callerKeepsBatches: see AppendOptions). */
  protected abstract writeToActive(batches: Buffer, nowMs: number, callerKeepsBatches: boolean): void;
  /** Creates the segment that will hold offsets from baseOffset. */
  protected abstract createSegment(baseOffset: number, nowMs: number): S;
  /** Seals the active segment before a new one is created (final index entries, flush scheduling). */
  protected abstract sealSegment(segment: S): void;
  /** Removes a segment's data (files). */
  protected abstract destroySegment(segment: S): void;
  /** True when the segment's offset or time index cannot take another entry. */
  protected abstract indexFull(segment: S): boolean;
  /** Whole batches from the one containing `offset` (< limit), budgeted by maxBytes. */
  protected abstract readRecords(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer;
  /**
   * Calls visit(buf, pos) for each batch of `segment` in order, starting at the batch containing
   * fromOffset (or the first after it), until visit returns true.
   */
  protected abstract forEachBatch(segment: S, fromOffset: number, visit: (buf: Buffer, pos: number) => boolean): void;
  /**
   * Cuts `segment` (the last one kept) before the first batch whose lastOffset >= offset and
   * recomputes its state and indexes; it becomes the active segment.
   */
  protected abstract truncateSegment(segment: S, offset: number): void;
  /** An offset at or before the first batch whose maxTimestamp >= ts (a time index lookup). */
  protected timestampSearchStart(segment: S, _timestamp: number): number {
    return segment.baseOffset;
  }
  /** Called after each append (flush policy). */
  protected afterAppend(_offsetCount: number, _nowMs: number): void {}

  // ---- PartitionLog ------------------------------------------------------------------------

  get logStartOffset(): bigint {
    return BigInt(this.lso);
  }
  get logEndOffset(): bigint {
    return BigInt(this.leo);
  }
  get logEndOffsetMetadata(): LogOffsetMetadata {
    const active = this.active;
    return { messageOffset: BigInt(active.nextOffset), segmentBaseOffset: BigInt(active.baseOffset), relativePositionInSegment: active.size };
  }
  get sizeBytes(): number {
    return this.totalSize;
  }
  protected get leo(): number {
    return this.active.nextOffset;
  }
  protected get active(): S {
    return this.segs[this.segs.length - 1]!;
  }

  append(batches: Buffer, opts: AppendOptions): AppendInfo {
    this.ensureOpen();
    const scan = scanAppend(batches);
    if (scan.largestBatch > this.config.segmentBytes) {
      throw new RecordBatchTooLargeError(`batch of ${scan.largestBatch} bytes exceeds segment.bytes ${this.config.segmentBytes}`);
    }
    const nowMs = opts.nowMs;
    const replicated = opts.origin === 'replication';
    const logAppendTime = !replicated && this.config.messageTimestampType === 'LogAppendTime';
    let firstOffset = this.leo;
    let lastOffset: number;
    if (replicated) {
      firstOffset = headerBaseOffset(batches, 0);
      if (firstOffset < this.leo) throw new CorruptRecordError(`replicated batch at ${firstOffset} is below the log end offset ${this.leo}`);
      lastOffset = this.checkReplicatedOffsets(batches);
    } else {
      lastOffset = firstOffset + scan.offsetCount - 1;
    }
    const appendMaxTimestamp = logAppendTime ? nowMs : scan.maxTimestamp;
    if (this.shouldRoll(batches.length, appendMaxTimestamp, firstOffset, lastOffset, nowMs)) this.roll(nowMs, firstOffset);

    if (!replicated) {
      let pos = 0;
      let next = firstOffset;
      while (pos < batches.length) {
        const size = headerSize(batches, pos);
        setBatchBaseOffset(batches, BigInt(next), pos);
        setBatchPartitionLeaderEpoch(batches, opts.leaderEpoch, pos);
        if (logAppendTime) stampLogAppendTime(batches, pos, size, nowMs);
        next += headerLastOffsetDelta(batches, pos) + 1;
        pos += size;
      }
    }
    this.writeToActive(batches, nowMs, opts.callerKeepsBatches === true);
    this.totalSize += batches.length;
    const info: AppendInfo = {
      baseOffset: BigInt(firstOffset),
      lastOffset: BigInt(lastOffset),
      logAppendTime: logAppendTime ? BigInt(nowMs) : -1n,
      logStartOffset: BigInt(this.lso),
      recordCount: scan.offsetCount,
    };
    this.afterAppend(scan.offsetCount, nowMs);
    for (const o of this.observers) o.onAppend?.(batches, info);
    return info;
  }

  private checkReplicatedOffsets(batches: Buffer): number {
    let pos = 0;
    let expected = this.leo;
    let last = -1;
    while (pos < batches.length) {
      const base = headerBaseOffset(batches, pos);
      if (base < expected) throw new CorruptRecordError(`replicated batches out of order at offset ${base}`);
      last = base + headerLastOffsetDelta(batches, pos);
      expected = last + 1;
      pos += headerSize(batches, pos);
    }
    return last;
  }

  private shouldRoll(appendSize: number, appendMaxTimestamp: number, firstOffset: number, lastOffset: number, nowMs: number): boolean {
    const seg = this.active;
    if (seg.size === 0) return false;
    const waited = seg.rollingBasedTimestamp >= 0 ? appendMaxTimestamp - seg.rollingBasedTimestamp : nowMs - seg.createdMs;
    return (
      seg.size > this.config.segmentBytes - appendSize ||
      waited > this.config.segmentMs ||
      this.indexFull(seg) ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET ||
      firstOffset < seg.baseOffset
    );
  }

  /** Seals the active segment and starts a new one at `baseOffset` (the log end offset unless replicating a gap). */
  protected roll(nowMs: number, baseOffset = this.leo): void {
    const old = this.active;
    if (old.size === 0 && old.baseOffset === baseOffset) return;
    this.sealSegment(old);
    this.segs.push(this.createSegment(baseOffset, nowMs));
    for (const o of this.observers) o.onRoll?.(BigInt(baseOffset));
  }

  read(offset: bigint, maxBytes: number, opts: { minOneBatch: boolean; maxOffset?: bigint }): ReadInfo {
    this.ensureOpen();
    const o = Number(offset);
    const leo = this.leo;
    if (o < this.lso || o > leo) {
      throw new OffsetOutOfRangeError(this.topic, this.partition, offset, BigInt(this.lso), BigInt(leo));
    }
    const limit = opts.maxOffset === undefined ? leo : Math.min(Number(opts.maxOffset), leo);
    const budget = Math.min(Math.max(0, maxBytes), MAX_READ_BYTES);
    const records = o >= limit || (budget <= 0 && !opts.minOneBatch) ? EMPTY_RECORDS : this.readRecords(o, budget, opts.minOneBatch, limit);
    return { records, logStartOffset: BigInt(this.lso), logEndOffset: BigInt(leo) };
  }

  /** Index of the segment holding `offset`: the last one whose baseOffset <= offset (0 if none). */
  protected segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segs[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  offsetForTimestamp(timestamp: bigint): TimestampOffset | null {
    this.ensureOpen();
    const t = Number(timestamp);
    for (const seg of this.segs) {
      if (seg.maxTimestamp < t || seg.nextOffset <= this.lso) continue;
      let found: TimestampOffset | null = null;
      const start = Math.max(this.timestampSearchStart(seg, t), this.lso);
      this.forEachBatch(seg, start, (buf, pos) => {
        const base = headerBaseOffset(buf, pos);
        const last = base + headerLastOffsetDelta(buf, pos);
        const maxTs = headerMaxTimestamp(buf, pos);
        if (last < this.lso || maxTs < t) return false;
        const epoch = headerLeaderEpoch(buf, pos);
        const walked = visitRecordTimestamps(buf, pos, this.decompress, (off, ts) => {
          if (off < this.lso || ts < t) return false;
          found = { offset: BigInt(off), timestamp: BigInt(ts), leaderEpoch: epoch };
          return true;
        });
        // Compressed without a decompressor: the batch is the best we can name.
        if (walked === null) found = { offset: BigInt(Math.max(base, this.lso)), timestamp: BigInt(maxTs), leaderEpoch: epoch };
        return found !== null;
      });
      if (found !== null) return found;
    }
    return null;
  }

  offsetOfMaxTimestamp(): TimestampOffset | null {
    this.ensureOpen();
    let best: S | undefined;
    for (const seg of this.segs) if (seg.maxTimestamp >= 0 && (best === undefined || seg.maxTimestamp > best.maxTimestamp)) best = seg;
    if (best === undefined) return null;
    const seg = best;
    let result: TimestampOffset | null = null;
    this.forEachBatch(seg, seg.offsetOfMaxTimestamp, (buf, pos) => {
      const maxTs = headerMaxTimestamp(buf, pos);
      if (maxTs !== seg.maxTimestamp) return false;
      const epoch = headerLeaderEpoch(buf, pos);
      const walked = visitRecordTimestamps(buf, pos, this.decompress, (off, ts) => {
        if (ts !== maxTs) return false;
        result = { offset: BigInt(off), timestamp: BigInt(ts), leaderEpoch: epoch };
        return true;
      });
      if (walked !== true) {
        result = { offset: BigInt(headerBaseOffset(buf, pos) + headerLastOffsetDelta(buf, pos)), timestamp: BigInt(maxTs), leaderEpoch: epoch };
      }
      return true;
    });
    return result;
  }

  deleteRecordsBefore(offset: bigint): bigint {
    this.ensureOpen();
    const o = Number(offset);
    if (o < 0 || o > this.leo) throw new OffsetOutOfRangeError(this.topic, this.partition, offset, BigInt(this.lso), BigInt(this.leo));
    if (o > this.lso) {
      this.lso = o;
      let k = 0;
      while (k < this.segs.length - 1 && this.segs[k + 1]!.baseOffset <= this.lso) k++;
      this.deleteOldest(k);
      this.logStartChanged();
    }
    return BigInt(this.lso);
  }

  truncateTo(offset: bigint): void {
    this.ensureOpen();
    const o = Number(offset);
    if (o < 0) throw new OffsetOutOfRangeError(this.topic, this.partition, offset, BigInt(this.lso), BigInt(this.leo));
    if (o >= this.leo) return;
    if (this.segs[0]!.baseOffset > o) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    let keep = this.segs.findIndex((s) => s.baseOffset >= o);
    if (keep <= 0) keep = keep === 0 ? 1 : this.segs.length;
    for (const seg of this.segs.splice(keep)) {
      this.totalSize -= seg.size;
      this.destroySegment(seg);
    }
    const last = this.active;
    const before = last.size;
    this.truncateSegment(last, o);
    this.totalSize += last.size - before;
    if (this.lso > this.leo) this.lso = this.leo;
    this.truncated();
    for (const obs of this.observers) obs.onTruncate?.(BigInt(this.leo));
  }

  truncateFullyAndStartAt(offset: bigint): void {
    this.ensureOpen();
    const o = Number(offset);
    if (o < 0) throw new OffsetOutOfRangeError(this.topic, this.partition, offset, BigInt(this.lso), BigInt(this.leo));
    for (const seg of this.segs.splice(0)) this.destroySegment(seg);
    this.totalSize = 0;
    this.segs.push(this.createSegment(o, this.now()));
    this.lso = o;
    this.truncated();
    for (const obs of this.observers) obs.onTruncate?.(BigInt(o));
    this.logStartChanged();
  }

  /**
   * Builds the segment that replaces `old` (consecutive, non-active) from cleaned batches and
   * swaps it in on the storage side; the caller updates the segment list.
   */
  protected abstract swapIn(old: S[], batches: readonly Buffer[]): S;

  replaceSegments(baseOffsets: bigint[], batches: readonly Buffer[]): void {
    this.ensureOpen();
    if (baseOffsets.length === 0) return;
    const first = this.segs.findIndex((s) => s.baseOffset === Number(baseOffsets[0]));
    if (first < 0) throw new Error(`no segment with base offset ${baseOffsets[0]}`);
    const n = baseOffsets.length;
    if (first + n >= this.segs.length) throw new Error('the active segment cannot be replaced');
    for (let i = 0; i < n; i++) {
      if (this.segs[first + i]!.baseOffset !== Number(baseOffsets[i])) throw new Error(`segments to replace must be consecutive: ${baseOffsets.join(', ')}`);
    }
    const base = this.segs[first]!.baseOffset;
    const end = this.segs[first + n]!.baseOffset;
    let expected = base;
    for (const buf of batches) {
      scanAppend(buf);
      for (let pos = 0; pos < buf.length; pos += headerSize(buf, pos)) {
        const b = headerBaseOffset(buf, pos);
        const last = b + headerLastOffsetDelta(buf, pos);
        if (b < expected || last >= end) throw new CorruptRecordError(`cleaned batch [${b}, ${last}] is out of order or outside [${base}, ${end})`);
        expected = last + 1;
      }
    }
    const old = this.segs.slice(first, first + n);
    const replacement = this.swapIn(old, batches);
    this.segs.splice(first, n, replacement);
    for (const s of old) this.totalSize -= s.size;
    this.totalSize += replacement.size;
  }

  /** Engine bookkeeping after a truncation (recovery point). */
  protected truncated(): void {}

  /** The engine cut the log's end itself (a failed write): bookkeeping and observers, as after truncateTo. */
  protected rolledBack(): void {
    if (this.lso > this.leo) this.lso = this.leo;
    this.truncated();
    for (const obs of this.observers) obs.onTruncate?.(BigInt(this.leo));
  }

  applyRetention(nowMs: number): void {
    this.ensureOpen();
    const n = this.segs.length - 1; // never the active segment
    let k = 0;
    const deletePolicy = this.config.cleanupPolicy.split(',').some((p) => p.trim() === 'delete');
    if (deletePolicy && this.config.retentionMs >= 0) {
      while (k < n && nowMs - largestTimestamp(this.segs[k]!) > this.config.retentionMs) k++;
    }
    if (deletePolicy && this.config.retentionBytes >= 0) {
      let diff = this.totalSize - this.config.retentionBytes;
      for (let i = 0; i < k; i++) diff -= this.segs[i]!.size;
      while (k < n && diff - this.segs[k]!.size >= 0) diff -= this.segs[k++]!.size;
    }
    while (k < n && this.segs[k + 1]!.baseOffset <= this.lso) k++;
    if (k === 0) return;
    this.deleteOldest(k);
    const first = this.segs[0]!.baseOffset;
    if (first > this.lso) {
      this.lso = first;
      this.logStartChanged();
    }
  }

  private deleteOldest(count: number): void {
    if (count <= 0) return;
    const removed = this.segs.splice(0, count);
    for (const seg of removed) {
      this.totalSize -= seg.size;
      this.destroySegment(seg);
    }
  }

  private logStartChanged(): void {
    for (const o of this.observers) o.onLogStartOffsetChange?.(BigInt(this.lso));
  }

  updateConfig(config: LogConfig): void {
    this.config = { ...config };
  }

  segments(): SegmentInfo[] {
    return this.segs.map((s) => ({ baseOffset: BigInt(s.baseOffset), sizeBytes: s.size, maxTimestamp: BigInt(s.maxTimestamp) }));
  }

  addObserver(observer: LogObserver): void {
    if (!this.observers.includes(observer)) this.observers.push(observer);
  }
  removeObserver(observer: LogObserver): void {
    this.observers = this.observers.filter((o) => o !== observer);
  }

  protected notifyClose(): void {
    for (const o of this.observers) o.onClose?.(BigInt(this.leo));
  }

  protected ensureOpen(): void {
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition} is closed`);
  }

  abstract flush(): void;
  abstract close(): void;
}

/** Kafka's LogSegment.largestTimestamp: the max batch timestamp, else the last modification time. */
export function largestTimestamp(seg: SegmentState): number {
  return seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModifiedMs;
}

/** Segment bookkeeping common to both engines, per appended batch. */
export function trackBatchTimestamp(seg: SegmentState, maxTimestamp: number, lastOffset: number): void {
  if (seg.rollingBasedTimestamp < 0 && seg.size === 0) seg.rollingBasedTimestamp = maxTimestamp;
  if (maxTimestamp > seg.maxTimestamp) {
    seg.maxTimestamp = maxTimestamp;
    seg.offsetOfMaxTimestamp = lastOffset;
  }
}
