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
import { StorageIoError } from '../storage/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { encodeConfig, encodePartitionState, encodeTopic, Paths } from './kafka-layout.js';

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
  private unpersisted = false;

  constructor(dir: string | null) {
    this.file = dir === null ? null : join(dir, 'store.json');
    if (this.file !== null && existsSync(this.file)) {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StoreFile;
      this.revision = parsed.revision;
      for (const e of migrateFlatKeys(parsed.entries)) this.entries.set(e.key, { key: e.key, value: e.value, revision: e.revision, owner: null });
    }
  }

  revisionOf(key: string): number {
    return this.entries.get(key)?.revision ?? 0;
  }

  /**
   * Applies a transaction and writes the file. When the file cannot be written (a full disk)
   * the change is undone and a StorageIoError thrown, unless `deferrable`: the caller made the
   * change durable another way (a topic deletion's `-delete` directories), so it stays applied
   * and is written with the next change that can be.
   */
  apply(ops: readonly TxnOp[], session: LocalMetadataStore, opts: { deferrable?: boolean } = {}): number {
    for (const op of ops) {
      const expected = op.op === 'check' ? op.revision : op.expectedRevision;
      if (expected !== undefined && this.revisionOf(op.key) !== expected) {
        throw new RevisionMismatchError(`${op.key}: expected revision ${expected}, found ${this.revisionOf(op.key)}`);
      }
    }
    const previousRevision = this.revision;
    const revision = ++this.revision;
    const events: WatchEvent[] = [];
    /** What each changed key held before this transaction, to undo it. */
    const before = new Map<string, LocalEntry | undefined>();
    const remember = (key: string): void => {
      if (!before.has(key)) before.set(key, this.entries.get(key));
    };
    for (const op of ops) {
      if (op.op === 'put') {
        remember(op.key);
        this.entries.set(op.key, { key: op.key, value: op.value, revision, owner: op.ephemeral === true ? session : null });
        events.push({ type: 'put', key: op.key, value: op.value, revision });
      } else if (op.op === 'delete') {
        const under = childPrefix(op.key);
        for (const k of [...this.entries.keys()]) {
          if (k === op.key || (op.recursive === true && k.startsWith(under))) {
            remember(k);
            this.entries.delete(k);
            events.push({ type: 'delete', key: k });
          }
        }
      }
    }
    // Ephemeral entries are not in the file: a change of only those (a session ending) writes nothing.
    const durable = [...before].some(([key, old]) => old?.owner === null || this.entries.get(key)?.owner === null);
    try {
      if (durable || this.unpersisted) this.persist();
    } catch (e) {
      if (opts.deferrable === true) {
        this.unpersisted = true;
      } else {
        for (const [key, entry] of before) {
          if (entry === undefined) this.entries.delete(key);
          else this.entries.set(key, entry);
        }
        this.revision = previousRevision;
        throw new StorageIoError(`Could not write the metadata store ${this.file}: ${(e as Error).message}`, { cause: e });
      }
    }
    for (const e of events) for (const w of [...this.watchers]) if (e.key.startsWith(w.prefix)) w.listener(e);
    return revision;
  }

  /** A deferrable change is applied but not yet in the file. */
  get hasUnpersistedChanges(): boolean {
    return this.unpersisted;
  }

  get persistent(): boolean {
    return this.file !== null;
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
    this.unpersisted = false;
  }
}

/**
 * Stores written before the cluster layout used flat keys (`topics/<name>` with the whole topic,
 * `configs/brokers/<entity>`, `producer-ids/latest-block`): read them as Kafka's layout.
 */
function migrateFlatKeys(entries: StoreFile['entries']): StoreFile['entries'] {
  const out: StoreFile['entries'] = [];
  for (const e of entries) {
    if (e.key.startsWith('topics/')) {
      const name = e.key.slice('topics/'.length);
      const t = JSON.parse(e.value) as { id: string; partitions: Array<{ replicas: number[]; leaderEpoch: number }>; configs: Record<string, string> };
      out.push({ key: Paths.topic(name), value: encodeTopic({ id: t.id, partitions: t.partitions.map((p) => p.replicas) }), revision: e.revision });
      t.partitions.forEach((p, i) => out.push({ key: Paths.partitionState(name, i), value: encodePartitionState({ leader: p.replicas[0] ?? -1, leaderEpoch: p.leaderEpoch, isr: p.replicas, controllerEpoch: 0 }), revision: e.revision }));
      out.push({ key: Paths.topicConfig(name), value: encodeConfig(t.configs), revision: e.revision });
    } else if (e.key.startsWith('configs/brokers/')) {
      out.push({ key: Paths.brokerConfig(e.key.slice('configs/brokers/'.length).replace('<default>', '')), value: encodeConfig(JSON.parse(e.value) as Record<string, string>), revision: e.revision });
    } else if (e.key === 'producer-ids/latest-block') {
      out.push({ ...e, key: '/latest_producer_id_block' });
    } else {
      out.push(e);
    }
  }
  return out;
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

  /** Kept in a file (a single broker's store), not only in memory. */
  get persistent(): boolean {
    return this.backend.persistent;
  }

  /**
   * A transaction the caller already made durable another way (see LocalMetadataBackend.apply):
   * applied even when the file cannot be written now. `persisted` says whether it was.
   */
  async txnDurableElsewhere(ops: readonly TxnOp[]): Promise<{ persisted: boolean }> {
    this.backend.apply(ops, this, { deferrable: true });
    return { persisted: !this.backend.hasUnpersistedChanges };
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
