/**
 * Typed storage errors. They carry no Kafka error codes: the server maps them to Kafka codes in
 * one place (by `kind`), so the storage layer stays independent of the protocol's error table.
 */
export type StorageErrorKind =
  | 'offset-out-of-range'
  | 'corrupt-record'
  | 'record-batch-too-large'
  | 'storage-io'
  | 'log-closed';

export abstract class StorageError extends Error {
  abstract readonly kind: StorageErrorKind;
}

/** An offset outside [logStartOffset, logEndOffset] (Kafka: OFFSET_OUT_OF_RANGE). */
export class OffsetOutOfRangeError extends StorageError {
  override readonly name = 'OffsetOutOfRangeError';
  readonly kind = 'offset-out-of-range' as const;
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super(`offset ${offset} of ${topic}-${partition} is outside [${logStartOffset}, ${logEndOffset}]`);
  }
}

/** Bytes handed to append() that are not well-formed v2 batches (Kafka: CORRUPT_MESSAGE). */
export class CorruptRecordError extends StorageError {
  override readonly name = 'CorruptRecordError';
  readonly kind = 'corrupt-record' as const;
}

/** A batch larger than segment.bytes can never be stored (Kafka: RECORD_BATCH_TOO_LARGE / MESSAGE_TOO_LARGE). */
export class RecordBatchTooLargeError extends StorageError {
  override readonly name = 'RecordBatchTooLargeError';
  readonly kind = 'record-batch-too-large' as const;
}

/** A file-system failure (Kafka: KAFKA_STORAGE_ERROR); `cause` holds the fs error. */
export class StorageIoError extends StorageError {
  override readonly name = 'StorageIoError';
  readonly kind = 'storage-io' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The log was closed or deleted (Kafka: NOT_LEADER_OR_FOLLOWER / KAFKA_STORAGE_ERROR by context). */
export class LogClosedError extends StorageError {
  override readonly name = 'LogClosedError';
  readonly kind = 'log-closed' as const;
}
