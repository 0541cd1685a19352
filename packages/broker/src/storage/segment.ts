/**
 * One log segment on disk: `<20-digit base offset>.log` plus its `.index` and `.timeindex`
 * (Kafka's LogSegment). The .log holds v2 batches back to back, exactly as appended.
 */
import { closeSync, constants, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, unlinkSync, writevSync, writeSync } from 'node:fs';
import { unlink as unlinkAsync } from 'node:fs/promises';
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
/** Suffix of a segment file scheduled for deletion (Kafka's LogFileUtils.DELETED_FILE_SUFFIX). */
export const DELETED_SUFFIX = '.deleted';

// ---- Coalesced appends ----------------------------------------------------------------------
// A write syscall costs ~11 µs on top of the copy, so one 16 KiB write per produced batch halves
// what the disk path could do. Appends are therefore staged (copied into a 64 KiB buffer per
// segment) and written when it fills or at the end of the event-loop turn. The staged bytes must reach the page
// cache before any response acknowledging them leaves the process (acks=1 survives a SIGKILL):
// the connection calls its durability barrier (the engine's WriteStager.flushPendingWrites) before
// its end-of-turn uncork and before writing outside the turn's cork; a setImmediate flush covers
// appends made without a connection. Reads,
// fsyncs, truncation, rolls and close of a segment write its staged bytes first.

/** Appends at least this large are written directly (no gain in coalescing them). */
const DIRECT_WRITE_BYTES = 64 * 1024;
/**
 * Size of a segment's staging buffer: a write of 64 KiB costs about half as much per byte as
 * four of 16 KiB, and a small buffer reused at once stays in the CPU cache (staging a whole
 * turn's appends in a large slab made the copies and the write slower than unstaged writes).
 */
const STAGING_BYTES = 64 * 1024;
const MAX_POOLED_STAGING = 16;

/**
 * The write staging of one storage engine instance (never module state: several brokers may
 * share a process). Holds the segments with staged appends, the staging buffers for reuse, a
 * write failure of the current event-loop turn, and the engine's scan buffer.
 */
export class WriteStager {
  /** Staging buffers returned by segments after their write, reused (fresh memory page-faults). */
  private readonly stagingPool: Buffer[] = [];
  private readonly segmentsWithPending = new Set<FileSegment>();
  private flushScheduled = false;
  /** A staged write that failed during the current event-loop turn (see flushPendingWrites). */
  private failureThisTurn: Error | null = null;
  /** Scan buffer for locating batches (the engine's reads are synchronous). */
  readonly scratch = Buffer.allocUnsafeSlow(16 * 1024);
  private readonly flushAtEndOfTurn = (): void => {
    this.flushScheduled = false;
    this.flushPendingWrites();
  };

  /**
   * Writes every staged append to its segment file (page cache). Never throws: a segment whose
   * write fails is marked failed (its later operations throw StorageIoError) and returned. This
   * is the durability barrier connections call before a response leaves.
   */
  flushPendingWrites(): Error | null {
    if (this.segmentsWithPending.size === 0) return this.failureThisTurn;
    let failure: Error | null = null;
    for (const seg of this.segmentsWithPending) {
      try {
        seg.flushPending();
      } catch (e) {
        failure ??= e as Error;
      }
    }
    this.segmentsWithPending.clear();
    if (failure !== null && this.failureThisTurn === null) {
      // Every connection answering in this turn may hold an acknowledgement of the lost bytes,
      // not only the one whose call hit the error: report it to all of them until the turn ends.
      this.failureThisTurn = failure;
      setImmediate(() => {
        this.failureThisTurn = null;
      });
    }
    return failure ?? this.failureThisTurn;
  }

