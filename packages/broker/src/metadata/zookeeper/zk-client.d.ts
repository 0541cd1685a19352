import { type ZkStat } from './jute.js';
export interface ZkClientOptions {
    /** host:port[,host:port...][/chroot], as zookeeper.connect. */
    connectString: string;
    sessionTimeoutMs: number;
    /** How long connect() waits for the first session before giving up. */
    connectionTimeoutMs: number;
}
export interface ZkWatchEvent {
    type: number;
    /** Path without the chroot. */
    path: string;
}
/** Session states a user reacts to: a new session (ephemerals and watches are gone) vs. the same session back. */
export type ZkSessionState = 'disconnected' | 'reconnected' | 'expired' | 'new-session';
export type ZkMultiOp = {
    type: 'create';
    path: string;
    data: Buffer | null;
    mode?: number;
} | {
    type: 'setData';
    path: string;
    data: Buffer;
    version: number;
} | {
    type: 'delete';
    path: string;
    version: number;
} | {
    type: 'check';
    path: string;
    version: number;
};
/** Kafka's message when the first connection does not come up in zookeeper.connection.timeout.ms. */
export declare class ZkConnectTimeoutError extends Error {
    readonly name = "ZooKeeperClientTimeoutException";
}
export declare function parseConnectString(s: string): {
    hosts: Array<{
        host: string;
        port: number;
    }>;
    chroot: string;
};
export declare class ZkClient {
    private readonly opts;
    readonly hosts: Array<{
        host: string;
        port: number;
    }>;
    readonly chroot: string;
    private socket;
    private sessionId;
    private passwd;
    private negotiatedTimeoutMs;
    private lastZxid;
    private xid;
    private pending;
    private hostIndex;
    private closed;
    private connected;
    private holding;
    /** The session expired and a new one is not up yet. */
    private expired;
    private pingTimer;
    private expiryTimer;
    private reconnectTimer;
    private persistentWatches;
    private eventListeners;
    private sessionListeners;
    private waitingForConnect;
    private constructor();
    /** Opens a session; rejects with a message naming the address when none answers in time. */
    static connect(opts: ZkClientOptions): Promise<ZkClient>;
    get session(): bigint;
    get sessionPassword(): Buffer;
    get isConnected(): boolean;
    get sessionTimeoutMs(): number;
    onEvent(l: (e: ZkWatchEvent) => void): void;
    onSession(l: (s: ZkSessionState) => void): void;
    create(path: string, data: Buffer | null, mode?: number): Promise<ZkStat>;
    delete(path: string, version?: number): Promise<void>;
    exists(path: string): Promise<ZkStat | null>;
    /** The node's data and stat, or null when it does not exist. */
    getData(path: string): Promise<{
        data: Buffer | null;
        stat: ZkStat;
    } | null>;
    setData(path: string, data: Buffer, version?: number): Promise<ZkStat>;
    /** Child names, or null when the node does not exist. */
    getChildren(path: string): Promise<string[] | null>;
    /**
     * Runs the ops atomically. On failure throws a ZkError for the first failing op (its path
     * set); `failedIndex` on the error says which op it was.
     */
    multi(ops: readonly ZkMultiOp[]): Promise<Array<ZkStat | null>>;
    /** A persistent recursive watch on path (re-added after a reconnect or a new session). */
    addPersistentRecursiveWatch(path: string): Promise<void>;
    /** Creates path and any missing parents with null data (Kafka's createRecursive). */
    ensurePath(path: string): Promise<void>;
    close(): Promise<void>;
    /**
     * Runs fn with this client disconnected and not reconnecting (tests: expire the session from
     * another connection without this client taking it back meanwhile), then reconnects.
     */
    whileDisconnected(fn: () => Promise<void>): Promise<void>;
    private abs;
    private rel;
    private ensureChroot;
    private request;
    private dial;
    private onConnectResponse;
    private sessionExpired;
    /** Client-side view of expiry: disconnected for a whole session timeout means the server expired us. */
    private startExpiryTimer;
    private ping;
    private onFrame;
    private failPending;
    private clearTimers;
    private emitSession;
}
/** Ends another client's session with its id and password (tests: simulate an expiry). */
export declare function expireZkSession(connectString: string, sessionId: bigint, passwd: Buffer): Promise<void>;
