/**
 * Common machinery of Kafka's sparse index files (.index, .timeindex): fixed-size big-endian
 * entries, kept in memory and written through to the file.
 *
 * Unlike Kafka (which preallocates segment.index.bytes and mmaps), index files here are NOT
 * preallocated: the file always holds exactly the valid entries, so it is byte-for-byte what
 * Kafka leaves after trimming a closed segment's index (Kafka's tools read it unchanged).
 * Entries are written to the file lazily (persist() on flush, roll and close, each opening and
 * closing the file: no descriptor is held between them); after a crash the
 * segments past the recovery point get their indexes rebuilt, as Kafka does.
 * The entries of closed segments are loaded only when first looked up.
 */
import { closeSync, constants, ftruncateSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StorageIoError } from './errors.js';

const INITIAL_ENTRIES = 64;

export abstract class IndexFile {
  protected buf: Buffer | null;
  protected count: number;
  private persisted: number;
  private truncatePending = false;
  readonly maxEntries: number;

  protected constructor(
    readonly path: string,
    readonly entrySize: number,
    maxIndexBytes: number,
    existingEntries: number | null,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
    if (existingEntries === null) {
      this.buf = Buffer.alloc(INITIAL_ENTRIES * entrySize);
      this.count = 0;
      this.persisted = 0;
      this.truncatePending = true; // creates/empties the file at the first persist
    } else {
      this.buf = null;
      this.count = existingEntries;
      this.persisted = existingEntries;
    }
  }

  /** Entries in an existing index file, or null if its size is not a whole number of entries (corrupt). */
  static entriesOnDisk(path: string, entrySize: number): number | null {
    const size = statSync(path).size;
    return size % entrySize === 0 ? size / entrySize : null;
  }

  get entries(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  protected loaded(): Buffer {
    if (this.buf === null) this.adoptFile(readFileSync(this.path));
    return this.buf!;
  }

  /** True when the entries are in memory (a lookup reads no file). */
  get isLoaded(): boolean {
    return this.buf !== null || this.count === 0;
  }

  /** Reads the entries of a closed segment off the event loop (a fetch's first lookup in it). */
  async loadAsync(): Promise<void> {
    if (this.isLoaded) return;
    const data = await readFile(this.path);
    if (this.buf === null) this.adoptFile(data); // (unless loaded meanwhile)
  }

  /** Takes the entries from the file's bytes. */
  private adoptFile(data: Buffer): void {
    const buf = Buffer.alloc(Math.max(INITIAL_ENTRIES, this.count) * this.entrySize);
    data.copy(buf, 0, 0, this.count * this.entrySize);
    this.buf = buf;
  }

  /** Room for one more entry; returns the byte position where it goes. */
  protected slot(): number {
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
  protected entryBytes(i: number): Buffer {
    if (this.buf !== null) return this.buf.subarray(i * this.entrySize, (i + 1) * this.entrySize);
    const out = Buffer.alloc(this.entrySize);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, out, 0, this.entrySize, i * this.entrySize);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Drops every entry (rebuild during recovery). */
  reset(): void {
    this.buf = Buffer.alloc(INITIAL_ENTRIES * this.entrySize);
    this.count = 0;
    this.persisted = 0;
    this.truncatePending = true;
  }

  /** Writes entries not yet in the file (StorageIoError when that fails: a full disk, no descriptors). */
  persist(): void {
    if (!this.truncatePending && this.persisted === this.count) return;
    let fd = -1;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
      if (this.truncatePending) {
        ftruncateSync(fd, 0);
        this.truncatePending = false;
      }
      const buf = this.loaded();
      let pos = this.persisted * this.entrySize;
      const end = this.count * this.entrySize;
      while (pos < end) pos += writeSync(fd, buf, pos, end - pos, pos);
      this.persisted = this.count;
    } catch (e) {
      throw new StorageIoError(`cannot write index ${this.path}: ${(e as Error).message}`, { cause: e });
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  /** Persists the entries; they stay in memory. */
  close(): void {
    this.persist();
  }

  /** Frees the in-memory copy of a persisted index (reloaded on the next lookup). */
  unload(): void {
    if (this.persisted === this.count && !this.truncatePending) this.buf = null;
  }
}
