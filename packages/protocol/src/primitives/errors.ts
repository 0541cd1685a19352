/**
 * The one error a decoder throws on bad bytes. Anything else escaping a decoder is a bug:
 * the fuzz tests assert exactly that.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
  constructor(message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

/** Raised when asked to encode a value that a version of a message cannot carry. */
export class ProtocolEncodeError extends Error {
  override readonly name = 'ProtocolEncodeError';
}
