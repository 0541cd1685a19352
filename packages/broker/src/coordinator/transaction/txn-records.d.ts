import type { CoordinatorRecord } from '../records.js';
/** Kafka's TransactionState ids, as stored in transactionStatus. */
export declare enum TxnState {
    Empty = 0,
    Ongoing = 1,
    PrepareCommit = 2,
    PrepareAbort = 3,
    CompleteCommit = 4,
    CompleteAbort = 5,
    Dead = 6,
    PrepareEpochFence = 7
}
/** The names Kafka's tools print (TransactionState.stateName). */
export declare const TXN_STATE_NAMES: Record<TxnState, string>;
export interface TxnLogEntry {
    producerId: bigint;
    producerEpoch: number;
    timeoutMs: number;
    state: TxnState;
    /** topic -> partitions */
    partitions: Map<string, Set<number>>;
    lastUpdateTimestampMs: number;
    startTimestampMs: number;
}
export declare function txnRecord(transactionalId: string, e: TxnLogEntry): CoordinatorRecord;
export declare function txnTombstone(transactionalId: string): CoordinatorRecord;
/** Decodes a record; null for a key version this coordinator does not own (never written by Kafka). */
export declare function decodeTxnRecord(key: Buffer, value: Buffer | null): {
    transactionalId: string;
    entry: TxnLogEntry | null;
} | null;
