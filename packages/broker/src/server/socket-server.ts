/**
 * One listener: accepts TCP (PLAINTEXT, SASL_PLAINTEXT) or TLS (SSL, SASL_SSL) connections and
 * gives each a Connection bound to the listener's router. A TLS connection becomes a
 * Connection once its handshake is done; with ssl.client.auth=requested a client without a
 * certificate is accepted but one with an untrusted certificate is not. Stopping closes the
 * listen socket, lets queued responses drain briefly, then destroys what is left.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Listener } from '../config/broker-config.js';
import type { Logger } from '../util/log.js';
import { Connection, type ConnectionOptions, type Dispatcher } from './connection.js';

export class SocketServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private boundPort = -1;
  /**
   * What connections log (closes for malformed requests, their reasons) any client can
   * trigger at will: at most 10 lines a second after a burst of 100, the rest counted.
   */
  private readonly connectionLog: Logger;

  constructor(
    readonly listener: Listener,
    private readonly dispatcher: Dispatcher,
    private readonly opts: ConnectionOptions & { backlog?: number; maxConnections?: number; maxConnectionsPerIp?: number },
    private readonly log: Logger,
    /** TLS settings for SSL and SASL_SSL listeners. */
    private readonly tls: TlsOptions | null = null,
  ) {
    this.connectionLog = log.rateLimited(10, 100);
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Open connections (for tests and metrics). */
  allConnections(): ReadonlySet<Connection> {
    return this.connections;
  }

  /** New key/trust stores for connections accepted from now on (dynamic ssl.keystore.location ...). */
  updateTls(tls: TlsOptions): void {
    if (this.tls === null || !(this.server instanceof TlsServer)) return;
    this.server.setSecureContext(tls);
  }

  async start(): Promise<void> {
    const server = this.tls === null
      ? createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.accept(socket))
      : this.tlsServer(this.tls);
    if (this.opts.maxConnections !== undefined && this.opts.maxConnections < 2147483647) server.maxConnections = this.opts.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
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

  private tlsServer(tls: TlsOptions): Server {
    const server = createTlsServer({ ...tls, handshakeTimeout: 10_000 }, (socket: TLSSocket) => {
      // "requested": no certificate is fine, an untrusted one is not.
      if (tls.requestCert === true && !socket.authorized && socket.getPeerCertificate()?.raw !== undefined) {
        this.log.info(`Failed authentication with ${socket.remoteAddress ?? '?'} (SSL handshake failed: ${String(socket.authorizationError)})`);
        socket.destroy();
        return;
      }
      this.accept(socket);
    });
    server.on('tlsClientError', (err, socket) => {
      this.log.info(`Failed authentication with ${socket.remoteAddress ?? '?'} (SSL handshake failed: ${err.message})`);
    });
    return server;
  }

  /** Open connections by remote address (max.connections.per.ip). */
  private readonly perIp = new Map<string, number>();

  private accept(socket: Socket): void {
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
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    });
    this.connections.add(conn);
  }

  /** Stops accepting; closes connections after up to graceMs for in-flight responses. */
  async stop(graceMs = 1000): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.closeGracefully();
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of [...this.connections]) c.close();
    await closed;
  }
}