  /** A segment has staged bytes: written at the latest when this event-loop turn ends. */
  staged(seg: FileSegment): void {
    if (this.segmentsWithPending.has(seg)) return;
    this.segmentsWithPending.add(seg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAtEndOfTurn);
    }
  }

  forget(seg: FileSegment): void {
    this.segmentsWithPending.delete(seg);
  }

  takeStagingBuffer(): Buffer {
    return this.stagingPool.pop() ?? Buffer.allocUnsafeSlow(STAGING_BYTES);
  }

  giveBackStagingBuffer(buf: Buffer): void {
    if (this.stagingPool.length < MAX_POOLED_STAGING) this.stagingPool.push(buf);
  }
}

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
  /** Appended bytes not yet written; the file holds size - pendingBytes bytes. */
  private staging: Buffer | null = null;
  private pendingBytes = 0;
  /** Set when a deferred write failed: the in-memory state is ahead of the file. */
  private failure: Error | null = null;
  // Where the batch starting at a given offset sits: filled by appends and reads, so a consumer
  // fetching from where its last fetch ended finds its position without an index lookup.
  private readonly cacheOffsets = new Array<number>(POSITION_CACHE).fill(-1);
  private readonly cachePositions = new Array<number>(POSITION_CACHE).fill(0);
  private cacheNext = 0;

  private constructor(
    private readonly stager: WriteStager,
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

  static create(stager: WriteStager, dir: string, baseOffset: number, nowMs: number, maxIndexBytes: number): FileSegment {
    const logPath = join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const fd = openSync(logPath, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      const offsetIndex = OffsetIndex.create(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)), maxIndexBytes);
      const timeIndex = TimeIndex.create(join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)), maxIndexBytes);
      return new FileSegment(stager, dir, baseOffset, fd, 0, offsetIndex, timeIndex, nowMs);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Opens an existing segment. `indexesValid` is false when an index file is missing or has a
   * torn size: the caller must rebuild the indexes (recover the segment).
   */
  static open(stager: WriteStager, dir: string, baseOffset: number, maxIndexBytes: number): { segment: FileSegment; indexesValid: boolean } {
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
      const segment = new FileSegment(stager, dir, baseOffset, fd, st.size, offsetIndex, timeIndex, st.mtimeMs);
      return { segment, indexesValid };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Appends `data` at the end of the .log: staged and written with the other appends of this
   * event-loop turn (see flushPendingWrites), or at once when large. The caller then adds
   * data.length to `size`.
   */
  write(data: Buffer): void {
    if (this.failure !== null) throw this.failedError();
    if (this.pendingBytes + data.length > STAGING_BYTES) this.flushPending();
    if (data.length >= DIRECT_WRITE_BYTES) {
      this.writeNow([data], this.size, data.length);
      return;
    }
    if (this.staging === null) this.staging = this.stager.takeStagingBuffer();
    data.copy(this.staging, this.pendingBytes);
    this.pendingBytes += data.length;
    this.stager.staged(this);
  }

  /** Writes the staged appends (one write). Throws StorageIoError if that fails. */
  flushPending(): void {
    if (this.pendingBytes === 0) {
      if (this.failure !== null) throw this.failedError();
      return;
    }
    const staging = this.staging!;
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    try {
      this.writeNow([staging.subarray(0, bytes)], this.size - bytes, bytes);
    } catch (e) {
      this.failure = e as Error;
      throw e;
    } finally {
      this.releaseStaging();
    }
  }

  private releaseStaging(): void {
    if (this.staging !== null) this.stager.giveBackStagingBuffer(this.staging);
    this.staging = null;
  }

  private failedError(): StorageIoError {
    return new StorageIoError(`an earlier write to ${this.logPath} failed: ${this.failure!.message}`, { cause: this.failure });
  }

  private writeNow(bufs: Buffer[], position: number, bytes: number): void {
    let done = 0;
    try {
      if (bufs.length === 1) {
        const data = bufs[0]!;
        while (done < bytes) done += writeSync(this.fd, data, done, bytes - done, position + done);
      } else {
        let rest = bufs;
        while (done < bytes) {
          const n = writevSync(this.fd, rest, position + done);
          done += n;
          if (done < bytes) rest = dropBytes(rest, n);
        }
      }
    } catch (e) {
      // Leave no partial batch behind (best effort; recovery would truncate it anyway).
      try {
        ftruncateSync(this.fd, position);
      } catch {
        /* the original error matters more */
      }
      throw new StorageIoError(`write to ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Reads exactly `length` bytes at `position` into buf[offset...] (fewer only at end of file). */
  readInto(buf: Buffer, offset: number, length: number, position: number): number {
    if (this.pendingBytes > 0 || this.failure !== null) this.flushPending();
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
    const scratch = this.stager.scratch;
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
    this.flushPending();
    ftruncateSync(this.fd, size);
    this.size = size;
    this.cacheOffsets.fill(-1);
  }

  sync(): void {
    this.flushPending();
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
    let failure: unknown;
    try {
      this.flushPending();
    } catch (e) {
      failure = e;
    }
    this.stager.forget(this);
    this.closeIndexes();
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    if (failure !== undefined) throw failure;
  }

  /** Drops staged appends that will never be read (the segment is being deleted). */
  private discardPending(): void {
    this.pendingBytes = 0;
    this.releaseStaging();
    this.stager.forget(this);
  }

  private closeForDelete(): void {
    this.discardPending();
    try {
      this.close();
    } catch {
      /* deleting anyway */
    }
  }

  /** Closes and unlinks the segment's files. */
  delete(): void {
    this.closeForDelete();
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      try {
        unlinkSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new StorageIoError(`cannot delete ${p}`, { cause: e });
      }
    }
  }

  /**
   * Closes the segment, renames its files to `.deleted` and unlinks them off the event loop
   * (Kafka's asyncDeleteSegment): freeing 64 MiB of page cache takes milliseconds of kernel time.
   * Startup removes `.deleted` files a crash left behind.
   */
  deleteAsync(): void {
    this.closeForDelete();
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) {
      const doomed = p + DELETED_SUFFIX;
      try {
        renameSync(p, doomed);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new StorageIoError(`cannot delete ${p}`, { cause: e });
      }
      unlinkAsync(doomed).catch(() => {
        /* gone already, or removed at the next startup */
      });
    }
  }
}

/** The iovecs left after the first `n` bytes of `bufs` were written. */
function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
