/**
 * ZooKeeper's wire encoding (jute): big-endian ints and longs, length-prefixed buffers and
 * strings (-1 = null), vectors with an int count. Only the records the client sends and reads.
 */

export class JuteWriter {
  private parts: Buffer[] = [];

  int(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  long(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  bool(v: boolean): this {
    this.parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }
  buffer(v: Buffer | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.parts.push(v);
    return this;
  }
  string(v: string): this {
    return this.buffer(Buffer.from(v, 'utf8'));
  }
  /** A frame: int32 length, then the body. */
  frame(): Buffer {
    const body = Buffer.concat(this.parts);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

export class JuteReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }
  int(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  long(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bool(): boolean {
    return this.buf[this.pos++] !== 0;
  }
  buffer(): Buffer | null {
    const n = this.int();
    if (n < 0) return null;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  string(): string {
    return (this.buffer() ?? Buffer.alloc(0)).toString('utf8');
  }
  stat(): ZkStat {
    const czxid = this.long();
    const mzxid = this.long();
    const ctime = this.long();
    const mtime = this.long();
    const version = this.int();
    const cversion = this.int();
    const aversion = this.int();
    const ephemeralOwner = this.long();
    const dataLength = this.int();
    const numChildren = this.int();
    const pzxid = this.long();
    return { czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid };
  }
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
export const Op = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  ping: 11,
  check: 13,
  multi: 14,
  create2: 15,
  addWatch: 106,
  closeSession: -11,
  error: -1,
} as const;

/** Error codes (KeeperException.Code) the client tells apart. */
export const ZkCode = {
  OK: 0,
  CONNECTION_LOSS: -4,
  OPERATION_TIMEOUT: -7,
  NO_NODE: -101,
  BAD_VERSION: -103,
  NO_CHILDREN_FOR_EPHEMERALS: -108,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
} as const;

const CODE_NAMES: Record<number, string> = {
  [-1]: 'SystemError', [-2]: 'RuntimeInconsistency', [-3]: 'DataInconsistency', [-4]: 'ConnectionLoss', [-5]: 'MarshallingError',
  [-6]: 'Unimplemented', [-7]: 'OperationTimeout', [-8]: 'BadArguments', [-100]: 'APIError', [-101]: 'NoNode', [-102]: 'NoAuth',
  [-103]: 'BadVersion', [-108]: 'NoChildrenForEphemerals', [-110]: 'NodeExists', [-111]: 'NotEmpty', [-112]: 'SessionExpired',
  [-113]: 'InvalidCallback', [-114]: 'InvalidACL', [-115]: 'AuthFailed', [-118]: 'SessionMoved', [-119]: 'NotReadOnly', [-121]: 'NoWatcher',
};

/** A failed ZooKeeper operation, named as Kafka's and ZooKeeper's logs name it (KeeperErrorCode = NoNode for /x). */
export class ZkError extends Error {
  override readonly name = 'ZkError';
  constructor(readonly code: number, readonly path: string | null) {
    super(`KeeperErrorCode = ${CODE_NAMES[code] ?? code}${path !== null ? ` for ${path}` : ''}`);
  }
}

/** Create modes (CreateMode). */
export const CreateMode = { PERSISTENT: 0, EPHEMERAL: 1 } as const;

/** World-readable/writable ACL (ZooDefs.Ids.OPEN_ACL_UNSAFE), what Kafka uses without zookeeper.set.acl. */
export function writeOpenAcl(w: JuteWriter): void {
  w.int(1).int(31).string('world').string('anyone');
}

/** Watcher event types (Watcher.Event.EventType). */
export const EventType = { None: -1, NodeCreated: 1, NodeDeleted: 2, NodeDataChanged: 3, NodeChildrenChanged: 4 } as const;
