/**
 * One log segment on disk: `<20-digit base offset>.log` plus its `.index` and `.timeindex`
 * (Kafka's LogSegment). The .log holds v2 batches back to back, exactly as appended.
 */
import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_LOCATE_BYTES, MIN_BATCH_LENGTH, headerBaseOffset, headerLastOffsetDelta, headerSize } from './batch-util.js';
import { StorageIoError } from './errors.js';
import { OffsetIndex } from './offset-index.js';
import type { SegmentState } from './segmented-log.js';
import { TimeIndex } from './time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

/** Kafka's file name for a segment: the base offset zero-padded to 20 digits. */
export const segmentFileName = (baseOffset: number, suffix: string): string => String(baseOffset).padStart(20, '0') + suffix;

const SEGMENT_FILE = /^(\d{20})\.log$/;
export const parseSegmentFileName = (name: string): number | null => {
  const m = SEGMENT_FILE.exec(name);
  return m === null ? null : Number(m[1]);
};

const POSITION_CACHE = 8;
/** Scan buffer for locating batches (one per process: the engine is synchronous). */
const scratch = Buffer.allocUnsafeSlow(16 * 1024);

export class FileSegment implements SegmentState {
  nextOffset: number;
  size: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  rollingBasedTimestamp = -1;
  lastModifiedMs: number;
  bytesSinceLastIndexEntry = 0;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  fd: number;
  // Where the batch starting at a given offset sits: filled by appends and reads, so a consumer
  // fetching from where its last fetch ended finds its position without an index lookup.
  private readonly cacheOffsets = new Array<number>(POSITION_CACHE).fill(-1);
  private readonly cachePositions = new Array<number>(POSITION_CACHE).fill(0);
  private cacheNext = 0;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    fd: number,
    size: number,
    offsetIndex: OffsetIndex,
    timeIndex: TimeIndex,
    readonly createdMs: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.nextOffset = baseOffset;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.lastModifiedMs = createdMs;
  }

  get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX));
  }
  get indexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, INDEX_SUFFIX));
  }
  get timeIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX));
  }

  static create(dir: string, baseOffset: number, nowMs: number, maxIndexBytes: number): FileSegment {
    const logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const fd = openSync(logPath, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      const offsetIndex = OffsetIndex.create(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)), maxIndexBytes);
      const timeIndex = TimeIndex.create(join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)), maxIndexBytes);
      return new FileSegment(dir, baseOffset, fd, 0, offsetIndex, timeIndex, nowMs);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Opens an existing segment. `indexesValid` is false when an index file is missing or has a
   * torn size: the caller must rebuild the indexes (recover the segment).
   */
  static open(dir: string, baseOffset: number, maxIndexBytes: number): { segment: FileSegment; indexesValid: boolean } {
    const logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const fd = openSync(logPath, constants.O_RDWR);
    try {
      const st = fstatSync(fd);
      const indexPath = join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
      const timeIndexPath = join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
      let offsetIndex = existsSync(indexPath) ? OffsetIndex.open(indexPath, maxIndexBytes) : null;
      let timeIndex = existsSync(timeIndexPath) ? TimeIndex.open(timeIndexPath, maxIndexBytes) : null;
      let indexesValid = offsetIndex !== null && timeIndex !== null;
      const last = offsetIndex?.lastEntry() ?? null;
      if (last !== null && (last.relativeOffset < 0 || last.position < 0 || last.position >= st.size)) indexesValid = false;
      offsetIndex ??= OffsetIndex.create(indexPath, maxIndexBytes);
      timeIndex ??= TimeIndex.create(timeIndexPath, maxIndexBytes);
      const segment = new FileSegment(dir, baseOffset, fd, st.size, offsetIndex, timeIndex, st.mtimeMs);
      return { segment, indexesValid };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Writes all of `data` at the end of the .log (one write syscall in the common case). */
  write(data: Buffer): void {
    let done = 0;
    try {
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.size + done);
    } catch (e) {
      // Leave no partial batch behind (best effort; recovery would truncate it anyway).
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        /* the original error matters more */
      }
      throw new StorageIoError(`write to ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Reads exactly `length` bytes at `position` into buf[offset...] (fewer only at end of file). */
  readInto(buf: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd, buf, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (e) {
      throw new StorageIoError(`read of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
    return done;
  }

  rememberPosition(offset: number, position: number): void {
    const i = this.cacheOffsets.indexOf(offset);
    if (i >= 0) {
      this.cachePositions[i] = position;
      return;
    }
    this.cacheOffsets[this.cacheNext] = offset;
    this.cachePositions[this.cacheNext] = position;
    this.cacheNext = (this.cacheNext + 1) % POSITION_CACHE;
  }

  /**
   * The batch containing `offset`, or the first batch after it: its file position and size.
   * null when the segment has no batch with lastOffset >= offset.
   */
  locate(offset: number): { position: number; size: number } | null {
    if (offset >= this.nextOffset) return null;
    const cached = this.cacheOffsets.indexOf(offset);
    let pos = cached >= 0 ? this.cachePositions[cached]! : this.offsetIndex.lookup(offset - this.baseOffset);
    while (pos < this.size) {
      const n = this.readInto(scratch, 0, Math.min(scratch.length, this.size - pos), pos);
      let p = 0;
      while (p + BATCH_LOCATE_BYTES <= n) {
        const size = headerSize(scratch, p);
        if (size < MIN_BATCH_LENGTH + 12) throw new StorageIoError(`corrupt batch header in ${this.logPath} at ${pos + p}`);
        if (headerBaseOffset(scratch, p) + headerLastOffsetDelta(scratch, p) >= offset) return { position: pos + p, size };
        p += size;
      }
      if (n < BATCH_LOCATE_BYTES) break;
      pos += p;
    }
    return null;
  }

  /** Moves the end of the .log back to `size` bytes. */
  truncateTo(size: number): void {
    ftruncateSync(this.fd, size);
    this.size = size;
    this.cacheOffsets.fill(-1);
  }

  sync(): void {
    try {
      fdatasyncSync(this.fd);
    } catch (e) {
      throw new StorageIoError(`fsync of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Writes pending index entries and keeps the index fds open (active segment). */
  persistIndexes(): void {
    this.offsetIndex.persist();
    this.timeIndex.persist();
  }

  /** Releases the index fds of a segment that will no longer be appended to. */
  closeIndexes(): void {
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  close(): void {
    this.closeIndexes();
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  /** Closes and unlinks the segment's files. */
  delete(): void {
    try {
      this.close();
    } catch {
      /* deleting anyway */
    }
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        unlinkSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StorageIoError(`cannot delete ${p}`, { cause: e });
      }
    }
  }
}
