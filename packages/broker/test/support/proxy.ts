/**
 * A TCP proxy between Kafka clients and a broker, for fault tests. It forwards bytes both ways
 * and follows the Kafka framing (size-prefixed requests and responses), so a test can:
 * - watch requests go by (`onRequest`: api key, version, correlation id, connection);
 * - cut every live connection now (`cutAll`);
 * - let a request reach the broker and cut the connection when its response comes back, without
 *   forwarding that response (`cutAfterResponseTo`): the client must retry a request the broker
 *   already executed (for Produce: a batch that is already in the log);
 * - swallow every response from now on (`dropResponses`), e.g. just before the broker is killed.
 * Listening starts before the target is known, so the broker can advertise the proxy's port.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxiedRequest {
  connectionId: number;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

interface Pair {
  id: number;
  client: Socket;
  upstream: Socket;
  /** correlation ids whose response ends this connection instead of being forwarded */
  cutOnResponse: Set<number>;
  closed: boolean;
}

/** Splits a byte stream into Kafka frames (4-byte size + payload); calls onFrame with each whole frame, size included. */
class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 4) {
      const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [head];
      const size = head.readInt32BE(0);
      if (this.pendingBytes < 4 + size) return;
      const frame = head.subarray(0, 4 + size);
      const rest = head.subarray(4 + size);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.onFrame(frame);
    }
  }
}

export class KafkaProxy {
  private readonly pairs = new Set<Pair>();
  private nextId = 1;
  private target: { host: string; port: number } | null = null;
  /** Called for each request frame before it is forwarded (it may call cutAll / cutAfterResponseTo). */
  onRequest: ((req: ProxiedRequest) => void) | null = null;
  /** Connections cut by the test so far. */
  cuts = 0;
  /** Responses dropped by cutAfterResponseTo. */
  droppedResponses = 0;
  connectionsAccepted = 0;
  /** While true, responses are swallowed (requests still reach the broker): a client that never hears back. */
  dropResponses = false;

  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {}

  static async listen(host = '127.0.0.1'): Promise<KafkaProxy> {
    let proxy: KafkaProxy | null = null;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    proxy = new KafkaProxy(server, host, (server.address() as { port: number }).port);
    return proxy;
  }

  /** Where connections go (set once the broker is up). */
  setTarget(host: string, port: number): void {
    this.target = { host, port };
  }

  get liveConnections(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    if (this.target === null) {
      client.destroy();
      return;
    }
    this.connectionsAccepted++;
    client.setNoDelay(true);
    client.pause();
    const upstream = connect({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    const pair: Pair = { id: this.nextId++, client, upstream, cutOnResponse: new Set(), closed: false };
    this.pairs.add(pair);
    const requests = new FrameSplitter((frame) => this.onRequestFrame(pair, frame));
    const responses = new FrameSplitter((frame) => this.onResponseFrame(pair, frame));
    upstream.once('connect', () => client.resume());
    client.on('data', (chunk: Buffer) => requests.push(chunk));
    upstream.on('data', (chunk: Buffer) => responses.push(chunk));
    const close = (): void => this.closePair(pair);
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }

  private onRequestFrame(pair: Pair, frame: Buffer): void {
    if (pair.closed) return;
    if (frame.length >= 12 && this.onRequest !== null) {
      this.onRequest({ connectionId: pair.id, apiKey: frame.readInt16BE(4), apiVersion: frame.readInt16BE(6), correlationId: frame.readInt32BE(8) });
    }
    if (pair.closed) return; // onRequest cut it: the request never reaches the broker
    pair.upstream.write(frame);
  }

  private onResponseFrame(pair: Pair, frame: Buffer): void {
    if (pair.closed) return;
    if (this.dropResponses) {
      this.droppedResponses++;
      return;
    }
    const correlationId = frame.length >= 8 ? frame.readInt32BE(4) : -1;
    if (pair.cutOnResponse.has(correlationId)) {
      this.droppedResponses++;
      this.cuts++;
      this.closePair(pair);
      return;
    }
    pair.client.write(frame);
  }

  /**
   * The request with this correlation id on this connection goes through; its response is dropped
   * and the connection cut when it arrives. Call from onRequest.
   */
  cutAfterResponseTo(req: ProxiedRequest): void {
    for (const p of this.pairs) if (p.id === req.connectionId) p.cutOnResponse.add(req.correlationId);
  }

  /** Cuts every live connection now (both sides, no goodbye); returns how many. */
  cutAll(): number {
    let n = 0;
    for (const p of [...this.pairs]) {
      this.closePair(p);
      n++;
    }
    this.cuts += n;
    return n;
  }

  private closePair(p: Pair): void {
    if (p.closed) return;
    p.closed = true;
    this.pairs.delete(p);
    p.client.destroy();
    p.upstream.destroy();
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.closePair(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
