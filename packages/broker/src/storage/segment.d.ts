import { OffsetIndex } from './offset-index.js';
import type { SegmentState } from './segmented-log.js';
import { TimeIndex } from './time-index.js';
export declare const LOG_SUFFIX = ".log";
export declare const INDEX_SUFFIX = ".index";
export declare const TIME_INDEX_SUFFIX = ".timeindex";
/** Kafka's file name for a segment: the base offset zero-padded to 20 digits. */
export declare const segmentFileName: (baseOffset: number, suffix: string) => string;
export declare const parseSegmentFileName: (name: string) => number | null;
/** Suffix of a segment file scheduled for deletion (Kafka's LogFileUtils.DELETED_FILE_SUFFIX). */
export declare const DELETED_SUFFIX = ".deleted";
/**
 * The write staging of one storage engine instance (never module state: several brokers may
 * share a process). Holds the segments with staged appends, the staging buffers for reuse, a
 * write failure of the current event-loop turn, and the engine's scan buffer.
 */
export declare class WriteStager {
    private readonly stagingPool;
    /** Segments with appends not yet in the file (staged or being written). */
    private readonly segmentsWithPending;
    private startScheduled;
    /** A write that failed during the current event-loop turn (reported to every barrier of the turn). */
    private failureThisTurn;
    /** Scan buffer for locating batches (the engine's reads are synchronous). */
    readonly scratch: Buffer<ArrayBuffer>;
    /** Bytes staged or being written, across segments (diagnostics, backpressure). */
    unwrittenBytes: number;
    private readonly startAtEndOfTurn;
    /** Starts the writes of every staged append (they complete on the thread pool). */
    startWrites(): void;
    /**
     * The durability barrier a connection passes before its responses leave: null when every
     * append is in the page cache, a Promise that resolves (with null, or the Error of a failed
     * write) once the appends made so far are, or the failure of this turn.
     */
    durabilityBarrier(): Error | null | Promise<Error | null>;
    /** Resolves when nothing is staged or in flight (shutdown, tests). */
    whenIdle(): Promise<void>;
    /** A segment has appends to write: started at the latest when this event-loop turn ends. */
    staged(seg: FileSegment): void;
    /** A segment has nothing left to write (or is closed). */
    settled(seg: FileSegment): void;
    writeFailed(failure: Error): void;
    takeStagingBuffer(): Buffer;
    giveBackStagingBuffer(buf: Buffer): void;
}
export declare class FileSegment implements SegmentState {
    private readonly stager;
    readonly dir: string;
    readonly baseOffset: number;
    readonly createdMs: number;
    nextOffset: number;
    size: number;
    maxTimestamp: number;
    offsetOfMaxTimestamp: number;
    rollingBasedTimestamp: number;
    lastModifiedMs: number;
    bytesSinceLastIndexEntry: number;
    offsetIndex: OffsetIndex;
    timeIndex: TimeIndex;
    fd: number;
    /**
     * Bytes of the file that hold appended data: reads below go to the file, reads at or above
     * come from memory (the in-flight write's buffers, then the staged ones). size - fileSize
     * bytes are not written yet.
     */
    private fileSize;
    /** Buffers of the write in flight (views, and the staging buffers they belong to). */
    private inflight;
    private inflightOwners;
    /** False once a truncation made the in-flight bytes meaningless (they are cut after the write). */
    private inflightVisible;
    private writing;
    /** Sealed staging views after the in-flight ones, and the open staging buffer. */
    private tail;
    private tailOwners;
    private staging;
    private pendingBytes;
    /** A flush policy asked for an fdatasync after the next write round; `syncing` while it runs. */
    private fsyncWanted;
    private syncing;
    /** Bytes known fsynced (group commit waiters). */
    private syncedSize;
    /** Set by a truncation during a write: the file is cut to fileSize once the write lands. */
    private truncateAfterWrite;
    private closeAfterWrite;
    private waiters;
    /** Set when a write failed: the in-memory state is ahead of the file. */
    private failure;
    private readonly cacheOffsets;
    private readonly cachePositions;
    private cacheNext;
    private constructor();
    get logPath(): string;
    get indexPath(): string;
    get timeIndexPath(): string;
    static create(stager: WriteStager, dir: string, baseOffset: number, nowMs: number, maxIndexBytes: number): FileSegment;
    /**
     * Opens an existing segment. `indexesValid` is false when an index file is missing or has a
     * torn size: the caller must rebuild the indexes (recover the segment).
     */
    static open(stager: WriteStager, dir: string, baseOffset: number, maxIndexBytes: number): {
        segment: FileSegment;
        indexesValid: boolean;
    };
    /**
     * Appends `data` at the end of the .log: copied into staging buffers and written with the
     * other appends of this round, off the event loop. The caller then adds data.length to `size`.
     */
    write(data: Buffer): void;
    private sealStaging;
    /** Asks for an fdatasync after the next write round (flush policies: group commit). */
    requestFsync(): void;
    /** Bytes of the write in flight that still count (0 once a truncation voided them). */
    get inflightByteCount(): number;
    /** True while a write or fsync runs on the thread pool (the descriptor is busy). */
    get ioInFlight(): boolean;
    /** True while appends are staged or being written, or an fsync is pending. */
    get busy(): boolean;
    /**
     * Resolves (null, or the write's Error) when the file holds every byte appended so far, and
     * is fsynced if a flush policy asked; null when it already does.
     */
    whenWritten(): Promise<Error | null> | null;
    /** Starts writing what is staged (one writev), unless a write is in flight (it continues then). */
    startWrite(): void;
    private onWritten;
    private startFsync;
    private resolveWaiters;
    private settleIfIdle;
    /** A write failed: the segment refuses appends from now on; every waiter learns it. */
    private fail;
    /** Forgets staged bytes (written synchronously, truncated away, or lost to a failure). */
    private dropMemory;
    /**
     * Writes what is staged now, synchronously (only when no write is in flight: startup, close,
     * truncation of an idle segment). Throws StorageIoError if that fails.
     */
    private writeStagedSync;
    private failedError;
    /** Reads exactly `length` bytes at `position` into buf[offset...] (fewer only at end of data). */
    readInto(buf: Buffer, offset: number, length: number, position: number): number;
    /** Copies not-yet-written bytes at `position` (>= fileSize): in-flight buffers, sealed ones, then the open one. */
    private copyFromMemory;
    rememberPosition(offset: number, position: number): void;
    /**
     * The batch containing `offset`, or the first batch after it: its file position and size.
     * null when the segment has no batch with lastOffset >= offset.
     */
    locate(offset: number): {
        position: number;
        size: number;
    } | null;
    /** Moves the end of the .log back to `size` bytes. */
    truncateTo(size: number): void;
    /** Drops staged bytes at or after `size` (which lies in the staged region). */
    private cutMemory;
    /** Writes and fsyncs everything now (startup, shutdown). With a write in flight, asks for an fsync after it instead. */
    sync(): void;
    /** Writes pending index entries and keeps the index fds open (active segment). */
    persistIndexes(): void;
    /** Releases the index fds of a segment that will no longer be appended to. */
    closeIndexes(): void;
    /** Closes the segment; with a write in flight, the descriptor closes when it lands (after writing the rest). */
    close(): void;
    private closeNow;
    /** Drops staged appends that will never be read (the segment is being deleted). */
    private discardPending;
    private closeForDelete;
    /** Closes and unlinks the segment's files. */
    delete(): void;
    /**
     * Closes the segment, renames its files to `.deleted` and unlinks them off the event loop
     * (Kafka's asyncDeleteSegment): freeing 64 MiB of page cache takes milliseconds of kernel time.
     * Startup removes `.deleted` files a crash left behind.
     */
    deleteAsync(): void;
}
