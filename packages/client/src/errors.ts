/**
 * The client's errors: the one family of @samsa/network (SamsaError, here also named
 * ClientError, with stable `code`s as undici does) plus the codes only the client raises.
 * Kafka's own error codes stay KafkaError from @samsa/protocol (name, code, retriable).
 */
import { KafkaError } from '@samsa/protocol';
import { NetworkErrorCode } from '@samsa/network';

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
} as const;
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Throws KafkaError for a non-zero error code. */
export function throwIfError(code: number | undefined, message?: string | null): void {
  if (code !== undefined && code !== 0) throw KafkaError.from(code, message);
}
