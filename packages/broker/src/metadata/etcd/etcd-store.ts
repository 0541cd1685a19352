/**
 * MetadataStore on etcd v3, spoken through etcd's own HTTP/JSON gateway (/v3/kv/range, txn,
 * /v3/lease/*, the streaming /v3/watch) with Node's fetch: no gRPC stack to install. Keys live
 * under a prefix (metadata.store=etcd://host:2379/samsa); a key's revision is its mod_revision,
 * CAS is a txn comparing it; ephemeral keys are attached to this store's lease, kept alive every
 * TTL/3 (TTL = the session timeout); watches start at the snapshot's revision + 1 and resume
 * from the last seen revision after a broken stream (or relist and diff if it was compacted).
 */
import {
  childPrefix, MetadataStoreUnavailableError, RevisionMismatchError, SessionListeners,
  type MetadataStore, type SessionState, type StoreWatch, type TxnOp, type VersionedValue, type WatchEvent,
} from '../metadata-store.js';

export interface EtcdStoreOptions {
  /** etcd://host:port[,host:port...][/prefix] (http:// endpoints are accepted too). */
  url: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
}

interface EtcdKv {
  key: string;
  value?: string;
  mod_revision?: string;
  lease?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** The end of the key range that holds every key starting with prefix (etcd's prefix range). */
function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i]! += 1;
      return out.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

export function parseEtcdUrl(url: string): { endpoints: string[]; prefix: string } {
  const m = /^(etcd|https?):\/\/([^/]+)(\/.*)?$/.exec(url.trim());
  if (m === null) throw new Error(`Invalid etcd address '${url}': expected etcd://host:port[,host:port...][/prefix]`);
  const scheme = m[1] === 'https' ? 'https' : 'http';
  const endpoints = m[2]!.split(',').map((h) => h.trim()).filter((h) => h !== '').map((h) => `${scheme}://${h.includes(':') ? h : `${h}:2379`}`);
  let prefix = m[3] ?? '';
  if (prefix === '/') prefix = '';
  return { endpoints, prefix: prefix.replace(/\/$/, '') };
}

export class EtcdMetadataStore implements MetadataStore {
  readonly description: string;
  private readonly endpoints: string[];
  private readonly prefix: string;
  private endpointIndex = 0;
  private leaseId = '0';
  private readonly ttlSeconds: number;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private lastKeepAliveOk = Date.now();
  private sessionLost = false;
  private closed = false;
  private readonly sessions = new SessionListeners();
  private readonly watches = new Set<EtcdPrefixWatch>();

  private constructor(private readonly opts: EtcdStoreOptions) {
    const parsed = parseEtcdUrl(opts.url);
    this.endpoints = parsed.endpoints;
    this.prefix = parsed.prefix;
    this.description = `etcd at ${opts.url}`;
    this.ttlSeconds = Math.max(2, Math.ceil(opts.sessionTimeoutMs / 1000));
  }

