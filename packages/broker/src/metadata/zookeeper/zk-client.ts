/**
 * A ZooKeeper client over one TCP connection, written against the wire protocol (jute): session
 * handshake, pings, create/delete/exists/getData/setData/getChildren, multi, persistent
 * recursive watches (ZooKeeper 3.6+), chroot, reconnect with the same session, session expiry.
 * Small enough to own; no native addon, no dependency.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { CreateMode, EventType, JuteReader, JuteWriter, Op, writeOpenAcl, ZkCode, ZkError, type ZkStat } from './jute.js';

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

export type ZkMultiOp =
  | { type: 'create'; path: string; data: Buffer | null; mode?: number }
  | { type: 'setData'; path: string; data: Buffer; version: number }
  | { type: 'delete'; path: string; version: number }
  | { type: 'check'; path: string; version: number };

/** Kafka's message when the first connection does not come up in zookeeper.connection.timeout.ms. */
export class ZkConnectTimeoutError extends Error {
  override readonly name = 'ZooKeeperClientTimeoutException';
}

interface Pending {
  op: number;
  path: string | null;
  resolve: (r: JuteReader) => void;
  reject: (e: Error) => void;
}

const PING_XID = -2;
const NOTIFICATION_XID = -1;
const PROTOCOL_VERSION = 0;
const PERSISTENT_RECURSIVE = 1;

export function parseConnectString(s: string): { hosts: Array<{ host: string; port: number }>; chroot: string } {
  const slash = s.indexOf('/');
  const hostPart = slash < 0 ? s : s.slice(0, slash);
  let chroot = slash < 0 ? '' : s.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot.endsWith('/')) throw new Error(`Invalid chroot in zookeeper.connect '${s}': it must not end with '/'`);
  const hosts = hostPart.split(',').map((h) => h.trim()).filter((h) => h !== '').map((h) => {
    const colon = h.lastIndexOf(':');
    const port = colon < 0 ? 2181 : Number(h.slice(colon + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`Invalid port in zookeeper.connect '${s}'`);
    return { host: colon < 0 ? h : h.slice(0, colon), port };
  });
  if (hosts.length === 0) throw new Error(`zookeeper.connect '${s}' names no server`);
  return { hosts, chroot };
}

export class ZkClient {
  readonly hosts: Array<{ host: string; port: number }>;
  readonly chroot: string;
  private socket: Socket | null = null;
  private sessionId = 0n;
  private passwd: Buffer = Buffer.alloc(16);
  private negotiatedTimeoutMs: number;
  private lastZxid = 0n;
  private xid = 1;
  private pending = new Map<number, Pending>();
  private hostIndex = 0;
  private closed = false;
  private connected = false;
  private holding = false;
  /** The session expired and a new one is not up yet. */
  private expired = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private persistentWatches = new Set<string>();
  private eventListeners: Array<(e: ZkWatchEvent) => void> = [];
  private sessionListeners: Array<(s: ZkSessionState) => void> = [];
  private waitingForConnect: Array<() => void> = [];

  private constructor(private readonly opts: ZkClientOptions) {
    const parsed = parseConnectString(opts.connectString);
    this.hosts = parsed.hosts;
    this.chroot = parsed.chroot;
    this.negotiatedTimeoutMs = opts.sessionTimeoutMs;
  }

