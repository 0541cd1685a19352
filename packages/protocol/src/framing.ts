/**
 * Kafka's transport framing: every request and response is an int32 size followed by that
 * many bytes. Sans-io: the decoder takes chunks as they come off a stream and hands back whole
 * frames, referencing the chunk when a frame sits inside one (the common case) and copying only
 * frames that straddle chunks.
 */

/** Thrown by FrameDecoder.push when a size prefix is negative or above the configured limit. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `invalid frame size ${size}` : `frame of ${size} bytes exceeds limit ${limit}`);
  }
}

export class FrameDecoder {
  /** Bytes of a partial frame (or a partial size prefix) carried over from earlier chunks. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, or -1 while the 4-byte prefix is incomplete. */
  private frameSize = -1;

  /**
   * `allocate` provides the memory for frames that straddle chunks (they are copied together);
   * a caller may hand out a reused buffer and take it back once it is done with the frame.
   */
  constructor(
    readonly maxFrameSize = 104857600,
    private readonly allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
    /** Told each frame's size as soon as its prefix is read (and accepted), before its body. */
    private readonly onFrameSize: ((size: number) => void) | null = null,
  ) {}

  /** Bytes buffered while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onFrame` for each complete frame (the payload without its size
   * prefix). A frame passed to onFrame may be a view into `chunk`: callers that keep it past
   * the call keep the chunk alive, which is fine for Node socket buffers (never reused).
   * Throws FrameTooLargeError as soon as a bad size prefix is seen.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let pos = 0;
    const len = chunk.length;
    if (this.pendingBytes > 0) {
      pos = this.continuePending(chunk, onFrame);
      if (pos < 0) return;
    }
    // Fast path: frames wholly inside this chunk are views, no copy.
    while (len - pos >= 4) {
      const size = chunk.readInt32BE(pos);
      this.check(size);
      this.onFrameSize?.(size);
      if (len - pos - 4 < size) break;
      onFrame(chunk.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < len) {
      const rest = chunk.subarray(pos);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      this.frameSize = rest.length >= 4 ? rest.readInt32BE(0) : -1;
    }
  }

  /** Completes a frame from pending bytes; returns the position in chunk after it, -1 if still incomplete. */
  private continuePending(chunk: Buffer, onFrame: (frame: Buffer) => void): number {
    let pos = 0;
    if (this.frameSize < 0) {
      const need = 4 - this.pendingBytes;
      if (chunk.length < need) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        return -1;
      }
      const prefix = Buffer.concat([...this.pending, chunk.subarray(0, need)], 4);
      this.frameSize = prefix.readInt32BE(0);
      this.check(this.frameSize);
      this.onFrameSize?.(this.frameSize);
      this.pending = [prefix];
      this.pendingBytes = 4;
      pos = need;
    }
    const total = 4 + this.frameSize;
    const missing = total - this.pendingBytes;
    if (chunk.length - pos < missing) {
      const part = chunk.subarray(pos);
      this.pending.push(part);
      this.pendingBytes += part.length;
      return -1;
    }
    this.pending.push(chunk.subarray(pos, pos + missing));
    const whole = this.allocate(total);
    let at = 0;
    for (const part of this.pending) at += part.copy(whole, at);
    this.pending = [];
    this.pendingBytes = 0;
    this.frameSize = -1;
    onFrame(whole.subarray(4));
    return pos + missing;
  }

  private check(size: number): void {
    if (size < 0 || size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize);
  }
}

/** The fixed-offset start of every request header (all header versions). */
export interface RequestHeaderPeek {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** Reads apiKey, apiVersion and correlationId without decoding the rest; null if the frame is too short. */
export function peekRequestHeader(frame: Buffer): RequestHeaderPeek | null {
  if (frame.length < 8) return null;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/**
 * Frames a response: [size][correlationId][empty tagged fields if header v1] + body chunks.
 * The first chunk carries the size and header; body chunks are passed through by reference so
 * large record runs go to the socket without a copy.
 */
export function frameResponse(correlationId: number, headerVersion: number, body: readonly Buffer[]): Buffer[] {
  let bodyBytes = 0;
  for (const b of body) bodyBytes += b.length;
  const headerBytes = headerVersion >= 1 ? 5 : 4;
  const head = Buffer.allocUnsafe(4 + headerBytes);
  head.writeInt32BE(headerBytes + bodyBytes, 0);
  head.writeInt32BE(correlationId, 4);
  if (headerVersion >= 1) head[8] = 0;
  const out = new Array<Buffer>(body.length + 1);
  out[0] = head;
  for (let i = 0; i < body.length; i++) out[i + 1] = body[i]!;
  return out;
}

/** Frames a request payload (header + body already encoded) for tests and clients. */
export function frameRequest(payload: readonly Buffer[]): Buffer[] {
  let n = 0;
  for (const b of payload) n += b.length;
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(n, 0);
  return [size, ...payload];
}