  static async connect(opts: EtcdStoreOptions): Promise<EtcdMetadataStore> {
    const s = new EtcdMetadataStore(opts);
    const deadline = Date.now() + opts.connectionTimeoutMs;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      try {
        await s.grantLease(Math.max(500, deadline - Date.now()));
        s.scheduleKeepAlive();
        return s;
      } catch (e) {
        lastError = e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new MetadataStoreUnavailableError(`Timed out waiting for connection to etcd at ${s.endpoints.join(',')} (zookeeper.connection.timeout.ms=${opts.connectionTimeoutMs}): ${(lastError as Error | null)?.message ?? 'no answer'}`);
  }

  /** The stream and request machinery: one JSON POST, trying each endpoint once. */
  async call<T>(path: string, body: unknown, timeoutMs = 10000): Promise<T> {
    let lastError: unknown = null;
    for (let i = 0; i < this.endpoints.length; i++) {
      const endpoint = this.endpoints[this.endpointIndex % this.endpoints.length]!;
      try {
        const res = await fetch(endpoint + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        const json = (text === '' ? {} : JSON.parse(text)) as T & { error?: string; message?: string; code?: number };
        if (!res.ok) throw new EtcdError(json.message ?? json.error ?? `HTTP ${res.status}`, json.code ?? -1);
        return json;
      } catch (e) {
        if (e instanceof EtcdError) throw e;
        lastError = e;
        this.endpointIndex++;
      }
    }
    throw new MetadataStoreUnavailableError(`etcd at ${this.endpoints.join(',')} is unreachable: ${(lastError as Error | null)?.message ?? ''}`);
  }

  k(key: string): string {
    return b64(this.prefix + key);
  }

  unk(key: string): string {
    return unb64(key).slice(this.prefix.length);
  }

  async get(key: string): Promise<VersionedValue | null> {
    const r = await this.call<{ kvs?: EtcdKv[] }>('/v3/kv/range', { key: this.k(key) });
    const kv = r.kvs?.[0];
    return kv === undefined ? null : { key, value: unb64(kv.value), revision: Number(kv.mod_revision) };
  }

  async put(key: string, value: string, opts: { expectedRevision?: number; ephemeral?: boolean } = {}): Promise<number> {
    const r = await this.txnRaw([{ op: 'put', key, value, ...opts }]);
    return r;
  }

  async delete(key: string, opts: { expectedRevision?: number; recursive?: boolean } = {}): Promise<boolean> {
    const existed = (await this.get(key)) !== null || (opts.recursive === true && (await this.list(key)).length > 0);
    await this.txnRaw([{ op: 'delete', key, ...opts }]);
    return existed;
  }

  async list(prefix: string): Promise<VersionedValue[]> {
    return (await this.listAt(prefix)).entries;
  }

  async listAt(prefix: string): Promise<{ entries: VersionedValue[]; revision: number }> {
    const p = this.prefix + childPrefix(prefix);
    const r = await this.call<{ kvs?: EtcdKv[]; header: { revision: string } }>('/v3/kv/range', { key: b64(p), range_end: prefixEnd(p) });
    const entries = (r.kvs ?? []).map((kv) => ({ key: this.unk(kv.key), value: unb64(kv.value), revision: Number(kv.mod_revision) }));
    return { entries: entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), revision: Number(r.header.revision) };
  }

  async txn(ops: readonly TxnOp[]): Promise<void> {
    await this.txnRaw(ops);
  }

  private async txnRaw(ops: readonly TxnOp[]): Promise<number> {
    const compare: unknown[] = [];
    const success: unknown[] = [];
    for (const op of ops) {
      const expected = op.op === 'check' ? op.revision : op.expectedRevision;
      if (expected !== undefined) compare.push({ key: this.k(op.key), target: 'MOD', result: 'EQUAL', mod_revision: String(expected) });
      if (op.op === 'put') {
        success.push({ request_put: { key: this.k(op.key), value: b64(op.value), ...(op.ephemeral === true ? { lease: this.leaseId } : {}) } });
      } else if (op.op === 'delete') {
        success.push({ request_delete_range: { key: this.k(op.key) } });
        if (op.recursive === true) {
          const p = this.prefix + childPrefix(op.key);
          success.push({ request_delete_range: { key: b64(p), range_end: prefixEnd(p) } });
        }
      }
    }
    const r = await this.call<{ succeeded?: boolean; header: { revision: string } }>('/v3/kv/txn', { compare, success, failure: [] });
    if (r.succeeded !== true && compare.length > 0) throw new RevisionMismatchError(`transaction conflict on ${ops.map((o) => o.key).join(', ')}`);
    return Number(r.header.revision);
  }

  async watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch> {
    const snap = await this.listAt(prefix);
    const w = new EtcdPrefixWatch(this, prefix, listener, snap.entries, snap.revision);
    this.watches.add(w);
    w.run();
    return {
      entries: snap.entries,
      cancel: () => {
        this.watches.delete(w);
        w.stop();
      },
    };
  }

  onSession(listener: (s: SessionState) => void): () => void {
    return this.sessions.add(listener);
  }

  // ---- lease (the session) ----

  private async grantLease(timeoutMs: number): Promise<void> {
    const r = await this.call<{ ID: string; TTL: string }>('/v3/lease/grant', { TTL: String(this.ttlSeconds) }, timeoutMs);
    this.leaseId = r.ID;
    this.lastKeepAliveOk = Date.now();
  }

  private scheduleKeepAlive(): void {
    if (this.closed) return;
    this.keepAliveTimer = setTimeout(() => {
      this.keepAlive().finally(() => this.scheduleKeepAlive());
    }, Math.max(200, Math.floor((this.ttlSeconds * 1000) / 3)));
  }

  private async keepAlive(): Promise<void> {
    try {
      if (this.sessionLost) {
        await this.grantLease(5000);
        this.sessionLost = false;
        this.sessions.emit('restored');
        return;
      }
      const r = await this.call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: this.leaseId }, 5000);
      if (Number(r.result?.TTL ?? '0') <= 0) this.leaseLost();
      else this.lastKeepAliveOk = Date.now();
    } catch {
      if (Date.now() - this.lastKeepAliveOk > this.ttlSeconds * 1000) this.leaseLost();
    }
  }

