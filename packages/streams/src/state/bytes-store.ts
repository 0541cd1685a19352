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
    // a snapshot of the keys, so callers may write while iterating
    const keys = this.keys.slice(from === undefined ? 0 : this.indexOf(str(from)));
    for (const k of keys) {
      if (end !== null && k >= end) return;
      const v = this.map.get(k);
      if (v !== undefined) yield [Buffer.from(k, 'latin1'), v];
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

export class LmdbBytesStore implements BytesStore {
  private readonly db: RootDatabase<Buffer, Buffer>;
  /** Writes since the last flush (null = delete), applied in one transaction. */
  private readonly pending = new Map<string, Buffer | null>();

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.db = open<Buffer, Buffer>({ path, keyEncoding: 'binary', encoding: 'binary' });
  }

  get(key: Buffer): Buffer | undefined {
    const p = this.pending.get(str(key));
    if (p !== undefined) return p ?? undefined;
    const v = this.db.get(key);
    return v === undefined ? undefined : Buffer.from(v);
  }

  put(key: Buffer, value: Buffer): void {
    this.pending.set(str(key), value);
  }

  delete(key: Buffer): void {
    this.pending.set(str(key), null);
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    this.flush();
    const opts: { start?: Buffer; end?: Buffer } = {};
    if (from !== undefined) opts.start = from;
    if (to !== undefined) opts.end = to;
    for (const { key, value } of this.db.getRange(opts)) yield [Buffer.from(key), Buffer.from(value)];
  }

  size(): number {
    this.flush();
    return this.db.getCount();
  }

  clear(): void {
    this.pending.clear();
    this.db.clearSync();
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const writes = [...this.pending];
    this.pending.clear();
    this.db.transactionSync(() => {
      for (const [k, v] of writes) {
        const key = Buffer.from(k, 'latin1');
        if (v === null) this.db.removeSync(key);
        else this.db.putSync(key, v);
      }
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.db.close();
  }
}
