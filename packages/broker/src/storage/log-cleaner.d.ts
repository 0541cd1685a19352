import { type CleanStats, type ProducerLastBatch } from './cleaner.js';
import type { LogConfig, PartitionLog } from './partition-log.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
export declare const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
export interface CleanableLog {
    log: PartitionLog;
    /** The log's effective config (cleanup.policy, delete.retention.ms, ...). */
    config: LogConfig;
    /** max.compaction.lag.ms (absent or >= 2^53: never forces a cleaning). */
    maxCompactionLagMs?: number;
}
/** A number, or a function giving the current value (dynamic broker configs). */
export type Setting = number | (() => number);
export interface LogCleanerOptions {
    clock: Clock;
    /** The hosted logs, asked for at every round. */
    logs: () => Iterable<CleanableLog>;
    /** The last data batch of each active producer of a log (ProducerStateManager.lastDataOffsets). */
    producerLastBatches?: (log: PartitionLog) => ReadonlyMap<bigint, ProducerLastBatch>;
    logger: Logger;
    /** log.cleaner.backoff.ms (a function: read at each use, so dynamic broker configs apply) */
    backoffMs: Setting;
    /** log.cleaner.dedupe.buffer.size: bounds the offset map (24 bytes an entry). */
    dedupeBufferSize: Setting;
    /** log.cleaner.io.buffer.size: bytes per read of the log. */
    ioBufferSize: Setting;
    /** Upper bound of a group's input bytes (and of the synchronous swap step); default 16 MiB. */
    maxGroupBytes?: number;
    /** Per step: batches (default 64) and time (default 5 ms) budgets. */
    batchesPerStep?: number;
    stepBudgetMs?: number;
    /** How the next step is scheduled (setImmediate). */
    schedule?: (fn: () => void) => void;
}
export interface LogCleanerStats {
    /** cleanings finished (a log cleaned up to its first uncleanable offset, or as far as the map went) */
    cleanings: number;
    /** cleanings dropped because the log changed under them, or failed */
    aborted: number;
    steps: number;
    /** longest single step (a map/clean step or a swap), ms of wall-clock time on the event loop */
    maxStepMs: number;
    /** longest swap (replaceSegments: write, fsync, reindex) */
    maxSwapMs: number;
    /** most CPU time (user + system) of one step, ms: the step's own work, without I/O waits */
    maxStepCpuMs: number;
    totalStepMs: number;
    bytesRead: number;
    bytesWritten: number;
    recordsRead: number;
    recordsRetained: number;
}
export interface CleaningResult {
    topic: string;
    partition: number;
    /** the new cleaner checkpoint */
    cleanedUpTo: bigint;
    forced: boolean;
    dirtyRatio: number;
    segmentsReplaced: number;
    stats: CleanStats;
}
/** The cleaner was stopped mid-cleaning. */
export declare class CleanerStoppedError extends Error {
    readonly name = "CleanerStoppedError";
}
export declare function isCompacted(config: LogConfig): boolean;
export declare class LogCleaner {
    private readonly opts;
    readonly stats: LogCleanerStats;
    /** log dir (or NO_DIR) -> topic-partition -> first dirty offset */
    private readonly checkpoints;
    /** Earliest delete horizon of a tombstone still in a log (ms), by log. */
    private readonly horizons;
    private readonly schedule;
    private readonly maxGroupBytes;
    private timer;
    private running;
    private stopping;
    /** The cleaning in progress (one at a time, as one cleaner thread). */
    private current;
    constructor(opts: LogCleanerOptions);
    /** Loads the checkpoints of `logDirs` (Kafka's format; an unreadable file counts as empty). */
    loadCheckpoints(logDirs: readonly string[]): void;
    /** Starts the background loop (log.cleaner.enable). */
    start(): void;
    /** Stops the loop; a cleaning in progress is dropped at its next step. */
    stop(): Promise<void>;
    /** The first dirty offset recorded for a log (the cleaner checkpoint), if any. */
    checkpointOf(log: PartitionLog): bigint | undefined;
    /**
     * Cleans the filthiest log now, if any log needs cleaning, after any cleaning in progress.
     * Resolves with what was done, or null when nothing needed cleaning.
     */
    cleanFilthiest(): Promise<CleaningResult | null>;
    /** Cleans until no log needs it (tests, admin); at most `maxCleanings`. Resolves with the cleanings done. */
    cleanAll(maxCleanings?: number): Promise<CleaningResult[]>;
    private loop;
    private grabFilthiest;
    /** Forgets checkpoints of logs no longer hosted (deleted topics). */
    private pruneCheckpoints;
    private cleanFilthiestNow;
    private clean;
    /** Whole batches of [from, to) in chunks of log.cleaner.io.buffer.size, read when asked for. */
    private readRange;
    /** Runs a step generator one step per `schedule` tick, timing each step. */
    private drive;
    private recordStep;
    private setCheckpoint;
    private writeCheckpointFile;
}
