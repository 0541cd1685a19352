/**
 * The metadata key-value store the controller logic runs on. Single node: LocalMetadataStore
 * (a JSON file in the data directory, rewritten atomically on each change). A cluster uses
 * an etcd engine behind the same interface (later).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

export interface VersionedValue {
  key: string;
  value: string;
  /** Store-wide revision of the last change to this key (etcd mod_revision). */
  revision: number;
}

export type WatchEvent = { type: 'put'; key: string; value: string; revision: number } | { type: 'delete'; key: string; revision: number };

export class RevisionMismatchError extends Error {
  override readonly name = 'RevisionMismatchError';
}

export interface MetadataStore {
  get(key: string): Promise<VersionedValue | null>;
  /** Puts a value; with expectedRevision (0 = must not exist) it is a compare-and-swap. Returns the new revision. */
  put(key: string, value: string, opts?: { expectedRevision?: number }): Promise<number>;
  /** Deletes a key; returns whether it existed. */
  delete(key: string, opts?: { expectedRevision?: number }): Promise<boolean>;
  /** All keys under a prefix, sorted by key. */
  list(prefix: string): Promise<VersionedValue[]>;
  /** Calls listener for every later change under prefix; returns an unsubscribe function. */
  watch(prefix: string, listener: (e: WatchEvent) => void): () => void;
  close(): Promise<void>;
}

interface StoreFile {
  version: 1;
  revision: number;
  entries: Array<{ key: string; value: string; revision: number }>;
}

export const METADATA_DIR = '__samsa_metadata';

/** Local engine: all keys in memory, persisted to `<dir>/store.json` (or nowhere when dir is null). */
export class LocalMetadataStore implements MetadataStore {
  private entries = new Map<string, VersionedValue>();
  private revision = 0;
  private watchers: Array<{ prefix: string; listener: (e: WatchEvent) => void }> = [];
  private readonly file: string | null;

  constructor(dir: string | null) {
    this.file = dir === null ? null : join(dir, 'store.json');
    if (this.file !== null && existsSync(this.file)) {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StoreFile;
      this.revision = parsed.revision;
      for (const e of parsed.entries) this.entries.set(e.key, { key: e.key, value: e.value, revision: e.revision });
    }
  }

  async get(key: string): Promise<VersionedValue | null> {
    return this.entries.get(key) ?? null;
  }

  async put(key: string, value: string, opts?: { expectedRevision?: number }): Promise<number> {
    this.checkRevision(key, opts?.expectedRevision);
    const revision = ++this.revision;
    this.entries.set(key, { key, value, revision });
    this.persist();
    this.emit({ type: 'put', key, value, revision });
    return revision;
  }

  async delete(key: string, opts?: { expectedRevision?: number }): Promise<boolean> {
    this.checkRevision(key, opts?.expectedRevision);
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    const revision = ++this.revision;
    this.persist();
    this.emit({ type: 'delete', key, revision });
    return true;
  }

  async list(prefix: string): Promise<VersionedValue[]> {
    const out: VersionedValue[] = [];
    for (const e of this.entries.values()) if (e.key.startsWith(prefix)) out.push(e);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  watch(prefix: string, listener: (e: WatchEvent) => void): () => void {
    const w = { prefix, listener };
    this.watchers.push(w);
    return () => {
      this.watchers = this.watchers.filter((x) => x !== w);
    };
  }

  async close(): Promise<void> {
    this.watchers = [];
  }

  private checkRevision(key: string, expected: number | undefined): void {
    if (expected === undefined) return;
    const actual = this.entries.get(key)?.revision ?? 0;
    if (actual !== expected) throw new RevisionMismatchError(`${key}: expected revision ${expected}, found ${actual}`);
  }

  private persist(): void {
    if (this.file === null) return;
    const data: StoreFile = { version: 1, revision: this.revision, entries: [...this.entries.values()] };
    writeFileAtomic(this.file, JSON.stringify(data));
  }

  private emit(e: WatchEvent): void {
    for (const w of this.watchers) if (e.key.startsWith(w.prefix)) w.listener(e);
  }
}
