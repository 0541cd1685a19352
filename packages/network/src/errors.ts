/**
 * Errors raised by a connection itself, not by a broker, with stable `code`s (as undici does).
 * Kafka's own error codes stay KafkaError from @samsa/protocol.
 */

export const NetworkErrorCode = {
  /** A request got no response within request.timeout.ms. */
  REQUEST_TIMEOUT: 'ERR_SAMSA_REQUEST_TIMEOUT',
  /** Could not connect, or the connection dropped with requests in flight. */
  CONNECTION: 'ERR_SAMSA_CONNECTION',
  /** The connection was closed by its owner. */
  CLOSED: 'ERR_SAMSA_CLOSED',
  /** The broker does not serve an API (or no version both sides know). */
  UNSUPPORTED_API: 'ERR_SAMSA_UNSUPPORTED_API',
} as const;
export type NetworkErrorCodeValue = (typeof NetworkErrorCode)[keyof typeof NetworkErrorCode];

export class NetworkError extends Error {
  override readonly name: string = 'NetworkError';
  constructor(readonly code: NetworkErrorCodeValue, message: string, readonly retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class RequestTimeoutError extends NetworkError {
  override readonly name = 'RequestTimeoutError';
  constructor(message: string) {
    super(NetworkErrorCode.REQUEST_TIMEOUT, message, true);
  }
}

export class ConnectionError extends NetworkError {
  override readonly name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(NetworkErrorCode.CONNECTION, message, true, options);
  }
}

export class ClosedError extends NetworkError {
  override readonly name = 'ClosedError';
  constructor(what: string) {
    super(NetworkErrorCode.CLOSED, `${what} is closed`, false);
  }
}

export class UnsupportedApiError extends NetworkError {
  override readonly name = 'UnsupportedApiError';
  constructor(readonly apiName: string, detail: string) {
    super(NetworkErrorCode.UNSUPPORTED_API, `broker does not support ${apiName}: ${detail}`, false);
  }
}
