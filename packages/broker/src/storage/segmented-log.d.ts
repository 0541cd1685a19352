import type { AppendInfo, AppendOptions, LogConfig, LogObserver, LogOffsetMetadata, PartitionLog, ReadInfo, SegmentInfo, TimestampOffset } from './partition-log.js';
import { type RecordsDecompressor } from './batch-util.js';
import type { ReadBufferPool } from './read-buffers.js';
export declare const EMPTY_RECORDS: Buffer;
/** Upper bound of one read (a client may ask for 2 GiB; Kafka caps fetches with fetch.max.bytes, 55 MiB). */
export declare const MAX_READ_BYTES: number;
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
export declare abstract class SegmentedLog<S extends SegmentState> implements PartitionLog {
    readonly topic: string;
    readonly partition: number;
    protected segs: S[];
    protected lso: number;
    protected totalSize: number;
    protected closed: boolean;
    protected config: LogConfig;
    protected readonly now: () => number;
    protected readonly decompress: RecordsDecompressor | undefined;
    protected readonly readBuffers: ReadBufferPool;
    private observers;
    constructor(topic: string, partition: number, config: LogConfig, options: LogOptions);
    abstract readonly dir: string | null;
    /** Writes already-stamped batches at the end of the active segment and indexes them. */
    protected abstract writeToActive(batches: Buffer, nowMs: number): void;
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
    protected timestampSearchStart(segment: S, _timestamp: number): number;
    /** Called after each append (flush policy). */
    protected afterAppend(_offsetCount: number, _nowMs: number): void;
    get logStartOffset(): bigint;
    get logEndOffset(): bigint;
    get logEndOffsetMetadata(): LogOffsetMetadata;
    get sizeBytes(): number;
    protected get leo(): number;
    protected get active(): S;
    append(batches: Buffer, opts: AppendOptions): AppendInfo;
    private checkReplicatedOffsets;
    private shouldRoll;
    /** Seals the active segment and starts a new one at `baseOffset` (the log end offset unless replicating a gap). */
    protected roll(nowMs: number, baseOffset?: number): void;
    read(offset: bigint, maxBytes: number, opts: {
        minOneBatch: boolean;
        maxOffset?: bigint;
    }): ReadInfo;
    /** Index of the segment holding `offset`: the last one whose baseOffset <= offset (0 if none). */
    protected segmentIndexFor(offset: number): number;
    offsetForTimestamp(timestamp: bigint): TimestampOffset | null;
    offsetOfMaxTimestamp(): TimestampOffset | null;
    deleteRecordsBefore(offset: bigint): bigint;
    truncateTo(offset: bigint): void;
    truncateFullyAndStartAt(offset: bigint): void;
    /**
     * Builds the segment that replaces `old` (consecutive, non-active) from cleaned batches and
     * swaps it in on the storage side; the caller updates the segment list.
     */
    protected abstract swapIn(old: S[], batches: readonly Buffer[]): S;
    replaceSegments(baseOffsets: bigint[], batches: readonly Buffer[]): void;
    /** Engine bookkeeping after a truncation (recovery point). */
    protected truncated(): void;
    applyRetention(nowMs: number): void;
    private deleteOldest;
    private logStartChanged;
    updateConfig(config: LogConfig): void;
    segments(): SegmentInfo[];
    addObserver(observer: LogObserver): void;
    removeObserver(observer: LogObserver): void;
    protected notifyClose(): void;
    protected ensureOpen(): void;
    abstract flush(): void;
    abstract close(): void;
}
/** Kafka's LogSegment.largestTimestamp: the max batch timestamp, else the last modification time. */
export declare function largestTimestamp(seg: SegmentState): number;
/** Segment bookkeeping common to both engines, per appended batch. */
export declare function trackBatchTimestamp(seg: SegmentState, maxTimestamp: number, lastOffset: number): void;