  /** Opens a session; rejects with a message naming the address when none answers in time. */
  static async connect(opts: ZkClientOptions): Promise<ZkClient> {
    const c = new ZkClient(opts);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.close().catch(() => undefined);
        reject(new ZkConnectTimeoutError(`Timed out waiting for connection to ZooKeeper at ${opts.connectString} while in state: CONNECTING (zookeeper.connection.timeout.ms=${opts.connectionTimeoutMs})`));
      }, opts.connectionTimeoutMs);
      c.waitingForConnect.push(() => {
        clearTimeout(timer);
        resolve();
      });
      c.dial();
    });
    if (c.chroot !== '') await c.ensureChroot();
    return c;
  }

  get session(): bigint {
    return this.sessionId;
  }
  get sessionPassword(): Buffer {
    return this.passwd;
  }
  get isConnected(): boolean {
    return this.connected;
  }
  get sessionTimeoutMs(): number {
    return this.negotiatedTimeoutMs;
  }

  onEvent(l: (e: ZkWatchEvent) => void): void {
    this.eventListeners.push(l);
  }
  onSession(l: (s: ZkSessionState) => void): void {
    this.sessionListeners.push(l);
  }

  // ---- operations (paths are relative to the chroot) ----

  async create(path: string, data: Buffer | null, mode: number = CreateMode.PERSISTENT): Promise<ZkStat> {
    const w = new JuteWriter().string(this.abs(path)).buffer(data);
    writeOpenAcl(w);
    w.int(mode);
    const r = await this.request(Op.create2, w, path);
    r.string();
    return r.stat();
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.request(Op.delete, new JuteWriter().string(this.abs(path)).int(version), path);
  }

  async exists(path: string): Promise<ZkStat | null> {
    try {
      return (await this.request(Op.exists, new JuteWriter().string(this.abs(path)).bool(false), path)).stat();
    } catch (e) {
      if (e instanceof ZkError && e.code === ZkCode.NO_NODE) return null;
      throw e;
    }
  }

  /** The node's data and stat, or null when it does not exist. */
  async getData(path: string): Promise<{ data: Buffer | null; stat: ZkStat } | null> {
    try {
      const r = await this.request(Op.getData, new JuteWriter().string(this.abs(path)).bool(false), path);
      const data = r.buffer();
      return { data: data === null ? null : Buffer.from(data), stat: r.stat() };
    } catch (e) {
      if (e instanceof ZkError && e.code === ZkCode.NO_NODE) return null;
      throw e;
    }
  }

  async setData(path: string, data: Buffer, version = -1): Promise<ZkStat> {
    return (await this.request(Op.setData, new JuteWriter().string(this.abs(path)).buffer(data).int(version), path)).stat();
  }

  /** Child names, or null when the node does not exist. */
  async getChildren(path: string): Promise<string[] | null> {
    try {
      const r = await this.request(Op.getChildren, new JuteWriter().string(this.abs(path)).bool(false), path);
      const n = r.int();
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(r.string());
      return out.sort();
    } catch (e) {
      if (e instanceof ZkError && e.code === ZkCode.NO_NODE) return null;
      throw e;
    }
  }

  /**
   * Runs the ops atomically. On failure throws a ZkError for the first failing op (its path
   * set); `failedIndex` on the error says which op it was.
   */
  async multi(ops: readonly ZkMultiOp[]): Promise<Array<ZkStat | null>> {
    const w = new JuteWriter();
    for (const op of ops) {
      switch (op.type) {
        case 'create':
          w.int(Op.create2).bool(false).int(-1).string(this.abs(op.path)).buffer(op.data);
          writeOpenAcl(w);
          w.int(op.mode ?? CreateMode.PERSISTENT);
          break;
        case 'setData':
          w.int(Op.setData).bool(false).int(-1).string(this.abs(op.path)).buffer(op.data).int(op.version);
          break;
        case 'delete':
          w.int(Op.delete).bool(false).int(-1).string(this.abs(op.path)).int(op.version);
          break;
        case 'check':
          w.int(Op.check).bool(false).int(-1).string(this.abs(op.path)).int(op.version);
          break;
      }
    }
    w.int(-1).bool(true).int(-1);
    const r = await this.request(Op.multi, w, null, true);
    const results: Array<ZkStat | null> = [];
    let failure: { code: number; index: number } | null = null;
    for (let i = 0; ; i++) {
      const type = r.int();
      const done = r.bool();
      r.int();
      if (done) break;
      if (type === Op.create2) {
        r.string();
        results.push(r.stat());
      } else if (type === Op.setData) {
        results.push(r.stat());
      } else if (type === Op.error) {
        const code = r.int();
        if (failure === null && code !== ZkCode.OK && code !== -2) failure = { code, index: i };
        results.push(null);
      } else {
        results.push(null);
      }
    }
    if (failure !== null) {
      const err = new ZkError(failure.code, ops[failure.index]!.path) as ZkError & { failedIndex: number };
      err.failedIndex = failure.index;
      throw err;
    }
    return results;
  }

  /** A persistent recursive watch on path (re-added after a reconnect or a new session). */
  async addPersistentRecursiveWatch(path: string): Promise<void> {
    this.persistentWatches.add(path);
    await this.request(Op.addWatch, new JuteWriter().string(this.abs(path)).int(PERSISTENT_RECURSIVE), path);
  }

  /** Creates path and any missing parents with null data (Kafka's createRecursive). */
  async ensurePath(path: string): Promise<void> {
    const parts = path.split('/').filter((p) => p !== '');
    let cur = '';
    for (const p of parts) {
      cur += '/' + p;
      try {
        await this.create(cur, null);
      } catch (e) {
        if (!(e instanceof ZkError && e.code === ZkCode.NODE_EXISTS)) throw e;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    if (this.connected && this.socket !== null) {
      // closeSession deletes this session's ephemeral nodes at once instead of after the timeout.
      const done = this.request(Op.closeSession, new JuteWriter(), null).catch(() => undefined);
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
    }
    this.connected = false;
    this.socket?.destroy();
    this.socket = null;
    this.failPending(new ZkError(ZkCode.CONNECTION_LOSS, null));
  }

  /**
   * Runs fn with this client disconnected and not reconnecting (tests: expire the session from
   * another connection without this client taking it back meanwhile), then reconnects.
   */
  async whileDisconnected(fn: () => Promise<void>): Promise<void> {
    this.holding = true;
    const closed = this.socket === null ? Promise.resolve() : new Promise<void>((r) => this.socket!.once('close', () => r()));
    this.socket?.destroy();
    await closed;
    try {
      await fn();
    } finally {
      this.holding = false;
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      if (!this.closed && this.socket === null) this.dial();
    }
  }

  // ---- connection machinery ----

  private abs(path: string): string {
    if (this.chroot === '') return path;
    return path === '/' ? this.chroot : this.chroot + path;
  }

  private rel(path: string): string {
    if (this.chroot === '') return path;
    const r = path.slice(this.chroot.length);
    return r === '' ? '/' : r;
  }

  private async ensureChroot(): Promise<void> {
    const chroot = this.chroot;
    const parts = chroot.split('/').filter((p) => p !== '');
    let cur = '';
    for (const p of parts) {
      cur += '/' + p;
      const w = new JuteWriter().string(cur).buffer(null);
      writeOpenAcl(w);
      w.int(CreateMode.PERSISTENT);
      try {
        await this.request(Op.create2, w, cur);
      } catch (e) {
        if (!(e instanceof ZkError && e.code === ZkCode.NODE_EXISTS)) throw e;
      }
    }
  }

  private request(op: number, body: JuteWriter, path: string | null, rawMulti = false): Promise<JuteReader> {
    if (!this.connected || this.socket === null) return Promise.reject(new ZkError(this.closed ? ZkCode.SESSION_EXPIRED : ZkCode.CONNECTION_LOSS, path));
    const xid = this.xid++;
    const header = new JuteWriter().int(xid).int(op);
    const frame = concatFrame(header, body);
    return new Promise((resolve, reject) => {
      this.pending.set(xid, { op: rawMulti ? Op.multi : op, path, resolve, reject });
      this.socket!.write(frame);
    });
  }

  private dial(): void {
    if (this.closed) return;
    const target = this.hosts[this.hostIndex++ % this.hosts.length]!;
    const socket = netConnect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    this.socket = socket;
    let buf: Buffer = Buffer.alloc(0);
    let handshaken = false;
    socket.on('connect', () => {
      const w = new JuteWriter().int(PROTOCOL_VERSION).long(this.lastZxid).int(this.opts.sessionTimeoutMs).long(this.sessionId).buffer(this.passwd).bool(false);
      socket.write(w.frame());
    });
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readInt32BE(0);
        if (buf.length < 4 + len) break;
        const frame = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (!handshaken) {
          handshaken = true;
          this.onConnectResponse(new JuteReader(frame));
        } else {
          this.onFrame(new JuteReader(frame));
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      const wasConnected = this.connected;
      this.connected = false;
      if (this.pingTimer !== null) clearInterval(this.pingTimer);
      this.pingTimer = null;
      this.failPending(new ZkError(ZkCode.CONNECTION_LOSS, null));
      if (this.closed) return;
      if (this.holding) return;
      if (wasConnected) {
        this.emitSession('disconnected');
        this.startExpiryTimer();
      }
      this.reconnectTimer = setTimeout(() => this.dial(), wasConnected ? 0 : 100);
    });
  }

  private onConnectResponse(r: JuteReader): void {
    r.int();
    const timeout = r.int();
    const sessionId = r.long();
    const passwd = r.buffer() ?? Buffer.alloc(16);
    if (timeout <= 0) {
      // The server no longer knows our session: start a fresh one.
      this.sessionExpired();
      this.socket?.destroy();
      return;
    }
    const isNew = sessionId !== this.sessionId;
    const hadSession = this.sessionId !== 0n || this.expired;
    this.expired = false;
    this.sessionId = sessionId;
    this.passwd = Buffer.from(passwd);
    this.negotiatedTimeoutMs = timeout;
    this.connected = true;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.pingTimer = setInterval(() => this.ping(), Math.max(100, Math.floor(timeout / 3)));
    const waiters = this.waitingForConnect;
    this.waitingForConnect = [];
    for (const w of waiters) w();
    // Persistent watches are per session and per connection: re-add them.
    for (const p of this.persistentWatches) this.request(Op.addWatch, new JuteWriter().string(this.abs(p)).int(PERSISTENT_RECURSIVE), p).catch(() => undefined);
    if (isNew && hadSession) this.emitSession('new-session');
    else if (!isNew) this.emitSession('reconnected');
  }

  private sessionExpired(): void {
    if (this.sessionId === 0n) return;
    this.sessionId = 0n;
    this.passwd = Buffer.alloc(16);
    this.lastZxid = 0n;
    this.expired = true;
    this.emitSession('expired');
  }

  /** Client-side view of expiry: disconnected for a whole session timeout means the server expired us. */
  private startExpiryTimer(): void {
    if (this.expiryTimer !== null) return;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      if (!this.connected) this.sessionExpired();
    }, this.negotiatedTimeoutMs);
  }

  private ping(): void {
    if (!this.connected || this.socket === null) return;
    this.socket.write(new JuteWriter().int(PING_XID).int(Op.ping).frame());
  }

  private onFrame(r: JuteReader): void {
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    if (zxid > 0n) this.lastZxid = zxid;
    if (xid === PING_XID) return;
    if (xid === NOTIFICATION_XID) {
      const type = r.int();
      r.int();
      const path = r.string();
      if (type === EventType.None) return;
      const e = { type, path: this.rel(path) };
      for (const l of this.eventListeners) l(e);
      return;
    }
    const p = this.pending.get(xid);
    if (p === undefined) return;
    this.pending.delete(xid);
    if (err !== ZkCode.OK && !(p.op === Op.multi && r.remaining > 0)) p.reject(new ZkError(err, p.path));
    else p.resolve(r);
  }

  private failPending(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }

  private clearTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.pingTimer = this.expiryTimer = this.reconnectTimer = null;
  }

  private emitSession(s: ZkSessionState): void {
    for (const l of this.sessionListeners) {
      try {
        l(s);
      } catch {
        // listeners handle their own errors
      }
    }
  }
}

