/**
 * MetadataStore on etcd v3, spoken through etcd's own HTTP/JSON gateway (/v3/kv/range, txn,
 * /v3/lease/*, the streaming /v3/watch) with Node's fetch: no gRPC stack to install. Keys live
 * under a prefix (metadata.store=etcd://host:2379/samsa); a key's revision is its mod_revision,
 * CAS is a txn comparing it; ephemeral keys are attached to this store's lease, kept alive every
 * TTL/3 (TTL = the session timeout); watches start at the snapshot's revision + 1 and resume
 * from the last seen revision after a broken stream (or relist and diff if it was compacted).
 */
import { type MetadataStore, type SessionState, type StoreWatch, type TxnOp, type VersionedValue, type WatchEvent } from '../metadata-store.js';
export interface EtcdStoreOptions {
    /** etcd://host:port[,host:port...][/prefix] (http:// endpoints are accepted too). */
    url: string;
    sessionTimeoutMs: number;
    connectionTimeoutMs: number;
}
export declare function parseEtcdUrl(url: string): {
    endpoints: string[];
    prefix: string;
};
export declare class EtcdMetadataStore implements MetadataStore {
    private readonly opts;
    readonly description: string;
    private readonly endpoints;
    private readonly prefix;
    private endpointIndex;
    private leaseId;
    private readonly ttlSeconds;
    private keepAliveTimer;
    private lastKeepAliveOk;
    private sessionLost;
    private closed;
    private readonly sessions;
    private readonly watches;
    private constructor();
    static connect(opts: EtcdStoreOptions): Promise<EtcdMetadataStore>;
    /** The stream and request machinery: one JSON POST, trying each endpoint once. */
    call<T>(path: string, body: unknown, timeoutMs?: number): Promise<T>;
    k(key: string): string;
    unk(key: string): string;
    get(key: string): Promise<VersionedValue | null>;
    put(key: string, value: string, opts?: {
        expectedRevision?: number;
        ephemeral?: boolean;
    }): Promise<number>;
    delete(key: string, opts?: {
        expectedRevision?: number;
        recursive?: boolean;
    }): Promise<boolean>;
    list(prefix: string): Promise<VersionedValue[]>;
    listAt(prefix: string): Promise<{
        entries: VersionedValue[];
        revision: number;
    }>;
    txn(ops: readonly TxnOp[]): Promise<void>;
    private txnRaw;
    watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch>;
    onSession(listener: (s: SessionState) => void): () => void;
    private grantLease;
    private scheduleKeepAlive;
    private keepAlive;
    private leaseLost;
    expireSession(): Promise<void>;
    close(): Promise<void>;
    get watchEndpoint(): string;
    nextEndpoint(): void;
    keyRange(prefix: string): {
        key: string;
        range_end: string;
    };
}
