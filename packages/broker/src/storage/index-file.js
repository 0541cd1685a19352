/**
 * Common machinery of Kafka's sparse index files (.index, .timeindex): fixed-size big-endian
 * entries, kept in memory and written through to the file.
 *
 * Unlike Kafka (which preallocates segment.index.bytes and mmaps), index files here are NOT
 * preallocated: the file always holds exactly the valid entries, so it is byte-for-byte what
 * Kafka leaves after trimming a closed segment's index (Kafka's tools read it unchanged).
 * Entries are written to the file lazily (persist() on flush, roll and close); after a crash the
 * segments past the recovery point get their indexes rebuilt, as Kafka does.
 * The entries of closed segments are loaded only when first looked up.
 */
import { closeSync, constants, ftruncateSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
const INITIAL_ENTRIES = 64;
export class IndexFile {
    path;
    entrySize;
    buf;
    count;
    persisted;
    fd = -1;
    truncatePending = false;
    maxEntries;
    constructor(path, entrySize, maxIndexBytes, existingEntries) {
        this.path = path;
        this.entrySize = entrySize;
        this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
        if (existingEntries === null) {
            this.buf = Buffer.alloc(INITIAL_ENTRIES * entrySize);
            this.count = 0;
            this.persisted = 0;
            this.truncatePending = true; // creates/empties the file at the first persist
        }
        else {
            this.buf = null;
            this.count = existingEntries;
            this.persisted = existingEntries;
        }
    }
    /** Entries in an existing index file, or null if its size is not a whole number of entries (corrupt). */
    static entriesOnDisk(path, entrySize) {
        const size = statSync(path).size;
        return size % entrySize === 0 ? size / entrySize : null;
    }
    get entries() {
        return this.count;
    }
    isFull() {
        return this.count >= this.maxEntries;
    }
    loaded() {
        if (this.buf === null) {
            const data = readFileSync(this.path);
            const buf = Buffer.alloc(Math.max(INITIAL_ENTRIES, this.count) * this.entrySize);
            data.copy(buf, 0, 0, this.count * this.entrySize);
            this.buf = buf;
        }
        return this.buf;
    }
    /** Room for one more entry; returns the byte position where it goes. */
    slot() {
        let buf = this.loaded();
        const at = this.count * this.entrySize;
        if (at + this.entrySize > buf.length) {
            const bigger = Buffer.alloc(buf.length * 2);
            buf.copy(bigger);
            this.buf = buf = bigger;
        }
        this.count++;
        return at;
    }
    /** Reads entry i's bytes without loading the whole file (for the last entry at startup). */
    entryBytes(i) {
        if (this.buf !== null)
            return this.buf.subarray(i * this.entrySize, (i + 1) * this.entrySize);
        const out = Buffer.alloc(this.entrySize);
        const fd = openSync(this.path, 'r');
        try {
            readSync(fd, out, 0, this.entrySize, i * this.entrySize);
        }
        finally {
            closeSync(fd);
        }
        return out;
    }
    /** Drops every entry (rebuild during recovery). */
    reset() {
        this.buf = Buffer.alloc(INITIAL_ENTRIES * this.entrySize);
        this.count = 0;
        this.persisted = 0;
        this.truncatePending = true;
    }
    /** Writes entries not yet in the file. Keeps the fd open (active segment) until close(). */
    persist() {
        if (!this.truncatePending && this.persisted === this.count)
            return;
        if (this.fd < 0)
            this.fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
        if (this.truncatePending) {
            ftruncateSync(this.fd, 0);
            this.truncatePending = false;
        }
        const buf = this.loaded();
        let pos = this.persisted * this.entrySize;
        const end = this.count * this.entrySize;
        while (pos < end)
            pos += writeSync(this.fd, buf, pos, end - pos, pos);
        this.persisted = this.count;
    }
    /** Persists and releases the file descriptor; entries stay in memory. */
    close() {
        this.persist();
        if (this.fd >= 0) {
            closeSync(this.fd);
            this.fd = -1;
        }
    }
    /** Frees the in-memory copy of a persisted index (reloaded on the next lookup). */
    unload() {
        if (this.persisted === this.count && !this.truncatePending)
            this.buf = null;
    }
}
//# sourceMappingURL=index-file.js.map