/**
 * The coordination store the cluster metadata lives in: kv with compare-and-swap on a revision,
 * multi-key transactions, ephemeral keys tied to the store's session, and watches that start
 * from a snapshot without a gap. Keys are paths in Kafka's ZooKeeper layout ('/brokers/ids/1').
 *
 * Engines: LocalMetadataStore (single node: a JSON file in the data directory, or memory shared
 * by in-process brokers), ZooKeeperMetadataStore (zookeeper.connect) and EtcdMetadataStore
 * (metadata.store=etcd://...). One conformance suite (test/metadata/metadata-store.test.ts)
 * runs against all three.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

export interface VersionedValue {
  key: string;
  value: string;
  /**
   * Store-wide revision of the last change to this key: etcd's mod_revision, ZooKeeper's mzxid,
   * a counter in the local store. Only compared for equality (CAS) and order.
   */
  revision: number;
}

export type WatchEvent = { type: 'put'; key: string; value: string; revision: number } | { type: 'delete'; key: string };

export type TxnOp =
  /** Fails the transaction unless key's revision is `revision` (0 = key absent). */
  | { op: 'check'; key: string; revision: number }
  | { op: 'put'; key: string; value: string; expectedRevision?: number; ephemeral?: boolean }
  /** Deletes key and, when recursive, every key under `key/`. */
  | { op: 'delete'; key: string; expectedRevision?: number; recursive?: boolean };

export class RevisionMismatchError extends Error {
  override readonly name = 'RevisionMismatchError';
}

/** The store cannot be reached (at start: names the address; the broker exits non-zero). */
export class MetadataStoreUnavailableError extends Error {
  override readonly name = 'MetadataStoreUnavailableError';
}

/**
 * 'lost': the session ended (ZooKeeper session expired, etcd lease gone): this process's
 * ephemeral keys are gone and it must stop acting on metadata it may no longer own.
 * 'restored': a new session is up; re-register ephemerals. Watches resync by themselves.
 */
export type SessionState = 'lost' | 'restored';

export interface StoreWatch {
  /** The keys under the prefix when the watch started; the listener gets every change after. */
  readonly entries: VersionedValue[];
  cancel(): void;
}

export interface MetadataStore {
  /** Where the store is, for messages ('ZooKeeper at localhost:2181/kafka'). */
  readonly description: string;
  get(key: string): Promise<VersionedValue | null>;
  /**
   * Puts a value; with expectedRevision (0 = must not exist) it is a compare-and-swap. An
   * ephemeral key disappears when this store's session ends. Returns the new revision.
   */
  put(key: string, value: string, opts?: { expectedRevision?: number; ephemeral?: boolean }): Promise<number>;
  /** Deletes a key (and with recursive, every key under `key/`); returns whether it existed. */
  delete(key: string, opts?: { expectedRevision?: number; recursive?: boolean }): Promise<boolean>;
  /** Every key under `prefix/`, sorted by key. */
  list(prefix: string): Promise<VersionedValue[]>;
  /** All ops or none; a failed check or CAS throws RevisionMismatchError. */
  txn(ops: readonly TxnOp[]): Promise<void>;
  /**
   * Lists the keys under `prefix/` and from that snapshot on calls listener for every later
   * change, in order, none missed (after a reconnect or a new session the engine resyncs and
   * reports the difference).
   */
  watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch>;
  onSession(listener: (s: SessionState) => void): () => void;
  /** Ends the session as a server-side expiry would (tests of fencing). */
  expireSession(): Promise<void>;
  close(): Promise<void>;
}

export function childPrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : prefix + '/';
}

/** Listener bookkeeping shared by the engines. */
export class SessionListeners {
  private listeners: Array<(s: SessionState) => void> = [];
  add(l: (s: SessionState) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }
  emit(s: SessionState): void {
    for (const l of [...this.listeners]) l(s);
  }
}

interface StoreFile {
  version: 1;
  revision: number;
  entries: Array<{ key: string; value: string; revision: number }>;
}

export const METADATA_DIR = '__samsa_metadata';

interface LocalEntry extends VersionedValue {
  /** Owning session for an ephemeral key. */
  owner: LocalMetadataStore | null;
}

/**
 * The data behind local stores: keys, a revision counter, watchers, persistence. Several
 * LocalMetadataStore sessions can share one (in-process clusters on the memory store).
 */
export class LocalMetadataBackend {
  readonly entries = new Map<string, LocalEntry>();
  revision = 0;
  watchers: Array<{ prefix: string; listener: (e: WatchEvent) => void }> = [];
  private readonly file: string | null;

  constructor(dir: string | null) {
    this.file = dir === null ? null : join(dir, 'store.json');
    if (this.file !== null && existsSync(this.file)) {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StoreFile;
      this.revision = parsed.revision;
      for (const e of parsed.entries) this.entries.set(e.key, { key: e.key, value: e.value, revision: e.revision, owner: null });
    }
  }

