/**
 * One log segment on disk: `<20-digit base offset>.log` plus its `.index` and `.timeindex`
 * (Kafka's LogSegment). The .log holds v2 batches back to back, exactly as appended.
 */
import { closeSync, constants, existsSync, fdatasyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { fdatasync, read as readAsync, writev } from 'node:fs';
import { unlink as unlinkAsync } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_LOCATE_BYTES, MIN_BATCH_LENGTH, headerBaseOffset, headerLastOffsetDelta, headerSize } from './batch-util.js';
import { StorageIoError } from './errors.js';
import { OffsetIndex } from './offset-index.js';
import { OpenFiles, type OpenFileOwner } from './open-files.js';
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

// ---- Asynchronous, coalesced appends ---------------------------------------------------------
// Appends are copied into 64 KiB staging buffers of their segment and written off the event
// loop (libuv's thread pool, one writev per segment per round): the event loop never waits for
// a write. While a segment's write is in flight, later appends accumulate and leave together in
// the next writev (group commit). Reads of bytes not yet in the file are served from the staging
// buffers, so an append is readable at once.
// The bytes must reach the page cache before any response acknowledging them leaves the process
// (acks=1 survives a SIGKILL): connections call the engine's durability barrier, which starts
// the writes of everything staged and resolves when they are done (and fsynced, when a flush
// policy asked for it: flush.messages / flush.ms become one fdatasync per write round).
// Rare operations that need the file itself (truncation, close, fsync at shutdown) are ordered
// after an in-flight write; nothing else touches a segment's descriptor meanwhile.

/**
 * Size of a staging buffer: a write of 64 KiB costs about half as much per byte as four of
 * 16 KiB, and a small buffer reused at once stays in the CPU cache. Larger appends span several.
 */
const STAGING_BYTES = 64 * 1024;
/** Staging buffers kept for reuse per engine (fresh memory page-faults): 64 MiB at most. */
const MAX_POOLED_STAGING = 1024;
/**
 * Appends the caller keeps intact until written (`retained`) are written from the caller's
 * memory when at least this large, not copied into staging: a copy costs as much as the
 * kernel's own copy into the page cache; smaller ones are copied, so a writev is not made of
 * many tiny pieces.
 */
const MIN_UNCOPIED_APPEND = 8 * 1024;

// ---- Reads that may miss the page cache ------------------------------------------------------
// A synchronous read of bytes not in the page cache stalls every connection for the disk's
// latency, and even a read just after the bytes were brought in on the thread pool may do the
// kernel's read-ahead for the next window on the event loop. So a fetch of data that may be cold
// reads it off the event loop into memory first (FileSegment.prefetch), and the synchronous read
// copies it from there without touching the file.

/** Size of one pread of a cold read (and of its pooled buffers): bounds how long it holds a pool thread. */
const COLD_READ_CHUNK = 1024 * 1024;
/** Cold-read chunk buffers kept for reuse per engine. */
const MAX_POOLED_COLD_CHUNKS = 16;
/**
 * Cold preads in flight at once per engine: libuv's pool has 4 threads (UV_THREADPOOL_SIZE), and
 * segment writes must always find one free.
 */
export const COLD_READ_SLOTS = 2;
/**
 * A synchronous read of bytes this process appended that takes longer than this while the
 * process reads blocks from the disk went to the disk: the kernel evicted them, and the segment
 * treats what it holds so far as cold.
 */
const SLOW_SYNC_READ_MS = 1;

/** Where a batch sits in its segment's file. */
export interface BatchLocation {
  position: number;
  size: number;
}

/** File bytes read off the event loop for a read about to run: file[position, position + length) in COLD_READ_CHUNK pieces. */
export interface PrefetchedRange {
  readonly position: number;
  readonly length: number;
  readonly chunks: readonly Buffer[];
}

/**
 * The write staging of one storage engine instance (never module state: several brokers may
 * share a process). Holds the segments with staged appends, the staging buffers for reuse, a
 * write failure of the current event-loop turn, and the engine's scan buffer.
 */
export class WriteStager {
  private readonly stagingPool: Buffer[] = [];
  /** Every staging buffer this stager made: only they go back to the pool (written-from caller memory does not). */
  private readonly stagingBuffers = new WeakSet<Buffer>();
  private readonly coldChunks: Buffer[] = [];
  private coldReadsRunning = 0;
  private readonly coldReadQueue: Array<(done: () => void) => void> = [];
  /** How cold reads reach the file: fs.read (tests inject a slower one to hold pool threads). */
  readFile: typeof readAsync = readAsync;
  /** Cold preads started so far (diagnostics, tests). */
  coldReads = 0;
  /** Cold-read chunk buffers allocated because none was free (diagnostics, tests). */
  coldChunksAllocated = 0;
  /** The engine's open segment descriptors (opened lazily, least recently used closed first). */
  readonly openFiles: OpenFiles;
  /** Segments with appends not yet in the file (staged or being written). */
  private readonly segmentsWithPending = new Set<FileSegment>();
  private startScheduled = false;
  /** A write that failed during the current event-loop turn (reported to every barrier of the turn). */
  private failureThisTurn: Error | null = null;
  /** Scan buffer for locating batches (the engine's reads are synchronous). */
  readonly scratch = Buffer.allocUnsafeSlow(16 * 1024);
  /** Bytes staged or being written, across segments (diagnostics, backpressure). */
  unwrittenBytes = 0;
  private readonly startAtEndOfTurn = (): void => {
    this.startScheduled = false;
    this.startWrites();
  };

