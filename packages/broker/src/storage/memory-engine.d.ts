/**
 * In-memory storage engine: the same segmented log as the file engine (shared SegmentedLog),
 * with segments held as arrays of batch Buffers. For tests and embedding; nothing survives the
 * process, but a closed log can be reopened from the same engine with its data.
 */
import type { LogConfig, PartitionLog, StorageEngine } from './partition-log.js';
import { type RecordsDecompressor } from './batch-util.js';
import { SegmentedLog, type LogOptions, type SegmentState } from './segmented-log.js';
import { ReadBufferPool } from './read-buffers.js';
interface MemoryBatch {
    base: number;
    last: number;
    buf: Buffer;
}
declare class MemorySegment implements SegmentState {
    readonly baseOffset: number;
    readonly createdMs: number;
    nextOffset: number;
    size: number;
    maxTimestamp: number;
    offsetOfMaxTimestamp: number;
    rollingBasedTimestamp: number;
    lastModifiedMs: number;
    readonly batches: MemoryBatch[];
    offsetIndexEntries: number;
    timeIndexEntries: number;
    lastTimeIndexTimestamp: number;
    bytesSinceLastIndexEntry: number;
    slab: Buffer | null;
    slabUsed: number;
    constructor(baseOffset: number, createdMs: number);
    /** Index of the first batch whose last offset >= offset (batches.length if none). */
    batchIndexFor(offset: number): number;
}
export interface MemoryEngineOptions {
    /** Clock for segment creation times (segment.ms); defaults to Date.now. */
    now?: () => number;
    /** Decompresses a batch's records for exact ListOffsets-by-timestamp on compressed batches. */
    decompress?: RecordsDecompressor;
}
export declare class MemoryLog extends SegmentedLog<MemorySegment> {
    readonly dir: null;
    constructor(topic: string, partition: number, config: LogConfig, options: LogOptions);
    /** Reopens a closed log (the data stays in the engine). */
    reopen(config: LogConfig): void;
    protected createSegment(baseOffset: number, nowMs: number): MemorySegment;
    protected sealSegment(segment: MemorySegment): void;
    protected destroySegment(segment: MemorySegment): void;
    protected indexFull(seg: MemorySegment): boolean;
    protected writeToActive(batches: Buffer, nowMs: number): void;
    /** Adds a batch to the segment with the file engine's index bookkeeping. */
    private indexBatch;
    protected swapIn(old: MemorySegment[], batches: readonly Buffer[]): MemorySegment;
    protected truncateSegment(seg: MemorySegment, offset: number): void;
    protected readRecords(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer;
    protected forEachBatch(seg: MemorySegment, fromOffset: number, visit: (buf: Buffer, pos: number) => boolean): void;
    flush(): void;
    close(): void;
}
export declare class MemoryStorageEngine implements StorageEngine {
    readonly kind: 'memory';
    readonly logDirs: string[];
    readonly readBuffers: ReadBufferPool;
    private readonly logs;
    private readonly now;
    private readonly decompress;
    constructor(options?: MemoryEngineOptions);
    openLog(topic: string, partition: number, config: LogConfig): PartitionLog;
    existingLogs(): Array<{
        topic: string;
        partition: number;
    }>;
    deleteLog(topic: string, partition: number): void;
    /** Nothing is staged: appends are in memory when append() returns. */
    durabilityBarrier(): null;
    whenWritesDone(): Promise<void>;
    close(): void;
}
export {};
