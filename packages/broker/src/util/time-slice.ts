/**
 * Long admin work (creating or deleting thousands of partitions' logs) run in short slices:
 * between slices the event loop serves other connections, so one request never stalls the
 * broker for seconds.
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly sliceMs: number) {}

  /** The current slice has run its length. */
  get expired(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Lets I/O and other requests in when the slice has run its length, then starts the next one. */
  async yieldIfExpired(): Promise<void> {
    if (!this.expired) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}

/** How long a slice of admin work on logs runs before it lets other work in. */
export const ADMIN_SLICE_MS = 5;
