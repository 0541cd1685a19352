/**
 * Reusable memory for request frames, shared by every connection of a broker. A fresh buffer
 * per large request (a 1 MB Produce) costs its page faults when the kernel first writes into
 * it, the allocator's mmap/munmap, and V8 mark-compacts driven by the external memory it adds;
 * a buffer that comes back here once its request is done is warm and costs none of them.
 * Buffers come in power-of-two size classes. What sits idle is at most what the broker's
 * requests held at their peak (so the next burst of the same size finds its buffers), never above
 * a hard cap; the rest is left to the GC.
 */

/** Frames below this size are ordinary small allocations (Node's own pool serves most of them). */
const MIN_POOLED_FRAME_BYTES = 8 * 1024;
/** Frames above this get a buffer of their own, not pooled. */
const MAX_POOLED_FRAME_BYTES = 16 * 1024 * 1024;
const MIN_CLASS_SHIFT = 13;
/**
 * The hard cap on idle frame memory. A client pipelining 1 MB Produce requests (librdkafka's
 * default allows many in flight) has up to a connection's in-flight limit of them in the broker
 * at once (each until its response passed the durability barrier), more when the broker falls
 * behind; a cap below that peak drops buffers that the next burst allocates afresh.
 */
export const DEFAULT_MAX_IDLE_FRAME_BYTES = 256 * 1024 * 1024;
/** Idle memory always allowed, whatever the peak. */
const MIN_IDLE_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameBufferPool {
  /** Idle buffers by size class (index = log2(size) - MIN_CLASS_SHIFT). */
  private readonly free: ArrayBuffer[][] = [];
  /** Buffers this pool handed out: only those may come back. */
  private readonly handedOut = new WeakSet<ArrayBuffer>();
  private idle = 0;
  private fresh = 0;
  /** Bytes handed out and not given back (buffers dropped with a closed connection stay counted: it only raises the idle limit, within the cap). */
  private inUse = 0;
  private peakInUse = 0;

  /**
   * The buffer every plain-TCP connection of the broker reads into when it does not read into a
   * frame: each read is consumed (its frames copied out) before the next read is made.
   */
  readonly readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

  /** maxIdleBytes: the most that may sit idle here between requests. */
  constructor(readonly maxIdleBytes = DEFAULT_MAX_IDLE_FRAME_BYTES) {}

  /** A buffer of exactly `size` bytes (a view on a pooled buffer when size is in the pooled range). */
  take(size: number): Buffer {
    if (size < MIN_POOLED_FRAME_BYTES) return Buffer.allocUnsafe(size);
    if (size > MAX_POOLED_FRAME_BYTES) return Buffer.allocUnsafeSlow(size);
    const cls = sizeClass(size);
    const list = this.free[cls];
    let memory = list?.pop();
    if (memory === undefined) {
      memory = Buffer.allocUnsafeSlow(1 << (cls + MIN_CLASS_SHIFT)).buffer as ArrayBuffer;
      this.fresh++;
    } else {
      this.idle -= memory.byteLength;
    }
    this.handedOut.add(memory);
    this.inUse += memory.byteLength;
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return Buffer.from(memory, 0, size);
  }

  /** Whether `buf` is a view on memory this pool handed out and not taken back yet. */
  owns(buf: Buffer): boolean {
    return this.handedOut.has(buf.buffer as ArrayBuffer);
  }

  /**
   * Takes back the memory of a buffer from take(): nothing may use any view on it afterwards.
   * Anything else is ignored.
   */
  give(buf: Buffer): void {
    const memory = buf.buffer as ArrayBuffer;
    if (!this.handedOut.delete(memory)) return;
    this.inUse -= memory.byteLength;
    if (this.idle + memory.byteLength > this.maxIdle) return;
    const cls = sizeClass(memory.byteLength);
    (this.free[cls] ??= []).push(memory);
    this.idle += memory.byteLength;
  }

  /** What may sit idle now: the peak the requests held, at least MIN_IDLE_FRAME_BYTES, at most maxIdleBytes. */
  get maxIdle(): number {
    return Math.min(this.maxIdleBytes, Math.max(MIN_IDLE_FRAME_BYTES, this.peakInUse));
  }

  /** Bytes idle in the pool. */
  get idleBytes(): number {
    return this.idle;
  }

  /** Buffers allocated because none of their class was idle (diagnostics, tests). */
  get freshAllocations(): number {
    return this.fresh;
  }
}

function sizeClass(size: number): number {
  return Math.max(0, Math.ceil(Math.log2(size)) - MIN_CLASS_SHIFT);
}
