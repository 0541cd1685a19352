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
  /** Bytes of a partial size prefix (fewer than 4) carried over from earlier chunks. */
  private prefix: Buffer[] = [];
  private prefixBytes = 0;
  /**
   * The frame being assembled (size prefix included), allocated once its size is known: each
   * later chunk is copied in as it arrives, while the kernel's copy of it is still in the CPU
   * cache, and the chunk is free for the GC at once instead of being held until the frame ends.
   */
  private whole: Buffer | null = null;
  private filled = 0;
  /**
   * The pieces of a frame whose memory was not granted (onFrameSize returned false): they are
   * held as they came and copied together only when the frame is complete, so a connection
   * waiting for request memory holds no more than what it already read.
   */
  private pieces: Buffer[] | null = null;

  /**
   * `allocate` provides the memory for frames that straddle chunks (they are copied together);
   * a caller may hand out a reused buffer and take it back once it is done with the frame.
   */
  constructor(
    readonly maxFrameSize = 104857600,
    private readonly allocate: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
    /**
     * Told each frame's size as soon as its prefix is read (and accepted), before its body;
     * returning false defers the frame's allocation until all of it has arrived.
     */
    private readonly onFrameSize: ((size: number) => boolean) | null = null,
    /**
     * The caller reuses each chunk's memory once push returns (one read buffer for every read):
     * then no frame or partial frame is ever a view into a chunk; frames are copied out into
     * `allocate`d memory.
     */
    private readonly reusesChunks = false,
  ) {}

  /**
   * Where the next read may go directly, with no copy afterwards: the unfilled rest of the frame
   * being assembled, when at least `minBytes` of it are missing; null otherwise. After reading
   * into it, call directFilled with the byte count.
   */
  directTarget(minBytes: number): Buffer | null {
    const whole = this.whole;
    if (whole === null || whole.length - this.filled < Math.max(1, minBytes)) return null;
    return whole.subarray(this.filled);
  }

  /** `n` bytes were read into the buffer directTarget returned; calls `onFrame` if that completed the frame. */
  directFilled(n: number, onFrame: (frame: Buffer) => void): void {
    const whole = this.whole;
    if (whole === null || n < 0 || this.filled + n > whole.length) throw new RangeError(`no direct read of ${n} bytes is pending`);
    this.filled += n;
    if (this.filled < whole.length) return;
    this.whole = null;
    this.filled = 0;
    onFrame(whole.subarray(4));
  }

  /** Bytes buffered while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.whole === null && this.pieces === null ? this.prefixBytes : this.filled;
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
    if (this.whole !== null || this.pieces !== null || this.prefixBytes > 0) {
      pos = this.continuePending(chunk, onFrame);
      if (pos < 0) return;
    }
    // Fast path: frames wholly inside this chunk are views, no copy.
    while (len - pos >= 4) {
      const size = chunk.readInt32BE(pos);
      this.check(size);
      const granted = this.onFrameSize?.(size) ?? true;
      if (len - pos - 4 < size) {
        this.startFrame(size, chunk.subarray(pos), granted);
        return;
      }
      onFrame(this.reusesChunks ? this.copyOut(chunk, pos, 4 + size) : chunk.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < len) {
      const rest = this.keep(chunk.subarray(pos));
      this.prefix.push(rest);
      this.prefixBytes = rest.length;
    }
  }

  /** A frame (prefix included) at `pos` of a chunk the caller reuses, copied into allocated memory. */
  private copyOut(chunk: Buffer, pos: number, bytes: number): Buffer {
    if (bytes === 4) return Buffer.alloc(0);
    const whole = this.allocate(bytes);
    chunk.copy(whole, 0, pos, pos + bytes);
    return whole.subarray(4);
  }

  /** A piece of a chunk held past push: copied when the caller reuses chunks. */
  private keep(piece: Buffer): Buffer {
    return this.reusesChunks ? Buffer.from(piece) : piece;
  }

  /** Allocates a frame of `size` whose first bytes (size prefix included) are `head`. */
  private startFrame(size: number, head: Buffer, granted: boolean): void {
    if (granted) {
      this.whole = this.allocate(4 + size);
      this.filled = head.copy(this.whole, 0);
    } else {
      this.pieces = [this.keep(head)];
      this.filled = head.length;
      this.deferredSize = 4 + size;
    }
  }
  private deferredSize = 0;

  /** Continues the frame in assembly; returns the position in chunk after it, -1 if still incomplete. */
  private continuePending(chunk: Buffer, onFrame: (frame: Buffer) => void): number {
    let pos = 0;
    if (this.whole === null && this.pieces === null) {
      const need = 4 - this.prefixBytes;
      if (chunk.length < need) {
        this.prefix.push(this.keep(chunk));
        this.prefixBytes += chunk.length;
        return -1;
      }
      const head = Buffer.concat([...this.prefix, chunk.subarray(0, need)], 4);
      this.prefix = [];
      this.prefixBytes = 0;
      const size = head.readInt32BE(0);
      this.check(size);
      const granted = this.onFrameSize?.(size) ?? true;
      pos = need;
      if (size === 0) {
        onFrame(Buffer.alloc(0));
        return pos;
      }
      this.startFrame(size, head, granted);
    }
    if (this.pieces !== null) return this.continueDeferred(chunk, pos, onFrame);
    const whole = this.whole!;
    const missing = whole.length - this.filled;
    if (chunk.length - pos < missing) {
      this.filled += chunk.copy(whole, this.filled, pos);
      return -1;
    }
    chunk.copy(whole, this.filled, pos, pos + missing);
    this.whole = null;
    this.filled = 0;
    onFrame(whole.subarray(4));
    return pos + missing;
  }

  private continueDeferred(chunk: Buffer, pos: number, onFrame: (frame: Buffer) => void): number {
    const pieces = this.pieces!;
    const missing = this.deferredSize - this.filled;
    if (chunk.length - pos < missing) {
      pieces.push(this.keep(chunk.subarray(pos)));
      this.filled += chunk.length - pos;
      return -1;
    }
    pieces.push(chunk.subarray(pos, pos + missing));
    const whole = this.allocate(this.deferredSize);
    let at = 0;
    for (const piece of pieces) at += piece.copy(whole, at);
    this.pieces = null;
    this.filled = 0;
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
