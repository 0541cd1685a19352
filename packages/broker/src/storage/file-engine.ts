/**
 * The file storage engine: Kafka's on-disk layout and lifecycle.
 *
 *   <log.dir>/<topic>-<partition>/<20-digit base offset>.log | .index | .timeindex
 *   <log.dir>/recovery-point-offset-checkpoint, log-start-offset-checkpoint, .kafka_cleanshutdown
 *
 * Appends are one write() of the batches as received (offsets assigned in place); the page cache
 * does the rest unless flush.messages / flush.ms ask for fsync. A rolled segment is fsynced in the
 * background and the recovery point advances past it (as Kafka's async flush on roll). Startup
 * after an unclean shutdown recovers every segment from the one holding the recovery point
 * (always the active one): CRC check, truncate at the first torn batch, rebuild the indexes.
 */
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open as openAsync, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { BATCH_LOCATE_BYTES, defaultDecompressor, headerBaseOffset, headerLastOffsetDelta, headerMaxTimestamp, headerSize, type RecordsDecompressor } from './batch-util.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  partitionKey,
  readCheckpoint,
  writeCheckpoint,
  type OffsetCheckpoint,
} from './checkpoint.js';
import { StorageIoError } from './errors.js';
import type { LogConfig, PartitionLog, PreparedRead, StorageEngine } from './partition-log.js';
import { loadSegmentState, recoverSegment, scanBatches } from './recovery.js';
import { ReadBufferPool } from './read-buffers.js';
import { FileSegment, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, WriteStager, parseSegmentFileName, segmentFileName, type PrefetchedRange } from './segment.js';
import { EMPTY_RECORDS, MAX_READ_BYTES, SegmentedLog, trackBatchTimestamp, type LogOptions } from './segmented-log.js';
import { OpenFiles } from './open-files.js';
import { createLogger, type Logger } from '../util/log.js';

/** How a log was left: decides how much of it startup must recover. */
export interface LogLoadState {
  /** the log dir had a clean-shutdown marker, or the log was closed cleanly in this process */
  clean: boolean;
  /** from recovery-point-offset-checkpoint (null: recover everything after an unclean shutdown) */
  recoveryPoint: number | null;
  /** from log-start-offset-checkpoint */
  logStartOffset: number | null;
}

export class FileLog extends SegmentedLog<FileSegment> {
  readonly dir: string;
  /** Offsets below this are known to be on disk (fsynced). */
  recoveryPoint = 0;
  /** Segments recovered (CRC-scanned) when the log was opened, and bytes truncated then. */
  readonly recovery = { segments: 0, truncatedBytes: 0 };
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private flushChain: Promise<void> = Promise.resolve();
  private backgroundFlushFailed = false;
  private readonly stager: WriteStager;
  private readonly logger: Logger;
  /** Kafka's log prefix: `[LogLoader partition=t-0, dir=/logs]`. */
  private readonly logPrefix: string;
  private readonly onSegmentRecovered: () => void;

  constructor(
    dir: string,
    topic: string,
    partition: number,
    config: LogConfig,
    options: LogOptions & { stager: WriteStager; logger?: Logger; onSegmentRecovered?: () => void },
    load: LogLoadState,
    private readonly onClosed: (log: FileLog) => void = () => {},
  ) {
    super(topic, partition, config, options);
    this.dir = dir;
    this.stager = options.stager;
    this.logger = options.logger ?? createLogger('kafka.log.LogLoader');
    this.logPrefix = `[LogLoader partition=${topic}-${partition}, dir=${dirname(dir)}]`;
    this.onSegmentRecovered = options.onSegmentRecovered ?? (() => {});
    this.lastFlushMs = this.now();
    try {
      this.load(load);
    } catch (e) {
      for (const s of this.segs) {
        try {
          s.close();
        } catch {
          /* the load's error matters more */
        }
      }
      throw e instanceof StorageIoError ? e : new StorageIoError(`cannot load log ${dir}: ${(e as Error).message}`, { cause: e });
    }
    for (const s of this.segs) this.adopt(s);
  }

  /** A segment of this log: a failed write of it rolls the log back. */
  private adopt(seg: FileSegment): FileSegment {
    seg.onWriteFailure = (lostBytes, failure) => this.writeFailed(seg, lostBytes, failure);
    return seg;
  }

