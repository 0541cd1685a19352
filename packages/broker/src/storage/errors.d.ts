/**
 * Typed storage errors. They carry no Kafka error codes: the server maps them to Kafka codes in
 * one place (by `kind`), so the storage layer stays independent of the protocol's error table.
 */
export type StorageErrorKind = 'offset-out-of-range' | 'corrupt-record' | 'record-batch-too-large' | 'storage-io' | 'log-closed';
export declare abstract class StorageError extends Error {
    abstract readonly kind: StorageErrorKind;
}
/** An offset outside [logStartOffset, logEndOffset] (Kafka: OFFSET_OUT_OF_RANGE). */
export declare class OffsetOutOfRangeError extends StorageError {
    readonly topic: string;
    readonly partition: number;
    readonly offset: bigint;
    readonly logStartOffset: bigint;
    readonly logEndOffset: bigint;
    readonly name = "OffsetOutOfRangeError";
    readonly kind: 'offset-out-of-range';
    constructor(topic: string, partition: number, offset: bigint, logStartOffset: bigint, logEndOffset: bigint);
}
/** Bytes handed to append() that are not well-formed v2 batches (Kafka: CORRUPT_MESSAGE). */
export declare class CorruptRecordError extends StorageError {
    readonly name = "CorruptRecordError";
    readonly kind: 'corrupt-record';
}
/** A batch larger than segment.bytes can never be stored (Kafka: RECORD_BATCH_TOO_LARGE / MESSAGE_TOO_LARGE). */
export declare class RecordBatchTooLargeError extends StorageError {
    readonly name = "RecordBatchTooLargeError";
    readonly kind: 'record-batch-too-large';
}
/** A file-system failure (Kafka: KAFKA_STORAGE_ERROR); `cause` holds the fs error. */
export declare class StorageIoError extends StorageError {
    readonly name = "StorageIoError";
    readonly kind: 'storage-io';
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/** The log was closed or deleted (Kafka: NOT_LEADER_OR_FOLLOWER / KAFKA_STORAGE_ERROR by context). */
export declare class LogClosedError extends StorageError {
    readonly name = "LogClosedError";
    readonly kind: 'log-closed';
}
