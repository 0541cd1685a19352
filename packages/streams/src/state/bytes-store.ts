/**
 * Ordered byte stores under every state store: an in-memory one (a map plus a sorted key list)
 * and a persistent one on LMDB (the `lmdb` package: memory-mapped B+tree, synchronous reads,
 * crash-safe transactions, prebuilt binaries for Node). Keys compare as unsigned bytes in both.
 */
import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';

export interface BytesStore {
  get(key: Buffer): Buffer | undefined;
  put(key: Buffer, value: Buffer): void;
  delete(key: Buffer): void;
  /** Entries with from <= key < to (either bound open when undefined), in key order. */
  range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]>;
  size(): number;
  clear(): void;
  /** Makes writes durable (persistent engine). */
  flush(): void;
  close(): Promise<void>;
}

// latin1 maps each byte to one UTF-16 code unit, so string order is unsigned byte order
const str = (b: Buffer): string => b.toString('latin1');

/**
 * Sorted strings in chunks of at most CHUNK (a one-level B-tree): inserting or deleting moves at
 * most a chunk, not the whole list, so stores with millions of keys stay cheap to write.
 */
const CHUNK = 1024;

export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose last key is >= k (chunks.length if none). */
  private chunkFor(k: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid]!;
      if (c[c.length - 1]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static lowerBound(c: string[], k: string): number {
    let lo = 0;
    let hi = c.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds k (not present). */
  insert(k: string): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      return;
    }
    const ci = Math.min(this.chunkFor(k), this.chunks.length - 1);
    const c = this.chunks[ci]!;
    c.splice(SortedKeys.lowerBound(c, k), 0, k);
    if (c.length > 2 * CHUNK) this.chunks.splice(ci + 1, 0, c.splice(CHUNK));
  }

  /** Removes k (present). */
  remove(k: string): void {
    const ci = this.chunkFor(k);
    const c = this.chunks[ci];
    if (c === undefined) return;
    const i = SortedKeys.lowerBound(c, k);
    if (c[i] !== k) return;
    c.splice(i, 1);
    this.count--;
    if (c.length === 0) this.chunks.splice(ci, 1);
  }

  /** The first key >= k (or > k when `strict`), undefined past the end. */
  ceiling(k: string | undefined, strict = false): string | undefined {
    if (k === undefined) return this.chunks[0]?.[0];
    for (let ci = this.chunkFor(k); ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      let i = SortedKeys.lowerBound(c, k);
      if (strict && c[i] === k) i++;
      if (i < c.length) return c[i];
    }
    return undefined;
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
  }
}

export class MemoryBytesStore implements BytesStore {
  private readonly map = new Map<string, Buffer>();
  private readonly keys = new SortedKeys();

  get(key: Buffer): Buffer | undefined {
    return this.map.get(str(key));
  }

  put(key: Buffer, value: Buffer): void {
    const k = str(key);
    if (!this.map.has(k)) this.keys.insert(k);
    this.map.set(k, value);
  }

  delete(key: Buffer): void {
    const k = str(key);
    if (!this.map.delete(k)) return;
    this.keys.remove(k);
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const end = to === undefined ? null : str(to);
    // each step looks up the next key after the last one, so callers may write while iterating
    for (let k = this.keys.ceiling(from === undefined ? undefined : str(from)); k !== undefined; k = this.keys.ceiling(k, true)) {
      if (end !== null && k >= end) return;
      yield [Buffer.from(k, 'latin1'), this.map.get(k)!];
    }
  }

  size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.keys.clear();
  }

  flush(): void {}

  async close(): Promise<void> {}
}

/**
 * LMDB under a write buffer: writes collect in memory (reads and ranges see them merged over
 * the database) and go to LMDB in one synchronous transaction at flush (each commit), as Kafka
 * Streams batches RocksDB writes between commits; the changelog is what makes them durable first.
 */
export class LmdbBytesStore implements BytesStore {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly pendingPuts = new MemoryBytesStore();
  private readonly pendingDeletes = new Set<string>();

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.db = open<Buffer, Buffer>({ path, keyEncoding: 'binary', encoding: 'binary' });
  }

  get(key: Buffer): Buffer | undefined {
    const p = this.pendingPuts.get(key);
    if (p !== undefined) return p;
    if (this.pendingDeletes.has(str(key))) return undefined;
    const v = this.db.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }

  put(key: Buffer, value: Buffer): void {
    this.pendingPuts.put(key, value);
    this.pendingDeletes.delete(str(key));
  }

  delete(key: Buffer): void {
    this.pendingPuts.delete(key);
    this.pendingDeletes.add(str(key));
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const opts: { start?: Buffer; end?: Buffer } = {};
    if (from !== undefined) opts.start = from;
    if (to !== undefined) opts.end = to;
    // LMDB does not change until the next flush, so its iterator is stable; the buffer's copes with writes
    const stored = this.db.getRange(opts)[Symbol.iterator]();
    const buffered = this.pendingPuts.range(from, to)[Symbol.iterator]();
    const nextStored = (): [Buffer, Buffer] | null => {
      for (let n = stored.next(); !n.done; n = stored.next()) {
        const k = Buffer.from(n.value.key);
        if (!this.pendingDeletes.has(str(k))) return [k, Buffer.from(n.value.value)];
      }
      return null;
    };
    let s = nextStored();
    let b = buffered.next();
    while (s !== null || !b.done) {
      const cmp = s === null ? 1 : b.done ? -1 : Buffer.compare(s[0], b.value[0]);
      if (cmp < 0) {
        yield s!;
        s = nextStored();
      } else {
        const entry = b.value as [Buffer, Buffer];
        b = buffered.next();
        if (cmp === 0) s = nextStored(); // the buffered write replaces the stored value
        yield entry;
      }
    }
  }

  size(): number {
    this.flush();
    return this.db.getCount();
  }

  clear(): void {
    this.pendingPuts.clear();
    this.pendingDeletes.clear();
    this.db.clearSync();
  }

  flush(): void {
    if (this.pendingPuts.size() === 0 && this.pendingDeletes.size === 0) return;
    const puts = [...this.pendingPuts.range()];
    const deletes = [...this.pendingDeletes];
    this.pendingPuts.clear();
    this.pendingDeletes.clear();
    this.db.transactionSync(() => {
      for (const k of deletes) this.db.removeSync(Buffer.from(k, 'latin1'));
      for (const [k, v] of puts) this.db.putSync(k, v);
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.db.close();
  }
}