  constructor(openFiles: OpenFiles = new OpenFiles()) {
    this.openFiles = openFiles;
  }

  /** Starts the writes of every staged append (they complete on the thread pool). */
  startWrites(): void {
    for (const seg of this.segmentsWithPending) seg.startWrite();
  }

  /**
   * The durability barrier a connection passes before its responses leave: null when every
   * append is in the page cache, a Promise that resolves (with null, or the Error of a failed
   * write) once the appends made so far are, or the failure of this turn.
   */
  durabilityBarrier(): Error | null | Promise<Error | null> {
    if (this.segmentsWithPending.size === 0) return this.failureThisTurn;
    const waits: Array<Promise<Error | null>> = [];
    for (const seg of this.segmentsWithPending) {
      const w = seg.whenWritten();
      if (w !== null) waits.push(w);
    }
    if (waits.length === 0) return this.failureThisTurn;
    return Promise.all(waits).then((errors) => errors.find((e) => e !== null) ?? null);
  }

  /** Resolves when nothing is staged or in flight (shutdown, tests). */
  async whenIdle(): Promise<void> {
    while (this.segmentsWithPending.size > 0) {
      const b = this.durabilityBarrier();
      if (b instanceof Promise) await b;
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** A segment has appends to write: started at the latest when this event-loop turn ends. */
  staged(seg: FileSegment): void {
    this.segmentsWithPending.add(seg);
    if (!this.startScheduled) {
      this.startScheduled = true;
      setImmediate(this.startAtEndOfTurn);
    }
  }

  /** A segment has nothing left to write (or is closed). */
  settled(seg: FileSegment): void {
    this.segmentsWithPending.delete(seg);
    if (this.segmentsWithPending.size === 0) this.openFiles.trim();
  }

  writeFailed(failure: Error): void {
    if (this.failureThisTurn !== null) return;
    // Every connection answering in this turn may hold an acknowledgement of the lost bytes.
    this.failureThisTurn = failure;
    setImmediate(() => {
      this.failureThisTurn = null;
    });
  }

  /** A COLD_READ_CHUNK buffer for a read off the event loop (see FileSegment.prefetch). */
  takeColdChunk(): Buffer {
    const free = this.coldChunks.pop();
    if (free !== undefined) return free;
    this.coldChunksAllocated++;
    return Buffer.allocUnsafeSlow(COLD_READ_CHUNK);
  }

  giveBackColdChunk(buf: Buffer): void {
    if (this.coldChunks.length < MAX_POOLED_COLD_CHUNKS) this.coldChunks.push(buf);
  }

  /**
   * Runs `read` (one pread on libuv's thread pool) when fewer than COLD_READ_SLOTS of them are
   * in flight, else after the earlier ones: a disk read holds a pool thread for milliseconds,
   * and segment writes (whose acknowledgements producers wait for) share the same 4 threads.
   */
  coldRead(read: (done: () => void) => void): void {
    this.coldReads++;
    if (this.coldReadsRunning >= COLD_READ_SLOTS) {
      this.coldReadQueue.push(read);
      return;
    }
    this.coldReadsRunning++;
    read(this.coldReadDone);
  }

  private readonly coldReadDone = (): void => {
    const next = this.coldReadQueue.shift();
    if (next !== undefined) next(this.coldReadDone);
    else this.coldReadsRunning--;
  };

  takeStagingBuffer(): Buffer {
    const reused = this.stagingPool.pop();
    if (reused !== undefined) return reused;
    const fresh = Buffer.allocUnsafeSlow(STAGING_BYTES);
    this.stagingBuffers.add(fresh);
    return fresh;
  }

  /** Takes back a staging buffer once written or dropped; a caller's retained buffer is ignored. */
  giveBackStagingBuffer(buf: Buffer): void {
    if (this.stagingPool.length < MAX_POOLED_STAGING && this.stagingBuffers.has(buf)) this.stagingPool.push(buf);
  }
}

/** A waiter on a segment's writes: resolved once the file holds `target` bytes (fsynced if asked). */
interface WriteWaiter {
  target: number;
  fsync: boolean;
  resolve: (e: Error | null) => void;
}

export class FileSegment implements SegmentState, OpenFileOwner {
  nextOffset: number;
  size: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  rollingBasedTimestamp = -1;
  lastModifiedMs: number;
  bytesSinceLastIndexEntry = 0;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  /** The .log descriptor, -1 while not open: opened on use through the engine's OpenFiles, closed when idle and least recently used. */
  fd = -1;
  /** close() or delete() ran: the segment is never opened again. */
  private closedForGood = false;
  /**
   * Bytes of the file that hold appended data: reads below go to the file, reads at or above
   * come from memory (the in-flight write's buffers, then the staged ones). size - fileSize
   * bytes are not written yet.
   */
  private fileSize: number;
  /** Buffers of the write in flight (views, and the staging buffers they belong to, or the view itself for a retained append). */
  private inflight: Buffer[] = [];
  private inflightOwners: Buffer[] = [];
  /** False once a truncation made the in-flight bytes meaningless (they are cut after the write). */
  private inflightVisible = true;
  private writing = false;
  /** Sealed staging views after the in-flight ones, and the open staging buffer. */
  private tail: Buffer[] = [];
  private tailOwners: Buffer[] = [];
  private staging: Buffer | null = null;
  private pendingBytes = 0;
  /** A flush policy asked for an fdatasync after the next write round; `syncing` while it runs. */
  private fsyncWanted = false;
  private syncing = false;
  /** Bytes known fsynced (group commit waiters). */
  private syncedSize = 0;
  /** Set by a truncation during a write: the file is cut to fileSize once the write lands. */
  private truncateAfterWrite = false;
  private closeAfterWrite = false;
  private waiters: WriteWaiter[] = [];
  /** Async reads using the descriptor (it is not closed under them). */
  private readsInFlight = 0;
  /**
   * Bytes at or above `hotFrom` were appended by this process (in the page cache, most likely);
   * reads of the others may miss it: fetches read them off the event loop first (prefetch).
   * A slow synchronous read (the kernel evicted appended bytes) moves it up to the file's end.
   */
  private hotFrom: number;
  /** Ranges read off the event loop for reads about to run: readInto copies from them. */
  private prefetched: PrefetchedRange[] = [];
  /** Bumped when file bytes may change under a read in flight (truncation, failed write). */
  private fileGeneration = 0;
  /** File positions where the appends not yet known to be in the file end, and where the last one that is ends (a failed write rolls back to it). */
  private unwrittenEnds: number[] = [];
  private writtenEnd = 0;
  /**
   * Set by a failed write: appends are then written synchronously, so while the disk is full
   * each fails at once (KAFKA_STORAGE_ERROR) and the first that succeeds brings the segment back.
   */
  private writeFailed = false;
  /**
   * Told after a write failed and the segment dropped what the file does not hold (its size is
   * back at the end of the last append wholly written): the log rolls its own state back to match.
   */
  onWriteFailure: ((lostBytes: number, failure: Error) => void) | null = null;
  // Where the batch starting at a given offset sits: filled by appends and reads, so a consumer
  // fetching from where its last fetch ended finds its position without an index lookup.
  private readonly cacheOffsets = new Array<number>(POSITION_CACHE).fill(-1);
  private readonly cachePositions = new Array<number>(POSITION_CACHE).fill(0);
  private cacheNext = 0;

  private constructor(
    private readonly stager: WriteStager,
    readonly dir: string,
    readonly baseOffset: number,
    size: number,
    offsetIndex: OffsetIndex,
    timeIndex: TimeIndex,
    readonly createdMs: number,
  ) {
    this.size = size;
    this.fileSize = size;
    this.syncedSize = size;
    this.writtenEnd = size;
    this.hotFrom = size;
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
    const offsetIndex = OffsetIndex.create(join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)), maxIndexBytes);
    const timeIndex = TimeIndex.create(join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)), maxIndexBytes);
    const segment = new FileSegment(stager, dir, baseOffset, 0, offsetIndex, timeIndex, nowMs);
    // The new active segment: its descriptor stays open (until idle and least recently used).
    segment.fd = stager.openFiles.open(segment, segment.logPath, () => openSync(segment.logPath, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644));
    return segment;
  }

  /**
   * Opens an existing segment (no descriptor is taken until it is read or written).
   * `indexesValid` is false when an index file is missing or has a torn size: the caller must
   * rebuild the indexes (recover the segment).
   */
  static open(stager: WriteStager, dir: string, baseOffset: number, maxIndexBytes: number): { segment: FileSegment; indexesValid: boolean } {
    const st = statSync(join(dir, segmentFileName(baseOffset, LOG_SUFFIX)));
    const indexPath = join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    const timeIndexPath = join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
    let offsetIndex = existsSync(indexPath) ? OffsetIndex.open(indexPath, maxIndexBytes) : null;
    let timeIndex = existsSync(timeIndexPath) ? TimeIndex.open(timeIndexPath, maxIndexBytes) : null;
    let indexesValid = offsetIndex !== null && timeIndex !== null;
    const last = offsetIndex?.lastEntry() ?? null;
    if (last !== null && (last.relativeOffset < 0 || last.position < 0 || last.position >= st.size)) indexesValid = false;
    offsetIndex ??= OffsetIndex.create(indexPath, maxIndexBytes);
    timeIndex ??= TimeIndex.create(timeIndexPath, maxIndexBytes);
    const segment = new FileSegment(stager, dir, baseOffset, st.size, offsetIndex, timeIndex, st.mtimeMs);
    return { segment, indexesValid };
  }

  /** The descriptor, opened if needed (StorageIoError when the process is out of descriptors). */
  private fdForUse(): number {
    if (this.closedForGood) throw new StorageIoError(`segment ${this.logPath} is closed`);
    if (this.fd >= 0) {
      this.stager.openFiles.touch(this);
      return this.fd;
    }
    const path = this.logPath;
    try {
      this.fd = this.stager.openFiles.open(this, path, () => openSync(path, constants.O_RDWR));
    } catch (e) {
      throw e instanceof StorageIoError ? e : new StorageIoError(`cannot open ${path}: ${(e as Error).message}`, { cause: e });
    }
    return this.fd;
  }

  /** OpenFiles asks: closes the descriptor unless a write, fsync or read uses it or appends wait to be written. */
  closeIfIdle(): boolean {
    if (this.fd < 0) return true;
    if (this.busy || this.readsInFlight > 0 || this.closeAfterWrite) return false;
    try {
      closeSync(this.fd);
    } catch {
      /* the descriptor is gone either way */
    }
    this.fd = -1;
    return true;
  }

  /**
   * Appends `data` at the end of the .log: copied into staging buffers and written with the
   * other appends of this round, off the event loop. The caller then adds data.length to `size`. Throws StorageIoError (and changes nothing) when
   * the file cannot be opened, or, after a failed write, when writing it at once fails.
   * `retained`: the caller leaves `data` unchanged until the engine's durability barrier after
   * this append has passed, so a large one is written from `data` itself, without a copy.
   */
  write(data: Buffer, retained = false): void {
    this.fdForUse();
    if (this.writeFailed && !this.busy) {
      this.writeNow(data);
      return;
    }
    if (this.unwrittenEnds.length === 0) this.writtenEnd = this.size;
    this.unwrittenEnds.push(this.size + data.length);
    if (retained && data.length >= MIN_UNCOPIED_APPEND) {
      this.sealStaging();
      this.tail.push(data);
      this.tailOwners.push(data);
      this.stager.unwrittenBytes += data.length;
      this.stager.staged(this);
      return;
    }
    let off = 0;
    while (off < data.length) {
      if (this.staging === null) {
        this.staging = this.stager.takeStagingBuffer();
        this.pendingBytes = 0;
      }
      const n = Math.min(data.length - off, this.staging.length - this.pendingBytes);
      data.copy(this.staging, this.pendingBytes, off, off + n);
      this.pendingBytes += n;
      off += n;
      if (this.pendingBytes === this.staging.length) this.sealStaging();
    }
    this.stager.unwrittenBytes += data.length;
    this.stager.staged(this);
  }

  /** After a failed write: writes `data` synchronously; a failure leaves the file as it was. */
  private writeNow(data: Buffer): void {
    const fd = this.fdForUse();
    const position = this.fileSize;
    try {
      for (let done = 0; done < data.length; ) done += writevSync(fd, [data.subarray(done)], position + done);
    } catch (e) {
      try {
        ftruncateSync(fd, position);
      } catch {
        /* the write's error matters more */
      }
      throw new StorageIoError(`write to ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
    this.fileSize += data.length;
    this.writeFailed = false;
  }

  private sealStaging(): void {
    if (this.staging === null) return;
    if (this.pendingBytes > 0) {
      this.tail.push(this.staging.subarray(0, this.pendingBytes));
      this.tailOwners.push(this.staging);
    } else {
      this.stager.giveBackStagingBuffer(this.staging);
    }
    this.staging = null;
    this.pendingBytes = 0;
  }

  /** Asks for an fdatasync after the next write round (flush policies: group commit). */
  requestFsync(): void {
    if (this.closedForGood) return;
    this.fsyncWanted = true;
    this.stager.staged(this);
  }

  /** Bytes of the write in flight that still count (0 once a truncation voided them). */
  get inflightByteCount(): number {
    if (!this.inflightVisible) return 0;
    let n = 0;
    for (const b of this.inflight) n += b.length;
    return n;
  }

  /** True while a write or fsync runs on the thread pool (the descriptor is busy). */
  get ioInFlight(): boolean {
    return this.writing || this.syncing;
  }

  /** True while appends are staged or being written, or an fsync is pending. */
  get busy(): boolean {
    return this.writing || this.syncing || this.fsyncWanted || this.pendingBytes > 0 || this.tail.length > 0;
  }

  /**
   * Resolves (null, or the write's Error) when the file holds every byte appended so far, and
   * is fsynced if a flush policy asked; null when it already does.
   */
  whenWritten(): Promise<Error | null> | null {
    if (this.closedForGood) return null;
    const fsync = this.fsyncWanted || this.syncing;
    if (this.fileSize >= this.size && !fsync && !this.writing) return null;
    this.startWrite();
    return new Promise((resolve) => this.waiters.push({ target: this.size, fsync, resolve }));
  }

  /** Starts writing what is staged (one writev), unless a write is in flight (it continues then). */
  startWrite(): void {
    if (this.writing || this.syncing || this.closedForGood) return;
    this.sealStaging();
    if (this.tail.length === 0) {
      if (this.fsyncWanted) this.startFsync();
      else this.settleIfIdle();
      return;
    }
    let fd: number;
    try {
      fd = this.fdForUse();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const bufs = this.tail;
    this.inflight = bufs;
    this.inflightOwners = this.tailOwners;
    this.inflightVisible = true;
    this.tail = [];
    this.tailOwners = [];
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    this.writing = true;
    const position = this.fileSize;
    writev(fd, bufs, position, (err, written) => this.onWritten(err, written, bytes));
  }

  private onWritten(err: Error | null, written: number, bytes: number): void {
    this.writing = false;
    const owners = this.inflightOwners;
    const visible = this.inflightVisible;
    if (err === null && written < bytes && visible) {
      // A short write: the rest goes first in the next round.
      const rest = dropBytes(this.inflight, written);
      const done = owners.length - rest.length; // views and their staging buffers pair up
      for (let i = 0; i < done; i++) this.stager.giveBackStagingBuffer(owners[i]!);
      this.fileSize += written;
      this.tail = [...rest, ...this.tail];
      this.tailOwners = [...owners.slice(done), ...this.tailOwners];
      this.inflight = [];
      this.inflightOwners = [];
      this.stager.unwrittenBytes -= written;
      this.startWrite();
      return;
    }
    this.inflight = [];
    this.inflightOwners = [];
    for (const o of owners) this.stager.giveBackStagingBuffer(o);
    if (visible) this.stager.unwrittenBytes -= bytes;
    if (err !== null) {
      this.fail(new StorageIoError(`write to ${this.logPath} failed: ${err.message}`, { cause: err }));
      return;
    }
    if (visible) {
      this.fileSize += written;
      this.confirmWritten();
    }
    try {
      if (this.truncateAfterWrite) {
        this.truncateAfterWrite = false;
        ftruncateSync(this.fd, this.fileSize);
      }
      if (this.closeAfterWrite) {
        this.closeNow();
        return;
      }
    } catch (e) {
      this.fail(new StorageIoError(`truncating ${this.logPath} failed: ${(e as Error).message}`, { cause: e }));
      return;
    }
    this.resolveWaiters();
    if (this.tail.length > 0 || this.pendingBytes > 0) this.startWrite();
    else if (this.fsyncWanted) this.startFsync();
    else this.settleIfIdle();
  }

  /** The appends now wholly in the file leave the unwritten list. */
  private confirmWritten(): void {
    const ends = this.unwrittenEnds;
    let i = 0;
    while (i < ends.length && ends[i]! <= this.fileSize) i++;
    if (i === 0) return;
    this.writtenEnd = ends[i - 1]!;
    this.unwrittenEnds = i === ends.length ? [] : ends.slice(i);
  }

  private startFsync(): void {
    this.fsyncWanted = false;
    let fd: number;
    try {
      fd = this.fdForUse();
    } catch (e) {
      this.failWaiters(e as Error);
      return;
    }
    this.syncing = true;
    const upTo = this.fileSize;
    fdatasync(fd, (err) => {
      this.syncing = false;
      if (err !== null) {
        // The bytes are in the page cache (readable) but not known durable: whoever waited for the fsync learns it.
        this.failWaiters(new StorageIoError(`fsync of ${this.logPath} failed: ${err.message}`, { cause: err }));
        if (this.closeAfterWrite) this.closeNow();
        return;
      }
      if (upTo > this.syncedSize) this.syncedSize = upTo;
      if (this.closeAfterWrite) {
        this.closeNow();
        return;
      }
      this.resolveWaiters();
      this.startWrite();
    });
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const left: WriteWaiter[] = [];
    for (const w of this.waiters) {
      if (this.fileSize >= w.target && (!w.fsync || this.syncedSize >= w.target)) w.resolve(null);
      else left.push(w);
    }
    this.waiters = left;
  }

  private settleIfIdle(): void {
    if (!this.busy) {
      this.resolveWaiters();
      this.stager.settled(this);
    }
  }

  /** Every waiter learns `failure` (the barriers of this turn too). */
  private failWaiters(failure: Error): void {
    this.stager.writeFailed(failure);
    for (const w of this.waiters) w.resolve(failure);
    this.waiters = [];
    this.settleIfIdle();
  }

  /**
   * A write failed (a full disk, an I/O error): what the file does not hold is dropped and the
   * segment is back at the end of the last append wholly written (a partial batch is cut off).
   * Waiters on lost bytes learn the failure; the log is told to roll back its own state; the
   * next appends are written synchronously until one succeeds.
   */
  private fail(failure: Error): void {
    this.confirmWritten();
    const good = this.unwrittenEnds.length === 0 ? this.fileSize : Math.min(this.writtenEnd, this.fileSize);
    const lostBytes = this.size - good;
    this.dropMemory();
    this.unwrittenEnds = [];
    this.truncateAfterWrite = false;
    if (this.fd >= 0 && this.fileSize > good) {
      try {
        ftruncateSync(this.fd, good);
      } catch {
        /* recovery at the next start cuts a torn batch */
      }
    }
    this.fileChanged(good);
    this.fileSize = good;
    this.size = good;
    this.writtenEnd = good;
    if (this.syncedSize > good) this.syncedSize = good;
    this.cacheOffsets.fill(-1);
    this.writeFailed = true;
    this.stager.writeFailed(failure);
    for (const w of this.waiters) w.resolve(w.target <= good && !w.fsync ? null : failure);
    this.waiters = [];
    this.fsyncWanted = false;
    this.stager.settled(this);
    if (this.closeAfterWrite) {
      this.closeNow();
      return;
    }
    if (this.closedForGood) return;
    this.onWriteFailure?.(lostBytes, failure);
  }

  /** The log dropped this segment after a failed write before it: its unwritten appends are lost too. */
  abandon(failure: Error): void {
    this.dropMemory();
    this.unwrittenEnds = [];
    for (const w of this.waiters) w.resolve(failure);
    this.waiters = [];
  }

  /** Forgets staged bytes (written synchronously, truncated away, or lost to a failure). */
  private dropMemory(): void {
    let bytes = this.pendingBytes;
    for (const t of this.tail) bytes += t.length;
    for (const o of this.tailOwners) this.stager.giveBackStagingBuffer(o);
    if (this.staging !== null) this.stager.giveBackStagingBuffer(this.staging);
    this.tail = [];
    this.tailOwners = [];
    this.staging = null;
    this.pendingBytes = 0;
    this.stager.unwrittenBytes -= bytes;
  }

  /**
   * Writes what is staged now, synchronously (only when no write is in flight: startup, close,
   * truncation of an idle segment). Throws StorageIoError if that fails.
   */
  private writeStagedSync(): void {
    this.sealStaging();
    if (this.tail.length === 0) return;
    const position = this.fileSize;
    let bytes = 0;
    for (const b of this.tail) bytes += b.length;
    try {
      const fd = this.fdForUse();
      let rest = this.tail;
      let done = 0;
      while (done < bytes) {
        const n = writevSync(fd, rest, position + done);
        done += n;
        this.fileSize = position + done;
        if (done < bytes) rest = dropBytes(rest, n);
      }
    } catch (e) {
      const failure = e instanceof StorageIoError ? e : new StorageIoError(`write to ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
      this.fail(failure);
      throw failure;
    }
    this.dropMemory();
    this.confirmWritten();
    this.resolveWaiters();
  }

  /**
   * How many file bytes from `position` a read of `length` bytes must prefetch: 0 when none of
   * them may miss the page cache (appended by this process) or prefetched ranges hold them all.
   */
  coldLength(position: number, length: number): number {
    const end = Math.min(position + length, this.fileSize, this.hotFrom);
    if (end <= position) return 0;
    for (let at = position; ; ) {
      const r = this.prefetchedAt(at);
      if (r === null) return end - position;
      at = r.position + r.length;
      if (at >= end) return 0;
    }
  }

  /** The prefetched range holding file byte `position` that reaches furthest; null if none does. */
  private prefetchedAt(position: number): PrefetchedRange | null {
    let best: PrefetchedRange | null = null;
    for (const r of this.prefetched) {
      if (position >= r.position && position < r.position + r.length && (best === null || r.position + r.length > best.position + best.length)) best = r;
    }
    return best;
  }

  /**
   * Reads file[position, position + length) off the event loop, COLD_READ_CHUNK per pread
   * (through the engine's cold-read slots), and keeps it until dropPrefetched: readInto then
   * copies those bytes from memory. Resolves with the range (shorter at the end of the file),
   * or null when the file changed meanwhile or the segment was closed (the read then goes to
   * the file). The descriptor stays open meanwhile.
   */
  prefetch(position: number, length: number): Promise<PrefetchedRange | null> {
    const end = Math.min(position + length, this.fileSize);
    if (end <= position) return Promise.resolve(null);
    const fd = this.fdForUse();
    const generation = this.fileGeneration;
    const chunks: Buffer[] = [];
    for (let at = position; at < end; at += COLD_READ_CHUNK) chunks.push(this.stager.takeColdChunk());
    this.readsInFlight++;
    return this.readChunks(fd, chunks, position, end)
      .then(
        (got) => {
          let length = 0;
          for (const n of got) {
            length += n;
            if (n < COLD_READ_CHUNK) break;
          }
          if (this.closedForGood || generation !== this.fileGeneration || length === 0) {
            for (const c of chunks) this.stager.giveBackColdChunk(c);
            return null;
          }
          const range: PrefetchedRange = { position, length, chunks };
          this.prefetched.push(range);
          return range;
        },
        (e: unknown) => {
          for (const c of chunks) this.stager.giveBackColdChunk(c);
          throw new StorageIoError(`read of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
        },
      )
      .finally(() => {
        this.readsInFlight--;
      });
  }

  /**
   * Reads file[position, end) into the chunks one after the other: one pool thread per range,
   * in file order (the kernel's read-ahead sees a sequential reader). Resolves with each chunk's byte count.
   */
  private async readChunks(fd: number, chunks: readonly Buffer[], position: number, end: number): Promise<number[]> {
    const got: number[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const at = position + i * COLD_READ_CHUNK;
      const n = await this.readChunk(fd, chunks[i]!, Math.min(COLD_READ_CHUNK, end - at), at);
      got.push(n);
      if (n < COLD_READ_CHUNK) break;
    }
    return got;
  }

  /** Reads up to `length` bytes at `position` into chunk[0...] (fewer only at the end of the file). */
  private readChunk(fd: number, chunk: Buffer, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.stager.coldRead((done) => {
        let got = 0;
        const next = (): void => {
          this.stager.readFile(fd, chunk, got, length - got, position + got, (err, n) => {
            if (err !== null || n === 0 || got + n >= length) {
              done();
              if (err !== null) reject(err);
              else resolve(got + n);
              return;
            }
            got += n;
            next();
          });
        };
        next();
      });
    });
  }

  /**
   * The file is cut to `size` (and may get other bytes there later): reads in flight are
   * discarded, and prefetched ranges reaching past it are not used again (their holders still
   * give their buffers back).
   */
  private fileChanged(size: number): void {
    this.fileGeneration++;
    this.prefetched = this.prefetched.filter((r) => r.position + r.length <= size);
    if (this.hotFrom > size) this.hotFrom = size;
  }

  /** Forgets a prefetched range (its bytes were used) and gives its buffers back. */
  dropPrefetched(range: PrefetchedRange): void {
    const i = this.prefetched.indexOf(range);
    if (i >= 0) this.prefetched.splice(i, 1);
    for (const c of range.chunks) this.stager.giveBackColdChunk(c);
  }

  /** Reads exactly `length` bytes at `position` into buf[offset...] (fewer only at end of data). */
  readInto(buf: Buffer, offset: number, length: number, position: number): number {
    if (position + length > this.size) length = Math.max(0, this.size - position);
    let done = 0;
    if (position < this.fileSize) {
      const fromFile = Math.min(length, this.fileSize - position);
      done = this.copyPrefetched(buf, offset, fromFile, position);
      if (done < fromFile) {
        try {
          const fd = this.fdForUse();
          const hot = position + done >= this.hotFrom;
          const started = hot ? performance.now() : 0;
          const blocksRead = hot ? process.resourceUsage().fsRead : 0;
          while (done < fromFile) {
            const n = readSync(fd, buf, offset + done, fromFile - done, position + done);
            if (n === 0) break;
            done += n;
          }
          // Bytes appended here that took the disk's time (slow, and the process read blocks
          // from the disk meanwhile): the kernel evicted them.
          if (hot && performance.now() - started > SLOW_SYNC_READ_MS && process.resourceUsage().fsRead > blocksRead) this.hotFrom = this.fileSize;
        } catch (e) {
          throw e instanceof StorageIoError ? e : new StorageIoError(`read of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
        }
        if (done < fromFile) return done;
      }
    }
    if (done < length) done += this.copyFromMemory(buf, offset + done, length - done, position + done);
    return done;
  }

  /**
   * Copies what prefetched ranges hold of file[position, position + length) into buf[offset...],
   * from one range on into the next (a read can reach past the range that holds its start);
   * returns the bytes copied.
   */
  private copyPrefetched(buf: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length && this.prefetched.length > 0) {
      const r = this.prefetchedAt(position + done);
      if (r === null) break;
      const end = done + Math.min(length - done, r.position + r.length - position - done);
      while (done < end) {
        const at = position + done - r.position;
        const chunk = r.chunks[Math.floor(at / COLD_READ_CHUNK)]!;
        const from = at % COLD_READ_CHUNK;
        const k = Math.min(end - done, COLD_READ_CHUNK - from);
        chunk.copy(buf, offset + done, from, from + k);
        done += k;
      }
    }
    return done;
  }

  /** Copies not-yet-written bytes at `position` (>= fileSize): in-flight buffers, sealed ones, then the open one. */
  private copyFromMemory(buf: Buffer, offset: number, length: number, position: number): number {
    let at = this.fileSize;
    let done = 0;
    const copyFrom = (src: Buffer): boolean => {
      const end = at + src.length;
      if (position + done < end) {
        const from = position + done - at;
        const n = Math.min(length - done, src.length - from);
        src.copy(buf, offset + done, from, from + n);
        done += n;
      }
      at = end;
      return done >= length;
    };
    if (this.inflightVisible) for (const b of this.inflight) if (copyFrom(b)) return done;
    for (const b of this.tail) if (copyFrom(b)) return done;
    if (this.staging !== null && this.pendingBytes > 0) copyFrom(this.staging.subarray(0, this.pendingBytes));
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
  locate(offset: number): BatchLocation | null {
    const scratch = this.stager.scratch;
    const scan = this.locateScan(offset, scratch);
    for (let step = scan.next(0); ; ) {
      if (step.done === true) return step.value;
      const pos = step.value;
      step = scan.next(this.readInto(scratch, 0, Math.min(scratch.length, this.size - pos), pos));
    }
  }

  /**
   * locate() for a read that may miss the page cache: what it reads of cold file bytes is read
   * off the event loop (the index, if not in memory, must be). Remembers the position for the
   * synchronous locate() of the read that follows.
   */
  async locateOffLoop(offset: number): Promise<BatchLocation | null> {
    const buf = Buffer.allocUnsafe(this.stager.scratch.length);
    const scan = this.locateScan(offset, buf);
    for (let step = scan.next(0); ; ) {
      if (step.done === true) {
        if (step.value !== null) this.rememberPosition(offset, step.value.position);
        return step.value;
      }
      const pos = step.value;
      const length = Math.min(buf.length, this.size - pos);
      const n = this.coldLength(pos, length) > 0 ? await this.readOffLoop(buf, length, pos) : this.readInto(buf, 0, length, pos);
      step = scan.next(n);
    }
  }

  /** One pread of up to `length` bytes at `position` into buf[0...], through the engine's cold-read slots. */
  private readOffLoop(buf: Buffer, length: number, position: number): Promise<number> {
    const fd = this.fdForUse();
    this.readsInFlight++;
    return this.readChunk(fd, buf, length, position)
      .catch((e: unknown) => {
        throw new StorageIoError(`read of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
      })
      .finally(() => {
        this.readsInFlight--;
      });
  }

  /** Where locate() starts scanning for `offset`: a remembered batch position, else the index entry at or before it. */
  scanStart(offset: number): number {
    const cached = this.cacheOffsets.indexOf(offset);
    return cached >= 0 ? this.cachePositions[cached]! : this.offsetIndex.lookup(offset - this.baseOffset);
  }

  /**
   * The scan of locate(): yields the position at which to read up to buf.length bytes (of what
   * the segment holds) into `buf`, is given the byte count read, returns the batch found.
   */
  private *locateScan(offset: number, buf: Buffer): Generator<number, BatchLocation | null, number> {
    if (offset >= this.nextOffset) return null;
    let pos = this.scanStart(offset);
    while (pos < this.size) {
      const n = yield pos;
      let p = 0;
      while (p + BATCH_LOCATE_BYTES <= n) {
        const size = headerSize(buf, p);
        if (size < MIN_BATCH_LENGTH + 12) throw new StorageIoError(`corrupt batch header in ${this.logPath} at ${pos + p}`);
        if (headerBaseOffset(buf, p) + headerLastOffsetDelta(buf, p) >= offset) return { position: pos + p, size };
        p += size;
      }
      if (n < BATCH_LOCATE_BYTES) break;
      pos += p;
    }
    return null;
  }

  /** Moves the end of the .log back to `size` bytes. */
  truncateTo(size: number): void {
    if (this.writing) {
      if (size >= this.fileSize + this.inflightByteCount) {
        // Only staged bytes go: cut them in memory.
        this.cutMemory(size);
      } else {
        // The write in flight is cut after it lands; until then reads below `size` use the file
        // (which the write does not touch there) and nothing else writes.
        this.stager.unwrittenBytes -= this.inflightByteCount;
        this.inflightVisible = false;
        this.dropMemory();
        this.fileSize = Math.min(this.fileSize, size);
        this.truncateAfterWrite = true;
      }
    } else {
      this.writeStagedSync();
      try {
        ftruncateSync(this.fdForUse(), size);
      } catch (e) {
        throw e instanceof StorageIoError ? e : new StorageIoError(`truncating ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
      }
      this.fileSize = size;
    }
    this.fileChanged(size);
    if (this.syncedSize > size) this.syncedSize = size;
    for (const w of this.waiters) if (w.target > size) w.target = size;
    this.unwrittenEnds = this.unwrittenEnds.filter((end) => end <= size);
    if (this.writtenEnd > size) this.writtenEnd = size;
    this.size = size;
    this.cacheOffsets.fill(-1);
  }

  /** Drops staged bytes at or after `size` (which lies in the staged region). */
  private cutMemory(size: number): void {
    let at = this.fileSize + this.inflightByteCount;
    const tail: Buffer[] = [];
    const owners: Buffer[] = [];
    let dropped = 0;
    for (let i = 0; i < this.tail.length; i++) {
      const b = this.tail[i]!;
      if (at >= size) {
        dropped += b.length;
        this.stager.giveBackStagingBuffer(this.tailOwners[i]!);
      } else {
        const keep = Math.min(b.length, size - at);
        dropped += b.length - keep;
        tail.push(b.subarray(0, keep));
        owners.push(this.tailOwners[i]!);
      }
      at += b.length;
    }
    if (this.staging !== null) {
      const keep = Math.max(0, Math.min(this.pendingBytes, size - at));
      dropped += this.pendingBytes - keep;
      this.pendingBytes = keep;
    }
    this.tail = tail;
    this.tailOwners = owners;
    this.stager.unwrittenBytes -= dropped;
  }

  /** Writes and fsyncs everything now (startup, shutdown). With a write in flight, asks for an fsync after it instead. */
  sync(): void {
    if (this.writing || this.syncing) {
      this.requestFsync();
      return;
    }
    this.writeStagedSync();
    try {
      fdatasyncSync(this.fdForUse());
    } catch (e) {
      throw e instanceof StorageIoError ? e : new StorageIoError(`fsync of ${this.logPath} failed: ${(e as Error).message}`, { cause: e });
    }
    this.syncedSize = this.fileSize;
    this.fsyncWanted = false;
    this.resolveWaiters();
    this.settleIfIdle();
  }

  /** Writes pending index entries to the index files. */
  persistIndexes(): void {
    this.offsetIndex.persist();
    this.timeIndex.persist();
  }

  /** Persists the indexes of a segment that will no longer be appended to. */
  closeIndexes(): void {
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  /** Closes the segment for good; with a write in flight, the descriptor closes when it lands (after writing the rest). */
  close(persistIndexes = true): void {
    if (this.closedForGood) return;
    let failure: unknown;
    try {
      if (persistIndexes) this.closeIndexes();
    } catch (e) {
      failure = e;
    }
    if (this.writing || this.syncing) {
      this.closeAfterWrite = true;
      if (failure !== undefined) throw failure;
      return;
    }
    try {
      this.writeStagedSync();
    } catch (e) {
      failure ??= e;
    }
    this.closeNow();
    if (failure !== undefined) throw failure;
  }

  private closeNow(): void {
    if (this.closedForGood) return;
    this.closeAfterWrite = false;
    if (this.tail.length > 0 || this.pendingBytes > 0) {
      try {
        this.writeStagedSync();
      } catch {
        /* handled as a failed write */
      }
    }
    this.closedForGood = true;
    this.dropMemory();
    for (const w of this.waiters) w.resolve(w.target <= this.fileSize ? null : new StorageIoError(`${this.logPath} was closed before it was written`));
    this.waiters = [];
    this.stager.settled(this);
    if (this.fd >= 0) {
      this.stager.openFiles.closed(this);
      try {
        closeSync(this.fd);
      } finally {
        this.fd = -1;
      }
    }
  }

  private closeForDelete(): void {
    this.dropMemory();
    this.unwrittenEnds = [];
    try {
      // Nothing is written for files about to go: deleting must work on a full disk.
      this.close(false);
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
