/**
 * In-memory storage engine: the same segmented log as the file engine (shared SegmentedLog),
 * with segments held as arrays of batch Buffers. For tests and embedding; nothing survives the
 * process, but a closed log can be reopened from the same engine with its data.
 */
import type { LogConfig, PartitionLog, StorageEngine } from './partition-log.js';
import { defaultDecompressor, headerBaseOffset, headerLastOffsetDelta, headerMaxTimestamp, headerSize, type RecordsDecompressor } from './batch-util.js';
import { EMPTY_RECORDS, SegmentedLog, trackBatchTimestamp, type LogOptions, type SegmentState } from './segmented-log.js';
import { ReadBufferPool } from './read-buffers.js';

interface MemoryBatch {
  base: number;
  last: number;
  buf: Buffer;
}

const SLAB_BYTES = 1024 * 1024;
const OFFSET_INDEX_ENTRY = 8;
const TIME_INDEX_ENTRY = 12;

class MemorySegment implements SegmentState {
  nextOffset: number;
  size = 0;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  rollingBasedTimestamp = -1;
  lastModifiedMs: number;
  readonly batches: MemoryBatch[] = [];
  // Index bookkeeping mirrors the file engine so both roll at the same points.
  offsetIndexEntries = 0;
  timeIndexEntries = 0;
  lastTimeIndexTimestamp = -1;
  bytesSinceLastIndexEntry = 0;
  // Appends are copied into slabs: one allocation per MiB instead of one per append, and
  // consecutive batches stay contiguous so reads return one view instead of concatenating.
  slab: Buffer | null = null;
  slabUsed = 0;

  constructor(
    readonly baseOffset: number,
    readonly createdMs: number,
  ) {
    this.nextOffset = baseOffset;
    this.lastModifiedMs = createdMs;
  }

  /** Index of the first batch whose last offset >= offset (batches.length if none). */
  batchIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.last < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface MemoryEngineOptions {
  /** Clock for segment creation times (segment.ms); defaults to Date.now. */
  now?: () => number;
  /** Decompresses a batch's records for exact ListOffsets-by-timestamp on compressed batches. */
  decompress?: RecordsDecompressor;
}

export class MemoryLog extends SegmentedLog<MemorySegment> {
  readonly dir = null;

  constructor(topic: string, partition: number, config: LogConfig, options: LogOptions) {
    super(topic, partition, config, options);
    this.segs.push(this.createSegment(0, this.now()));
  }

  /** Reopens a closed log (the data stays in the engine). */
  reopen(config: LogConfig): void {
    this.closed = false;
    this.updateConfig(config);
  }

  protected createSegment(baseOffset: number, nowMs: number): MemorySegment {
    return new MemorySegment(baseOffset, nowMs);
  }

  protected sealSegment(segment: MemorySegment): void {
    segment.slab = null;
  }

  protected destroySegment(segment: MemorySegment): void {
    segment.batches.length = 0;
  }

  protected indexFull(seg: MemorySegment): boolean {
    return (
      seg.offsetIndexEntries >= Math.floor(this.config.segmentIndexBytes / OFFSET_INDEX_ENTRY) ||
      seg.timeIndexEntries >= Math.floor(this.config.segmentIndexBytes / TIME_INDEX_ENTRY)
    );
  }

  protected writeToActive(batches: Buffer, nowMs: number): void {
    const seg = this.active;
    // One copy per append: the caller's buffer (a request frame) is not ours to keep.
    const len = batches.length;
    if (seg.slab === null || seg.slabUsed + len > seg.slab.length) {
      seg.slab = Buffer.allocUnsafeSlow(Math.max(len, Math.min(SLAB_BYTES, this.config.segmentBytes)));
      seg.slabUsed = 0;
    }
    batches.copy(seg.slab, seg.slabUsed);
    const copy = seg.slab.subarray(seg.slabUsed, seg.slabUsed + len);
    seg.slabUsed += len;
    let pos = 0;
    while (pos < copy.length) {
      const size = headerSize(copy, pos);
      const base = headerBaseOffset(copy, pos);
      this.indexBatch(seg, { base, last: base + headerLastOffsetDelta(copy, pos), buf: copy.subarray(pos, pos + size) });
      pos += size;
    }
    seg.lastModifiedMs = nowMs;
  }

  /** Adds a batch to the segment with the file engine's index bookkeeping. */
  private indexBatch(seg: MemorySegment, batch: MemoryBatch): void {
    const size = batch.buf.length;
    trackBatchTimestamp(seg, headerMaxTimestamp(batch.buf, 0), batch.last);
    if (seg.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      seg.offsetIndexEntries++;
      if (seg.maxTimestamp > seg.lastTimeIndexTimestamp && seg.timeIndexEntries < Math.floor(this.config.segmentIndexBytes / TIME_INDEX_ENTRY)) {
        seg.timeIndexEntries++;
        seg.lastTimeIndexTimestamp = seg.maxTimestamp;
      }
      seg.bytesSinceLastIndexEntry = 0;
    }
    seg.bytesSinceLastIndexEntry += size;
    seg.batches.push(batch);
    seg.size += size;
    seg.nextOffset = batch.last + 1;
  }

