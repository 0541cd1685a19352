export declare abstract class IndexFile {
    readonly path: string;
    readonly entrySize: number;
    protected buf: Buffer | null;
    protected count: number;
    private persisted;
    private fd;
    private truncatePending;
    readonly maxEntries: number;
    protected constructor(path: string, entrySize: number, maxIndexBytes: number, existingEntries: number | null);
    /** Entries in an existing index file, or null if its size is not a whole number of entries (corrupt). */
    static entriesOnDisk(path: string, entrySize: number): number | null;
    get entries(): number;
    isFull(): boolean;
    protected loaded(): Buffer;
    /** Room for one more entry; returns the byte position where it goes. */
    protected slot(): number;
    /** Reads entry i's bytes without loading the whole file (for the last entry at startup). */
    protected entryBytes(i: number): Buffer;
    /** Drops every entry (rebuild during recovery). */
    reset(): void;
    /** Writes entries not yet in the file. Keeps the fd open (active segment) until close(). */
    persist(): void;
    /** Persists and releases the file descriptor; entries stay in memory. */
    close(): void;
    /** Frees the in-memory copy of a persisted index (reloaded on the next lookup). */
    unload(): void;
}
