export declare const NUM_BATCHES_TO_RETAIN = 5;
/**
 * Like the StorageError classes of errors.ts, these carry a `kind` (named after Kafka's error
 * code) and no numeric code: the server maps kinds to Kafka codes in one place.
 */
export type ProducerStateErrorKind = 'out-of-order-sequence-number' | 'invalid-producer-epoch' | 'unknown-producer-id' | 'invalid-txn-state';
export declare abstract class ProducerStateError extends Error {
    abstract readonly kind: ProducerStateErrorKind;
}
/** Kafka: OUT_OF_ORDER_SEQUENCE_NUMBER. */
export declare class OutOfOrderSequenceError extends ProducerStateError {
    readonly name = "OutOfOrderSequenceError";
    readonly kind: 'out-of-order-sequence-number';
}
/** Kafka: INVALID_PRODUCER_EPOCH. The batch's epoch is older than the producer's current one. */
export declare class InvalidProducerEpochError extends ProducerStateError {
    readonly name = "InvalidProducerEpochError";
    readonly kind: 'invalid-producer-epoch';
}
/**
 * Kafka: UNKNOWN_PRODUCER_ID. Kept for the error table; Kafka >= 2.5 no longer returns it from the
 * append path and neither do we (see the file comment).
 */
export declare class UnknownProducerIdError extends ProducerStateError {
    readonly name = "UnknownProducerIdError";
    readonly kind: 'unknown-producer-id';
}
/** Kafka: INVALID_TXN_STATE. A non-transactional batch while the producer has a transaction open. */
export declare class InvalidTxnStateError extends ProducerStateError {
    readonly name = "InvalidTxnStateError";
    readonly kind: 'invalid-txn-state';
}
/** A snapshot file that fails its version, size or CRC check. Loading skips (and deletes) it. */
export declare class CorruptSnapshotError extends Error {
    readonly name = "CorruptSnapshotError";
}
export declare function incrementSequence(sequence: number, increment: number): number;
export declare function decrementSequence(sequence: number, decrement: number): number;
/** The producer-related fields of a v2 batch header. */
export interface ProducerBatchHeader {
    producerId: bigint;
    producerEpoch: number;
    baseSequence: number;
    /** baseSequence + lastOffsetDelta, wrapping at int32 max (see `lastSequenceOf`). */
    lastSequence: number;
    isTransactional: boolean;
    recordCount: number;
    maxTimestamp: bigint;
}
export interface BatchMetadata {
    firstSeq: number;
    lastSeq: number;
    firstOffset: bigint;
    lastOffset: bigint;
    timestamp: bigint;
}
export interface ProducerStateEntry {
    producerId: bigint;
    producerEpoch: number;
    /** oldest first, at most NUM_BATCHES_TO_RETAIN */
    batches: BatchMetadata[];
    lastTimestamp: bigint;
    coordinatorEpoch: number;
    /** -1n when no transaction is open */
    currentTxnFirstOffset: bigint;
}
export type CheckResult = {
    kind: 'append';
} | {
    kind: 'duplicate';
    firstOffset: bigint;
    lastOffset: bigint;
    timestamp: bigint;
};
/** What DescribeProducers returns per producer. */
export interface ActiveProducer {
    producerId: bigint;
    producerEpoch: number;
    lastSequence: number;
    lastTimestamp: bigint;
    coordinatorEpoch: number;
    currentTxnStartOffset: bigint;
}
/** An end-transaction marker (the value of a control record), for `onAppended` of control batches. */
export interface EndTxnMarker {
    /** 0 = ABORT, 1 = COMMIT */
    type: number;
    coordinatorEpoch: number;
}
/** A transaction whose marker reached the log (Kafka's CompletedTxn). */
export interface CompletedTxn {
    producerId: bigint;
    firstOffset: bigint;
    /** offset of the marker */
    lastOffset: bigint;
    isAborted: boolean;
}
export interface ProducerStateManagerOptions {
    /** producer.id.expiration.ms */
    maxProducerIdExpirationMs: number;
    now: () => number;
}
export declare const lastSequenceOf: (baseSequence: number, lastOffsetDelta: number) => number;
/** Reads the producer fields from a batch's header bytes. */
export declare function producerBatchHeaderOf(buf: Buffer, pos?: number): ProducerBatchHeader;
export declare class ProducerStateManager {
    private readonly producers;
    private readonly expirationMs;
    private readonly now;
    /** Offset after the last batch applied (Kafka's mapEndOffset). */
    private mapEndOffset;
    /** Told of every transaction a marker completes (the aborted-transaction index listens). */
    onTxnCompleted: ((txn: CompletedTxn) => void) | null;
    constructor(opts: ProducerStateManagerOptions);
    get producerIdCount(): number;
    /** Offset after the last batch applied to this state. */
    get endOffset(): bigint;
    lastEntry(producerId: bigint): Readonly<ProducerStateEntry> | undefined;
    /**
     * Validates a client batch against the producer's state, without changing it. Duplicate
     * detection comes first (as UnifiedLog.analyzeAndValidateProducerState), then the epoch and
     * sequence checks of ProducerAppendInfo.
     */
    checkAndPrepare(h: ProducerBatchHeader): CheckResult;
    /**
     * Records a batch that is now in the log (client, follower or replay). `marker` is given for
     * control batches (transaction markers); data batches leave it undefined.
     */
    onAppended(h: ProducerBatchHeader, baseOffset: bigint, lastOffset: bigint, marker?: EndTxnMarker): void;
    /** Applies one batch read back from the log (recovery): no validation, as Kafka's replication origin. */
    replay(buf: Buffer, pos?: number): void;
    /** Replays every whole batch in `bytes` (concatenated batches, as in a segment). */
    replayBuffer(bytes: Buffer): void;
    /**
     * The first offset of the oldest open transaction (Kafka's firstUnstableOffset), or null when
     * none is open: the last stable offset cannot pass it.
     */
    firstUnstableOffset(): bigint | null;
    /** Drops producers idle for producer.id.expiration.ms (never one with an open transaction). */
    removeExpiredProducers(nowMs?: number): number;
    private isExpired;
    activeProducers(): ActiveProducer[];
    /**
     * Producer id -> offset of its last data batch (-1n if its last record is a marker) and epoch:
     * what the cleaner needs to keep each active producer's last batch (see cleaner.ts).
     */
    lastDataOffsets(): Map<bigint, {
        lastOffset: bigint;
        producerEpoch: number;
    }>;
    /** Forgets everything (log deleted or truncated to nothing); the next append lands at `offset`. */
    truncateFullyAndStartAt(dir: string, offset: bigint): void;
    /**
     * Writes `<offset>.snapshot` (Kafka's format) with the state up to `offset` (exclusive), then
     * keeps only the newest `keep` snapshots. Kafka stores only each producer's last batch, so after
     * a restart duplicates are detected for that batch only, as in Kafka.
     */
    takeSnapshot(dir: string, offset: bigint, keep?: number): string;
    /**
     * takeSnapshot with the file written off the event loop (a segment roll happens inside a
     * produce): the state is encoded now, the write, fsync and rename run on the thread pool, one
     * snapshot after the other. A snapshot lost to a crash only means a longer replay at startup.
     */
    takeSnapshotInBackground(dir: string, offset: bigint, keep?: number): Promise<void>;
    private snapshotWrites;
    /**
     * Replaces the state with the newest valid snapshot at or below `upToOffset`. Corrupt snapshots
     * are deleted and the next older one is tried. Producers already expired are not loaded.
     * Returns the snapshot's offset (replay the log from there), or null (replay from the log start).
     */
    loadLatestSnapshot(dir: string, upToOffset: bigint): bigint | null;
    /**
     * The log was truncated to [logStartOffset, logEndOffset): deletes snapshots outside that range
     * and reloads from the newest remaining one. Returns the offset to replay from (null = the log
     * start).
     */
    truncateAndReload(dir: string, logStartOffset: bigint, logEndOffset: bigint): bigint | null;
}
export declare const SNAPSHOT_SUFFIX = ".snapshot";
export declare const snapshotFileName: (offset: bigint) => string;
export declare function listSnapshots(dir: string): Array<{
    offset: bigint;
    file: string;
}>;
/** Deletes snapshots with offset > `offset` (after a log truncation). */
export declare function deleteSnapshotsAfter(dir: string, offset: bigint): void;
export declare function encodeSnapshot(entries: ProducerStateEntry[]): Buffer;
export declare function decodeSnapshot(buf: Buffer): ProducerStateEntry[];