  protected swapIn(old: MemorySegment[], batches: readonly Buffer[]): MemorySegment {
    const seg = new MemorySegment(old[0]!.baseOffset, old[0]!.createdMs);
    const copy = Buffer.concat(batches as Buffer[]);
    for (let pos = 0; pos < copy.length; ) {
      const size = headerSize(copy, pos);
      const base = headerBaseOffset(copy, pos);
      this.indexBatch(seg, { base, last: base + headerLastOffsetDelta(copy, pos), buf: copy.subarray(pos, pos + size) });
      pos += size;
    }
    seg.lastModifiedMs = Math.max(...old.map((s) => s.lastModifiedMs));
    return seg;
  }

  protected truncateSegment(seg: MemorySegment, offset: number): void {
    const kept = seg.batches.splice(0, seg.batchIndexFor(offset));
    seg.batches.length = 0;
    seg.size = 0;
    seg.nextOffset = seg.baseOffset;
    seg.maxTimestamp = -1;
    seg.offsetOfMaxTimestamp = -1;
    seg.rollingBasedTimestamp = -1;
    seg.offsetIndexEntries = 0;
    seg.timeIndexEntries = 0;
    seg.lastTimeIndexTimestamp = -1;
    seg.bytesSinceLastIndexEntry = 0;
    seg.slab = null;
    for (const b of kept) this.indexBatch(seg, b);
  }

  protected readRecords(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer {
    const parts: Buffer[] = [];
    let total = 0;
    let bi = -1;
    outer: for (let si = this.segmentIndexFor(offset); si < this.segs.length; si++) {
      const seg = this.segs[si]!;
      for (bi = bi < 0 ? seg.batchIndexFor(offset) : 0; bi < seg.batches.length; bi++) {
        const b = seg.batches[bi]!;
        if (b.base >= limit) break outer;
        const size = b.buf.length;
        if (total + size > maxBytes && !(total === 0 && minOneBatch)) break outer;
        const prev = parts[parts.length - 1];
        if (prev !== undefined && prev.buffer === b.buf.buffer && prev.byteOffset + prev.length === b.buf.byteOffset) {
          // Batches of one append are contiguous in one copy: extend instead of concatenating.
          parts[parts.length - 1] = Buffer.from(prev.buffer, prev.byteOffset, prev.length + size);
        } else {
          parts.push(b.buf);
        }
        total += size;
      }
      bi = 0;
    }
    if (parts.length === 0) return EMPTY_RECORDS;
    if (parts.length === 1) return parts[0]!;
    // Batches of separate appends: joined in a pooled buffer (released after the socket write).
    const out = this.readBuffers.reserve(total);
    let at = 0;
    for (const part of parts) at += part.copy(out, at);
    return this.readBuffers.commit(total);
  }

  protected forEachBatch(seg: MemorySegment, fromOffset: number, visit: (buf: Buffer, pos: number) => boolean): void {
    for (let i = seg.batchIndexFor(fromOffset); i < seg.batches.length; i++) if (visit(seg.batches[i]!.buf, 0)) return;
  }

  flush(): void {
    this.ensureOpen();
  }

  close(): void {
    if (this.closed) return;
    this.notifyClose();
    this.closed = true;
  }
}

export class MemoryStorageEngine implements StorageEngine {
  readonly kind = 'memory' as const;
  readonly logDirs: string[] = [];
  readonly readBuffers = new ReadBufferPool();
  private readonly logs = new Map<string, MemoryLog>();
  private readonly now: () => number;
  private readonly decompress: RecordsDecompressor;

  constructor(options: MemoryEngineOptions = {}) {
    this.now = options.now ?? Date.now;
    this.decompress = options.decompress ?? defaultDecompressor;
  }

  openLog(topic: string, partition: number, config: LogConfig): PartitionLog {
    const key = logKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing !== undefined) {
      existing.reopen(config);
      return existing;
    }
    const log = new MemoryLog(topic, partition, config, { now: this.now, decompress: this.decompress, readBuffers: this.readBuffers });
    this.logs.set(key, log);
    return log;
  }

  existingLogs(): Array<{ topic: string; partition: number }> {
    return [...this.logs.values()].map((l) => ({ topic: l.topic, partition: l.partition }));
  }

  deleteLog(topic: string, partition: number): void {
    const key = logKey(topic, partition);
    this.logs.get(key)?.close();
    this.logs.delete(key);
  }

  retireLog(topic: string, partition: number): null {
    this.deleteLog(topic, partition);
    return null;
  }

  purgeDeletedLogs(): boolean {
    return true;
  }

  readonly deletedAtStartup = [];

  logBytesOnDisk(topic: string, partition: number): number {
    return this.logs.get(logKey(topic, partition))?.sizeBytes ?? 0;
  }

  /** Nothing is staged: appends are in memory when append() returns. */
  durabilityBarrier(): null {
    return null;
  }

  whenWritesDone(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    for (const log of this.logs.values()) log.close();
  }
}

const logKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