  /**
   * A write of `seg` failed (a full disk, an I/O error) and the segment is back at the end of
   * its last append wholly in the file. The appends after it were never acknowledged (their
   * responses wait for the write): the log end offset goes back to what the file holds, later
   * segments (holding only appends made after the lost ones) go, and the observers (producer
   * state, the partition's high watermark and epoch cache) learn of the truncation. The next
   * appends are tried again: the partition works again as soon as the disk has room.
   */
  private writeFailed(seg: FileSegment, lostBytes: number, failure: Error): void {
    const i = this.segs.indexOf(seg);
    if (this.closed || i < 0) return;
    const before = this.leo;
    this.totalSize -= lostBytes;
    for (const later of this.segs.splice(i + 1)) {
      later.abandon(failure);
      this.totalSize -= later.size;
      later.deleteAsync();
    }
    try {
      // Indexes, next offset and timestamps of what the file holds (structure only: these bytes were just written).
      recoverSegment(seg, this.config.indexIntervalBytes, seg.baseOffset, false);
    } catch (e) {
      this.logger.error(`${this.logPrefix} Could not rebuild segment ${seg.baseOffset} after a failed write`, e);
    }
    this.logger.error(`${this.logPrefix} Write to segment ${seg.baseOffset} failed (${failure.message}): the log end offset goes back from ${before} to ${this.leo}; those appends were not acknowledged. Appends are retried and the partition serves again once writes succeed.`);
    this.rolledBack();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private load(state: LogLoadState): void {
    const created = mkdirSync(this.dir, { recursive: true }) !== undefined;
    let names = created ? [] : readdirSync(this.dir);
    if (names.some((n) => n.endsWith(SWAP_SUFFIX))) {
      completeSwaps(this.dir);
      names = readdirSync(this.dir);
    }
    const bases: number[] = [];
    const present = new Set(names);
    for (const name of names) {
      // Leftovers of deletions and of an interrupted cleaning (Kafka's .deleted/.cleaned/.swap).
      if (name.endsWith('.deleted') || name.endsWith('.cleaned') || name.endsWith('.swap') || name.endsWith('.tmp')) {
        unlinkSync(join(this.dir, name));
        continue;
      }
      const base = parseSegmentFileName(name);
      if (base !== null) bases.push(base);
      else if ((name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX)) && !present.has(name.replace(/\.(index|timeindex)$/, LOG_SUFFIX))) {
        unlinkSync(join(this.dir, name)); // an index without its log
      }
    }
    bases.sort((a, b) => a - b);
    const indexBytes = this.config.segmentIndexBytes;
    if (bases.length === 0) {
      const start = state.logStartOffset ?? 0;
      this.segs.push(FileSegment.create(this.stager, this.dir, start, this.now(), indexBytes));
      this.lso = start;
      this.recoveryPoint = start;
      return;
    }
    const valid: boolean[] = [];
    for (const base of bases) {
      const { segment, indexesValid } = FileSegment.open(this.stager, this.dir, base, indexBytes);
      this.segs.push(segment);
      valid.push(indexesValid);
    }
    const recoverFrom = state.clean ? this.segs.length : state.recoveryPoint === null ? 0 : this.segmentIndexFor(state.recoveryPoint);
    for (let i = 0; i < this.segs.length; i++) {
      const seg = this.segs[i]!;
      const active = i === this.segs.length - 1;
      if (i < recoverFrom && valid[i] && loadSegmentState(seg, active, active ? null : this.segs[i + 1]!.baseOffset)) continue;
      const minNext = i > 0 ? this.segs[i - 1]!.nextOffset : 0;
      const result = recoverSegment(seg, this.config.indexIntervalBytes, Math.min(minNext, seg.baseOffset));
      this.recovery.segments++;
      this.recovery.truncatedBytes += result.truncatedBytes;
      this.onSegmentRecovered();
      if (!active) {
        // As at a roll: a closed segment's time index ends with its max timestamp.
        seg.timeIndex.maybeAppend(seg.maxTimestamp, seg.offsetOfMaxTimestamp - seg.baseOffset, true);
        seg.closeIndexes();
      }
      if (result.truncatedBytes > 0) {
        // Kafka's LogSegment.recover and LogLoader: the reason, then what the segment keeps.
        this.logger.warn(`${this.logPrefix} Found invalid messages in log segment ${seg.logPath} at byte offset ${result.validBytes}: ${result.reason}.`);
        this.logger.warn(`${this.logPrefix} Corruption found in segment ${seg.baseOffset}, truncating to offset ${seg.nextOffset}: ${result.truncatedBytes} bytes removed, ${result.batches} valid batches kept`);
      }
      if (result.truncatedBytes > 0 && !active) {
        // Kafka's recovery deletes every unflushed segment after a corrupt one: what follows the
        // corruption cannot be trusted to continue the log. Each one is named with its offsets.
        for (const later of this.segs.splice(i + 1)) {
          const next = nextOffsetOfFile(later.logPath, later.baseOffset);
          const range = next > later.baseOffset ? `offsets ${later.baseOffset} to ${next - 1}` : 'no whole batch';
          this.logger.warn(`${this.logPrefix} Deleting segment ${later.baseOffset} (${range}, ${later.size} bytes) as part of log recovery: it follows the corruption in segment ${seg.baseOffset}, which was truncated to offset ${seg.nextOffset}`);
          later.delete();
          this.onSegmentRecovered();
        }
        break;
      }
    }
    for (const s of this.segs) this.totalSize += s.size;
    this.lso = Math.max(state.logStartOffset ?? 0, this.segs[0]!.baseOffset);
    if (this.lso > this.leo) {
      // Recovery cut the log below its start: start over, empty, at the log start (Kafka's truncateFullyAndStartAt).
      this.logger.warn(`${this.logPrefix} Recovery left the log end offset ${this.leo} below the log start offset ${this.lso}: deleting its ${this.segs.length} segment(s) and starting empty at ${this.lso}`);
      for (const s of this.segs) s.delete();
      this.segs = [FileSegment.create(this.stager, this.dir, this.lso, this.now(), indexBytes)];
      this.totalSize = 0;
    }
    if (this.recovery.segments > 0) this.flush();
    else this.recoveryPoint = state.clean ? this.leo : Math.min(state.recoveryPoint ?? 0, this.leo);
  }

