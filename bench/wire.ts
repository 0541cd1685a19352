/**
 * The benchmark's minimal Kafka client: one pipelined TCP connection that writes pre-encoded
 * frames and hands response frames back in order. Load loops replace `onFrame` so the hot path
 * allocates nothing per request; control requests (CreateTopics, ListOffsets ...) go through
 * `request`, which encodes and decodes with the generated codecs.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import {
  ApiKey, Reader, Writer, apis, decodeResponseHeader, encodeRequestHeader, ErrorCode,
  type CreateTopicsResponse, type DeleteTopicsResponse, type ListOffsetsResponse, type ProduceResponse,
} from '@samsa/protocol';

export const CLIENT_ID = 'samsa-bench';

/** TLS settings for every connection the bench opens (--tls); null = plain TCP. */
let tlsOptions: TlsOptions | null = null;
export function useTls(opts: TlsOptions | null): void {
  tlsOptions = opts;
}

/** A whole request frame (size prefix included) from the generated codecs. */
export function encodeRequestFrame(apiKey: ApiKey, version: number, correlationId: number, body: unknown): Buffer {
  const api = apis[apiKey]!;
  const w = new Writer(1024);
  w.int32(0);
  encodeRequestHeader(w, api.requestHeaderVersion(version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: CLIENT_ID });
  api.encodeRequest(w, version, body);
  const frame = Buffer.concat(w.chunks());
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Byte offset of the correlation id inside a request frame (after size, api key, version). */
export const CORRELATION_ID_AT = 8;

/** Decodes a response frame (without its size prefix) of a request made with `version`. */
export function decodeResponseFrame<T>(apiKey: ApiKey, version: number, frame: Buffer): { correlationId: number; body: T } {
  const api = apis[apiKey]!;
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, apiKey === ApiKey.ApiVersions ? 0 : api.responseHeaderVersion(version));
  return { correlationId: header.correlationId, body: api.decodeResponse(r, version) as T };
}

export class PipelinedConnection {
  /** Called for every response frame (without its size prefix), in request order. Load loops replace it. */
  onFrame: (frame: Buffer) => void = (frame) => this.resolveNext(frame);
  /**
   * Called instead of onFrame for frames above `skipAbove` bytes that were not assembled (all
   * but every `assembleEvery`-th): the load generator shares the machine with the broker, so
   * it does not copy megabyte responses together just to count them.
   */
  onSkippedFrame: (size: number, correlationId: number) => void = () => {
    throw new Error('a frame was skipped but nobody counts skipped frames');
  };
  skipAbove = Number.POSITIVE_INFINITY;
  assembleEvery = 1;

  private readonly waiting: Array<{ resolve: (f: Buffer) => void; reject: (e: Error) => void }> = [];
  private nextCorrelationId = 1_000_000;
  private failure: Error | null = null;
  // Frame decoding state: the size prefix being read, then the frame being filled (or skipped).
  private readonly sizeBuf = Buffer.alloc(4);
  private sizeFill = 0;
  private need = -1;
  private frameSize = 0;
  private frame: Buffer | null = null;
  private readonly headBuf = Buffer.alloc(4);
  private headFill = 0;
  private largeFrames = 0;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    // Requests written while handling one read's responses leave in one writev.
    socket.on('data', (chunk: Buffer) => {
      socket.cork();
      try {
        this.onChunk(chunk);
      } finally {
        socket.uncork();
      }
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the broker')));
  }

  private onChunk(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.need < 0) {
        let size: number;
        if (this.sizeFill === 0 && len - pos >= 4) {
          size = chunk.readInt32BE(pos);
          pos += 4;
        } else {
          while (this.sizeFill < 4 && pos < len) this.sizeBuf[this.sizeFill++] = chunk[pos++]!;
          if (this.sizeFill < 4) return;
          this.sizeFill = 0;
          size = this.sizeBuf.readInt32BE(0);
        }
        if (size < 4) throw new Error(`bad response frame size ${size}`);
        if (len - pos >= size) {
          this.onFrame(chunk.subarray(pos, pos + size));
          pos += size;
          continue;
        }
        const assemble = size <= this.skipAbove || this.largeFrames++ % this.assembleEvery === 0;
        this.frame = assemble ? Buffer.allocUnsafe(size) : null;
        this.frameSize = size;
        this.need = size;
        this.headFill = 0;
      }
      const n = Math.min(this.need, len - pos);
      const at = this.frameSize - this.need;
      if (this.frame !== null) chunk.copy(this.frame, at, pos, pos + n);
      else for (let i = 0; this.headFill < 4 && i < n; i++) this.headBuf[this.headFill++] = chunk[pos + i]!;
      this.need -= n;
      pos += n;
      if (this.need === 0) {
        this.need = -1;
        const frame = this.frame;
        this.frame = null;
        if (frame !== null) this.onFrame(frame);
        else this.onSkippedFrame(this.frameSize, this.headBuf.readInt32BE(0));
      }
    }
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<PipelinedConnection> {
    return new Promise((resolve, reject) => {
      const socket = tlsOptions === null ? connect({ host, port }) : tlsConnect({ host, port, ...tlsOptions });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once(tlsOptions === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new PipelinedConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get error(): Error | null {
    return this.failure;
  }

  private resolveNext(frame: Buffer): void {
    const w = this.waiting.shift();
    if (w === undefined) throw new Error('response without a request');
    w.resolve(frame);
  }

  /** One control request with the generated codecs; resolves with the decoded response body. */
  async request<T>(apiKey: ApiKey, version: number, body: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.failure !== null) throw this.failure;
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(apiKey, version, correlationId, body);
    const response = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${apis[apiKey]!.name} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        resolve: (f) => { clearTimeout(timer); resolve(f); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.socket.write(frame);
    });
    const decoded = decodeResponseFrame<T>(apiKey, version, response);
    if (decoded.correlationId !== correlationId) throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`);
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function createTopic(conn: PipelinedConnection, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const t = res.topics[0];
  if (t === undefined || (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)) {
    throw new Error(`CreateTopics ${name} failed: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
  }
}

/** One acks=1 Produce v9 of `records` to partition 0 of `topic`, waiting for its answer; throws on an error code. */
export async function produceOne(conn: PipelinedConnection, topic: string, records: Buffer): Promise<void> {
  const res = await conn.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const code = res.responses[0]?.partitionResponses[0]?.errorCode;
  if (code !== ErrorCode.NONE) throw new Error(`produce to ${topic}: error ${code}`);
}

export async function deleteTopic(conn: PipelinedConnection, name: string): Promise<void> {
  const res = await conn.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, { topicNames: [name], timeoutMs: 10_000 });
  const code = res.responses[0]?.errorCode;
  if (code !== ErrorCode.NONE) throw new Error(`DeleteTopics ${name} failed: error ${code}`);
}

/** Latest (end) offsets of partitions 0..n-1 of a topic. */
export async function endOffsets(conn: PipelinedConnection, topic: string, partitions: number): Promise<number[]> {
  const res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
  });
  const out = new Array<number>(partitions).fill(-1);
  for (const p of res.topics[0]?.partitions ?? []) {
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
    out[p.partitionIndex] = Number(p.offset);
  }
  return out;
}
