export interface CompactionConfig {
    /** min.compaction.lag.ms: a record stays uncompacted at least this long */
    minCompactionLagMs: number;
    /** min.cleanable.dirty.ratio */
    minCleanableDirtyRatio: number;
    /** max.compaction.lag.ms: clean regardless of the ratio once dirty data is this old (optional) */
    maxCompactionLagMs?: number;
}
/** What the planner needs per segment (PartitionLog.segments() gives it), oldest first. */
export interface CleanerSegment {
    baseOffset: bigint;
    sizeBytes: number;
    /** largest timestamp in the segment, -1n if empty */
    maxTimestamp: bigint;
}
export interface CompactionPlan {
    firstDirtyOffset: bigint;
    /** exclusive end of what may be cleaned: the active segment or a segment within the lag */
    firstUncleanableOffset: bigint;
    dirtyRatio: number;
    cleanBytes: number;
    dirtyBytes: number;
    /** every segment that starts below firstUncleanableOffset: all of them are rewritten */
    segments: CleanerSegment[];
}
export declare function planCompaction(input: {
    segments: readonly CleanerSegment[];
    logStartOffset: bigint;
    logEndOffset: bigint;
    /** the cleaner checkpoint; the log start when unknown */
    firstDirtyOffset?: bigint;
    nowMs: number;
    config: CompactionConfig;
    /** plan even below min.cleanable.dirty.ratio (e.g. to drop expired tombstones) */
    force?: boolean;
}): CompactionPlan | null;
/**
 * Groups consecutive segments so each group's cleaned output fits one segment (Kafka:
 * groupSegmentsBySize): at most `maxBytes` of input per group. A group is rewritten into a
 * single segment whose base offset is its first segment's.
 */
export declare function groupSegments<S extends CleanerSegment>(segments: readonly S[], maxBytes: number): S[][];
export declare class OffsetMap {
    readonly maxEntries: number;
    private readonly offsets;
    /** Last offset the map covers (Kafka: OffsetMap.latestOffset); -1n when empty. */
    latestOffset: bigint;
    constructor(maxEntries?: number);
    get size(): number;
    put(key: Buffer, offset: bigint): void;
    /** The latest offset of `key`, or -1n. */
    get(key: Buffer): bigint;
    clear(): void;
}
export interface OffsetMapResult {
    /** the map filled up before endOffset */
    full: boolean;
    /** exclusive end of what the map describes: clean segments below it */
    cleanUpTo: bigint;
    batchesRead: number;
}
/** Splits concatenated whole batches into views (no copies). */
export declare function splitBatches(chunk: Buffer): Generator<Buffer>;
/**
 * Reads the dirty section [startOffset, endOffset) and records each key's latest offset.
 * `input` yields buffers of whole batches in offset order (segment reads); it may start before
 * startOffset. Yields after every `batchesPerStep` batches.
 */
export declare function buildOffsetMap(map: OffsetMap, input: Iterable<Buffer>, opts: {
    startOffset: bigint;
    endOffset: bigint;
    batchesPerStep?: number;
    stepBudgetMs?: number;
}): Generator<void, OffsetMapResult>;
export interface ProducerLastBatch {
    /** offset of the producer's last data batch's last record; -1n if its last entry is a marker */
    lastOffset: bigint;
    producerEpoch: number;
}
export interface CleanOptions {
    map: OffsetMap;
    nowMs: number;
    /** delete.retention.ms */
    deleteRetentionMs: number;
    /** active producers (ProducerStateManager.lastDataOffsets()): their last batch is never removed */
    producers: ReadonlyMap<bigint, ProducerLastBatch>;
    /** a step ends after this many input batches (default 64) ... */
    batchesPerStep?: number;
    /** ... or after this much time (default 5 ms), whichever comes first */
    stepBudgetMs?: number;
}
export interface CleanStats {
    batchesRead: number;
    batchesWritten: number;
    recordsRead: number;
    recordsRetained: number;
    bytesRead: number;
    bytesWritten: number;
    /** batches copied unchanged (no decode of their output needed) */
    batchesCopied: number;
    /** records dropped for having no key */
    keylessRecords: number;
}
/**
 * Rewrites batches of the segments being cleaned. Yields, every `batchesPerStep` input batches,
 * the output batches of that step (views into the input when copied unchanged, new buffers when
 * re-encoded) to be appended, in order, to the cleaned segment. Returns the totals.
 */
export declare function cleanBatches(input: Iterable<Buffer>, opts: CleanOptions): Generator<Buffer[], CleanStats>;
/** One batch: the batch itself, a rewritten one, an empty header, or null (removed). */
export declare function cleanBatch(batch: Buffer, opts: CleanOptions, stats?: CleanStats): Buffer | null;
/**
 * Runs a step generator in the background: one step per `schedule` tick (setImmediate by
 * default, so I/O callbacks and appends run between steps). `onStep` receives what each step
 * yields. Resolves with the generator's return value.
 */
export declare function runInBackground<Y, R>(job: Generator<Y, R>, onStep?: (value: Y) => void, schedule?: (fn: () => void) => void): Promise<R>;
/** Runs a step generator to completion synchronously (tests, small logs). */
export declare function runToCompletion<Y, R>(job: Generator<Y, R>, onStep?: (value: Y) => void): R;
/**
 * The whole algorithm over an in-memory log (the memory engine, tests): builds the map over
 * [firstDirtyOffset, endOffset) and cleans every batch below the map's end; batches from there on
 * are passed through. Returns the new log's batches and the new checkpoint.
 */
export declare function compactBatches(batches: readonly Buffer[], opts: Omit<CleanOptions, 'map'> & {
    firstDirtyOffset?: bigint;
    endOffset: bigint;
    maxMapEntries?: number;
}): {
    batches: Buffer[];
    cleanUpTo: bigint;
    stats: CleanStats;
};
