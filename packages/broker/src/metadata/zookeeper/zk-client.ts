/**
 * A ZooKeeper client over one TCP connection, written against the wire protocol (jute): session
 * handshake, pings, create/delete/exists/getData/setData/getChildren, multi, persistent
 * recursive watches (ZooKeeper 3.6+), chroot, reconnect with the same session, session expiry.
 * Small enough to own; no native addon, no dependency.
 *
 * Session semantics are Apache ZooKeeper's client's (ClientCnxn): a connection that has heard
 * nothing from its server for 2/3 of the negotiated session timeout (pings go every 1/3) is
 * closed, and so is a connection attempt that gets no handshake answer in session timeout /
 * number of servers; either way the client moves to the NEXT server of the connect string with
 * the same session. The client never declares its own session expired: only a server does,
 * when the client reconnects (a handshake answer with timeout 0: SessionExpired). So a paused or
 * partitioned ZooKeeper member costs a reconnect to another member, not the session.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { CreateMode, EventType, JuteReader, JuteWriter, Op, writeOpenAcl, ZkCode, ZkError, type ZkStat } from './jute.js';

export interface ZkClientOptions {
  /** host:port[,host:port...][/chroot], as zookeeper.connect. */
  connectString: string;
  sessionTimeoutMs: number;
  /** How long connect() waits for the first session before giving up. */
  connectionTimeoutMs: number;
  /** Where connection changes are logged (read timeouts, reconnects, expiry). */
  log?: { info(msg: string): void; warn(msg: string): void };
}

export interface ZkWatchEvent {
  type: number;
  /** Path without the chroot. */
  path: string;
}

