export declare const TXN_INDEX_SUFFIX = ".txnindex";
export interface AbortedTxn {
    producerId: bigint;
    firstOffset: bigint;
    lastOffset: bigint;
    lastStableOffset: bigint;
}
export declare class AbortedTxnIndex {
    private readonly dir;
    /** Ordered by lastOffset (markers are appended in offset order). */
    private entries;
    constructor(dir: string | null);
    private load;
    get size(): number;
    /** Records an aborted transaction whose marker landed in the segment starting at `segmentBaseOffset`. */
    append(txn: AbortedTxn, segmentBaseOffset: bigint): void;
    /** Aborted transactions with data in [fetchOffset, upperBoundOffset) (Kafka's collectAbortedTxns). */
    collect(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[];
    /** The log was truncated to `endOffset`: entries of markers at or after it go. */
    truncateTo(endOffset: bigint): void;
    /** The log start moved: transactions wholly before it are no longer needed. */
    dropBefore(logStartOffset: bigint): void;
    private rewriteFiles;
}
