import { ZkClient } from './zk-client.js';
import { type MetadataStore, type SessionState, type StoreWatch, type TxnOp, type VersionedValue, type WatchEvent } from '../metadata-store.js';
export interface ZooKeeperStoreOptions {
    connect: string;
    sessionTimeoutMs: number;
    connectionTimeoutMs: number;
}
export declare class ZooKeeperMetadataStore implements MetadataStore {
    readonly client: ZkClient;
    private readonly opts;
    readonly description: string;
    private readonly sessions;
    private readonly watches;
    private constructor();
    static connect(opts: ZooKeeperStoreOptions): Promise<ZooKeeperMetadataStore>;
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
    /** Visits every node under root (not root itself), parents before children. */
    private walk;
    txn(ops: readonly TxnOp[]): Promise<void>;
    watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch>;
    onSession(listener: (s: SessionState) => void): () => void;
    expireSession(): Promise<void>;
    close(): Promise<void>;
}
