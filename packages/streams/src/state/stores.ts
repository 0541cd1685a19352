/**
 * State stores: key-value, window and session stores over an ordered byte store (in memory or
 * LMDB on disk). Every write is also sent to the store's changelog topic
 * (`<application.id>-<store>-changelog`, compacted, partition = task partition) unless logging
 * is disabled; on start a task replays the changelog into the store (restoration).
 */
import { join } from 'node:path';
import type { Serde, Windowed } from '../serdes.js';
import { type BytesStore, LmdbBytesStore, MemoryBytesStore } from './bytes-store.js';

/** What a store is given by its task. */
export interface StoreContext {
  readonly taskId: string;
  /** The task's directory under state.dir (persistent stores live in <dir>/<store>). */
  readonly taskDir: string | null;
  /** Sends one change to the store's changelog (only called when logging is enabled). */
  log(store: string, key: Buffer, value: Buffer | null): void;
  currentStreamTimeMs(): number;
}

export interface StateStore {
  readonly name: string;
  readonly persistent: boolean;
  readonly loggingEnabled: boolean;
  /** Topic configs of the changelog (cleanup.policy, retention.ms). */
  readonly changelogConfig: Record<string, string>;
  init(ctx: StoreContext): void;
  /** Applies one changelog record (restoration). */
  restore(key: Buffer, value: Buffer | null): void;
  /** Drops all local content (before a restore from the changelog's beginning). */
  wipe(): void;
  flush(): void;
  close(): Promise<void>;
}

export type StoreType = 'persistent' | 'in_memory';

/** The application's defaults (default.dsl.store, default.key.serde, default.value.serde). */
export interface StoreDefaults {
  storeType: StoreType;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
}

/** What addStateStore takes: a name and a factory, so each task gets its own instance. */
export interface StoreBuilder<S extends StateStore = StateStore> {
  readonly name: string;
  build(defaults: StoreDefaults): S;
}

type Opt<T> = Serde<T> | undefined;
const orDefault = <T>(s: Opt<T>, d: Serde<unknown>): Serde<T> => s ?? (d as Serde<T>);

abstract class BaseStore implements StateStore {
  protected bytes!: BytesStore;
  protected ctx!: StoreContext;
  readonly persistent: boolean;
  abstract readonly changelogConfig: Record<string, string>;

  constructor(
    readonly name: string,
    type: StoreType,
    readonly loggingEnabled: boolean,
  ) {
    this.persistent = type === 'persistent';
  }

  init(ctx: StoreContext): void {
    this.ctx = ctx;
    if (this.persistent) {
      if (ctx.taskDir === null) throw new Error(`persistent store ${this.name} needs a state.dir`);
      this.bytes = new LmdbBytesStore(join(ctx.taskDir, this.name));
    } else {
      this.bytes = new MemoryBytesStore();
    }
  }

  protected write(key: Buffer, value: Buffer | null): void {
    if (value === null) this.bytes.delete(key);
    else this.bytes.put(key, value);
    if (this.loggingEnabled) this.ctx.log(this.name, key, value);
  }

  restore(key: Buffer, value: Buffer | null): void {
    if (value === null) this.bytes.delete(key);
    else this.bytes.put(key, value);
  }

  wipe(): void {
    this.bytes.clear();
  }

  flush(): void {
    this.bytes.flush();
  }

  close(): Promise<void> {
    return this.bytes.close();
  }
}

const NO_TOPIC = '';

// ---- key-value ------------------------------------------------------------------------------

export class KeyValueStore<K, V> extends BaseStore {
  readonly changelogConfig = { 'cleanup.policy': 'compact' };

  constructor(name: string, type: StoreType, logging: boolean, readonly keySerde: Serde<K>, readonly valueSerde: Serde<V>) {
    super(name, type, logging);
  }

  private k(key: K): Buffer {
    const b = this.keySerde.serialize(NO_TOPIC, key);
    if (b === null) throw new Error(`store ${this.name}: null keys are not allowed`);
    return b;
  }

  get(key: K): V | null {
    const v = this.bytes.get(this.k(key));
    return v === undefined ? null : this.valueSerde.deserialize(NO_TOPIC, v);
  }

  put(key: K, value: V | null): void {
    this.write(this.k(key), value === null ? null : this.valueSerde.serialize(NO_TOPIC, value));
  }