  private leaseLost(): void {
    if (this.sessionLost) return;
    this.sessionLost = true;
    this.sessions.emit('lost');
  }

  async expireSession(): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: this.leaseId });
    this.leaseLost();
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    await this.keepAlive();
    this.scheduleKeepAlive();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAliveTimer !== null) clearTimeout(this.keepAliveTimer);
    for (const w of this.watches) w.stop();
    this.watches.clear();
    // Revoking the lease removes our ephemeral keys now rather than after the TTL.
    await this.call('/v3/lease/revoke', { ID: this.leaseId }, 2000).catch(() => undefined);
  }

  get watchEndpoint(): string {
    return this.endpoints[this.endpointIndex % this.endpoints.length]!;
  }
  nextEndpoint(): void {
    this.endpointIndex++;
  }
  keyRange(prefix: string): { key: string; range_end: string } {
    const p = this.prefix + childPrefix(prefix);
    return { key: b64(p), range_end: prefixEnd(p) };
  }
}

class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** One streaming watch, resumed from the last revision seen when the stream breaks. */
class EtcdPrefixWatch {
  private known = new Map<string, number>();
  private stopped = false;
  private abort: AbortController | null = null;

  constructor(
    private readonly store: EtcdMetadataStore,
    private readonly prefix: string,
    private readonly listener: (e: WatchEvent) => void,
    entries: VersionedValue[],
    private revision: number,
  ) {
    for (const e of entries) this.known.set(e.key, e.revision);
  }

  run(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.stream();
      } catch {
        // stream broke: resume below
      }
      if (this.stopped) return;
      this.store.nextEndpoint();
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async stream(): Promise<void> {
    this.abort = new AbortController();
    const body = { create_request: { ...this.store.keyRange(this.prefix), start_revision: String(this.revision + 1) } };
    const res = await fetch(this.store.watchEndpoint + '/v3/watch', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: this.abort.signal });
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line !== '') await this.onMessage(JSON.parse(line) as { result?: WatchResult });
      }
    }
  }

  private async onMessage(msg: { result?: WatchResult }): Promise<void> {
    const r = msg.result;
    if (r === undefined) return;
    if (r.compact_revision !== undefined && Number(r.compact_revision) > 0) {
      await this.resync();
      this.abort?.abort();
      return;
    }
    for (const ev of r.events ?? []) {
      const key = this.store.unk(ev.kv.key);
      const revision = Number(ev.kv.mod_revision);
      if (revision > this.revision) this.revision = revision;
      if (ev.type === 'DELETE') {
        if (this.known.delete(key)) this.emit({ type: 'delete', key });
      } else {
        const before = this.known.get(key);
        if (before !== undefined && before >= revision) continue;
        this.known.set(key, revision);
        this.emit({ type: 'put', key, value: unb64(ev.kv.value), revision });
      }
    }
  }

  /** The history we needed was compacted: relist and report the difference. */
  private async resync(): Promise<void> {
    const snap = await this.store.listAt(this.prefix);
    const seen = new Set<string>();
    for (const e of snap.entries) {
      seen.add(e.key);
      const before = this.known.get(e.key);
      if (before !== undefined && before >= e.revision) continue;
      this.known.set(e.key, e.revision);
      this.emit({ type: 'put', key: e.key, value: e.value, revision: e.revision });
    }
    for (const k of [...this.known.keys()]) if (!seen.has(k)) {
      this.known.delete(k);
      this.emit({ type: 'delete', key: k });
    }
    this.revision = snap.revision;
  }

  private emit(e: WatchEvent): void {
    if (!this.stopped) this.listener(e);
  }
}

interface WatchResult {
  compact_revision?: string;
  events?: Array<{ type?: 'PUT' | 'DELETE'; kv: EtcdKv }>;
}
