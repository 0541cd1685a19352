import { type RecordsDecompressor } from './batch-util.js';
import type { LogConfig, PartitionLog, StorageEngine } from './partition-log.js';
import { ReadBufferPool } from './read-buffers.js';
import { FileSegment, WriteStager } from './segment.js';
import { SegmentedLog, type LogOptions } from './segmented-log.js';
/** How a log was left: decides how much of it startup must recover. */
export interface LogLoadState {
    /** the log dir had a clean-shutdown marker, or the log was closed cleanly in this process */
    clean: boolean;
    /** from recovery-point-offset-checkpoint (null: recover everything after an unclean shutdown) */
    recoveryPoint: number | null;
    /** from log-start-offset-checkpoint */
    logStartOffset: number | null;
}
export declare class FileLog extends SegmentedLog<FileSegment> {
    private readonly onClosed;
    readonly dir: string;
    /** Offsets below this are known to be on disk (fsynced). */
    recoveryPoint: number;
    /** Segments recovered (CRC-scanned) when the log was opened, and bytes truncated then. */
    readonly recovery: {
        segments: number;
        truncatedBytes: number;
    };
    private unflushedMessages;
    private lastFlushMs;
    private flushChain;
    private backgroundFlushFailed;
    private readonly stager;
    constructor(dir: string, topic: string, partition: number, config: LogConfig, options: LogOptions & {
        stager: WriteStager;
    }, load: LogLoadState, onClosed?: (log: FileLog) => void);
    get isClosed(): boolean;
    private load;
    protected createSegment(baseOffset: number, nowMs: number): FileSegment;
    protected indexFull(seg: FileSegment): boolean;
    protected writeToActive(batches: Buffer, nowMs: number): void;
    protected afterAppend(offsetCount: number, nowMs: number): void;
    /**
     * flush.messages / flush.ms: asks for an fdatasync after the segments' next write round
     * (group commit: one fsync covers every append of the round; responses wait for it through
     * the durability barrier). The recovery point moves when it is done.
     */
    private requestFlush;
    protected sealSegment(seg: FileSegment): void;
    /** Resolves when background fsyncs of rolled segments are done (tests, shutdown). */
    whenBackgroundFlushed(): Promise<void>;
    protected swapIn(old: FileSegment[], batches: readonly Buffer[]): FileSegment;
    protected truncateSegment(seg: FileSegment, offset: number): void;
    protected truncated(): void;
    protected destroySegment(seg: FileSegment): void;
    protected readRecords(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer;
    protected forEachBatch(seg: FileSegment, fromOffset: number, visit: (buf: Buffer, pos: number) => boolean): void;
    protected timestampSearchStart(seg: FileSegment, timestamp: number): number;
    /**
     * fsyncs everything past the recovery point and moves the recovery point to the log end
     * (synchronously when no write is in flight: startup, shutdown; otherwise after it).
     */
    flush(): void;
    /** Flushes if flush.ms has passed since the last flush (the engine's periodic task). */
    flushIfDue(nowMs: number): void;
    close(): void;
    /** Closes without flushing (the log is about to be deleted). */
    closeForDelete(): void;
    private closeFiles;
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
}
export declare class FileStorageEngine implements StorageEngine {
    readonly kind: 'file';
    readonly logDirs: string[];
    /** This engine's read slabs and write staging (per instance: several engines may share a process). */
    readonly readBuffers: ReadBufferPool;
    readonly stager: WriteStager;
    private readonly now;
    private readonly decompress;
    private readonly open;
    private readonly known;
    /** Keys of logs known to be cleanly closed (clean startup or closed in this process). */
    private readonly cleanLogs;
    private readonly recoveryPoints;
    private readonly logStartOffsets;
    private readonly timer;
    private closed;
    constructor(options: FileEngineOptions);
    private scanLogDir;
    openLog(topic: string, partition: number, config: LogConfig): PartitionLog;
    private logClosed;
    /** Kafka places a new partition in the log dir holding the fewest partitions. */
    private chooseLogDir;
    existingLogs(): Array<{
        topic: string;
        partition: number;
    }>;
    /** The open log of a topic-partition, if any. */
    getLog(topic: string, partition: number): FileLog | undefined;
    deleteLog(topic: string, partition: number): void;
    /** The connections' durability barrier: staged appends written to the page cache (see WriteStager). */
    durabilityBarrier(): Error | null | Promise<Error | null>;
    /** Resolves when no append is staged or being written. */
    whenWritesDone(): Promise<void>;
    /** Writes recovery-point-offset-checkpoint and log-start-offset-checkpoint in every log dir. */
    checkpoint(): void;
    private periodic;
    close(): void;
    private ensureOpen;
}
