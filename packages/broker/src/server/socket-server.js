/**
 * One TCP listener: accepts connections and gives each a Connection bound to the listener's
 * router. Stopping closes the listen socket, lets queued responses drain briefly, then
 * destroys what is left.
 */
import { createServer } from 'node:net';
import { Connection } from './connection.js';
export class SocketServer {
    listener;
    dispatcher;
    opts;
    log;
    server = null;
    connections = new Set();
    boundPort = -1;
    /**
     * What connections log (closes for malformed requests, their reasons) any client can
     * trigger at will: at most 10 lines a second after a burst of 100, the rest counted.
     */
    connectionLog;
    constructor(listener, dispatcher, opts, log) {
        this.listener = listener;
        this.dispatcher = dispatcher;
        this.opts = opts;
        this.log = log;
        this.connectionLog = log.rateLimited(10, 100);
    }
    /** The port actually bound (differs from the configured one when that was 0). */
    get port() {
        return this.boundPort;
    }
    get connectionCount() {
        return this.connections.size;
    }
    /** Open connections (for tests and metrics). */
    allConnections() {
        return this.connections;
    }
    async start() {
        const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.accept(socket));
        if (this.opts.maxConnections !== undefined && this.opts.maxConnections < 2147483647)
            server.maxConnections = this.opts.maxConnections;
        this.server = server;
        await new Promise((resolve, reject) => {
            server.once('error', reject);
            const host = this.listener.host === '' ? undefined : this.listener.host;
            server.listen({ port: this.listener.port, host, backlog: this.opts.backlog ?? 50 }, () => {
                server.off('error', reject);
                resolve();
            });
        });
        const addr = server.address();
        this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.listener.port;
        server.on('error', (e) => this.log.error(`Listener ${this.listener.name} error`, e));
        this.log.info(`Awaiting socket connections on ${this.listener.host === '' ? '0.0.0.0' : this.listener.host}:${this.boundPort} (listener ${this.listener.name}).`);
    }
    /** Open connections by remote address (max.connections.per.ip). */
    perIp = new Map();
    accept(socket) {
        const ip = socket.remoteAddress ?? '';
        const open = this.perIp.get(ip) ?? 0;
        const max = this.opts.maxConnectionsPerIp ?? Infinity;
        if (open >= max) {
            this.connectionLog.info(`Rejected connection from /${ip}, address already has the configured maximum of ${max} connections.`);
            socket.destroy();
            return;
        }
        this.perIp.set(ip, open + 1);
        const conn = new Connection(socket, this.listener.name, this.dispatcher, this.opts, this.connectionLog, (c) => {
            this.connections.delete(c);
            const left = (this.perIp.get(ip) ?? 1) - 1;
            if (left > 0)
                this.perIp.set(ip, left);
            else
                this.perIp.delete(ip);
        });
        this.connections.add(conn);
    }
    /** Stops accepting; closes connections after up to graceMs for in-flight responses. */
    async stop(graceMs = 1000) {
        const server = this.server;
        this.server = null;
        if (server === null)
            return;
        const closed = new Promise((resolve) => server.close(() => resolve()));
        for (const c of this.connections)
            c.closeGracefully();
        const deadline = Date.now() + graceMs;
        while (this.connections.size > 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 10));
        for (const c of [...this.connections])
            c.close();
        await closed;
    }
}
//# sourceMappingURL=socket-server.js.map