  putIfAbsent(key: K, value: V): V | null {
    const old = this.get(key);
    if (old === null) this.put(key, value);
    return old;
  }

  delete(key: K): V | null {
    const old = this.get(key);
    if (old !== null) this.write(this.k(key), null);
    return old;
  }

  /** Entries with from <= key <= to in serialized-key order. */
  *range(from: K, to: K): Iterable<{ key: K; value: V }> {
    const end = this.k(to);
    for (const [k, v] of this.bytes.range(this.k(from))) {
      if (Buffer.compare(k, end) > 0) return;
      yield { key: this.keySerde.deserialize(NO_TOPIC, k) as K, value: this.valueSerde.deserialize(NO_TOPIC, v) as V };
    }
  }

  *all(): Iterable<{ key: K; value: V }> {
    for (const [k, v] of this.bytes.range()) yield { key: this.keySerde.deserialize(NO_TOPIC, k) as K, value: this.valueSerde.deserialize(NO_TOPIC, v) as V };
  }

  approximateNumEntries(): number {
    return this.bytes.size();
  }
}

// ---- window ---------------------------------------------------------------------------------

/** Window store key: [4-byte key length][key][8-byte window start][4-byte sequence]. */
function windowKey(key: Buffer, start: number, seq: number): Buffer {
  const b = Buffer.allocUnsafe(4 + key.length + 12);
  b.writeUInt32BE(key.length, 0);
  key.copy(b, 4);
  b.writeBigInt64BE(BigInt(start), 4 + key.length);
  b.writeUInt32BE(seq >>> 0, 12 + key.length);
  return b;
}

function splitWindowKey(b: Buffer): { key: Buffer; start: number } {
  const len = b.readUInt32BE(0);
  return { key: b.subarray(4, 4 + len), start: Number(b.readBigInt64BE(4 + len)) };
}

export class WindowStore<K, V> extends BaseStore {
  readonly changelogConfig: Record<string, string>;
  private seq = 0;
  private purgedUntil = -Infinity;

  /**
   * @param retentionMs windows older than stream time minus this are dropped
   * @param retainDuplicates keep every put (joins) instead of one value per key and window
   */
  constructor(name: string, type: StoreType, logging: boolean, readonly keySerde: Serde<K>, readonly valueSerde: Serde<V>, readonly retentionMs: number, readonly windowSizeMs: number, readonly retainDuplicates = false) {
    super(name, type, logging);
    // Kafka's window changelogs are compacted and also expire by time (a day past retention)
    this.changelogConfig = { 'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs + 86_400_000) };
  }

  private k(key: K): Buffer {
    const b = this.keySerde.serialize(NO_TOPIC, key);
    if (b === null) throw new Error(`store ${this.name}: null keys are not allowed`);
    return b;
  }

  put(key: K, value: V | null, windowStart: number): void {
    const seq = this.retainDuplicates ? ++this.seq : 0;
    this.write(windowKey(this.k(key), windowStart, seq), value === null ? null : this.valueSerde.serialize(NO_TOPIC, value));
    this.purgeExpired();
  }

  override restore(key: Buffer, value: Buffer | null): void {
    super.restore(key, value);
    if (this.retainDuplicates) this.seq = Math.max(this.seq, key.readUInt32BE(key.length - 4));
  }

  /** The value of one window (the latest when duplicates are kept). */
  fetch(key: K, windowStart: number): V | null {
    let out: V | null = null;
    for (const e of this.fetchRange(key, windowStart, windowStart)) out = e.value;
    return out;
  }

  /** Windows of a key starting in [timeFrom, timeTo], in start order. */
  *fetchRange(key: K, timeFrom: number, timeTo: number): Iterable<{ windowStart: number; value: V }> {
    const kb = this.k(key);
    // timestamps are non-negative: a negative bound would sort after every key as unsigned bytes
    const from = Math.max(0, timeFrom, this.expiredBefore());
    if (timeTo < from) return;
    for (const [k, v] of this.bytes.range(windowKey(kb, from, 0), windowKey(kb, timeTo + 1, 0))) {
      yield { windowStart: splitWindowKey(k).start, value: this.valueSerde.deserialize(NO_TOPIC, v) as V };
    }
  }

  /** Every live window starting in [timeFrom, timeTo]. */
  *fetchAll(timeFrom = -Infinity, timeTo = Infinity): Iterable<{ key: Windowed<K>; value: V }> {
    const low = Math.max(timeFrom, this.expiredBefore());
    for (const [k, v] of this.bytes.range()) {
      const { key, start } = splitWindowKey(k);
      if (start < low || start > timeTo) continue;
      yield { key: { key: this.keySerde.deserialize(NO_TOPIC, key) as K, window: { start, end: start + this.windowSizeMs } }, value: this.valueSerde.deserialize(NO_TOPIC, v) as V };
    }
  }

  all(): Iterable<{ key: Windowed<K>; value: V }> {
    return this.fetchAll();
  }

  private expiredBefore(): number {
    const st = this.ctx.currentStreamTimeMs();
    return st === -Infinity ? -Infinity : st - this.retentionMs + 1;
  }

  /** Drops expired windows locally (the changelog expires them by retention.ms). */
  private purgeExpired(): void {
    const before = this.expiredBefore();
    // purge in steps of a tenth of the retention, not on every put
    if (before - this.purgedUntil < Math.max(1, this.retentionMs / 10)) return;
    this.purgedUntil = before;
    for (const [k] of this.bytes.range()) if (splitWindowKey(k).start < before) this.bytes.delete(k);
  }
}

// ---- session --------------------------------------------------------------------------------

/** Session store key: [4-byte key length][key][8-byte end][8-byte start]. */
function sessionKey(key: Buffer, end: number, start: number): Buffer {
  const b = Buffer.allocUnsafe(4 + key.length + 16);
  b.writeUInt32BE(key.length, 0);
  key.copy(b, 4);
  b.writeBigInt64BE(BigInt(end), 4 + key.length);
  b.writeBigInt64BE(BigInt(start), 12 + key.length);
  return b;
}

const MAX_TS = Number.MAX_SAFE_INTEGER;

export class SessionStore<K, AGG> extends BaseStore {
  readonly changelogConfig: Record<string, string>;

