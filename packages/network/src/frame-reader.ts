/**
 * Reads size-prefixed frames straight off a plain TCP socket through Node's `onread` option:
 * once a frame's size is known, the socket reads its remaining bytes directly into the frame's
 * own buffer, so a large Fetch response costs one kernel copy, not a 64 KiB chunk allocation
 * per read plus a concatenation (on the consumer that was a third of the client's CPU per GB).
 * Bytes read while no frame is open land in one reused scratch buffer; frames wholly inside it
 * are copied out (they are small), the start of a larger one seeds its frame buffer.
 *
 * A large frame's memory can be handed back (recycle) once its owner holds nothing of it: the
 * next large frame is read into it instead of into fresh memory. A multi-MiB buffer per Fetch
 * response is otherwise mapped afresh by malloc and page-faulted in on every read (a third of
 * the consumer's CPU per GB on a VM).
 */

/** Frames this large (and larger) are arena frames: their own memory, which recycle() can take back. */
export const ARENA_MIN_BYTES = 64 * 1024;
/** Arena sizes are rounded up to this, so a slightly larger next response still fits. */
const ARENA_ROUNDING = 1024 * 1024;

export class FrameReader {
  private readonly scratch = Buffer.allocUnsafeSlow(64 * 1024);
  /** The frame being filled, or null while reading into scratch. */
  private frame: Buffer | null = null;
  private filled = 0;
  private readonly sizePrefix = Buffer.alloc(4);
  private sizeFilled = 0;
  private failed = false;
  /** Memory of a recycled arena frame, for the next large frame. */
  private spare: Buffer | null = null;

  constructor(private readonly onFrame: (frame: Buffer) => void, private readonly onError: (err: Error) => void) {}

  /** Pass as net.connect({ onread }). */
  readonly onread = {
    buffer: (): Buffer => (this.frame !== null ? this.frame.subarray(this.filled) : this.scratch),
    callback: (n: number, buf: Buffer): boolean => {
      if (this.failed) return false;
      try {
        if (this.frame !== null && buf !== this.scratch) this.filledDirect(n);
        else this.consume(buf, n);
      } catch (err) {
        this.failed = true;
        this.onError(err as Error);
      }
      return true;
    },
  };

  private filledDirect(n: number): void {
    this.filled += n;
    if (this.filled === this.frame!.length) this.complete();
  }

  private complete(): void {
    const f = this.frame!;
    this.frame = null;
    this.filled = 0;
    this.onFrame(f);
  }

  /** Small frames come from Node's buffer pool; large ones get their own memory, a recycled arena's if it fits. */
  private allocate(size: number): Buffer {
    if (size < 4096) return Buffer.allocUnsafe(size);
    if (size < ARENA_MIN_BYTES) return Buffer.allocUnsafeSlow(size);
    const spare = this.spare;
    if (spare !== null && spare.length >= size) {
      this.spare = null;
      return spare.subarray(0, size);
    }
    return Buffer.allocUnsafeSlow(Math.ceil(size / ARENA_ROUNDING) * ARENA_ROUNDING).subarray(0, size);
  }

  /**
   * Takes back the memory of an arena frame this reader delivered, for a later frame to reuse.
   * The caller promises that nothing reads or keeps any view of `frame` from now on. Other
   * buffers (small frames, foreign memory) are ignored.
   */
  recycle(frame: Buffer): void {
    const memory = frame.buffer;
    if (!FrameReader.recyclable(frame) || memory === this.frame?.buffer) return;
    if (this.spare === null || this.spare.length < memory.byteLength) this.spare = Buffer.from(memory);
  }

  /**
   * Whether recycle() takes a frame's memory: an arena frame's (large, at the start of its own
   * memory). Judged by the frame's own length: a small frame at the start of Node's buffer pool
   * sits in memory as large as an arena when Buffer.poolSize is raised, and that memory is shared.
   */
  static recyclable(frame: Buffer): boolean {
    return frame.length >= ARENA_MIN_BYTES && frame.byteOffset === 0;
  }

  private consume(buf: Buffer, n: number): void {
    let p = 0;
    while (p < n) {
      if (this.frame === null) {
        const take = Math.min(4 - this.sizeFilled, n - p);
        buf.copy(this.sizePrefix, this.sizeFilled, p, p + take);
        this.sizeFilled += take;
        p += take;
        if (this.sizeFilled < 4) return;
        this.sizeFilled = 0;
        const size = this.sizePrefix.readInt32BE(0);
        if (size < 0) throw new Error(`invalid frame size ${size}`);
        this.frame = this.allocate(size);
        this.filled = 0;
        if (size === 0) {
          this.complete();
          continue;
        }
      }
      const take = Math.min(this.frame!.length - this.filled, n - p);
      buf.copy(this.frame!, this.filled, p, p + take);
      this.filled += take;
      p += take;
      if (this.filled === this.frame!.length) this.complete();
    }
  }
}
