/**
 * ZooKeeper's wire encoding (jute): big-endian ints and longs, length-prefixed buffers and
 * strings (-1 = null), vectors with an int count. Only the records the client sends and reads.
 */
export declare class JuteWriter {
    private parts;
    int(v: number): this;
    long(v: bigint): this;
    bool(v: boolean): this;
    buffer(v: Buffer | null): this;
    string(v: string): this;
    /** A frame: int32 length, then the body. */
    frame(): Buffer;
}
export declare class JuteReader {
    private readonly buf;
    private pos;
    constructor(buf: Buffer);
    get remaining(): number;
    int(): number;
    long(): bigint;
    bool(): boolean;
    buffer(): Buffer | null;
    string(): string;
    stat(): ZkStat;
}
export interface ZkStat {
    czxid: bigint;
    mzxid: bigint;
    ctime: bigint;
    mtime: bigint;
    version: number;
    cversion: number;
    aversion: number;
    /** Session id of an ephemeral node's owner, 0 otherwise. */
    ephemeralOwner: bigint;
    dataLength: number;
    numChildren: number;
    pzxid: bigint;
}
/** Request op codes (ZooDefs.OpCode). */
export declare const Op: {
    readonly notification: 0;
    readonly create: 1;
    readonly delete: 2;
    readonly exists: 3;
    readonly getData: 4;
    readonly setData: 5;
    readonly getChildren: 8;
    readonly ping: 11;
    readonly check: 13;
    readonly multi: 14;
    readonly create2: 15;
    readonly addWatch: 106;
    readonly closeSession: -11;
    readonly error: -1;
};
/** Error codes (KeeperException.Code) the client tells apart. */
export declare const ZkCode: {
    readonly OK: 0;
    readonly CONNECTION_LOSS: -4;
    readonly OPERATION_TIMEOUT: -7;
    readonly NO_NODE: -101;
    readonly BAD_VERSION: -103;
    readonly NO_CHILDREN_FOR_EPHEMERALS: -108;
    readonly NODE_EXISTS: -110;
    readonly NOT_EMPTY: -111;
    readonly SESSION_EXPIRED: -112;
};
/** A failed ZooKeeper operation, named as Kafka's and ZooKeeper's logs name it (KeeperErrorCode = NoNode for /x). */
export declare class ZkError extends Error {
    readonly code: number;
    readonly path: string | null;
    readonly name = "ZkError";
    constructor(code: number, path: string | null);
}
/** Create modes (CreateMode). */
export declare const CreateMode: {
    readonly PERSISTENT: 0;
    readonly EPHEMERAL: 1;
};
/** World-readable/writable ACL (ZooDefs.Ids.OPEN_ACL_UNSAFE), what Kafka uses without zookeeper.set.acl. */
export declare function writeOpenAcl(w: JuteWriter): void;
/** Watcher event types (Watcher.Event.EventType). */
export declare const EventType: {
    readonly None: -1;
    readonly NodeCreated: 1;
    readonly NodeDeleted: 2;
    readonly NodeDataChanged: 3;
    readonly NodeChildrenChanged: 4;
};
