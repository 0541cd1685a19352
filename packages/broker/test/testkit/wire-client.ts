/**
 * A minimal Kafka client over a raw socket for broker tests: encodes requests with the
 * generated codecs, matches responses by correlation id (and checks they come in order).
 */
import { connect, type Socket } from 'node:net';
import { apis, encodeRequestHeader, Reader, Writer, type ApiDescriptor } from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';

export class WireClient {
  private nextCorrelationId = 1;
  private readonly pending: Array<{ correlationId: number; api: ApiDescriptor; version: number; resolve: (v: any) => void; reject: (e: Error) => void; raw: boolean }> = [];
  private readonly decoder = new FrameDecoder(1 << 30);
  readonly closed: Promise<void>;
  /** Correlation ids in the order responses arrived. */
  readonly received: number[] = [];
  isClosed = false;

  private constructor(readonly socket: Socket, readonly clientId: string) {
    socket.on('data', (chunk) => this.decoder.push(chunk, (f) => this.onFrame(f)));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        for (const p of this.pending.splice(0)) p.reject(new Error('connection closed'));
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1', clientId = 'wire-test'): Promise<WireClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new WireClient(socket, clientId);
  }

  /** Encodes a request frame without sending it. */
  encode(apiKey: number, version: number, body: unknown, correlationId = this.nextCorrelationId++): { frame: Buffer; correlationId: number } {
    const api = apis[apiKey]!;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, api.requestHeaderVersion(version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId });
    api.encodeRequest(w, version, body);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    return { frame, correlationId };
  }

  /** Sends a request and resolves with the decoded response. */
  send<T = any>(apiKey: number, version: number, body: unknown): Promise<T> {
    const { frame, correlationId } = this.encode(apiKey, version, body);
    const p = this.expect<T>(apiKey, version, correlationId);
    this.socket.write(frame);
    return p;
  }

  /** Registers interest in a response to a request sent by other means (raw bytes). */
  expect<T = any>(apiKey: number, version: number, correlationId: number, raw = false): Promise<T> {
    const api = apis[apiKey]!;
    return new Promise<T>((resolve, reject) => this.pending.push({ correlationId, api, version, resolve, reject, raw }));
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private onFrame(frame: Buffer): void {
    const r = new Reader(frame);
    const correlationId = r.int32();
    this.received.push(correlationId);
    const i = this.pending.findIndex((p) => p.correlationId === correlationId);
    if (i < 0) return;
    const p = this.pending.splice(i, 1)[0]!;
    if (p.raw) {
      p.resolve(Buffer.from(frame));
      return;
    }
    try {
      const headerVersion = p.api.apiKey === 18 ? 0 : p.api.responseHeaderVersion(p.version);
      if (headerVersion >= 1) r.taggedFields();
      p.resolve(p.api.decodeResponse(r, p.version));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
