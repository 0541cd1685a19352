/**
 * Errors raised on our side of a connection, not by a broker, with stable `code`s (as undici
 * does). One family for every package that talks to brokers: the network layer raises the
 * codes below, the client adds its own codes (delivery timeout, buffer exhausted ...) to the same
 * `SamsaError` class. Kafka's own error codes stay KafkaError from @samsa/protocol.
 */
import { KafkaError } from '@samsa/protocol';

export const NetworkErrorCode = {
  /** A request got no response within request.timeout.ms. */
  REQUEST_TIMEOUT: 'ERR_SAMSA_REQUEST_TIMEOUT',
  /** Could not connect, or the connection dropped with requests in flight. */
  CONNECTION: 'ERR_SAMSA_CONNECTION',
  /** The connection (or the client owning it) was closed by its owner. */
  CLOSED: 'ERR_SAMSA_CLOSED',
  /** The broker does not serve an API (or no version both sides know). */
  UNSUPPORTED_API: 'ERR_SAMSA_UNSUPPORTED_API',
  /** An option has an invalid value (a SASL mechanism without its credentials ...). */
  CONFIG: 'ERR_SAMSA_CONFIG',
} as const;
export type NetworkErrorCodeValue = (typeof NetworkErrorCode)[keyof typeof NetworkErrorCode];

/** The base of every error Samsa raises itself; `code` is stable, `retriable` says whether a retry can help. */
export class SamsaError extends Error {
  override readonly name: string = 'SamsaError';
  constructor(readonly code: string, message: string, readonly retriable = false, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class RequestTimeoutError extends SamsaError {
  override readonly name = 'RequestTimeoutError';
  constructor(message: string) {
    super(NetworkErrorCode.REQUEST_TIMEOUT, message, true);
  }
}

export class ConnectionError extends SamsaError {
  override readonly name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(NetworkErrorCode.CONNECTION, message, true, options);
  }
}

export class ClosedError extends SamsaError {
  override readonly name = 'ClosedError';
  constructor(what: string) {
    super(NetworkErrorCode.CLOSED, `${what} is closed`, false);
  }
}

export class UnsupportedApiError extends SamsaError {
  override readonly name = 'UnsupportedApiError';
  constructor(readonly apiName: string, detail: string) {
    super(NetworkErrorCode.UNSUPPORTED_API, `broker does not support ${apiName}: ${detail}`, false);
  }
}

/** Whether an error (Kafka's or ours) is worth retrying. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  if (err instanceof SamsaError) return err.retriable;
  return false;
}
