/**
 * One TCP connection to one broker, shared by the client and the broker's replica fetchers:
 * request pipelining keyed by correlation id (responses may come back in any order across
 * connections, in order on one), ApiVersions negotiation on connect (KIP-511 downgrade),
 * per-request timeouts, and lazy reconnection with exponential backoff. With `ssl` the socket
 * is TLS; with `sasl` the connection authenticates (SaslHandshake v1 + SaslAuthenticate) before
 * it is used, and again before the session lifetime the broker gives ends (KIP-368).
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ApiKey, type ApiDescriptor, apiByName, decodeApiVersionsResponse, encodeRequestHeader, KafkaError, Reader, Writer } from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';
import { ClosedError, ConnectionError, RequestTimeoutError, SamsaError, UnsupportedApiError } from './errors.js';
import { FrameReader } from './frame-reader.js';
import { saslClient, type SaslOptions } from './sasl.js';

export interface ConnectionOptions {
  clientId: string | null;
  /** request.timeout.ms (Kafka's client default 30000; replica.socket.timeout.ms for fetchers). */
  requestTimeoutMs: number;
  /** socket.connection.setup.timeout.ms (Kafka default 10000). */
  connectTimeoutMs: number;
  /** reconnect.backoff.ms / reconnect.backoff.max.ms (Kafka: 50 / 1000). */
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  /** Newest version of each API the owner speaks: a request goes at min(this, broker max). */
  maxVersions: ReadonlyMap<number, number>;
  /** Lowest version the owner can use per API (default 0). */
  minVersions?: ReadonlyMap<number, number> | undefined;
  /** Sent in ApiVersions v3+ (KIP-511). */
  softwareName: string;
  softwareVersion: string;
  /** TLS (security.protocol SSL / SASL_SSL): true for the system CAs, or node:tls options (ca, cert, key, ...). */
  ssl?: boolean | TlsConnectionOptions | undefined;
  /** SASL (security.protocol SASL_PLAINTEXT / SASL_SSL): runs after ApiVersions, before any other request. */
  sasl?: SaslOptions | undefined;
}

export const UNSUPPORTED_VERSION = 35;

interface Pending {
  api: ApiDescriptor;
  version: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** Set by sendReleasable: told the response's frame before the response is decoded. */
  keepFrame: ((frame: Buffer) => void) | null;
}

export interface RequestOptions {
  /** Extra time on top of the request timeout (a long-poll Fetch waits max_wait_ms). */
  extraTimeoutMs?: number;
  /** Produce with acks=0: the broker sends nothing back. */
  noResponse?: boolean;
}

export class Connection {
  private socket: Socket | null = null;
  /** The plain socket's frame reader (null for TLS). */
  private reader: FrameReader | null = null;
  private connecting: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 0;
  private decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
  /** The broker's [min, max] per API key, from ApiVersions. */
  private brokerVersions = new Map<number, [number, number]>();
  private failures = 0;
  private lastFailureAt = 0;
  private closed = false;
  private reauthTimer: NodeJS.Timeout | null = null;
  /** Versions negotiated and authenticated on the current socket. */
  private setUp = false;

