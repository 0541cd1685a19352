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

export class MemoryBytesStore implements BytesStore {
  private readonly map = new Map<string, Buffer>();
  private readonly keys: string[] = [];

  private indexOf(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: Buffer): Buffer | undefined {
    return this.map.get(str(key));
  }

  put(key: Buffer, value: Buffer): void {
    const k = str(key);
    if (!this.map.has(k)) this.keys.splice(this.indexOf(k), 0, k);
    this.map.set(k, value);
  }

  delete(key: Buffer): void {
    const k = str(key);
    if (!this.map.delete(k)) return;
    this.keys.splice(this.indexOf(k), 1);
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const end = to === undefined ? null : str(to);
    let i = from === undefined ? 0 : this.indexOf(str(from));
    while (i < this.keys.length) {
      const k = this.keys[i]!;
      if (end !== null && k >= end) return;
      yield [Buffer.from(k, 'latin1'), this.map.get(k)!];
      // the caller may have written meanwhile: continue after k wherever it now is
      i = this.indexOf(k);
      if (this.keys[i] === k) i++;
    }
  }

  size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.keys.length = 0;
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
