export declare const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
export declare const UNDEFINED_EPOCH = -1;
export declare const UNDEFINED_EPOCH_OFFSET = -1n;
export interface EpochEntry {
    readonly epoch: number;
    readonly startOffset: bigint;
}
export declare class LeaderEpochFileCache {
    private entries;
    private readonly path;
    /** `dir` is the partition directory (null: kept in memory only, for the memory engine). */
    constructor(dir: string | null);
    /** Whether a checkpoint existed (false: rebuild from the log's batches). */
    get isEmpty(): boolean;
    get epochEntries(): readonly EpochEntry[];
    get latestEpoch(): number;
    /**
     * Records that `epoch` starts at `startOffset` (Kafka's assign). Entries that a new epoch
     * contradicts (same or larger epoch, same or larger start) are dropped first.
     */
    assign(epoch: number, startOffset: bigint): void;
    /** assign() without writing the file (batch rebuilds write once at the end). */
    assignInMemory(epoch: number, startOffset: bigint): boolean;
    /**
     * OffsetForLeaderEpoch: the largest epoch <= requested and the offset where the next epoch
     * starts (the log end for the latest epoch); (UNDEFINED_EPOCH, -1) when nothing is known.
     */
    endOffsetFor(requestedEpoch: number, logEndOffset: bigint): {
        epoch: number;
        endOffset: bigint;
    };
    /** The log was truncated to end at `endOffset`: epochs that started at or after it are gone. */
    truncateFromEnd(endOffset: bigint): void;
    /** The log start moved to `startOffset`: the epoch covering it now starts there. */
    truncateFromStart(startOffset: bigint): void;
    /** Forgets everything (truncateFullyAndStartAt). */
    clear(): void;
    persist(): void;
}
export declare function readEpochCheckpoint(path: string): EpochEntry[];
