/**
 * MetadataStore on etcd v3, spoken through etcd's own HTTP/JSON gateway (/v3/kv/range, txn,
 * /v3/lease/*, the streaming /v3/watch) with Node's fetch: no gRPC stack to install. Keys live
 * under a prefix (metadata.store=etcd://host:2379/samsa); a key's revision is its mod_revision,
 * CAS is a txn comparing it; ephemeral keys are attached to this store's lease, kept alive every
 * TTL/3 (TTL = the session timeout); watches start at the snapshot's revision + 1 and resume
 * from the last seen revision after a broken stream (or relist and diff if it was compacted).
 */
import { childPrefix, MetadataStoreUnavailableError, RevisionMismatchError, SessionListeners, } from '../metadata-store.js';
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s) => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));
/** The end of the key range that holds every key starting with prefix (etcd's prefix range). */
function prefixEnd(prefix) {
    const b = Buffer.from(prefix, 'utf8');
    for (let i = b.length - 1; i >= 0; i--) {
        if (b[i] < 0xff) {
            const out = Buffer.from(b.subarray(0, i + 1));
            out[i] += 1;
            return out.toString('base64');
        }
    }
    return Buffer.from([0]).toString('base64');
}
export function parseEtcdUrl(url) {
    const m = /^(etcd|https?):\/\/([^/]+)(\/.*)?$/.exec(url.trim());
    if (m === null)
        throw new Error(`Invalid etcd address '${url}': expected etcd://host:port[,host:port...][/prefix]`);
    const scheme = m[1] === 'https' ? 'https' : 'http';
    const endpoints = m[2].split(',').map((h) => h.trim()).filter((h) => h !== '').map((h) => `${scheme}://${h.includes(':') ? h : `${h}:2379`}`);
    let prefix = m[3] ?? '';
    if (prefix === '/')
        prefix = '';
    return { endpoints, prefix: prefix.replace(/\/$/, '') };
}
export class EtcdMetadataStore {
    opts;
    description;
    endpoints;
    prefix;
    endpointIndex = 0;
    leaseId = '0';
    ttlSeconds;
    keepAliveTimer = null;
    lastKeepAliveOk = Date.now();
    sessionLost = false;
    closed = false;
    sessions = new SessionListeners();
    watches = new Set();
    constructor(opts) {
        this.opts = opts;
        const parsed = parseEtcdUrl(opts.url);
        this.endpoints = parsed.endpoints;
        this.prefix = parsed.prefix;
        this.description = `etcd at ${opts.url}`;
        this.ttlSeconds = Math.max(2, Math.ceil(opts.sessionTimeoutMs / 1000));
    }
    static async connect(opts) {
        const s = new EtcdMetadataStore(opts);
        const deadline = Date.now() + opts.connectionTimeoutMs;
        let lastError = null;
        while (Date.now() < deadline) {
            try {
                await s.grantLease(Math.max(500, deadline - Date.now()));
                s.scheduleKeepAlive();
                return s;
            }
            catch (e) {
                lastError = e;
                await new Promise((r) => setTimeout(r, 200));
            }
        }
        throw new MetadataStoreUnavailableError(`Timed out waiting for connection to etcd at ${s.endpoints.join(',')} (zookeeper.connection.timeout.ms=${opts.connectionTimeoutMs}): ${lastError?.message ?? 'no answer'}`);
    }
    /** The stream and request machinery: one JSON POST, trying each endpoint once. */
    async call(path, body, timeoutMs = 10000) {
        let lastError = null;
        for (let i = 0; i < this.endpoints.length; i++) {
            const endpoint = this.endpoints[this.endpointIndex % this.endpoints.length];
            try {
                const res = await fetch(endpoint + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
                const text = await res.text();
                const json = (text === '' ? {} : JSON.parse(text));
                if (!res.ok)
                    throw new EtcdError(json.message ?? json.error ?? `HTTP ${res.status}`, json.code ?? -1);
                return json;
            }
            catch (e) {
                if (e instanceof EtcdError)
                    throw e;
                lastError = e;
                this.endpointIndex++;
            }
        }
        throw new MetadataStoreUnavailableError(`etcd at ${this.endpoints.join(',')} is unreachable: ${lastError?.message ?? ''}`);
    }
    k(key) {
        return b64(this.prefix + key);
    }
    unk(key) {
        return unb64(key).slice(this.prefix.length);
    }
    async get(key) {
        const r = await this.call('/v3/kv/range', { key: this.k(key) });
        const kv = r.kvs?.[0];
        return kv === undefined ? null : { key, value: unb64(kv.value), revision: Number(kv.mod_revision) };
    }
    async put(key, value, opts = {}) {
        const r = await this.txnRaw([{ op: 'put', key, value, ...opts }]);
        return r;
    }
    async delete(key, opts = {}) {
        const existed = (await this.get(key)) !== null || (opts.recursive === true && (await this.list(key)).length > 0);
        await this.txnRaw([{ op: 'delete', key, ...opts }]);
        return existed;
    }
    async list(prefix) {
        return (await this.listAt(prefix)).entries;
    }
    async listAt(prefix) {
        const p = this.prefix + childPrefix(prefix);
        const r = await this.call('/v3/kv/range', { key: b64(p), range_end: prefixEnd(p) });
        const entries = (r.kvs ?? []).map((kv) => ({ key: this.unk(kv.key), value: unb64(kv.value), revision: Number(kv.mod_revision) }));
        return { entries: entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), revision: Number(r.header.revision) };
    }
    async txn(ops) {
        await this.txnRaw(ops);
    }
    async txnRaw(ops) {
        const compare = [];
        const success = [];
        for (const op of ops) {
            const expected = op.op === 'check' ? op.revision : op.expectedRevision;
            if (expected !== undefined)
                compare.push({ key: this.k(op.key), target: 'MOD', result: 'EQUAL', mod_revision: String(expected) });
            if (op.op === 'put') {
                success.push({ request_put: { key: this.k(op.key), value: b64(op.value), ...(op.ephemeral === true ? { lease: this.leaseId } : {}) } });
            }
            else if (op.op === 'delete') {
                success.push({ request_delete_range: { key: this.k(op.key) } });
                if (op.recursive === true) {
                    const p = this.prefix + childPrefix(op.key);
                    success.push({ request_delete_range: { key: b64(p), range_end: prefixEnd(p) } });
                }
            }
        }
        const r = await this.call('/v3/kv/txn', { compare, success, failure: [] });
        if (r.succeeded !== true && compare.length > 0)
            throw new RevisionMismatchError(`transaction conflict on ${ops.map((o) => o.key).join(', ')}`);
        return Number(r.header.revision);
    }
    async watch(prefix, listener) {
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
    onSession(listener) {
        return this.sessions.add(listener);
    }
    // ---- lease (the session) ----
    async grantLease(timeoutMs) {
        const r = await this.call('/v3/lease/grant', { TTL: String(this.ttlSeconds) }, timeoutMs);
        this.leaseId = r.ID;
        this.lastKeepAliveOk = Date.now();
    }
    scheduleKeepAlive() {
        if (this.closed)
            return;
        this.keepAliveTimer = setTimeout(() => {
            this.keepAlive().finally(() => this.scheduleKeepAlive());
        }, Math.max(200, Math.floor((this.ttlSeconds * 1000) / 3)));
    }
    async keepAlive() {
        try {
            if (this.sessionLost) {
                await this.grantLease(5000);
                this.sessionLost = false;
                this.sessions.emit('restored');
                return;
            }
            const r = await this.call('/v3/lease/keepalive', { ID: this.leaseId }, 5000);
            if (Number(r.result?.TTL ?? '0') <= 0)
                this.leaseLost();
            else
                this.lastKeepAliveOk = Date.now();
        }
        catch {
            if (Date.now() - this.lastKeepAliveOk > this.ttlSeconds * 1000)
                this.leaseLost();
        }
    }
    leaseLost() {
        if (this.sessionLost)
            return;
        this.sessionLost = true;
        this.sessions.emit('lost');
    }
    async expireSession() {
        await this.call('/v3/lease/revoke', { ID: this.leaseId });
        this.leaseLost();
        if (this.keepAliveTimer !== null)
            clearTimeout(this.keepAliveTimer);
        await this.keepAlive();
        this.scheduleKeepAlive();
    }
    async close() {
        if (this.closed)
            return;
        this.closed = true;
        if (this.keepAliveTimer !== null)
            clearTimeout(this.keepAliveTimer);
        for (const w of this.watches)
            w.stop();
        this.watches.clear();
        // Revoking the lease removes our ephemeral keys now rather than after the TTL.
        await this.call('/v3/lease/revoke', { ID: this.leaseId }, 2000).catch(() => undefined);
    }
    get watchEndpoint() {
        return this.endpoints[this.endpointIndex % this.endpoints.length];
    }
    nextEndpoint() {
        this.endpointIndex++;
    }
    keyRange(prefix) {
        const p = this.prefix + childPrefix(prefix);
        return { key: b64(p), range_end: prefixEnd(p) };
    }
}
class EtcdError extends Error {
    code;
    name = 'EtcdError';
    constructor(message, code) {
        super(message);
        this.code = code;
    }
}
/** One streaming watch, resumed from the last revision seen when the stream breaks. */
class EtcdPrefixWatch {
    store;
    prefix;
    listener;
    revision;
    known = new Map();
    stopped = false;
    abort = null;
    constructor(store, prefix, listener, entries, revision) {
        this.store = store;
        this.prefix = prefix;
        this.listener = listener;
        this.revision = revision;
        for (const e of entries)
            this.known.set(e.key, e.revision);
    }
    run() {
        void this.loop();
    }
    stop() {
        this.stopped = true;
        this.abort?.abort();
    }
    async loop() {
        while (!this.stopped) {
            try {
                await this.stream();
            }
            catch {
                // stream broke: resume below
            }
            if (this.stopped)
                return;
            this.store.nextEndpoint();
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    async stream() {
        this.abort = new AbortController();
        const body = { create_request: { ...this.store.keyRange(this.prefix), start_revision: String(this.revision + 1) } };
        const res = await fetch(this.store.watchEndpoint + '/v3/watch', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: this.abort.signal });
        if (res.body === null)
            return;
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
            buf += decoder.decode(chunk, { stream: true });
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl).trim();
                buf = buf.slice(nl + 1);
                if (line !== '')
                    await this.onMessage(JSON.parse(line));
            }
        }
    }
    async onMessage(msg) {
        const r = msg.result;
        if (r === undefined)
            return;
        if (r.compact_revision !== undefined && Number(r.compact_revision) > 0) {
            await this.resync();
            this.abort?.abort();
            return;
        }
        for (const ev of r.events ?? []) {
            const key = this.store.unk(ev.kv.key);
            const revision = Number(ev.kv.mod_revision);
            if (revision > this.revision)
                this.revision = revision;
            if (ev.type === 'DELETE') {
                if (this.known.delete(key))
                    this.emit({ type: 'delete', key });
            }
            else {
                const before = this.known.get(key);
                if (before !== undefined && before >= revision)
                    continue;
                this.known.set(key, revision);
                this.emit({ type: 'put', key, value: unb64(ev.kv.value), revision });
            }
        }
    }
    /** The history we needed was compacted: relist and report the difference. */
    async resync() {
        const snap = await this.store.listAt(this.prefix);
        const seen = new Set();
        for (const e of snap.entries) {
            seen.add(e.key);
            const before = this.known.get(e.key);
            if (before !== undefined && before >= e.revision)
                continue;
            this.known.set(e.key, e.revision);
            this.emit({ type: 'put', key: e.key, value: e.value, revision: e.revision });
        }
        for (const k of [...this.known.keys()])
            if (!seen.has(k)) {
                this.known.delete(k);
                this.emit({ type: 'delete', key: k });
            }
        this.revision = snap.revision;
    }
    emit(e) {
        if (!this.stopped)
            this.listener(e);
    }
}
//# sourceMappingURL=etcd-store.js.map