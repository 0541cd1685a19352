export class StorageError extends Error {
}
/** An offset outside [logStartOffset, logEndOffset] (Kafka: OFFSET_OUT_OF_RANGE). */
export class OffsetOutOfRangeError extends StorageError {
    topic;
    partition;
    offset;
    logStartOffset;
    logEndOffset;
    name = 'OffsetOutOfRangeError';
    kind = 'offset-out-of-range';
    constructor(topic, partition, offset, logStartOffset, logEndOffset) {
        super(`offset ${offset} of ${topic}-${partition} is outside [${logStartOffset}, ${logEndOffset}]`);
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }
}
/** Bytes handed to append() that are not well-formed v2 batches (Kafka: CORRUPT_MESSAGE). */
export class CorruptRecordError extends StorageError {
    name = 'CorruptRecordError';
    kind = 'corrupt-record';
}
/** A batch larger than segment.bytes can never be stored (Kafka: RECORD_BATCH_TOO_LARGE / MESSAGE_TOO_LARGE). */
export class RecordBatchTooLargeError extends StorageError {
    name = 'RecordBatchTooLargeError';
    kind = 'record-batch-too-large';
}
/** A file-system failure (Kafka: KAFKA_STORAGE_ERROR); `cause` holds the fs error. */
export class StorageIoError extends StorageError {
    name = 'StorageIoError';
    kind = 'storage-io';
    constructor(message, options) {
        super(message, options);
    }
}
/** The log was closed or deleted (Kafka: NOT_LEADER_OR_FOLLOWER / KAFKA_STORAGE_ERROR by context). */
export class LogClosedError extends StorageError {
    name = 'LogClosedError';
    kind = 'log-closed';
}
//# sourceMappingURL=errors.js.map