  protected createSegment(baseOffset: number, nowMs: number): FileSegment {
    try {
      return this.adopt(FileSegment.create(this.stager, this.dir, baseOffset, nowMs, this.config.segmentIndexBytes));
    } catch (e) {
      if (e instanceof StorageIoError) throw e;
      throw new StorageIoError(`cannot create segment ${baseOffset} in ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  protected indexFull(seg: FileSegment): boolean {
    return seg.offsetIndex.isFull() || seg.timeIndex.isFull();
  }

  protected writeToActive(batches: Buffer, nowMs: number, callerKeepsBatches: boolean): void {
    const seg = this.active;
    const start = seg.size;
    seg.write(batches, callerKeepsBatches);
    const interval = this.config.indexIntervalBytes;
    const base = seg.baseOffset;
    let p = 0;
    let last = seg.nextOffset - 1;
    while (p < batches.length) {
      const size = headerSize(batches, p);
      last = headerBaseOffset(batches, p) + headerLastOffsetDelta(batches, p);
      trackBatchTimestamp(seg, headerMaxTimestamp(batches, p), last);
      if (seg.bytesSinceLastIndexEntry > interval) {
        seg.offsetIndex.append(last - base, start + p);
        seg.timeIndex.maybeAppend(seg.maxTimestamp, seg.offsetOfMaxTimestamp - base);
        seg.bytesSinceLastIndexEntry = 0;
      }
      seg.bytesSinceLastIndexEntry += size;
      p += size;
    }
    seg.size += batches.length;
    seg.nextOffset = last + 1;
    seg.lastModifiedMs = nowMs;
    seg.rememberPosition(seg.nextOffset, seg.size);
  }

  protected override afterAppend(offsetCount: number, nowMs: number): void {
    this.unflushedMessages += offsetCount;
    if (this.unflushedMessages >= this.config.flushMessages || nowMs - this.lastFlushMs >= this.config.flushMs) this.requestFlush(nowMs);
  }

  /**
   * flush.messages / flush.ms: asks for an fdatasync after the segments' next write round
   * (group commit: one fsync covers every append of the round; responses wait for it through
   * the durability barrier). The recovery point moves when it is done.
   */
  private requestFlush(nowMs: number): void {
    const upTo = this.leo;
    const active = this.active;
    const waits: Array<Promise<Error | null>> = [];
    for (const seg of this.segs) {
      if (seg !== active && seg.nextOffset <= this.recoveryPoint) continue;
      seg.requestFsync();
      const w = seg.whenWritten();
      if (w !== null) waits.push(w);
    }
    this.unflushedMessages = 0;
    this.lastFlushMs = nowMs;
    void Promise.all(waits).then((errors) => {
      if (errors.every((e) => e === null) && !this.closed && upTo > this.recoveryPoint) this.recoveryPoint = upTo;
    });
  }

  protected sealSegment(seg: FileSegment): void {
    // Kafka closes a segment's time index with its max timestamp, even when the index is full.
    seg.timeIndex.maybeAppend(seg.maxTimestamp, seg.offsetOfMaxTimestamp - seg.baseOffset, true);
    seg.closeIndexes();
    seg.offsetIndex.unload();
    seg.timeIndex.unload();
    const paths = [seg.logPath, seg.indexPath, seg.timeIndexPath];
    const upTo = seg.nextOffset;
    // fsync in the background through separate descriptors (never racing a close of ours),
    // once its staged appends are in the file.
    this.flushChain = this.flushChain
      .then(() => seg.whenWritten())
      .then((failure) => {
        if (failure !== null) throw failure;
        return syncFiles(paths);
      })
      .then(
        () => {
          if (!this.closed && !this.backgroundFlushFailed && upTo > this.recoveryPoint) this.recoveryPoint = upTo;
        },
        () => {
          this.backgroundFlushFailed = true;
        },
      );
  }

  /** Resolves when every append made so far is in its file (none staged or being written). */
  async whenWritten(): Promise<void> {
    for (;;) {
      const waits = this.segs.map((s) => s.whenWritten()).filter((w) => w !== null);
      if (waits.length === 0) return;
      await Promise.all(waits);
    }
  }

  /** Resolves when background fsyncs of rolled segments are done (tests, shutdown). */
  whenBackgroundFlushed(): Promise<void> {
    return this.flushChain;
  }

  protected swapIn(old: FileSegment[], batches: readonly Buffer[]): FileSegment {
    const base = old[0]!.baseOffset;
    const logName = segmentFileName(base, LOG_SUFFIX);
    const cleaned = join(this.dir, logName + CLEANED_SUFFIX);
    const swap = join(this.dir, logName + SWAP_SUFFIX);
    try {
      // 1. the new data, durable, under a name that startup discards
      const fd = openSync(cleaned, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
      try {
        let position = 0;
        for (const buf of batches) {
          for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, position + done);
          position += buf.length;
        }
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      // 2. .swap: from now on startup completes the replacement
      renameSync(cleaned, swap);
      // 3. the old segments go (Kafka renames them .deleted first; we unlink right away)
      for (const seg of old) seg.delete();
      // 4. the swap becomes the segment; its indexes are rebuilt from it
      renameSync(swap, join(this.dir, logName));
    } catch (e) {
      throw new StorageIoError(`replacing segments from ${base} in ${this.dir} failed: ${(e as Error).message}`, { cause: e });
    }
    const { segment } = FileSegment.open(this.stager, this.dir, base, this.config.segmentIndexBytes);
    this.adopt(segment);
    recoverSegment(segment, this.config.indexIntervalBytes, base, false);
    segment.timeIndex.maybeAppend(segment.maxTimestamp, segment.offsetOfMaxTimestamp - base, true);
    segment.closeIndexes();
    segment.offsetIndex.unload();
    segment.timeIndex.unload();
    // Keep time-based retention of timestamp-less data where it was (Kafka copies lastModified too).
    segment.lastModifiedMs = Math.max(...old.map((s) => s.lastModifiedMs));
    try {
      utimesSync(segment.logPath, segment.lastModifiedMs / 1000, segment.lastModifiedMs / 1000);
    } catch {
      /* only affects the age of timestamp-less data after a restart */
    }
    return segment;
  }

  protected truncateSegment(seg: FileSegment, offset: number): void {
    const loc = seg.locate(offset);
    if (loc !== null) seg.truncateTo(loc.position);
    // Rebuild indexes and timestamps of what is left (rare: follower truncation).
    recoverSegment(seg, this.config.indexIntervalBytes, seg.baseOffset);
  }

  protected override truncated(): void {
    if (this.recoveryPoint > this.leo) this.recoveryPoint = this.leo;
  }

  protected destroySegment(seg: FileSegment): void {
    seg.deleteAsync();
  }

  protected readRecords(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer {
    let si = this.segmentIndexFor(offset);
    let seg = this.segs[si]!;
    let loc = seg.locate(offset);
    while (loc === null && si + 1 < this.segs.length) {
      seg = this.segs[++si]!;
      loc = seg.locate(offset);
    }
    if (loc === null) return EMPTY_RECORDS;
    // Room for what can be returned: maxBytes (or the first batch), no more than the segments
    // hold from here. Every segment's share is read into it back to back (no concatenation);
    // only the whole batches found are kept (committed) out of the pooled region.
    let available = seg.size - loc.position;
    for (let j = si + 1; j < this.segs.length && available < maxBytes; j++) available += this.segs[j]!.size;
    let room = Math.min(maxBytes, available);
    if (minOneBatch && loc.size > room) room = loc.size;
    if (room < 12) return EMPTY_RECORDS;
    const out = this.readBuffers.reserve(room);
    let total = 0;
    try {
      let position = loc.position;
      for (;;) {
        const remaining = seg.size - position;
        if (remaining > 0) {
          const want = Math.min(remaining, room - total);
          if (want < 12) break;
          const got = seg.readInto(out, total, want, position);
          const end = total + got;
          let p = total;
          let next = -1;
          let stopped = false;
          while (p + 12 <= end) {
            const size = headerSize(out, p);
            if (p + size > end) break;
            const base = headerBaseOffset(out, p);
            if (base >= limit) {
              stopped = true;
              break;
            }
            next = base + headerLastOffsetDelta(out, p) + 1;
            p += size;
          }
          const taken = p - total;
          if (taken > 0) {
            total = p;
            seg.rememberPosition(next, position + taken);
          }
          if (stopped || taken < remaining) break;
        }
        // The rest of this segment was taken (or it is empty, after compaction): go on to the next.
        if (++si >= this.segs.length) break;
        seg = this.segs[si]!;
        position = 0;
      }
    } catch (e) {
      this.readBuffers.commit(0); // the region goes back unused
      throw e;
    }
    const records = this.readBuffers.commit(total);
    return records.length === 0 ? EMPTY_RECORDS : records;
  }

  /**
   * Before a fetch's synchronous read(offset, maxBytes, minOneBatch): the file bytes it may read
   * that may not be in the page cache (older than this process, or evicted) are read off the
   * event loop into memory, where the read then finds them (see FileSegment.prefetch); null when
   * the read needs nothing of the kind.
   */
  prepareRead(offset: bigint, maxBytes: number, minOneBatch: boolean): Promise<PreparedRead> | null {
    if (this.closed) return null;
    const o = Number(offset);
    if (o < this.lso || o >= this.leo) return null;
    const budget = Math.min(Math.max(0, maxBytes), MAX_READ_BYTES);
    if (budget <= 0 && !minOneBatch) return null;
    const si = this.segmentIndexFor(o);
    const seg = this.segs[si]!;
    const indexLoaded = seg.offsetIndex.isLoaded;
    // Cold unless every byte from where locate starts scanning (a remembered batch position, or
    // the index entry at or before the offset) through the read is in the page cache or memory.
    const span = budget + this.config.indexIntervalBytes + this.stager.scratch.length;
    if (indexLoaded && this.coldPieces(si, seg.scanStart(o), span).length === 0) return null;
    return this.prefetchFor(si, o, span, minOneBatch);
  }

  /**
   * prepareRead's reads: the index if it is not in memory, the bytes from where locate starts
   * (for a consumer reading on from its last fetch, a remembered batch position: all it needs),
   * then whatever else the read needs from the batch found (a large batch skipped on the way).
   */
  private async prefetchFor(si: number, offset: number, span: number, minOneBatch: boolean): Promise<PreparedRead> {
    const seg = this.segs[si]!;
    await seg.offsetIndex.loadAsync();
    const gone = (): boolean => this.closed || this.segs[si] !== seg;
    if (gone()) return NOTHING_PREPARED;
    const first = await prefetchAll(this.coldPieces(si, seg.scanStart(offset), span));
    try {
      const loc = gone() ? null : await seg.locateOffLoop(offset);
      if (loc === null || gone()) return first;
      // What read() reads: maxBytes (or the whole first batch) from the batch, then on into the
      // next segments (plus the few KiB the check in prepareRead looks at).
      const rest = this.coldPieces(si, loc.position, minOneBatch ? Math.max(span, loc.size) : span);
      return rest.length === 0 ? first : combine(first, await prefetchAll(rest));
    } catch (e) {
      first.release();
      throw e;
    }
  }

  /** The cold parts of `length` bytes from `position` in segment `si` on (across segments, as reads go). */
  private coldPieces(si: number, position: number, length: number): ColdPiece[] {
    const pieces: ColdPiece[] = [];
    for (let i = si; i < this.segs.length && length > 0; i++, position = 0) {
      const seg = this.segs[i]!;
      const n = Math.min(length, seg.size - position);
      if (n <= 0) continue;
      const cold = seg.coldLength(position, n);
      if (cold > 0) pieces.push({ seg, position, length: cold });
      length -= n;
    }
    return pieces;
  }

  protected forEachBatch(seg: FileSegment, fromOffset: number, visit: (buf: Buffer, pos: number) => boolean): void {
    const loc = seg.locate(fromOffset);
    if (loc !== null) scanBatches(seg, loc.position, (buf, pos) => visit(buf, pos));
  }

  protected override timestampSearchStart(seg: FileSegment, timestamp: number): number {
    const rel = seg.timeIndex.lookup(timestamp);
    return rel < 0 ? seg.baseOffset : seg.baseOffset + rel;
  }

  /**
   * fsyncs everything past the recovery point and moves the recovery point to the log end
   * (synchronously when no write is in flight: startup, shutdown; otherwise after it).
   */
  flush(): void {
    this.ensureOpen();
    const active = this.active;
    if (this.segs.some((s) => s.ioInFlight)) {
      this.requestFlush(this.now());
      return;
    }
    for (const seg of this.segs) {
      if (seg === active || seg.nextOffset > this.recoveryPoint) seg.sync();
    }
    active.persistIndexes();
    this.recoveryPoint = this.leo;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.now();
  }

  /** Flushes if flush.ms has passed since the last flush (the engine's periodic task). */
  flushIfDue(nowMs: number): void {
    if (!this.closed && this.unflushedMessages > 0 && nowMs - this.lastFlushMs >= this.config.flushMs) this.requestFlush(nowMs);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.notifyClose();
      // Unlike a rolled segment, the active one gets no closing time index entry: reopening
      // recomputes its max timestamp from the index plus a scan of its tail.
      this.flush();
    } finally {
      this.closeFiles();
      this.onClosed(this);
    }
  }

  /** Closes without flushing or writing anything (the log is about to be deleted, maybe from a full disk). */
  closeForDelete(): void {
    if (this.closed) return;
    this.closed = true;
    for (const seg of this.segs) {
      try {
        seg.close(false);
      } catch {
        /* deleted next */
      }
    }
  }

  private closeFiles(): void {
    this.closed = true;
    let first: unknown;
    for (const seg of this.segs) {
      try {
        seg.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw new StorageIoError(`closing ${this.dir} failed: ${(first as Error).message}`, { cause: first });
  }
}

const CLEANED_SUFFIX = '.cleaned';
const SWAP_SUFFIX = '.swap';

/**
 * Finishes a segment replacement interrupted by a crash (Kafka's swap-file recovery): a
 * `<base>.log.swap` holds the complete new data, so the segments it covers are deleted and it
 * takes their place (its indexes are rebuilt, as missing).
 */
function completeSwaps(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) continue;
    const base = parseSegmentFileName(name.slice(0, -SWAP_SUFFIX.length));
    if (base === null) continue;
    const swapPath = join(dir, name);
    const next = nextOffsetOfFile(swapPath, base);
    for (const other of readdirSync(dir)) {
      const m = /^(\d{20})\.(log|index|timeindex)$/.exec(other);
      if (m !== null && Number(m[1]) >= base && Number(m[1]) < Math.max(next, base + 1)) unlinkSync(join(dir, other));
    }
    renameSync(swapPath, join(dir, segmentFileName(base, LOG_SUFFIX)));
  }
}

/** Offset after the last whole batch of a .log file (header reads only). */
function nextOffsetOfFile(path: string, base: number): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(BATCH_LOCATE_BYTES);
    let next = base;
    for (let pos = 0; pos + BATCH_LOCATE_BYTES <= size; ) {
      if (readSync(fd, header, 0, BATCH_LOCATE_BYTES, pos) < BATCH_LOCATE_BYTES) break;
      const len = headerSize(header, 0);
      if (len < 61 || pos + len > size) break;
      next = Math.max(next, headerBaseOffset(header, 0) + headerLastOffsetDelta(header, 0) + 1);
      pos += len;
    }
    return next;
  } finally {
    closeSync(fd);
  }
}

async function syncFiles(paths: string[]): Promise<void> {
  for (const p of paths) {
    let handle;
    try {
      handle = await openAsync(p, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile (retention, compaction)
      throw e;
    }
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }
}

export interface FileEngineOptions {
  /** log.dirs */
  logDirs: string[];
  /** Clock for segment.ms, flush.ms and retention (defaults to Date.now). */
  now?: () => number;
  /** Decompresses records for exact ListOffsets on compressed batches (default: @samsa/protocol codecs). */
  decompress?: RecordsDecompressor;
  /**
   * Period of the checkpoint task (recovery points, log start offsets, flush.ms), like Kafka's
   * log.flush.offset.checkpoint.interval.ms (60000). 0 = only at close and on checkpoint().
   */
  checkpointIntervalMs?: number;
  /**
   * Segment files kept open at most (idle ones beyond it are closed, least recently used
   * first). Default: half the process's open-files limit (RLIMIT_NOFILE).
   */
  maxOpenFiles?: number;
  /** Where recovery and write failures are logged (default: kafka.log.LogLoader on stderr). */
  logger?: Logger;
  /** How often a long recovery logs its progress (default 10 s). */
  recoveryProgressIntervalMs?: number;
}

/** What startup has to recover in one log dir after an unclean shutdown, and how far it got. */
interface RecoveryProgress {
  logDir: string;
  partitions: number;
  segmentsDone: number;
  partitionsDone: number;
  startedMs: number;
  lastReportMs: number;
}

interface KnownLog {
  logDir: string;
  topic: string;
  partition: number;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Kafka's future log directory: `<topic>-<partition>.<uniqueId>-future` (a replica moving here). */
const FUTURE_DIR = /^(.+)-(\d+)\.([0-9a-f]+)-future$/;
const FUTURE_SUFFIX = '-future';

/** A future log found at startup: a move between log dirs interrupted by a shutdown or crash. */
export interface FutureLogDir {
  logDir: string;
  path: string;
}

/** `<topic>-<partition>.<32 hex>-delete`: Kafka's name for a log being deleted. */
const DELETED_DIR = /^(.+)-(\d+)\.([0-9a-f]{32})-delete$/;

export class FileStorageEngine implements StorageEngine {
  readonly kind = 'file' as const;
  readonly logDirs: string[];
  /** This engine's read slabs and write staging (per instance: several engines may share a process). */
  readonly readBuffers = new ReadBufferPool();
  readonly stager: WriteStager;
  private readonly logger: Logger;
  private readonly progressIntervalMs: number;
  /** Per log dir, while logs left unclean remain to be opened. */
  private readonly recoveries = new Map<string, RecoveryProgress>();
  /** Keys of the logs that need recovery and are not opened yet. */
  private readonly toRecover = new Set<string>();
  private readonly now: () => number;
  private readonly decompress: RecordsDecompressor;
  private readonly open = new Map<string, FileLog>();
  private readonly known = new Map<string, KnownLog>();
  /** Keys of logs known to be cleanly closed (clean startup or closed in this process). */
  private readonly cleanLogs = new Set<string>();
  private readonly recoveryPoints = new Map<string, OffsetCheckpoint>();
  private readonly logStartOffsets = new Map<string, OffsetCheckpoint>();
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;
  /** Future logs found at startup whose partition also has its current log: the move resumes. */
  private readonly futureDirs = new Map<string, FutureLogDir>();
  /** AlterReplicaLogDirs for a partition not hosted yet: where its log will be created. */
  private readonly preferredDirs = new Map<string, string>();
  /** `-delete` directories not removed yet (their files are gone: see retireLog). */
  private readonly tombstones = new Set<string>();
  /** The `-delete` directories found at startup: deletions a crash interrupted. */
  readonly deletedAtStartup: Array<{ topic: string; partition: number; uniqueId: string }> = [];

  constructor(options: FileEngineOptions) {
    if (options.logDirs.length === 0) throw new Error('at least one log dir is required');
    this.logDirs = [...options.logDirs];
    this.now = options.now ?? Date.now;
    this.decompress = options.decompress ?? defaultDecompressor;
    this.stager = new WriteStager(new OpenFiles(options.maxOpenFiles));
    this.logger = options.logger ?? createLogger('kafka.log.LogManager');
    this.progressIntervalMs = options.recoveryProgressIntervalMs ?? 10_000;
    for (const dir of this.logDirs) this.scanLogDir(dir);
    this.resolveFutureDirs();
    const interval = options.checkpointIntervalMs ?? 60_000;
    this.timer = interval > 0 ? setInterval(() => this.periodic(), interval) : null;
    this.timer?.unref();
  }

  private scanLogDir(logDir: string): void {
    mkdirSync(logDir, { recursive: true });
    const marker = join(logDir, CLEAN_SHUTDOWN_FILE);
    const clean = existsSync(marker);
    // From here on a crash must look unclean.
    if (clean) unlinkSync(marker);
    this.recoveryPoints.set(logDir, safeReadCheckpoint(join(logDir, RECOVERY_POINT_CHECKPOINT)));
    this.logStartOffsets.set(logDir, safeReadCheckpoint(join(logDir, LOG_START_OFFSET_CHECKPOINT)));
    for (const name of readdirSync(logDir)) {
      const path = join(logDir, name);
      if (name.endsWith('-delete')) {
        // A deletion that a crash interrupted: removed by purgeDeletedLogs(), once the broker has
        // finished deleting the topic it names from the metadata (see deletedLogsAtStartup).
        const t = DELETED_DIR.exec(name);
        if (t !== null) this.deletedAtStartup.push({ topic: t[1]!, partition: Number(t[2]), uniqueId: t[3]! });
        this.tombstones.add(path);
        continue;
      }
      const future = FUTURE_DIR.exec(name);
      if (future !== null) {
        if (statSync(path).isDirectory()) this.futureDirs.set(partitionKey(future[1]!, Number(future[2])), { logDir, path });
        continue;
      }
      const m = PARTITION_DIR.exec(name);
      if (m === null || name.startsWith('.') || name.endsWith(FUTURE_SUFFIX) || !statSync(path).isDirectory()) continue;
      const topic = m[1]!;
      const partition = Number(m[2]);
      const key = partitionKey(topic, partition);
      this.known.set(key, { logDir, topic, partition });
      if (clean) this.cleanLogs.add(key);
      else this.needsRecovery(logDir, key);
    }
    const p = this.recoveries.get(logDir);
    if (p !== undefined) {
      this.logger.info(`Attempting recovery for all logs in ${logDir} since no clean shutdown file was found: recovering the segments of ${p.partitions} partitions from their recovery points`);
    }
  }

  /**
   * A future log without its current log (the crash came after the current one was renamed
   * for deletion, so the future one is complete) becomes the partition's log, as Kafka's
   * startup does. One whose current log exists is kept for the move to resume.
   */
  private resolveFutureDirs(): void {
    for (const [key, future] of [...this.futureDirs]) {
      if (this.known.has(key)) continue;
      this.futureDirs.delete(key);
      const m = FUTURE_DIR.exec(basename(future.path))!;
      const topic = m[1]!;
      const partition = Number(m[2]);
      renameSync(future.path, join(future.logDir, `${topic}-${partition}`));
      this.logger.info(`Promoted the future log ${future.path} of ${topic}-${partition}: its current log was already deleted`);
      this.known.set(key, { logDir: future.logDir, topic, partition });
      this.needsRecovery(future.logDir, key);
    }
  }

  /** A log of `logDir` left unclean: recovered when opened, counted in the dir's progress. */
  private needsRecovery(logDir: string, key: string): void {
    let p = this.recoveries.get(logDir);
    if (p === undefined) this.recoveries.set(logDir, (p = { logDir, partitions: 0, segmentsDone: 0, partitionsDone: 0, startedMs: Date.now(), lastReportMs: Date.now() }));
    p.partitions++;
    this.toRecover.add(key);
  }

  /** The configured log dir `dir` names (compared resolved), or undefined. */
  findLogDir(dir: string): string | undefined {
    const wanted = resolve(dir);
    return this.logDirs.find((d) => resolve(d) === wanted);
  }

  /** A log dir that can be written (Kafka takes a dir offline after an I/O error; here: one that is not a writable directory). */
  isLogDirOnline(logDir: string): boolean {
    try {
      accessSync(logDir, constants.W_OK | constants.X_OK);
      return statSync(logDir).isDirectory();
    } catch {
      return false;
    }
  }

  /** The log dir holding a partition's current log, if known. */
  logDirOf(topic: string, partition: number): string | undefined {
    return this.known.get(partitionKey(topic, partition))?.logDir;
  }

  /** AlterReplicaLogDirs before the partition is hosted: its log is created in `logDir`. */
  setPreferredLogDir(topic: string, partition: number, logDir: string): void {
    this.preferredDirs.set(partitionKey(topic, partition), logDir);
  }

  /** A future log found at startup for this partition (taken: the caller resumes or drops it). */
  takeFutureLogDir(topic: string, partition: number): FutureLogDir | undefined {
    const key = partitionKey(topic, partition);
    const f = this.futureDirs.get(key);
    this.futureDirs.delete(key);
    return f;
  }

  /**
   * Opens the future log of a partition moving to `logDir`: `existing` (found at startup, recovered
   * like any log after a crash) or a new `<topic>-<partition>.<uniqueId>-future` starting at
   * `logStartOffset`. It is not the partition's log until completeMove.
   */
  openFutureLog(topic: string, partition: number, logDir: string, config: LogConfig, logStartOffset: bigint, existing?: FutureLogDir): FileLog {
    this.ensureOpen();
    const path = existing?.path ?? join(logDir, `${topic}-${partition}.${randomUUID().replace(/-/g, '')}${FUTURE_SUFFIX}`);
    const load: LogLoadState = existing !== undefined ? { clean: false, recoveryPoint: null, logStartOffset: null } : { clean: true, recoveryPoint: null, logStartOffset: Number(logStartOffset) };
    const options = { now: this.now, decompress: this.decompress, readBuffers: this.readBuffers, stager: this.stager, logger: this.logger.child('kafka.log.LogLoader') };
    return new FileLog(path, topic, partition, config, options, load);
  }

  /**
   * Makes a caught-up future log the partition's log, synchronously (no append can come between):
   * both logs are closed (their appends written), the current log's directory is renamed for
   * deletion (from here a crash leaves the future log alone, which startup promotes), the future
   * directory takes the partition's name and is opened again, `swap` hands the new log to the
   * partition, and the old directory is deleted in the background.
   */
  completeMove(current: FileLog, future: FileLog, logDir: string, config: LogConfig, swap: (log: FileLog) => void): FileLog {
    const { topic, partition } = current;
    const key = partitionKey(topic, partition);
    const oldLogDir = this.known.get(key)?.logDir ?? dirname(current.dir);
    const logStartOffset = Number(future.logStartOffset);
    const recoveryPoint = Number(future.logEndOffset);
    future.close();
    // Closed before its directory is renamed: closing writes its indexes and staged appends by path.
    try {
      current.close();
    } catch (e) {
      this.logger.warn(`Closing the replaced log of ${topic}-${partition} in ${oldLogDir} failed: ${(e as Error).message}`);
    }
    const doomed = join(oldLogDir, `${topic}-${partition}.${randomUUID().replace(/-/g, '')}-delete`);
    const finalDir = join(logDir, `${topic}-${partition}`);
    renameSync(current.dir, doomed);
    renameSync(future.dir, finalDir);
    const options = { now: this.now, decompress: this.decompress, readBuffers: this.readBuffers, stager: this.stager, logger: this.logger.child('kafka.log.LogLoader') };
    const moved = new FileLog(finalDir, topic, partition, config, options, { clean: true, recoveryPoint, logStartOffset }, (l) => this.logClosed(logDir, key, l));
    this.open.set(key, moved);
    this.known.set(key, { logDir, topic, partition });
    this.recoveryPoints.get(oldLogDir)!.delete(key);
    this.logStartOffsets.get(oldLogDir)!.delete(key);
    swap(moved);
    void current.whenWritten().then(() => rm(doomed, { recursive: true, force: true })).catch((e: unknown) => this.logger.warn(`Could not delete ${doomed}: ${(e as Error).message}`));
    try {
      this.checkpoint();
    } catch (e) {
      this.logger.warn(`Could not write checkpoints after moving ${topic}-${partition}: ${(e as Error).message}`);
    }
    return moved;
  }

  /** Drops a future log (the move was cancelled, or its partition is no longer hosted here). */
  deleteFutureLog(future: FileLog): void {
    future.closeForDelete();
    rmSync(future.dir, { recursive: true, force: true });
  }

  /** A log of `logDir` finished recovering a segment (or deleting one); `partitionDone` when the log is open. */
  private recoveryStep(logDir: string, partitionDone: boolean): void {
    const p = this.recoveries.get(logDir);
    if (p === undefined) return;
    if (partitionDone) p.partitionsDone++;
    else p.segmentsDone++;
    const now = Date.now();
    if (p.partitionsDone >= p.partitions) {
      this.logger.info(`Recovered ${p.segmentsDone} segments of ${p.partitions} partitions in ${logDir} in ${now - p.startedMs} ms`);
      this.recoveries.delete(logDir);
      return;
    }
    if (now - p.lastReportMs >= this.progressIntervalMs) {
      p.lastReportMs = now;
      this.logger.info(`Recovering ${p.partitions} partitions in ${logDir}: ${p.partitionsDone} done (${Math.floor((100 * p.partitionsDone) / p.partitions)}%), ${p.segmentsDone} segments recovered so far`);
    }
  }

  openLog(topic: string, partition: number, config: LogConfig): PartitionLog {
    this.ensureOpen();
    checkTopicName(topic);
    const key = partitionKey(topic, partition);
    const existing = this.open.get(key);
    if (existing !== undefined) {
      existing.updateConfig(config);
      return existing;
    }
    const logDir = this.known.get(key)?.logDir ?? this.preferredDirs.get(key) ?? this.chooseLogDir();
    this.preferredDirs.delete(key);
    const load: LogLoadState = {
      clean: this.cleanLogs.has(key),
      recoveryPoint: this.recoveryPoints.get(logDir)!.get(key) ?? null,
      logStartOffset: this.logStartOffsets.get(logDir)!.get(key) ?? null,
    };
    const recovering = this.toRecover.delete(key);
    const options = {
      now: this.now, decompress: this.decompress, readBuffers: this.readBuffers, stager: this.stager,
      logger: this.logger.child('kafka.log.LogLoader'), onSegmentRecovered: () => this.recoveryStep(logDir, false),
    };
    const dir = join(logDir, `${topic}-${partition}`);
    const isNew = !this.known.has(key);
    let log: FileLog;
    try {
      log = new FileLog(dir, topic, partition, config, options, load, (l) => this.logClosed(logDir, key, l));
    } catch (e) {
      // A log that could not be created leaves nothing behind (EMFILE, ENOSPC, EACCES part-way).
      if (isNew) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    if (recovering) this.recoveryStep(logDir, true);
    this.cleanLogs.delete(key);
    this.open.set(key, log);
    this.known.set(key, { logDir, topic, partition });
    return log;
  }

  private logClosed(logDir: string, key: string, log: FileLog): void {
    if (this.open.get(key) !== log) return;
    this.open.delete(key);
    this.cleanLogs.add(key);
    this.recoveryPoints.get(logDir)!.set(key, log.recoveryPoint);
    this.logStartOffsets.get(logDir)!.set(key, Number(log.logStartOffset));
  }

  /** Kafka places a new partition in the log dir holding the fewest partitions. */
  private chooseLogDir(): string {
    if (this.logDirs.length === 1) return this.logDirs[0]!;
    const counts = new Map(this.logDirs.map((d) => [d, 0]));
    for (const k of this.known.values()) counts.set(k.logDir, (counts.get(k.logDir) ?? 0) + 1);
    let best = this.logDirs[0]!;
    for (const d of this.logDirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  existingLogs(): Array<{ topic: string; partition: number }> {
    return [...this.known.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The open log of a topic-partition, if any. */
  getLog(topic: string, partition: number): FileLog | undefined {
    return this.open.get(partitionKey(topic, partition));
  }

  deleteLog(topic: string, partition: number): void {
    const tombstone = this.retireLog(topic, partition, randomUUID().replace(/-/g, ''));
    if (tombstone === null) return;
    rmSync(tombstone, { recursive: true, force: true });
    this.tombstones.delete(tombstone);
  }

  /**
   * The first, durable step of a deletion that needs no free space: closes the log, renames its
   * directory to `<topic>-<partition>.<uniqueId>-delete` (Kafka's name; a rename allocates no
   * data blocks) and removes the files in it, which frees their space. The empty directory
   * stays as the record that the deletion happened until purgeDeletedLogs(): a crash before the
   * metadata is written finishes the deletion at startup instead of bringing the topic back
   * empty. Returns the renamed directory (null: no such log).
   */
  retireLog(topic: string, partition: number, uniqueId: string): string | null {
    const key = partitionKey(topic, partition);
    const future = this.futureDirs.get(key);
    if (future !== undefined) {
      this.futureDirs.delete(key);
      rmSync(future.path, { recursive: true, force: true });
    }
    if (this.toRecover.delete(key)) this.recoveryStep(this.known.get(key)!.logDir, true);
    const log = this.open.get(key);
    if (log !== undefined) {
      this.open.delete(key);
      log.closeForDelete();
    }
    const known = this.known.get(key);
    if (known === undefined) return null;
    const dir = join(known.logDir, `${topic}-${partition}`);
    const doomed = join(known.logDir, `${topic}-${partition}.${uniqueId}-delete`);
    let renamed = false;
    try {
      if (existsSync(dir)) {
        renameSync(dir, doomed);
        renamed = true;
        this.tombstones.add(doomed);
        for (const name of readdirSync(doomed)) rmSync(join(doomed, name), { recursive: true, force: true });
      }
    } catch (e) {
      if (!renamed) throw new StorageIoError(`cannot delete ${dir}: ${(e as Error).message}`, { cause: e });
      // Renamed: the deletion stands; what is left goes with purgeDeletedLogs() or at the next start.
    }
    this.known.delete(key);
    this.cleanLogs.delete(key);
    this.recoveryPoints.get(known.logDir)!.delete(key);
    this.logStartOffsets.get(known.logDir)!.delete(key);
    return renamed ? doomed : null;
  }

  /** Removes the `-delete` directories (retired logs, and those found at startup) until `stop()`; true when none is left. */
  purgeDeletedLogs(stop: () => boolean = () => false): boolean {
    for (const dir of [...this.tombstones]) {
      if (stop()) return false;
      try {
        rmSync(dir, { recursive: true, force: true });
        this.tombstones.delete(dir);
      } catch (e) {
        this.tombstones.delete(dir); // left for the next start, which removes it
        this.logger.warn(`Could not remove ${dir}: ${(e as Error).message}`);
      }
    }
    return true;
  }

  /** Bytes of records a log holds on disk (its .log files), without opening it. */
  logBytesOnDisk(topic: string, partition: number): number {
    const known = this.known.get(partitionKey(topic, partition));
    if (known === undefined) return 0;
    const dir = join(known.logDir, `${topic}-${partition}`);
    let bytes = 0;
    for (const name of readdirSync(dir)) if (name.endsWith(LOG_SUFFIX)) bytes += statSync(join(dir, name)).size;
    return bytes;
  }

  /** The connections' durability barrier: staged appends written to the page cache (see WriteStager). */
  durabilityBarrier(): Error | null | Promise<Error | null> {
    return this.stager.durabilityBarrier();
  }

  /** Resolves when no append is staged or being written. */
  whenWritesDone(): Promise<void> {
    return this.stager.whenIdle();
  }

  /** Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint in every log dir. */
  checkpoint(): void {
    for (const [key, log] of this.open) {
      const logDir = this.known.get(key)!.logDir;
      this.recoveryPoints.get(logDir)!.set(key, log.recoveryPoint);
      this.logStartOffsets.get(logDir)!.set(key, Number(log.logStartOffset));
    }
    for (const logDir of this.logDirs) {
      try {
        writeCheckpoint(join(logDir, RECOVERY_POINT_CHECKPOINT), this.recoveryPoints.get(logDir)!);
        writeCheckpoint(join(logDir, LOG_START_OFFSET_CHECKPOINT), this.logStartOffsets.get(logDir)!);
      } catch (e) {
        throw new StorageIoError(`cannot write checkpoints in ${logDir}: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  private periodic(): void {
    if (this.closed) return;
    try {
      const nowMs = this.now();
      for (const log of this.open.values()) log.flushIfDue(nowMs);
      this.checkpoint();
    } catch {
      // The next round retries; appends report their own I/O errors.
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    let failure: unknown;
    for (const log of [...this.open.values()]) {
      try {
        log.close();
      } catch (e) {
        failure ??= e;
      }
    }
    this.checkpoint();
    if (failure !== undefined) throw failure;
    for (const logDir of this.logDirs) writeFileSync(join(logDir, CLEAN_SHUTDOWN_FILE), '{"version":0,"brokerEpoch":-1}');
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageIoError('storage engine is closed');
  }
}

function safeReadCheckpoint(path: string): OffsetCheckpoint {
  try {
    return readCheckpoint(path);
  } catch {
    return new Map(); // unreadable: recover everything rather than refuse to start
  }
}

/** Topic names become directory names: refuse what could escape the log dir. */
function checkTopicName(topic: string): void {
  if (topic.length === 0 || topic === '.' || topic === '..' || /[/\\\0 ]/.test(topic)) throw new StorageIoError(`illegal topic name for a log directory: ${JSON.stringify(topic)}`);
}

interface ColdPiece {
  seg: FileSegment;
  position: number;
  length: number;
}

const NOTHING_PREPARED: PreparedRead = { bytes: 0, release: () => {} };

/** Prefetches every piece; on a failure the others are given back and the failure thrown. */
async function prefetchAll(pieces: readonly ColdPiece[]): Promise<PreparedRead> {
  const results = await Promise.allSettled(pieces.map((p) => p.seg.prefetch(p.position, p.length)));
  const held: Array<{ seg: FileSegment; range: PrefetchedRange }> = [];
  let failure: unknown = null;
  results.forEach((r, i) => {
    if (r.status === 'rejected') failure ??= r.reason;
    else if (r.value !== null) held.push({ seg: pieces[i]!.seg, range: r.value });
  });
  let released = false;
  const prepared: PreparedRead = {
    bytes: held.reduce((n, h) => n + h.range.length, 0),
    release: () => {
      if (released) return;
      released = true;
      for (const h of held) h.seg.dropPrefetched(h.range);
    },
  };
  if (failure !== null) {
    prepared.release();
    throw failure;
  }
  return prepared;
}

function combine(a: PreparedRead, b: PreparedRead): PreparedRead {
  return {
    bytes: a.bytes + b.bytes,
    release: () => {
      a.release();
      b.release();
    },
  };
}