function concatFrame(header: JuteWriter, body: JuteWriter): Buffer {
  const h = header.frame().subarray(4);
  const b = body.frame().subarray(4);
  const len = Buffer.allocUnsafe(4);
  len.writeInt32BE(h.length + b.length);
  return Buffer.concat([len, h, b]);
}

/** Ends another client's session with its id and password (tests: simulate an expiry). */
export async function expireZkSession(connectString: string, sessionId: bigint, passwd: Buffer): Promise<void> {
  const { hosts } = parseConnectString(connectString);
  const target = hosts[0]!;
  await new Promise<void>((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    let buf: Buffer = Buffer.alloc(0);
    let handshaken = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timed out expiring the session'));
    }, 10000);
    socket.on('connect', () => socket.write(new JuteWriter().int(PROTOCOL_VERSION).long(0n).int(30000).long(sessionId).buffer(passwd).bool(false).frame()));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        buf = buf.subarray(4 + buf.readInt32BE(0));
        if (!handshaken) {
          handshaken = true;
          socket.write(concatFrame(new JuteWriter().int(1).int(Op.closeSession), new JuteWriter()));
        } else {
          clearTimeout(timer);
          socket.destroy();
          resolve();
        }
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // The server may close the connection right after closing the session.
    socket.on('close', () => {
      clearTimeout(timer);
      if (handshaken) resolve();
      else reject(new Error('connection closed before the session handshake'));
    });
  });
}