/**
 * Session states, as Apache's KeeperState: 'disconnected' (the connection is gone, the session
 * may well live on: wait), 'reconnected' (the same session back, on any server), 'expired' (a
 * server said the session is gone: ephemerals too) and 'new-session' (a fresh session after an
 * expiry).
 */
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
  /** Checks the read timeout while connected, the connect timeout while connecting. */
  private silenceTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** performance.now() of the last byte from the server (or of the connection attempt). */
  private lastHeardAt = 0;
  /** Requests made while disconnected: sent once the session is back (Kafka's ZooKeeperClient waits for the connection too). */
  private waitingForConnection: Array<{ send: () => void; fail: (e: Error) => void }> = [];
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
  /** ClientCnxn's readTimeout: no byte from the server for this long closes the connection. */
  get readTimeoutMs(): number {
    return Math.floor((this.negotiatedTimeoutMs * 2) / 3);
  }
  /** ClientCnxn's connectTimeout: a connection attempt unanswered for this long moves to the next server. */
  get connectTimeoutMs(): number {
    return Math.floor(this.negotiatedTimeoutMs / this.hosts.length);
  }
  /** The server of the connect string this client is (or was last) connected to, host:port. */
  get currentServer(): string | null {
    return this.currentTarget === null ? null : `${this.currentTarget.host}:${this.currentTarget.port}`;
  }
  private currentTarget: { host: string; port: number } | null = null;

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
      return (await this.read(Op.exists, new JuteWriter().string(this.abs(path)).bool(false), path)).stat();
    } catch (e) {
      if (e instanceof ZkError && e.code === ZkCode.NO_NODE) return null;
      throw e;
    }
  }

  /** The node's data and stat, or null when it does not exist. */
  async getData(path: string): Promise<{ data: Buffer | null; stat: ZkStat } | null> {
    try {
      const r = await this.read(Op.getData, new JuteWriter().string(this.abs(path)).bool(false), path);
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
      const r = await this.read(Op.getChildren, new JuteWriter().string(this.abs(path)).bool(false), path);
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
    this.failWaiting(new ZkError(ZkCode.SESSION_EXPIRED, null));
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

  /**
   * Sends a request. While disconnected it waits for the session to come back (it fails with
   * SessionExpired if the server says the session is gone, or when the client closes); a
   * request in flight when the connection drops fails with ConnectionLoss (outcome unknown).
   */
  private request(op: number, body: JuteWriter, path: string | null, rawMulti = false): Promise<JuteReader> {
    return new Promise((resolve, reject) => {
      const send = (): void => {
        const xid = this.xid++;
        const frame = concatFrame(new JuteWriter().int(xid).int(op), body);
        this.pending.set(xid, { op: rawMulti ? Op.multi : op, path, resolve, reject });
        this.socket!.write(frame);
      };
      if (this.connected && this.socket !== null) send();
      else if (this.closed) reject(new ZkError(ZkCode.SESSION_EXPIRED, path));
      else this.waitingForConnection.push({ send, fail: (e) => reject(e instanceof ZkError ? new ZkError(e.code, path) : e) });
    });
  }

  /**
   * A read: retried when the connection drops under it (it changes nothing, so unlike a write
   * its outcome is not in doubt), as Kafka's retryRequestsUntilConnected does.
   */
  private async read(op: number, body: JuteWriter, path: string): Promise<JuteReader> {
    for (;;) {
      try {
        return await this.request(op, body, path);
      } catch (e) {
        if (!(e instanceof ZkError && e.code === ZkCode.CONNECTION_LOSS) || this.closed) throw e;
      }
    }
  }

  private failWaiting(e: Error): void {
    const all = this.waitingForConnection;
    this.waitingForConnection = [];
    for (const w of all) w.fail(e);
  }

  private dial(): void {
    if (this.closed) return;
    // Each attempt takes the next server, as Apache's StaticHostProvider does.
    const target = this.hosts[this.hostIndex++ % this.hosts.length]!;
    this.currentTarget = target;
    const socket = netConnect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.lastHeardAt = performance.now();
    this.watchSilence(socket);
    let buf: Buffer = Buffer.alloc(0);
    let handshaken = false;
    socket.on('connect', () => {
      const w = new JuteWriter().int(PROTOCOL_VERSION).long(this.lastZxid).int(this.opts.sessionTimeoutMs).long(this.sessionId).buffer(this.passwd).bool(false);
      socket.write(w.frame());
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastHeardAt = performance.now();
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
      if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
      this.pingTimer = this.silenceTimer = null;
      this.failPending(new ZkError(ZkCode.CONNECTION_LOSS, null));
      if (this.closed) return;
      if (this.holding) return;
      if (wasConnected) {
        this.opts.log?.info(`Unable to read additional data from server ${target.host}:${target.port} for session id 0x${this.sessionId.toString(16)}, closing socket connection and attempting reconnect`);
        this.emitSession('disconnected');
      }
      // The next server at once after losing a connection; a short pause between failed attempts.
      this.reconnectTimer = setTimeout(() => this.dial(), wasConnected ? 0 : 100);
    });
  }

  /**
   * ClientCnxn's timeouts: connected, no byte for readTimeout (2/3 of the session timeout; the
   * server answers our pings every 1/3) means the server is gone or stalled; connecting, no
   * handshake answer in connectTimeout (session timeout / servers). Either closes this
   * connection, and the close handler dials the next server with the same session.
   */
  private watchSilence(socket: Socket): void {
    if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
    const check = (): void => {
      if (this.socket !== socket) return;
      const silentMs = performance.now() - this.lastHeardAt;
      const limit = this.connected ? this.readTimeoutMs : this.connectTimeoutMs;
      if (silentMs < limit) return;
      const server = `${this.currentTarget?.host}:${this.currentTarget?.port}`;
      this.opts.log?.info(this.connected
        ? `Client session timed out, have not heard from server in ${Math.round(silentMs)}ms for session id 0x${this.sessionId.toString(16)}, closing socket connection to ${server} and attempting reconnect`
        : `Client session timed out, no answer from server ${server} in ${Math.round(silentMs)}ms for session id 0x${this.sessionId.toString(16)}, trying the next server`);
      socket.destroy();
    };
    // Checked 8 times per read timeout: a silence is noticed between 2/3 and 3/4 of the session timeout.
    this.silenceTimer = setInterval(check, Math.max(20, Math.floor(this.connectTimeoutMs / 8)));
  }

  private onConnectResponse(r: JuteReader): void {
    r.int();
    const timeout = r.int();
    const sessionId = r.long();
    const passwd = r.buffer() ?? Buffer.alloc(16);
    if (timeout <= 0) {
      // The server no longer knows our session: the only way a session expires here. Start a fresh one.
      this.opts.log?.warn(`Unable to reconnect to ZooKeeper service, session 0x${this.sessionId.toString(16)} has expired`);
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
    this.pingTimer = setInterval(() => this.ping(), Math.max(100, Math.floor(timeout / 3)));
    if (this.socket !== null) this.watchSilence(this.socket);
    if (hadSession || isNew) this.opts.log?.info(`Session establishment complete on server ${this.currentServer}, session id = 0x${sessionId.toString(16)}, negotiated timeout = ${timeout}`);
    const waiters = this.waitingForConnect;
    this.waitingForConnect = [];
    for (const w of waiters) w();
    // Requests made while disconnected go out now, in the order they were made.
    for (const w of this.waitingForConnection.splice(0)) w.send();
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
    // Requests made for the old session fail as Apache's do after an expiry.
    this.failWaiting(new ZkError(ZkCode.SESSION_EXPIRED, null));
    this.emitSession('expired');
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
    if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.pingTimer = this.silenceTimer = this.reconnectTimer = null;
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
