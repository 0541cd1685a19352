/**
 * queued.max.request.bytes: the memory requests may hold across every connection of the
 * broker, from the moment a request's size is read until it is answered (for a produce, until
 * its records are written from the storage's staging), as
 * Kafka's SimpleMemoryPool does for its SocketServer (non-strict: a request is let in whole
 * while any memory is free, so one larger than what is left, up to socket.request.max.bytes,
 * still gets through). A connection whose next request finds the pool exhausted is muted
 * (stops reading its socket) until memory is released; nothing is dropped or cut. Muted
 * connections wake in the order they were muted.
 */
export interface RequestMemoryWaiter {
  /** Called once memory is free again; the waiter reserves what it needs itself. */
  wake(): void;
}

export class RequestMemoryPool {
  private used = 0;
  private readonly waiters = new Set<RequestMemoryWaiter>();

  /** capacity <= 0: unbounded (Kafka's MemoryPool.NONE). */
  constructor(readonly capacity: number) {}

  get bounded(): boolean {
    return this.capacity > 0;
  }

  /** Bytes held by requests now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes` if any memory is free (then true); false when the pool is exhausted. */
  tryReserve(bytes: number): boolean {
    if (this.bounded && this.used >= this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.used -= bytes;
    if (this.waiters.size === 0 || this.used >= this.capacity) return;
    // Wake in mute order while memory is free; each waiter reserves as it wakes.
    for (const w of this.waiters) {
      if (this.used >= this.capacity) break;
      this.waiters.delete(w);
      w.wake();
    }
  }

  wait(w: RequestMemoryWaiter): void {
    this.waiters.add(w);
  }

  cancel(w: RequestMemoryWaiter): void {
    this.waiters.delete(w);
  }

  get mutedCount(): number {
    return this.waiters.size;
  }
}