  constructor(name: string, type: StoreType, logging: boolean, readonly keySerde: Serde<K>, readonly valueSerde: Serde<AGG>, readonly retentionMs: number) {
    super(name, type, logging);
    this.changelogConfig = { 'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs + 86_400_000) };
  }

  private k(key: K): Buffer {
    const b = this.keySerde.serialize(NO_TOPIC, key);
    if (b === null) throw new Error(`store ${this.name}: null keys are not allowed`);
    return b;
  }

  put(session: Windowed<K>, agg: AGG | null): void {
    this.write(sessionKey(this.k(session.key), session.window.end, session.window.start), agg === null ? null : this.valueSerde.serialize(NO_TOPIC, agg));
  }

  remove(session: Windowed<K>): void {
    this.put(session, null);
  }

  /** Sessions of a key that end at or after earliestSessionEnd and start at or before latestSessionStart. */
  *findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): Iterable<{ key: Windowed<K>; value: AGG }> {
    const kb = this.k(key);
    for (const [k, v] of this.bytes.range(sessionKey(kb, Math.max(0, earliestSessionEnd), 0), sessionKey(kb, MAX_TS, MAX_TS))) {
      const len = k.readUInt32BE(0);
      const end = Number(k.readBigInt64BE(4 + len));
      const start = Number(k.readBigInt64BE(12 + len));
      if (start > latestSessionStart) continue;
      yield { key: { key, window: { start, end } }, value: this.valueSerde.deserialize(NO_TOPIC, v) as AGG };
    }
  }

  fetchSession(key: K, start: number, end: number): AGG | null {
    const v = this.bytes.get(sessionKey(this.k(key), end, start));
    return v === undefined ? null : this.valueSerde.deserialize(NO_TOPIC, v);
  }

