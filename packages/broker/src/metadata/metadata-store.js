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
import { encodeConfig, encodePartitionState, encodeTopic, Paths } from './kafka-layout.js';
export class RevisionMismatchError extends Error {
    name = 'RevisionMismatchError';
}
/** The store cannot be reached (at start: names the address; the broker exits non-zero). */
export class MetadataStoreUnavailableError extends Error {
    name = 'MetadataStoreUnavailableError';
}
export function childPrefix(prefix) {
    return prefix.endsWith('/') ? prefix : prefix + '/';
}
/** Listener bookkeeping shared by the engines. */
export class SessionListeners {
    listeners = [];
    add(l) {
        this.listeners.push(l);
        return () => {
            this.listeners = this.listeners.filter((x) => x !== l);
        };
    }
    emit(s) {
        for (const l of [...this.listeners])
            l(s);
    }
}
export const METADATA_DIR = '__samsa_metadata';
/**
 * The data behind local stores: keys, a revision counter, watchers, persistence. Several
 * LocalMetadataStore sessions can share one (in-process clusters on the memory store).
 */
export class LocalMetadataBackend {
    entries = new Map();
    revision = 0;
    watchers = [];
    file;
    constructor(dir) {
        this.file = dir === null ? null : join(dir, 'store.json');
        if (this.file !== null && existsSync(this.file)) {
            const parsed = JSON.parse(readFileSync(this.file, 'utf8'));
            this.revision = parsed.revision;
            for (const e of migrateFlatKeys(parsed.entries))
                this.entries.set(e.key, { key: e.key, value: e.value, revision: e.revision, owner: null });
        }
    }
    revisionOf(key) {
        return this.entries.get(key)?.revision ?? 0;
    }
    apply(ops, session) {
        for (const op of ops) {
            const expected = op.op === 'check' ? op.revision : op.expectedRevision;
            if (expected !== undefined && this.revisionOf(op.key) !== expected) {
                throw new RevisionMismatchError(`${op.key}: expected revision ${expected}, found ${this.revisionOf(op.key)}`);
            }
        }
        const revision = ++this.revision;
        const events = [];
        for (const op of ops) {
            if (op.op === 'put') {
                this.entries.set(op.key, { key: op.key, value: op.value, revision, owner: op.ephemeral === true ? session : null });
                events.push({ type: 'put', key: op.key, value: op.value, revision });
            }
            else if (op.op === 'delete') {
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
        for (const e of events)
            for (const w of [...this.watchers])
                if (e.key.startsWith(w.prefix))
                    w.listener(e);
        return revision;
    }
    dropEphemerals(owner) {
        const keys = [...this.entries.values()].filter((e) => e.owner === owner).map((e) => e.key);
        if (keys.length > 0)
            this.apply(keys.map((key) => ({ op: 'delete', key })), owner);
    }
    persist() {
        if (this.file === null)
            return;
        // Ephemeral keys belong to a running process: never persisted.
        const entries = [...this.entries.values()].filter((e) => e.owner === null).map(({ key, value, revision }) => ({ key, value, revision }));
        const data = { version: 1, revision: this.revision, entries };
        writeFileAtomic(this.file, JSON.stringify(data));
    }
}
/**
 * Stores written before the cluster layout used flat keys (`topics/<name>` with the whole topic,
 * `configs/brokers/<entity>`, `producer-ids/latest-block`): read them as Kafka's layout.
 */
function migrateFlatKeys(entries) {
    const out = [];
    for (const e of entries) {
        if (e.key.startsWith('topics/')) {
            const name = e.key.slice('topics/'.length);
            const t = JSON.parse(e.value);
            out.push({ key: Paths.topic(name), value: encodeTopic({ id: t.id, partitions: t.partitions.map((p) => p.replicas) }), revision: e.revision });
            t.partitions.forEach((p, i) => out.push({ key: Paths.partitionState(name, i), value: encodePartitionState({ leader: p.replicas[0] ?? -1, leaderEpoch: p.leaderEpoch, isr: p.replicas, controllerEpoch: 0 }), revision: e.revision }));
            out.push({ key: Paths.topicConfig(name), value: encodeConfig(t.configs), revision: e.revision });
        }
        else if (e.key.startsWith('configs/brokers/')) {
            out.push({ key: Paths.brokerConfig(e.key.slice('configs/brokers/'.length).replace('<default>', '')), value: encodeConfig(JSON.parse(e.value)), revision: e.revision });
        }
        else if (e.key === 'producer-ids/latest-block') {
            out.push({ ...e, key: '/latest_producer_id_block' });
        }
        else {
            out.push(e);
        }
    }
    return out;
}
/** Local engine: one session over a LocalMetadataBackend (its own, or shared). */
export class LocalMetadataStore {
    backend;
    description;
    sessions = new SessionListeners();
    ownWatchers = [];
    constructor(dirOrBackend) {
        this.backend = dirOrBackend instanceof LocalMetadataBackend ? dirOrBackend : new LocalMetadataBackend(dirOrBackend);
        this.description = typeof dirOrBackend === 'string' ? `local metadata store in ${dirOrBackend}` : 'in-memory metadata store';
    }
    async get(key) {
        const e = this.backend.entries.get(key);
        return e === undefined ? null : { key: e.key, value: e.value, revision: e.revision };
    }
    async put(key, value, opts = {}) {
        return this.backend.apply([{ op: 'put', key, value, ...opts }], this);
    }
    async delete(key, opts = {}) {
        const existed = this.backend.entries.has(key) || (opts.recursive === true && [...this.backend.entries.keys()].some((k) => k.startsWith(childPrefix(key))));
        if (opts.expectedRevision !== undefined || existed)
            this.backend.apply([{ op: 'delete', key, ...opts }], this);
        return existed;
    }
    async list(prefix) {
        return this.listNow(prefix);
    }
    listNow(prefix) {
        const p = childPrefix(prefix);
        const out = [];
        for (const e of this.backend.entries.values())
            if (e.key.startsWith(p))
                out.push({ key: e.key, value: e.value, revision: e.revision });
        return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    async txn(ops) {
        this.backend.apply(ops, this);
    }
    async watch(prefix, listener) {
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
    onSession(listener) {
        return this.sessions.add(listener);
    }
    async expireSession() {
        this.backend.dropEphemerals(this);
        this.sessions.emit('lost');
        this.sessions.emit('restored');
    }
    async close() {
        const mine = new Set(this.ownWatchers);
        this.backend.watchers = this.backend.watchers.filter((x) => !mine.has(x));
        this.ownWatchers = [];
        this.backend.dropEphemerals(this);
    }
}
//# sourceMappingURL=metadata-store.js.map