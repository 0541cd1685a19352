/**
 * A ZooKeeper client over one TCP connection, written against the wire protocol (jute): session
 * handshake, pings, create/delete/exists/getData/setData/getChildren, multi, persistent
 * recursive watches (ZooKeeper 3.6+), chroot, reconnect with the same session, session expiry.
 * Small enough to own; no native addon, no dependency.
 */
import { connect as netConnect } from 'node:net';
import { CreateMode, EventType, JuteReader, JuteWriter, Op, writeOpenAcl, ZkCode, ZkError } from './jute.js';
/** Kafka's message when the first connection does not come up in zookeeper.connection.timeout.ms. */
export class ZkConnectTimeoutError extends Error {
    name = 'ZooKeeperClientTimeoutException';
}
const PING_XID = -2;
const NOTIFICATION_XID = -1;
const PROTOCOL_VERSION = 0;
const PERSISTENT_RECURSIVE = 1;
export function parseConnectString(s) {
    const slash = s.indexOf('/');
    const hostPart = slash < 0 ? s : s.slice(0, slash);
    let chroot = slash < 0 ? '' : s.slice(slash);
    if (chroot === '/')
        chroot = '';
    if (chroot.endsWith('/'))
        throw new Error(`Invalid chroot in zookeeper.connect '${s}': it must not end with '/'`);
    const hosts = hostPart.split(',').map((h) => h.trim()).filter((h) => h !== '').map((h) => {
        const colon = h.lastIndexOf(':');
        const port = colon < 0 ? 2181 : Number(h.slice(colon + 1));
        if (!Number.isInteger(port) || port <= 0 || port > 65535)
            throw new Error(`Invalid port in zookeeper.connect '${s}'`);
        return { host: colon < 0 ? h : h.slice(0, colon), port };
    });
    if (hosts.length === 0)
        throw new Error(`zookeeper.connect '${s}' names no server`);
    return { hosts, chroot };
}
export class ZkClient {
    opts;
    hosts;
    chroot;
    socket = null;
    sessionId = 0n;
    passwd = Buffer.alloc(16);
    negotiatedTimeoutMs;
    lastZxid = 0n;
    xid = 1;
    pending = new Map();
    hostIndex = 0;
    closed = false;
    connected = false;
    holding = false;
    /** The session expired and a new one is not up yet. */
    expired = false;
    pingTimer = null;
    expiryTimer = null;
    reconnectTimer = null;
    persistentWatches = new Set();
    eventListeners = [];
    sessionListeners = [];
    waitingForConnect = [];
    constructor(opts) {
        this.opts = opts;
        const parsed = parseConnectString(opts.connectString);
        this.hosts = parsed.hosts;
        this.chroot = parsed.chroot;
        this.negotiatedTimeoutMs = opts.sessionTimeoutMs;
    }
    /** Opens a session; rejects with a message naming the address when none answers in time. */
    static async connect(opts) {
        const c = new ZkClient(opts);
        await new Promise((resolve, reject) => {
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
        if (c.chroot !== '')
            await c.ensureChroot();
        return c;
    }
    get session() {
        return this.sessionId;
    }
    get sessionPassword() {
        return this.passwd;
    }
    get isConnected() {
        return this.connected;
    }
    get sessionTimeoutMs() {
        return this.negotiatedTimeoutMs;
    }
    onEvent(l) {
        this.eventListeners.push(l);
    }
    onSession(l) {
        this.sessionListeners.push(l);
    }
    // ---- operations (paths are relative to the chroot) ----
    async create(path, data, mode = CreateMode.PERSISTENT) {
        const w = new JuteWriter().string(this.abs(path)).buffer(data);
        writeOpenAcl(w);
        w.int(mode);
        const r = await this.request(Op.create2, w, path);
        r.string();
        return r.stat();
    }
    async delete(path, version = -1) {
        await this.request(Op.delete, new JuteWriter().string(this.abs(path)).int(version), path);
    }
    async exists(path) {
        try {
            return (await this.request(Op.exists, new JuteWriter().string(this.abs(path)).bool(false), path)).stat();
        }
        catch (e) {
            if (e instanceof ZkError && e.code === ZkCode.NO_NODE)
                return null;
            throw e;
        }
    }
    /** The node's data and stat, or null when it does not exist. */
    async getData(path) {
        try {
            const r = await this.request(Op.getData, new JuteWriter().string(this.abs(path)).bool(false), path);
            const data = r.buffer();
            return { data: data === null ? null : Buffer.from(data), stat: r.stat() };
        }
        catch (e) {
            if (e instanceof ZkError && e.code === ZkCode.NO_NODE)
                return null;
            throw e;
        }
    }
    async setData(path, data, version = -1) {
        return (await this.request(Op.setData, new JuteWriter().string(this.abs(path)).buffer(data).int(version), path)).stat();
    }
    /** Child names, or null when the node does not exist. */
    async getChildren(path) {
        try {
            const r = await this.request(Op.getChildren, new JuteWriter().string(this.abs(path)).bool(false), path);
            const n = r.int();
            const out = [];
            for (let i = 0; i < n; i++)
                out.push(r.string());
            return out.sort();
        }
        catch (e) {
            if (e instanceof ZkError && e.code === ZkCode.NO_NODE)
                return null;
            throw e;
        }
    }
    /**
     * Runs the ops atomically. On failure throws a ZkError for the first failing op (its path
     * set); `failedIndex` on the error says which op it was.
     */
    async multi(ops) {
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
        const results = [];
        let failure = null;
        for (let i = 0;; i++) {
            const type = r.int();
            const done = r.bool();
            r.int();
            if (done)
                break;
            if (type === Op.create2) {
                r.string();
                results.push(r.stat());
            }
            else if (type === Op.setData) {
                results.push(r.stat());
            }
            else if (type === Op.error) {
                const code = r.int();
                if (failure === null && code !== ZkCode.OK && code !== -2)
                    failure = { code, index: i };
                results.push(null);
            }
            else {
                results.push(null);
            }
        }
        if (failure !== null) {
            const err = new ZkError(failure.code, ops[failure.index].path);
            err.failedIndex = failure.index;
            throw err;
        }
        return results;
    }
    /** A persistent recursive watch on path (re-added after a reconnect or a new session). */
    async addPersistentRecursiveWatch(path) {
        this.persistentWatches.add(path);
        await this.request(Op.addWatch, new JuteWriter().string(this.abs(path)).int(PERSISTENT_RECURSIVE), path);
    }
    /** Creates path and any missing parents with null data (Kafka's createRecursive). */
    async ensurePath(path) {
        const parts = path.split('/').filter((p) => p !== '');
        let cur = '';
        for (const p of parts) {
            cur += '/' + p;
            try {
                await this.create(cur, null);
            }
            catch (e) {
                if (!(e instanceof ZkError && e.code === ZkCode.NODE_EXISTS))
                    throw e;
            }
        }
    }
    async close() {
        if (this.closed)
            return;
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
    async whileDisconnected(fn) {
        this.holding = true;
        const closed = this.socket === null ? Promise.resolve() : new Promise((r) => this.socket.once('close', () => r()));
        this.socket?.destroy();
        await closed;
        try {
            await fn();
        }
        finally {
            this.holding = false;
            if (this.reconnectTimer !== null)
                clearTimeout(this.reconnectTimer);
            if (!this.closed && this.socket === null)
                this.dial();
        }
    }
    // ---- connection machinery ----
    abs(path) {
        if (this.chroot === '')
            return path;
        return path === '/' ? this.chroot : this.chroot + path;
    }
    rel(path) {
        if (this.chroot === '')
            return path;
        const r = path.slice(this.chroot.length);
        return r === '' ? '/' : r;
    }
    async ensureChroot() {
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
            }
            catch (e) {
                if (!(e instanceof ZkError && e.code === ZkCode.NODE_EXISTS))
                    throw e;
            }
        }
    }
    request(op, body, path, rawMulti = false) {
        if (!this.connected || this.socket === null)
            return Promise.reject(new ZkError(this.closed ? ZkCode.SESSION_EXPIRED : ZkCode.CONNECTION_LOSS, path));
        const xid = this.xid++;
        const header = new JuteWriter().int(xid).int(op);
        const frame = concatFrame(header, body);
        return new Promise((resolve, reject) => {
            this.pending.set(xid, { op: rawMulti ? Op.multi : op, path, resolve, reject });
            this.socket.write(frame);
        });
    }
    dial() {
        if (this.closed)
            return;
        const target = this.hosts[this.hostIndex++ % this.hosts.length];
        const socket = netConnect({ host: target.host, port: target.port });
        socket.setNoDelay(true);
        this.socket = socket;
        let buf = Buffer.alloc(0);
        let handshaken = false;
        socket.on('connect', () => {
            const w = new JuteWriter().int(PROTOCOL_VERSION).long(this.lastZxid).int(this.opts.sessionTimeoutMs).long(this.sessionId).buffer(this.passwd).bool(false);
            socket.write(w.frame());
        });
        socket.on('data', (chunk) => {
            buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
            while (buf.length >= 4) {
                const len = buf.readInt32BE(0);
                if (buf.length < 4 + len)
                    break;
                const frame = buf.subarray(4, 4 + len);
                buf = buf.subarray(4 + len);
                if (!handshaken) {
                    handshaken = true;
                    this.onConnectResponse(new JuteReader(frame));
                }
                else {
                    this.onFrame(new JuteReader(frame));
                }
            }
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
            if (this.socket !== socket)
                return;
            this.socket = null;
            const wasConnected = this.connected;
            this.connected = false;
            if (this.pingTimer !== null)
                clearInterval(this.pingTimer);
            this.pingTimer = null;
            this.failPending(new ZkError(ZkCode.CONNECTION_LOSS, null));
            if (this.closed)
                return;
            if (this.holding)
                return;
            if (wasConnected) {
                this.emitSession('disconnected');
                this.startExpiryTimer();
            }
            this.reconnectTimer = setTimeout(() => this.dial(), wasConnected ? 0 : 100);
        });
    }
    onConnectResponse(r) {
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
        if (this.expiryTimer !== null)
            clearTimeout(this.expiryTimer);
        this.expiryTimer = null;
        this.pingTimer = setInterval(() => this.ping(), Math.max(100, Math.floor(timeout / 3)));
        const waiters = this.waitingForConnect;
        this.waitingForConnect = [];
        for (const w of waiters)
            w();
        // Persistent watches are per session and per connection: re-add them.
        for (const p of this.persistentWatches)
            this.request(Op.addWatch, new JuteWriter().string(this.abs(p)).int(PERSISTENT_RECURSIVE), p).catch(() => undefined);
        if (isNew && hadSession)
            this.emitSession('new-session');
        else if (!isNew)
            this.emitSession('reconnected');
    }
    sessionExpired() {
        if (this.sessionId === 0n)
            return;
        this.sessionId = 0n;
        this.passwd = Buffer.alloc(16);
        this.lastZxid = 0n;
        this.expired = true;
        this.emitSession('expired');
    }
    /** Client-side view of expiry: disconnected for a whole session timeout means the server expired us. */
    startExpiryTimer() {
        if (this.expiryTimer !== null)
            return;
        this.expiryTimer = setTimeout(() => {
            this.expiryTimer = null;
            if (!this.connected)
                this.sessionExpired();
        }, this.negotiatedTimeoutMs);
    }
    ping() {
        if (!this.connected || this.socket === null)
            return;
        this.socket.write(new JuteWriter().int(PING_XID).int(Op.ping).frame());
    }
    onFrame(r) {
        const xid = r.int();
        const zxid = r.long();
        const err = r.int();
        if (zxid > 0n)
            this.lastZxid = zxid;
        if (xid === PING_XID)
            return;
        if (xid === NOTIFICATION_XID) {
            const type = r.int();
            r.int();
            const path = r.string();
            if (type === EventType.None)
                return;
            const e = { type, path: this.rel(path) };
            for (const l of this.eventListeners)
                l(e);
            return;
        }
        const p = this.pending.get(xid);
        if (p === undefined)
            return;
        this.pending.delete(xid);
        if (err !== ZkCode.OK && !(p.op === Op.multi && r.remaining > 0))
            p.reject(new ZkError(err, p.path));
        else
            p.resolve(r);
    }
    failPending(e) {
        const all = [...this.pending.values()];
        this.pending.clear();
        for (const p of all)
            p.reject(e);
    }
    clearTimers() {
        if (this.pingTimer !== null)
            clearInterval(this.pingTimer);
        if (this.expiryTimer !== null)
            clearTimeout(this.expiryTimer);
        if (this.reconnectTimer !== null)
            clearTimeout(this.reconnectTimer);
        this.pingTimer = this.expiryTimer = this.reconnectTimer = null;
    }
    emitSession(s) {
        for (const l of this.sessionListeners) {
            try {
                l(s);
            }
            catch {
                // listeners handle their own errors
            }
        }
    }
}
function concatFrame(header, body) {
    const h = header.frame().subarray(4);
    const b = body.frame().subarray(4);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(h.length + b.length);
    return Buffer.concat([len, h, b]);
}
/** Ends another client's session with its id and password (tests: simulate an expiry). */
export async function expireZkSession(connectString, sessionId, passwd) {
    const { hosts } = parseConnectString(connectString);
    const target = hosts[0];
    await new Promise((resolve, reject) => {
        const socket = netConnect({ host: target.host, port: target.port });
        let buf = Buffer.alloc(0);
        let handshaken = false;
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error('timed out expiring the session'));
        }, 10000);
        socket.on('connect', () => socket.write(new JuteWriter().int(PROTOCOL_VERSION).long(0n).int(30000).long(sessionId).buffer(passwd).bool(false).frame()));
        socket.on('data', (chunk) => {
            buf = Buffer.concat([buf, chunk]);
            while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
                buf = buf.subarray(4 + buf.readInt32BE(0));
                if (!handshaken) {
                    handshaken = true;
                    socket.write(concatFrame(new JuteWriter().int(1).int(Op.closeSession), new JuteWriter()));
                }
                else {
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
            if (handshaken)
                resolve();
            else
                reject(new Error('connection closed before the session handshake'));
        });
    });
}
//# sourceMappingURL=zk-client.js.map