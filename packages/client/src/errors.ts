/**
 * The client's errors: the one family of @samsa/network (SamsaError, here also named
 * ClientError, with stable `code`s as undici does) plus the codes only the client raises.
 * Kafka's own error codes stay KafkaError from @samsa/protocol (name, code, retriable).
 */
import { KafkaError } from '@samsa/protocol';
import { NetworkErrorCode, SamsaError } from '@samsa/network';

export { KafkaError };
export { SamsaError, SamsaError as ClientError, ClosedError, ConnectionError, RequestTimeoutError, UnsupportedApiError, NetworkErrorCode, isRetriable } from '@samsa/network';

/** Stable codes of errors raised on the client's side, not by a broker. */
export const ClientErrorCode = {
  ...NetworkErrorCode,
  /** A record was not acknowledged within delivery.timeout.ms. */
  DELIVERY_TIMEOUT: 'ERR_SAMSA_DELIVERY_TIMEOUT',
  /** enable.idempotence is on but the broker has no InitProducerId. */
  IDEMPOTENCE_UNAVAILABLE: 'ERR_SAMSA_IDEMPOTENCE_UNAVAILABLE',
  /** Metadata could not be fetched for a topic or partition in time. */
  METADATA_TIMEOUT: 'ERR_SAMSA_METADATA_TIMEOUT',
  /** auto.offset.reset=none and there is no committed offset, or it is out of range. */
  NO_OFFSET: 'ERR_SAMSA_NO_OFFSET',
  /** buffer.memory stayed full for max.block.ms (Kafka's BufferExhaustedException / TimeoutException). */
  BUFFER_EXHAUSTED: 'ERR_SAMSA_BUFFER_EXHAUSTED',
  /** A record is larger than max.request.size / batch limits. */
  RECORD_TOO_LARGE: 'ERR_SAMSA_RECORD_TOO_LARGE',
  /** The log was truncated below the consumer's position (KIP-320) and auto.offset.reset=none. */
  LOG_TRUNCATION: 'ERR_SAMSA_LOG_TRUNCATION',
  /** A transactional call in the wrong state (Kafka's IllegalStateException): send() outside a transaction, commit after an error... */
  TRANSACTION_STATE: 'ERR_SAMSA_TRANSACTION_STATE',
  /**
   * Offsets could not be committed for the group because the consumer is no longer its current
   * member: the group rebalanced or removed it (Kafka's CommitFailedException). In a transaction
   * (sendOffsetsToTransaction) the transaction must be aborted and the input processed again.
   */
  COMMIT_FAILED: 'ERR_SAMSA_COMMIT_FAILED',
  /** The transaction was aborted: records not yet sent when abortTransaction() ran (Kafka's TransactionAbortedException). */
  TRANSACTION_ABORTED: 'ERR_SAMSA_TRANSACTION_ABORTED',
} as const;
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Where a partition's log stops agreeing with what a consumer read: the first offset known to diverge. */
export interface DivergentOffset {
  topic: string;
  partition: number;
  /** The consumer's position when the truncation was detected. */
  position: bigint;
  /** The end offset of the consumer's leader epoch on the leader, null when the leader does not know the epoch. */
  offset: bigint | null;
  leaderEpoch: number | null;
}

/**
 * Kafka's LogTruncationException (KIP-320): after a leader change the log no longer holds what
 * the consumer read up to its position (an unclean election truncated it), and
 * auto.offset.reset=none forbids resetting. seek() the partition (to `offset` to resume where
 * the logs agree) to go on.
 */
export class LogTruncationError extends SamsaError {
  override readonly name = 'LogTruncationError';
  constructor(readonly divergentOffsets: DivergentOffset[]) {
    super(ClientErrorCode.LOG_TRUNCATION, `log truncation detected: ${divergentOffsets.map((d) => `${d.topic}-${d.partition} at ${d.position}${d.offset === null ? ' (the leader does not know the epoch)' : `, logs agree up to ${d.offset} (epoch ${d.leaderEpoch})`}`).join('; ')}; auto.offset.reset=none, seek to continue`, false);
  }
}

/** Throws KafkaError for a non-zero error code. */
export function throwIfError(code: number | undefined, message?: string | null): void {
  if (code !== undefined && code !== 0) throw KafkaError.from(code, message);
}
