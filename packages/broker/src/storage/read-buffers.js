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
export const SLAB_BYTES = 8 * 1024 * 1024;
/** Larger reads get a buffer of their own (they would waste most of a slab). */
export const MAX_POOLED_READ = 2 * 1024 * 1024;
/**
 * Reads shorter than this are copied out of the slab into a small ordinary buffer (the region is
 * reused at once): the protocol Writer copies runs below 4 KiB into its own scratch buffer, so
 * such a lease would never come back through the socket write.
 */
export const MIN_LEASED_READ = 4096;
/** Free slabs kept for reuse (memory held while idle: this many slabs). */
const MAX_FREE_SLABS = 4;
export const EMPTY_READ = Buffer.alloc(0);
export class ReadBufferPool {
    slabBytes;
    maxPooledRead;
    current = null;
    free = [];
    leases = new WeakMap();
    /** The region handed out by reserve() and not yet committed. */
    reserved = null;
    reservedSlab = null;
    /** Slabs allocated so far (for tests and diagnostics). */
    slabsAllocated = 0;
    constructor(slabBytes = SLAB_BYTES, maxPooledRead = MAX_POOLED_READ) {
        this.slabBytes = slabBytes;
        this.maxPooledRead = maxPooledRead;
    }
    /**
     * Room for a read of up to `bytes`. Fill it, then call commit() with the bytes to keep before
     * the next reserve(): the region is only yours after commit.
     */
    reserve(bytes) {
        if (bytes > this.maxPooledRead) {
            this.reservedSlab = null;
            this.reserved = Buffer.allocUnsafeSlow(bytes);
            return this.reserved;
        }
        let slab = this.current;
        if (slab === null || slab.used + bytes > slab.buf.length) {
            if (slab !== null && slab.live === 0)
                slab.used = 0;
            else {
                // Full and still in use: it returns to the free list when its last lease is released.
                slab = this.free.pop() ?? this.newSlab();
                this.current = slab;
            }
        }
        this.reservedSlab = slab;
        this.reserved = slab.buf.subarray(slab.used, slab.used + bytes);
        return this.reserved;
    }
    /** Keeps the first `bytes` of the reserved region; returns them (a leased view when pooled). */
    commit(bytes) {
        const region = this.reserved;
        const slab = this.reservedSlab;
        this.reserved = null;
        this.reservedSlab = null;
        if (region === null)
            throw new Error('commit without reserve');
        if (bytes <= 0)
            return EMPTY_READ;
        if (slab === null)
            return bytes === region.length ? region : region.subarray(0, bytes);
        if (bytes < MIN_LEASED_READ)
            return Buffer.from(region.subarray(0, bytes));
        const view = slab.buf.subarray(slab.used, slab.used + bytes);
        slab.used += bytes;
        slab.live++;
        this.leases.set(view, slab);
        return view;
    }
    /** True when `buf` is a leased read not yet released. */
    isLeased(buf) {
        return this.leases.has(buf);
    }
    /**
     * Gives a leased read back: its bytes may be overwritten by later reads. Returns false (and
     * does nothing) for any other buffer, or one already released.
     */
    release(buf) {
        const slab = this.leases.get(buf);
        if (slab === undefined)
            return false;
        this.leases.delete(buf);
        if (--slab.live === 0) {
            slab.used = 0;
            if (slab !== this.current && this.free.length < MAX_FREE_SLABS)
                this.free.push(slab);
        }
        return true;
    }
    newSlab() {
        this.slabsAllocated++;
        return { buf: Buffer.allocUnsafeSlow(this.slabBytes), used: 0, live: 0 };
    }
}
//# sourceMappingURL=read-buffers.js.map