  revisionOf(key: string): number {
    return this.entries.get(key)?.revision ?? 0;
  }

  apply(ops: readonly TxnOp[], session: LocalMetadataStore): number {
    for (const op of ops) {
      const expected = op.op === 'check' ? op.revision : op.expectedRevision;
      if (expected !== undefined && this.revisionOf(op.key) !== expected) {
        throw new RevisionMismatchError(`${op.key}: expected revision ${expected}, found ${this.revisionOf(op.key)}`);
      }
    }
    const revision = ++this.revision;
    const events: WatchEvent[] = [];
    for (const op of ops) {
      if (op.op === 'put') {
        this.entries.set(op.key, { key: op.key, value: op.value, revision, owner: op.ephemeral === true ? session : null });
        events.push({ type: 'put', key: op.key, value: op.value, revision });
      } else if (op.op === 'delete') {
        const under = childPrefix(op.key);
        for (const k of [...this.entries.keys()]) {
          if (k === op.key || (op.recursive === true && k.startsWith(under))) {
            this.entries.delete(k);
            events.push({ type: 'delete', key: k });
          }
        }
      }
    }
    this.persist();
    for (const e of events) for (const w of [...this.watchers]) if (e.key.startsWith(w.prefix)) w.listener(e);
    return revision;
  }

  dropEphemerals(owner: LocalMetadataStore): void {
    const keys = [...this.entries.values()].filter((e) => e.owner === owner).map((e) => e.key);
    if (keys.length > 0) this.apply(keys.map((key) => ({ op: 'delete', key })), owner);
  }

  private persist(): void {
    if (this.file === null) return;
    // Ephemeral keys belong to a running process: never persisted.
    const entries = [...this.entries.values()].filter((e) => e.owner === null).map(({ key, value, revision }) => ({ key, value, revision }));
    const data: StoreFile = { version: 1, revision: this.revision, entries };
    writeFileAtomic(this.file, JSON.stringify(data));
  }
}

/** Local engine: one session over a LocalMetadataBackend (its own, or shared). */
export class LocalMetadataStore implements MetadataStore {
  readonly backend: LocalMetadataBackend;
  readonly description: string;
  private readonly sessions = new SessionListeners();
  private ownWatchers: Array<{ prefix: string; listener: (e: WatchEvent) => void }> = [];

  constructor(dirOrBackend: string | null | LocalMetadataBackend) {
    this.backend = dirOrBackend instanceof LocalMetadataBackend ? dirOrBackend : new LocalMetadataBackend(dirOrBackend);
    this.description = typeof dirOrBackend === 'string' ? `local metadata store in ${dirOrBackend}` : 'in-memory metadata store';
  }

  async get(key: string): Promise<VersionedValue | null> {
    const e = this.backend.entries.get(key);
    return e === undefined ? null : { key: e.key, value: e.value, revision: e.revision };
  }

  async put(key: string, value: string, opts: { expectedRevision?: number; ephemeral?: boolean } = {}): Promise<number> {
    return this.backend.apply([{ op: 'put', key, value, ...opts }], this);
  }

  async delete(key: string, opts: { expectedRevision?: number; recursive?: boolean } = {}): Promise<boolean> {
    const existed = this.backend.entries.has(key) || (opts.recursive === true && [...this.backend.entries.keys()].some((k) => k.startsWith(childPrefix(key))));
    if (opts.expectedRevision !== undefined || existed) this.backend.apply([{ op: 'delete', key, ...opts }], this);
    return existed;
  }

  async list(prefix: string): Promise<VersionedValue[]> {
    return this.listNow(prefix);
  }

  private listNow(prefix: string): VersionedValue[] {
    const p = childPrefix(prefix);
    const out: VersionedValue[] = [];
    for (const e of this.backend.entries.values()) if (e.key.startsWith(p)) out.push({ key: e.key, value: e.value, revision: e.revision });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async txn(ops: readonly TxnOp[]): Promise<void> {
    this.backend.apply(ops, this);
  }

  async watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch> {
    const w = { prefix: childPrefix(prefix), listener };
    const entries = this.listNow(prefix);
    this.backend.watchers.push(w);
    this.ownWatchers.push(w);
    return {
      entries,
      cancel: () => {
        this.backend.watchers = this.backend.watchers.filter((x) => x !== w);
        this.ownWatchers = this.ownWatchers.filter((x) => x !== w);
      },
    };
  }

  onSession(listener: (s: SessionState) => void): () => void {
    return this.sessions.add(listener);
  }

  async expireSession(): Promise<void> {
    this.backend.dropEphemerals(this);
    this.sessions.emit('lost');
    this.sessions.emit('restored');
  }

  async close(): Promise<void> {
    const mine = new Set(this.ownWatchers);
    this.backend.watchers = this.backend.watchers.filter((x) => !mine.has(x));
    this.ownWatchers = [];
    this.backend.dropEphemerals(this);
  }
}
