export interface VersionedValue {
    key: string;
    value: string;
    /**
     * Store-wide revision of the last change to this key: etcd's mod_revision, ZooKeeper's mzxid,
     * a counter in the local store. Only compared for equality (CAS) and order.
     */
    revision: number;
}
export type WatchEvent = {
    type: 'put';
    key: string;
    value: string;
    revision: number;
} | {
    type: 'delete';
    key: string;
};
export type TxnOp = 
/** Fails the transaction unless key's revision is `revision` (0 = key absent). */
{
    op: 'check';
    key: string;
    revision: number;
} | {
    op: 'put';
    key: string;
    value: string;
    expectedRevision?: number;
    ephemeral?: boolean;
}
/** Deletes key and, when recursive, every key under `key/`. */
 | {
    op: 'delete';
    key: string;
    expectedRevision?: number;
    recursive?: boolean;
};
export declare class RevisionMismatchError extends Error {
    readonly name = "RevisionMismatchError";
}
/** The store cannot be reached (at start: names the address; the broker exits non-zero). */
export declare class MetadataStoreUnavailableError extends Error {
    readonly name = "MetadataStoreUnavailableError";
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
    put(key: string, value: string, opts?: {
        expectedRevision?: number;
        ephemeral?: boolean;
    }): Promise<number>;
    /** Deletes a key (and with recursive, every key under `key/`); returns whether it existed. */
    delete(key: string, opts?: {
        expectedRevision?: number;
        recursive?: boolean;
    }): Promise<boolean>;
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
export declare function childPrefix(prefix: string): string;
/** Listener bookkeeping shared by the engines. */
export declare class SessionListeners {
    private listeners;
    add(l: (s: SessionState) => void): () => void;
    emit(s: SessionState): void;
}
export declare const METADATA_DIR = "__samsa_metadata";
interface LocalEntry extends VersionedValue {
    /** Owning session for an ephemeral key. */
    owner: LocalMetadataStore | null;
}
/**
 * The data behind local stores: keys, a revision counter, watchers, persistence. Several
 * LocalMetadataStore sessions can share one (in-process clusters on the memory store).
 */
export declare class LocalMetadataBackend {
    readonly entries: Map<string, LocalEntry>;
    revision: number;
    watchers: Array<{
        prefix: string;
        listener: (e: WatchEvent) => void;
    }>;
    private readonly file;
    constructor(dir: string | null);
    revisionOf(key: string): number;
    apply(ops: readonly TxnOp[], session: LocalMetadataStore): number;
    dropEphemerals(owner: LocalMetadataStore): void;
    private persist;
}
/** Local engine: one session over a LocalMetadataBackend (its own, or shared). */
export declare class LocalMetadataStore implements MetadataStore {
    readonly backend: LocalMetadataBackend;
    readonly description: string;
    private readonly sessions;
    private ownWatchers;
    constructor(dirOrBackend: string | null | LocalMetadataBackend);
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
    private listNow;
    txn(ops: readonly TxnOp[]): Promise<void>;
    watch(prefix: string, listener: (e: WatchEvent) => void): Promise<StoreWatch>;
    onSession(listener: (s: SessionState) => void): () => void;
    expireSession(): Promise<void>;
    close(): Promise<void>;
}
export {};