  constructor(readonly host: string, readonly port: number, readonly nodeId: number, private readonly opts: ConnectionOptions) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connected(): boolean {
    return this.socket !== null && this.connecting === null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Connects (or waits for the running attempt), negotiates versions and authenticates. */
  async connect(): Promise<void> {
    if (this.closed) throw this.closedFailure();
    if (this.socket !== null && this.connecting === null) return;
    if (this.connecting === null) {
      this.connecting = this.doConnect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private backoffMs(): number {
    if (this.failures === 0) return 0;
    const exp = Math.min(this.opts.reconnectBackoffMaxMs, this.opts.reconnectBackoffMs * 2 ** (this.failures - 1));
    // 20% jitter, as Kafka's ExponentialBackoff
    const target = exp * (0.8 + Math.random() * 0.4);
    return Math.max(0, this.lastFailureAt + target - Date.now());
  }

  private async doConnect(): Promise<void> {
    const wait = this.backoffMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (this.closed) throw this.closedFailure();
    try {
      const socket = await this.openSocket();
      this.attach(socket);
      await this.negotiate();
      if (this.opts.sasl !== undefined) await this.authenticate(this.opts.sasl);
      this.setUp = true;
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.lastFailureAt = Date.now();
      this.teardown(err instanceof Error ? err : new Error(String(err)));
      throw err instanceof KafkaError || err instanceof SamsaError
        ? err
        : new ConnectionError(`connect to ${this.address} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Plain TCP reads frames through `onread` straight into each frame's own buffer (FrameReader);
   * a TLS socket hands its decrypted bytes to 'data' listeners, which attach() decodes.
   */
  private openSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ssl = this.opts.ssl;
      const plain = ssl === undefined || ssl === false;
      let socket: Socket;
      this.reader = null;
      if (plain) {
        const reader = new FrameReader((frame) => this.onFrame(frame), (err) => this.teardown(err));
        this.reader = reader;
        socket = netConnect({ host: this.host, port: this.port, noDelay: true, autoSelectFamily: true, onread: reader.onread });
      } else {
        socket = tlsConnect({ host: this.host, port: this.port, ...(isIP(this.host) === 0 ? { servername: this.host } : {}), ...(ssl === true ? {} : ssl) });
      }
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`connect to ${this.address} timed out after ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      socket.once(plain ? 'connect' : 'secureConnect', () => {
        socket.setNoDelay(true);
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(`connect to ${this.address} failed: ${err.message}`, { cause: err }));
      });
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.setUp = false;
    this.decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, (frame) => this.onFrame(frame));
      } catch (err) {
        this.teardown(err as Error);
      }
    });
    socket.on('error', (err) => this.teardown(err));
    socket.on('close', () => this.teardown(new Error(this.setUp ? 'connection closed by peer' : this.closedDuringSetup())));
  }

  /**
   * A Node TLS server refuses a client certificate by closing the connection after the TLS 1.3
   * handshake, without an alert: the close is all the client learns, so say what it likely means.
   */
  private closedDuringSetup(): string {
    const ssl = this.opts.ssl;
    if (ssl === undefined || ssl === false) return 'connection closed by peer before ApiVersions was answered';
    const presented = ssl !== true && (ssl.cert !== undefined || ssl.pfx !== undefined);
    return `connection closed by peer before ApiVersions was answered (SSL handshake failed: ${presented ? 'the broker does not accept our certificate' : 'the broker may require a client certificate (ssl.client.auth)'}, or the port is not a TLS listener)`;
  }

