/**
 * One client connection: frames in, responses out. Requests may complete out of order (async
 * handlers, long polls), but responses are written strictly in request order, as Kafka
 * clients require. Backpressure: reading pauses while too many requests are in flight or the
 * socket holds too many unsent bytes, and resumes on drain.
 */
import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError } from '@samsa/protocol/framing';
import type { LeasedReads } from '../storage/read-buffers.js';
import type { Logger } from '../util/log.js';
import { readIntoChosenBuffers } from './direct-reads.js';
import { FrameBufferPool } from './frame-buffers.js';
import type { RequestMemoryPool, RequestMemoryWaiter } from './request-memory.js';

/** Thrown by a dispatcher to close the connection (Kafka closes on unsupported versions and bad frames). */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';
}

/** What a dispatch produces: the framed response, or null when the request gets none (acks=0). */
export type DispatchResult = Buffer[] | null;

export interface Dispatcher {
  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** connections.max.idle.ms; <= 0 disables. */
  idleMs: number;
  /** Pause reading above this many unanswered requests (queued.max.requests-ish). */
  maxInFlight: number;
  /** Pause reading while the socket buffers more than this many bytes of responses. */
  writeHighWater: number;
  /**
   * Passed before responses leave: appends they acknowledge must be readable after a crash of
   * this process (the storage engine's staged writes). null when they are, a Promise of the
   * same when they will be, or the Error of a lost write.
   */
  durabilityBarrier: () => Error | null | Promise<Error | null>;
  /** The pool whose leased reads responses carry (released once the kernel has copied them). */
  readBuffers: LeasedReads;
  /** queued.max.request.bytes across the broker's connections (absent: unbounded). */
  requestMemory?: RequestMemoryPool;
  /** Memory for request frames, shared by the broker's connections (absent: one of its own). */
  frameBuffers?: FrameBufferPool;
}

const PRODUCE_API_KEY = 0;
/**
 * A frame's missing rest is read straight into the frame when at least this large; a smaller
 * rest goes through the read buffer, so one read also brings the requests after it.
 */
const MIN_DIRECT_READ_BYTES = 16 * 1024;
/** How long an ended connection waits for the client to close before it is destroyed. */
const CLOSE_LINGER_MS = 1000;

/** A request's place in the response order. */
interface Slot {
  done: boolean;
  chunks: Buffer[] | null;
  /** Request memory held until the response passes the durability barrier. */
  requestBytes: number;
  /**
   * A pooled Produce frame, given back only once its response passed the durability barrier:
   * the storage may write the batches from it until then (AppendOptions.callerKeepsBatches).
   */
  frame: Buffer | null;
}

let nextConnectionId = 0;

export class Connection {
  readonly id: string;
  readonly remote: string;
  /** Set from the first request header; for logs and quotas. */
  clientId: string | null = null;
  clientSoftwareName: string | null = null;
  clientSoftwareVersion: string | null = null;

  /** null once the connection is ending: what arrives then is discarded. */
  private decoder: FrameDecoder | null;
  private readonly slots: Slot[] = [];
  private paused = false;
  private closed = false;
  private readonly onDataBound = (chunk: Buffer): void => this.onData(chunk);
  private readonly onFrameBound = (frame: Buffer): void => this.onFrame(frame);

