/**
 * Buffers for log reads, carved from large reusable slabs.
 *
 * A fresh buffer per Fetch read costs more than the read itself at 1 GB/s: new memory
 * page-faults while the kernel copies into it, and short-lived ArrayBuffers of 1 MiB drive
 * V8's external-memory GCs (18% of the broker's consume time). Reads are therefore carved from
 * slabs: a read reserves room at the slab's bump position, and keeps (leases) only the bytes of
 * the whole batches it found. A slab is reused once every lease on it has been released.
 *
 * Each storage engine instance owns one pool (engines read synchronously, on the event loop).
 *
 * Releasing is optional: a lease that is never released (a caller that keeps the bytes, a
 * connection that closed before writing them) only keeps its slab out of the pool, and the
 * garbage collector frees the slab with its last view. Releasing is what makes reuse safe, so
 * it happens only when nobody can read the bytes again: the connection releases a response's
 * leased chunks in the socket write's callback (the kernel has copied them), the fetch handler
 * releases the reads it discards.
 */
/** Slab size: a few 1 MiB partition reads (Kafka's default max.partition.fetch.bytes) each. */
export declare const SLAB_BYTES: number;
/** Larger reads get a buffer of their own (they would waste most of a slab). */
export declare const MAX_POOLED_READ: number;
/**
 * Reads shorter than this are copied out of the slab into a small ordinary buffer (the region is
 * reused at once): the protocol Writer copies runs below 4 KiB into its own scratch buffer, so
 * such a lease would never come back through the socket write.
 */
export declare const MIN_LEASED_READ = 4096;
export declare const EMPTY_READ: Buffer;
export declare class ReadBufferPool {
    private readonly slabBytes;
    private readonly maxPooledRead;
    private current;
    private readonly free;
    private readonly leases;
    /** The region handed out by reserve() and not yet committed. */
    private reserved;
    private reservedSlab;
    /** Slabs allocated so far (for tests and diagnostics). */
    slabsAllocated: number;
    constructor(slabBytes?: number, maxPooledRead?: number);
    /**
     * Room for a read of up to `bytes`. Fill it, then call commit() with the bytes to keep before
     * the next reserve(): the region is only yours after commit.
     */
    reserve(bytes: number): Buffer;
    /** Keeps the first `bytes` of the reserved region; returns them (a leased view when pooled). */
    commit(bytes: number): Buffer;
    /** True when `buf` is a leased read not yet released. */
    isLeased(buf: Buffer): boolean;
    /**
     * Gives a leased read back: its bytes may be overwritten by later reads. Returns false (and
     * does nothing) for any other buffer, or one already released.
     */
    release(buf: Buffer): boolean;
    private newSlab;
}
/** What a connection needs of a pool: giving a response's leased reads back after the write. */
export interface LeasedReads {
    isLeased(buf: Buffer): boolean;
    release(buf: Buffer): boolean;
}