  /** ApiVersions at our newest; on UNSUPPORTED_VERSION retry at the broker's max (KIP-511). */
  private async negotiate(): Promise<void> {
    let version = Math.min(this.opts.maxVersions.get(ApiKey.ApiVersions) ?? 3, 3);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.rawRequest(apiByName.ApiVersions, version, {
        clientSoftwareName: this.opts.softwareName,
        clientSoftwareVersion: this.opts.softwareVersion,
      });
      if (res.errorCode === UNSUPPORTED_VERSION) {
        const entry = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        version = entry !== undefined ? Math.min(entry.maxVersion, version - 1) : 0;
        if (version < 0) break;
        continue;
      }
      if (res.errorCode !== 0) throw KafkaError.from(res.errorCode);
      this.brokerVersions = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
      return;
    }
    throw new UnsupportedApiError('ApiVersions', 'no common version');
  }

  /**
   * SaslHandshake v1 then SaslAuthenticate rounds. A refusal is the broker's KafkaError
   * (SASL_AUTHENTICATION_FAILED with its message, UNSUPPORTED_SASL_MECHANISM). With a session
   * lifetime, re-authenticates on the same connection when 85-95% of it has passed (KIP-368, as
   * Kafka's clients).
   */
  private async authenticate(opts: SaslOptions): Promise<void> {
    const hs = await this.rawRequest(apiByName.SaslHandshake, 1, { mechanism: opts.mechanism });
    if (hs.errorCode !== 0) throw KafkaError.from(hs.errorCode, `SASL mechanism ${opts.mechanism} is not enabled on ${this.address} (enabled: ${hs.mechanisms.join(', ')})`);
    const exchange = saslClient(opts);
    const authVersion = Math.min(2, this.brokerVersions.get(ApiKey.SaslAuthenticate)?.[1] ?? 0);
    let server: Buffer | null = null;
    let lifetimeMs = 0n;
    for (;;) {
      const token = await exchange.next(server);
      if (token === null) break;
      const res = await this.rawRequest(apiByName.SaslAuthenticate, authVersion, { authBytes: token });
      if (res.errorCode !== 0) throw KafkaError.from(res.errorCode, res.errorMessage);
      server = res.authBytes;
      lifetimeMs = res.sessionLifetimeMs ?? 0n;
    }
    if (this.reauthTimer !== null) clearTimeout(this.reauthTimer);
    this.reauthTimer = null;
    if (lifetimeMs > 0n) {
      const socket = this.socket;
      this.reauthTimer = setTimeout(() => {
        this.reauthTimer = null;
        if (this.socket !== socket || socket === null) return;
        this.authenticate(opts).catch((err: Error) => this.teardown(err));
      }, Number(lifetimeMs) * (0.85 + Math.random() * 0.1));
      this.reauthTimer.unref();
    }
  }

  /** Whether the broker serves an API in a version we speak. */
  supports(apiKey: number): boolean {
    return this.versionOrNull(apiKey) !== null;
  }

  /** The broker's advertised [min, max] for an API, if any (after connect). */
  brokerRange(apiKey: number): [number, number] | undefined {
    return this.brokerVersions.get(apiKey);
  }

  private versionOrNull(apiKey: number): number | null {
    const broker = this.brokerVersions.get(apiKey);
    const ownMax = this.opts.maxVersions.get(apiKey);
    if (broker === undefined || ownMax === undefined) return null;
    const v = Math.min(ownMax, broker[1]);
    const ownMin = this.opts.minVersions?.get(apiKey) ?? 0;
    return v < broker[0] || v < ownMin ? null : v;
  }

  /** The version to use for an API: min(our max, broker max). Throws if there is none. */
  version(api: ApiDescriptor): number {
    const v = this.versionOrNull(api.apiKey);
    if (v === null) {
      const range = this.brokerVersions.get(api.apiKey);
      throw new UnsupportedApiError(api.name, range === undefined ? 'not advertised' : `broker range ${range[0]}-${range[1]}`);
    }
    return v;
  }

  /** Connects if needed, then sends at the negotiated version. */
  async send<Req, Res>(api: ApiDescriptor<Req, Res>, build: (version: number) => Req, opts: RequestOptions = {}): Promise<{ version: number; response: Res }> {
    if (!this.connected) await this.connect();
    const version = this.version(api as ApiDescriptor);
    const response = await this.rawRequest(api, version, build(version), opts);
    return { version, response };
  }

  /**
   * As send(), for a caller that can copy out whatever it keeps of the response (the consumer's
   * Fetch). `release` is null unless the response frame's memory can be reused (a large frame on
   * a plain socket); then the caller copies out what it keeps and calls it: the socket's reader
   * reads a later large response into that memory instead of into fresh memory. After release()
   * nothing of `response` may be read.
   */
  async sendReleasable<Req, Res>(api: ApiDescriptor<Req, Res>, build: (version: number) => Req, opts: RequestOptions = {}): Promise<{ version: number; response: Res; release: (() => void) | null }> {
    if (!this.connected) await this.connect();
    const version = this.version(api as ApiDescriptor);
    const reader = this.reader;
    let frame: Buffer | null = null;
    const response = await this.rawRequest(api, version, build(version), opts, (f) => {
      if (reader !== null && FrameReader.recyclable(f)) frame = f;
    });
    const kept = frame as Buffer | null;
    return { version, response, release: kept === null ? null : () => reader!.recycle(kept) };
  }

  /**
   * Sends on the open socket at a given version (during the handshake too: SASL uses this).
   * For acks=0 resolves with undefined once written.
   */
  rawRequest<Req, Res>(api: ApiDescriptor<Req, Res>, version: number, body: Req, opts: RequestOptions = {}, keepFrame: ((frame: Buffer) => void) | null = null): Promise<Res> {
    const socket = this.socket;
    if (socket === null || this.closed) return Promise.reject(new ConnectionError(`not connected to ${this.address}`));
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) | 0;
    const chunks = encodeRequestFrame(api, version, correlationId, this.opts.clientId, body);
    if (opts.noResponse === true) {
      writeChunks(socket, chunks);
      return Promise.resolve(undefined as Res);
    }
    return new Promise<Res>((resolve, reject) => {
      const p: Pending = { api: api as ApiDescriptor, version, resolve: resolve as (v: unknown) => void, reject, timer: undefined, keepFrame };
      const timeoutMs = this.opts.requestTimeoutMs + (opts.extraTimeoutMs ?? 0);
      p.timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RequestTimeoutError(`${api.name} v${version} to ${this.address} timed out after ${timeoutMs} ms`));
        // As Kafka's NetworkClient: a timed-out request means the connection is not trusted.
        this.teardown(new RequestTimeoutError(`connection to ${this.address} dropped after a request timeout`));
      }, timeoutMs);
      this.pending.set(correlationId, p);
      writeChunks(socket, chunks);
    });
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) throw new ConnectionError(`short response frame from ${this.address}`);
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p === undefined) return; // timed out already
    this.pending.delete(correlationId);
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.keepFrame?.(frame);
    try {
      const r = new Reader(frame, 4);
      if (p.api.responseHeaderVersion(p.version) >= 1) r.taggedFields();
      if (p.api.apiKey === ApiKey.ApiVersions) {
        // An UNSUPPORTED_VERSION answer comes as v0 whatever we asked (KIP-511).
        const peek = frame.length >= 6 ? frame.readInt16BE(4) : 0;
        p.resolve(peek === UNSUPPORTED_VERSION ? decodeApiVersionsResponse(r, 0) : p.api.decodeResponse(r, p.version));
      } else {
        p.resolve(p.api.decodeResponse(r, p.version));
      }
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private teardown(err: Error): void {
    if (this.reauthTimer !== null) clearTimeout(this.reauthTimer);
    this.reauthTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.on('error', () => {});
      socket.destroy();
    }
    if (this.pending.size === 0) return;
    const wrapped = err instanceof SamsaError ? err : new ConnectionError(`connection to ${this.address} lost: ${err.message}`, { cause: err });
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(wrapped);
    }
  }

  /** Drops the socket (requests in flight fail, retriably); the next send reconnects. */
  disconnect(reason = 'disconnected by its owner'): void {
    this.teardown(new ConnectionError(`connection to ${this.address} ${reason}`));
  }

  /**
   * Closes the socket for good; requests in flight and later ones fail with ClosedError. With a
   * reason (the owner retires a connection to a broker that left or moved), they fail with a
   * retriable ConnectionError instead, as on a lost connection: their callers retry elsewhere.
   */
  close(retiredBecause?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.retiredBecause = retiredBecause ?? null;
    this.teardown(this.closedFailure());
  }

  private retiredBecause: string | null = null;

  private closedFailure(): SamsaError {
    return this.retiredBecause === null ? new ClosedError(`connection to ${this.address}`) : new ConnectionError(`connection to ${this.address} ${this.retiredBecause}`);
  }
}

/** A whole request frame (size, header, body) as chunks for a vectored write. */
export function encodeRequestFrame<Req>(api: ApiDescriptor<Req, unknown>, version: number, correlationId: number, clientId: string | null, body: Req): Buffer[] {
  const w = new Writer(256);
  w.int32(0); // size, patched below
  encodeRequestHeader(w, api.requestHeaderVersion(version), { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId });
  api.encodeRequest(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.chunks();
}

function writeChunks(socket: Socket, chunks: Buffer[]): void {
  if (chunks.length === 1) {
    socket.write(chunks[0]!);
    return;
  }
  socket.cork();
  for (const c of chunks) socket.write(c);
  socket.uncork();
}