  constructor(
    readonly socket: Socket,
    readonly listenerName: string,
    private readonly dispatcher: Dispatcher,
    private readonly opts: ConnectionOptions,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.id = `${socket.localAddress ?? ''}:${socket.localPort ?? ''}-${this.remote}-${nextConnectionId++}`;
    this.memory = opts.requestMemory !== undefined && opts.requestMemory.bounded ? opts.requestMemory : null;
    this.frameBuffers = opts.frameBuffers ?? new FrameBufferPool();
    this.direct = readIntoChosenBuffers(socket, this.nextReadBound, this.onReadBound);
    this.decoder = new FrameDecoder(opts.maxFrameBytes, this.allocateFrame, this.memory === null ? null : this.onFrameSizeBound, this.direct);
    socket.setNoDelay(true);
    if (!this.direct) socket.on('data', this.onDataBound);
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug(`Connection ${this.id} error: ${err.message}`));
    socket.on('close', () => this.finish());
    if (opts.idleMs > 0) {
      socket.setTimeout(opts.idleMs, () => {
        if (this.slots.length > 0) return; // a long poll or slow handler is not idleness
        this.log.debug(`Closing idle connection ${this.id} after ${opts.idleMs} ms`);
        this.close();
      });
    }
  }

  /** Whether socket reads go into buffers the connection chooses (plain TCP), not Node's fresh buffer per read. */
  get readsDirectly(): boolean {
    return this.direct;
  }
  private readonly direct: boolean;

  /** Requests received and not yet answered (including ones awaiting earlier responses). */
  get inFlight(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  close(reason?: string): void {
    if (this.closed) return;
    if (reason !== undefined) this.log.info(`Closing connection ${this.id}${this.clientId !== null ? ` (client ${this.clientId})` : ''}: ${reason}`);
    // Responses of earlier requests go out first, once what they acknowledge is written.
    const pending = this.pendingBatch === null ? [] : this.pendingBatch;
    const batch = [...pending, ...this.takeOutQueue()];
    this.finish();
    if (batch.length === 0) {
      this.socket.destroy();
      return;
    }
    const barrier = this.opts.durabilityBarrier();
    const send = (failure: Error | null): void => {
      if (failure === null) {
        this.writeChunks(batch);
        this.socket.end();
        this.socket.destroySoon();
      } else {
        this.socket.destroy();
      }
    };
    if (barrier instanceof Promise) barrier.then(send, (e: unknown) => send(e as Error));
    else send(barrier);
  }

  /** Closes after the responses already queued are written (shutdown). */
  closeGracefully(): void {
    if (this.closed) return;
    this.socket.pause();
    this.endWhenIdle = true;
    this.maybeEnd();
  }
  private endWhenIdle = false;
  private backlog: Buffer[] = [];

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.memory !== null) {
      this.memory.cancel(this.memoryWaiter);
      const held = this.memoryHeld;
      this.memoryHeld = 0;
      this.memoryWanted = 0;
      this.memory.release(held);
    }
    this.slots.length = 0;
    this.backlog = [];
    this.outQueue = [];
    this.outFrames = []; // the storage may still write from them: left to the GC, never reused
    this.pendingBatch = null;
    this.outBytes = 0;
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.decoder === null) return;
    try {
      this.decoder.push(chunk, this.onFrameBound);
    } catch (e) {
      if (e instanceof FrameTooLargeError) {
        this.close(`${e.message} (socket.request.max.bytes)`);
        return;
      }
      throw e;
    }
  }

  /** Where the next socket read goes: the rest of the frame being read, else the shared read buffer. */
  private nextRead(): Buffer {
    return this.decoder?.directTarget(MIN_DIRECT_READ_BYTES) ?? this.frameBuffers.readBuffer;
  }
  private readonly nextReadBound = (): Buffer => this.nextRead();

  private onRead(bytes: number, buffer: Buffer): void {
    if (buffer === this.frameBuffers.readBuffer) {
      this.onData(buffer.subarray(0, bytes));
      return;
    }
    // Read into the frame itself (the decoder is gone only if the connection is ending: discarded).
    this.decoder?.directFilled(bytes, this.onFrameBound);
  }
  private readonly onReadBound = (bytes: number, buffer: Buffer): void => this.onRead(bytes, buffer);

  // ---- responses out ------------------------------------------------------------------------
  // Completed responses (in request order) queue here and leave at the end of the event-loop
  // turn, in one writev: on loopback a small write costs as much as a 64 KiB one. Before they
  // leave they pass the storage's durability barrier: what they acknowledge is in the page cache
  // (the writes run on the thread pool; responses queued meanwhile wait for the next barrier).

  private outQueue: Buffer[][] = [];
  /** The batch waiting for a barrier (sent by close() if the connection closes meanwhile). */
  private pendingBatch: Buffer[][] | null = null;
  private outBytes = 0;
  private drainScheduled = false;
  private barrierPending = false;
  private readonly drainBound = (): void => this.drain();

  /** Request memory of the queued responses' requests (released once they are written). */
  private outRequestBytes = 0;
  /** Pooled frames of the queued responses' requests (given back once past the barrier). */
  private outFrames: Buffer[] = [];

  /** Queues a response (null: an acks=0 Produce, whose frame and memory still wait for the barrier). */
  private queueResponse(chunks: Buffer[] | null, requestBytes: number, frame: Buffer | null): void {
    if (chunks !== null) {
      this.outQueue.push(chunks);
      for (const c of chunks) this.outBytes += c.length;
    }
    this.outRequestBytes += requestBytes;
    if (frame !== null) this.outFrames.push(frame);
    if (!this.drainScheduled && !this.barrierPending) {
      this.drainScheduled = true;
      setImmediate(this.drainBound);
    }
  }

  private takeOutQueue(): Buffer[][] {
    const batch = this.outQueue;
    this.outQueue = [];
    this.outBytes = 0;
    return batch;
  }

  private takeOutRequestBytes(): number {
    const bytes = this.outRequestBytes;
    this.outRequestBytes = 0;
    return bytes;
  }

  private takeOutFrames(): Buffer[] {
    const frames = this.outFrames;
    if (frames.length > 0) this.outFrames = [];
    return frames;
  }

  private giveBackFrames(frames: Buffer[]): void {
    for (const f of frames) this.frameBuffers.give(f);
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.closed || this.barrierPending || (this.outQueue.length === 0 && this.outFrames.length === 0)) return;
    const batch = this.takeOutQueue();
    const requestBytes = this.takeOutRequestBytes();
    const frames = this.takeOutFrames();
    const barrier = this.opts.durabilityBarrier();
    if (barrier === null) {
      this.releaseRequest(requestBytes);
      this.giveBackFrames(frames);
      this.writeBatch(batch);
      return;
    }
    if (barrier instanceof Error) {
      this.abortUnwritten(barrier);
      return;
    }
    this.barrierPending = true;
    this.pendingBatch = batch;
    barrier.then((failure) => {
      this.barrierPending = false;
      this.pendingBatch = null;
      if (this.closed) return;
      if (failure !== null) {
        this.abortUnwritten(failure);
        return;
      }
      this.releaseRequest(requestBytes);
      this.giveBackFrames(frames);
      this.writeBatch(batch);
      if (this.outQueue.length > 0 || this.outFrames.length > 0) this.drain();
    }, (e: unknown) => this.abortUnwritten(e as Error));
  }

  private writeBatch(batch: Buffer[][]): void {
    this.writeChunks(batch);
    if (!this.maybeEnd()) this.checkPressure();
  }

  private writeChunks(batch: Buffer[][]): void {
    const socket = this.socket;
    const readBuffers = this.opts.readBuffers;
    socket.cork();
    for (const chunks of batch) {
      for (const c of chunks) {
        // A pooled log read goes back to its pool once the kernel has copied it (not on error).
        if (readBuffers.isLeased(c)) socket.write(c, (err) => err == null && readBuffers.release(c));
        else socket.write(c);
      }
    }
    socket.uncork();
  }

  /**
   * Ends the socket of a gracefully closing connection once nothing is left to answer. The
   * socket must then really close: a client may still be writing a request (a 31 MB one after
   * a failed SaslAuthenticate), and a paused socket never reads the client's FIN, so a
   * half-closed connection would stay open for good. What still arrives is read and
   * discarded until the client closes, and the socket is destroyed after a short linger.
   */
  private maybeEnd(): boolean {
    if (!this.endWhenIdle || this.slots.length > 0 || this.outQueue.length > 0 || this.barrierPending) return false;
    if (this.ending) return true;
    this.ending = true;
    this.decoder = null;
    this.socket.end();
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
    return true;
  }
  private ending = false;

  /**
   * A staged append could not be written: the queued responses may acknowledge it, so they are
   * dropped with the connection (the client retries; the failed segment answers
   * KAFKA_STORAGE_ERROR from then on) rather than sent as a false acknowledgement.
   */
  private abortUnwritten(failure: Error): void {
    this.log.error(`Appends could not be written (${failure.message}); closing ${this.id} without sending its pending responses`);
    this.finish();
    this.socket.destroy();
  }

  private onFrame(frame: Buffer): void {
    // Nothing more is taken from a connection that is closing (after a failed authentication).
    if (this.closed || this.endWhenIdle) return;
    // Frames that arrived in the same chunk as the one that tripped backpressure (or found the
    // request memory exhausted) wait here, bounded by one socket read, until the connection resumes.
    if (this.paused || this.muted) {
      this.backlog.push(frame);
      return;
    }
    this.process(frame);
  }

  // ---- request memory -----------------------------------------------------------------------
  // Large frames live in the broker's frame buffer pool (a fresh buffer per large request drove
  // page faults and V8's external-memory GCs). Produce frames give theirs back once their
  // response passed the durability barrier (the file engine writes large batches from the frame
  // itself, without a copy); other requests may keep views of their frame (group metadata, SASL
  // bytes), so theirs are copied out and the pooled memory goes back at once.

  private readonly frameBuffers: FrameBufferPool;
  private readonly allocateFrame = (size: number): Buffer => this.frameBuffers.take(size);

  // ---- queued.max.request.bytes ------------------------------------------------------------
  // Each request holds its size in the broker's request memory pool from the moment its size
  // prefix is read until its response leaves, past the durability barrier: a produce's records
  // stay staged in memory until they are written, so they count until then. A request that finds the pool exhausted mutes
  // the connection: its socket stops being read (what one read already brought waits in the
  // backlog) until memory is released, and then everything it wanted is reserved at once.

  private readonly memory: RequestMemoryPool | null;
  private muted = false;
  /** Bytes reserved in the pool for this connection's requests. */
  private memoryHeld = 0;
  /** Bytes of requests whose size was read while muted, reserved when the connection wakes. */
  private memoryWanted = 0;
  private readonly memoryWaiter: RequestMemoryWaiter = { wake: () => this.unmute() };
  private readonly onFrameSizeBound = (size: number): boolean => this.reserveRequest(size);

  /** Reserves a request's memory; false if it must wait (the frame is then not allocated until it is whole). */
  private reserveRequest(size: number): boolean {
    const pool = this.memory!;
    if (this.muted) {
      this.memoryWanted += size;
      return false;
    }
    if (pool.tryReserve(size)) {
      this.memoryHeld += size;
      return true;
    }
    this.muted = true;
    this.memoryWanted = size;
    this.socket.pause();
    pool.wait(this.memoryWaiter);
    return false;
  }

  private unmute(): void {
    const pool = this.memory!;
    if (this.closed || !this.muted) return;
    if (!pool.tryReserve(this.memoryWanted)) {
      pool.wait(this.memoryWaiter);
      return;
    }
    this.memoryHeld += this.memoryWanted;
    this.memoryWanted = 0;
    this.muted = false;
    this.resumeReading();
  }

  /** Requests were answered: their memory goes back to the pool. */
  private releaseRequest(size: number): void {
    if (this.memory === null || this.closed) return;
    this.memoryHeld -= size;
    this.memory.release(size);
  }

  /** Whether reading is muted because the request memory pool was exhausted. */
  get isMuted(): boolean {
    return this.muted;
  }

  private process(frame: Buffer): void {
    const size = frame.length;
    const slot: Slot = { done: false, chunks: null, requestBytes: this.memory === null ? 0 : size, frame: null };
    this.slots.push(slot);
    const pool = this.frameBuffers;
    let pooled = pool.owns(frame);
    if (pooled && (frame.length < 2 || frame.readInt16BE(0) !== PRODUCE_API_KEY)) {
      const own = Buffer.from(frame);
      pool.give(frame);
      frame = own;
      pooled = false;
    }
    // A failed dispatch closes the connection: its frame is left to the GC (the storage may
    // still write from it), never given back.
    if (pooled) slot.frame = frame;
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.failed(e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (e) => this.failed(e),
      );
      this.checkPressure();
    } else {
      this.complete(slot, result);
    }
  }

  private failed(e: unknown): void {
    if (e instanceof CloseConnection) this.close(e.message);
    else {
      this.log.error(`Unexpected error processing a request on ${this.id}; closing the connection`, e);
      this.close();
    }
  }

  private complete(slot: Slot, chunks: DispatchResult): void {
    if (this.closed) return;
    slot.done = true;
    slot.chunks = chunks;
    if (this.slots[0] !== slot) {
      this.checkPressure();
      return;
    }
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const s = this.slots.shift()!;
      if (s.chunks !== null || s.frame !== null) this.queueResponse(s.chunks, s.requestBytes, s.frame);
      else this.releaseRequest(s.requestBytes);
    }
    if (!this.maybeEnd()) this.checkPressure();
  }

  private checkPressure(): void {
    const over = this.slots.length >= this.opts.maxInFlight || this.socket.writableLength + this.outBytes > this.opts.writeHighWater;
    if (over && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!over) {
      this.maybeResume();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || this.endWhenIdle) return;
    if (this.slots.length >= this.opts.maxInFlight || this.socket.writableLength + this.outBytes > this.opts.writeHighWater) return;
    this.paused = false;
    this.resumeReading();
  }

  /** Processes what waited in the backlog, then reads the socket again, unless paused or muted meanwhile. */
  private resumeReading(): void {
    if (this.paused || this.muted || this.closed || this.endWhenIdle) return;
    while (this.backlog.length > 0 && !this.paused && !this.muted && !this.closed) this.process(this.backlog.shift()!);
    if (!this.paused && !this.muted && !this.closed) this.socket.resume();
  }
}