  *all(): Iterable<{ key: Windowed<K>; value: AGG }> {
    for (const [k, v] of this.bytes.range()) {
      const len = k.readUInt32BE(0);
      yield {
        key: { key: this.keySerde.deserialize(NO_TOPIC, k.subarray(4, 4 + len)) as K, window: { end: Number(k.readBigInt64BE(4 + len)), start: Number(k.readBigInt64BE(12 + len)) } },
        value: this.valueSerde.deserialize(NO_TOPIC, v) as AGG,
      };
    }
  }
}

// ---- builders -------------------------------------------------------------------------------

/**
 * Kafka's Stores factory, reduced to what a builder needs: a name, serdes (the application's
 * defaults when undefined) and the store type (default.dsl.store when undefined).
 */
export const Stores = {
  keyValueStoreBuilder<K, V>(name: string, keySerde: Opt<K>, valueSerde: Opt<V>, opts: { type?: StoreType; logging?: boolean } = {}): StoreBuilder<KeyValueStore<K, V>> {
    return { name, build: (d) => new KeyValueStore(name, opts.type ?? d.storeType, opts.logging ?? true, orDefault(keySerde, d.keySerde), orDefault(valueSerde, d.valueSerde)) };
  },
  windowStoreBuilder<K, V>(name: string, keySerde: Opt<K>, valueSerde: Opt<V>, opts: { retentionMs: number; windowSizeMs: number; retainDuplicates?: boolean; type?: StoreType; logging?: boolean }): StoreBuilder<WindowStore<K, V>> {
    return { name, build: (d) => new WindowStore(name, opts.type ?? d.storeType, opts.logging ?? true, orDefault(keySerde, d.keySerde), orDefault(valueSerde, d.valueSerde), opts.retentionMs, opts.windowSizeMs, opts.retainDuplicates ?? false) };
  },
  sessionStoreBuilder<K, V>(name: string, keySerde: Opt<K>, valueSerde: Opt<V>, opts: { retentionMs: number; type?: StoreType; logging?: boolean }): StoreBuilder<SessionStore<K, V>> {
    return { name, build: (d) => new SessionStore(name, opts.type ?? d.storeType, opts.logging ?? true, orDefault(keySerde, d.keySerde), orDefault(valueSerde, d.valueSerde), opts.retentionMs) };
  },
};

// ---- interactive queries ----------------------------------------------------------------------

/**
 * Read access to one store across an instance's tasks (each task holds its partitions' keys),
 * as Kafka's ReadOnlyKeyValueStore / ReadOnlyWindowStore / ReadOnlySessionStore.
 */
export class ReadOnlyStore<K, V> {
  constructor(
    readonly name: string,
    private readonly parts: readonly StateStore[],
  ) {}

  private of<S>(cls: abstract new (...args: never[]) => S, what: string): S[] {
    return this.parts.map((p) => {
      if (!(p instanceof cls)) throw new Error(`store ${this.name} is not a ${what} store`);
      return p;
    });
  }

  get(key: K): V | null {
    for (const s of this.of(KeyValueStore, 'key-value') as Array<KeyValueStore<K, V>>) {
      const v = s.get(key);
      if (v !== null) return v;
    }
    return null;
  }

  *all(): Iterable<{ key: K; value: V }> {
    for (const s of this.of(KeyValueStore, 'key-value') as Array<KeyValueStore<K, V>>) yield* s.all();
  }

  *range(from: K, to: K): Iterable<{ key: K; value: V }> {
    for (const s of this.of(KeyValueStore, 'key-value') as Array<KeyValueStore<K, V>>) yield* s.range(from, to);
  }

  approximateNumEntries(): number {
    return (this.of(KeyValueStore, 'key-value') as Array<KeyValueStore<K, V>>).reduce((n, s) => n + s.approximateNumEntries(), 0);
  }

  fetch(key: K, windowStart: number): V | null {
    for (const s of this.of(WindowStore, 'window') as Array<WindowStore<K, V>>) {
      const v = s.fetch(key, windowStart);
      if (v !== null) return v;
    }
    return null;
  }

  *fetchRange(key: K, timeFrom: number, timeTo: number): Iterable<{ windowStart: number; value: V }> {
    for (const s of this.of(WindowStore, 'window') as Array<WindowStore<K, V>>) yield* s.fetchRange(key, timeFrom, timeTo);
  }

  *fetchAll(timeFrom?: number, timeTo?: number): Iterable<{ key: Windowed<K>; value: V }> {
    for (const s of this.of(WindowStore, 'window') as Array<WindowStore<K, V>>) yield* s.fetchAll(timeFrom, timeTo);
  }

  *findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): Iterable<{ key: Windowed<K>; value: V }> {
    for (const s of this.of(SessionStore, 'session') as Array<SessionStore<K, V>>) yield* s.findSessions(key, earliestSessionEnd, latestSessionStart);
  }
}
