/**
 * Client-side errors with stable `code`s (as undici does), next to Kafka's own error codes,
 * which stay KafkaError from @samsa/protocol (name, code, retriable).
 */
import { KafkaError } from '@samsa/protocol';

export { KafkaError };

/** Stable codes of errors raised by the client itself, not by a broker. */
export const ClientErrorCode = {
  /** A request got no response within request.timeout.ms. */
  REQUEST_TIMEOUT: 'ERR_SAMSA_REQUEST_TIMEOUT',
  /** Could not connect, or the connection dropped with requests in flight. */
  CONNECTION: 'ERR_SAMSA_CONNECTION',
  /** The client (producer, consumer, admin) was closed. */
  CLOSED: 'ERR_SAMSA_CLOSED',
  /** The broker does not serve an API (or no version both sides know). */
  UNSUPPORTED_API: 'ERR_SAMSA_UNSUPPORTED_API',
  /** A record was not acknowledged within delivery.timeout.ms. */
  DELIVERY_TIMEOUT: 'ERR_SAMSA_DELIVERY_TIMEOUT',
  /** enable.idempotence is on but the broker has no InitProducerId. */
  IDEMPOTENCE_UNAVAILABLE: 'ERR_SAMSA_IDEMPOTENCE_UNAVAILABLE',
  /** An option has an invalid value. */
  CONFIG: 'ERR_SAMSA_CONFIG',
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

export class ClientError extends Error {
  override readonly name: string = 'ClientError';
  constructor(readonly code: ClientErrorCodeValue, message: string, readonly retriable = false, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class RequestTimeoutError extends ClientError {
  override readonly name = 'RequestTimeoutError';
  constructor(message: string) {
    super(ClientErrorCode.REQUEST_TIMEOUT, message, true);
  }
}

export class ConnectionError extends ClientError {
  override readonly name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ClientErrorCode.CONNECTION, message, true, options);
  }
}

export class ClosedError extends ClientError {
  override readonly name = 'ClosedError';
  constructor(what: string) {
    super(ClientErrorCode.CLOSED, `${what} is closed`);
  }
}

export class UnsupportedApiError extends ClientError {
  override readonly name = 'UnsupportedApiError';
  constructor(readonly apiName: string, detail: string) {
    super(ClientErrorCode.UNSUPPORTED_API, `broker does not support ${apiName}: ${detail}`);
  }
}

/** Whether an error (Kafka's or ours) is worth retrying. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  if (err instanceof ClientError) return err.retriable;
  return false;
}

/** Throws KafkaError for a non-zero error code. */
export function throwIfError(code: number | undefined, message?: string | null): void {
  if (code !== undefined && code !== 0) throw KafkaError.from(code, message);
}
