/**
 * A structure-aware fuzzer: requests for every served API and version are generated from the
 * schema model the codecs were generated from (so they decode), with counts, lengths, sizes,
 * ids and enum values pushed toward their extremes; a share of them then get a length or count
 * field overwritten on the wire. Each case must end, within a bound, in a decodable response
 * with its correlation id or in a closed connection, while a steady client on its own
 * connection keeps producing and fetching. Used by structured.test.ts (a quick seeded subset)
 * and bench/fuzz-soak.ts (a million cases against a `samsa server` process).
 *
 * What a hostile client may name is drawn from pools (fuzz-* topics and groups), so the
 * steady client's topic is never touched and created state stays bounded over a long soak.
 */
import { connect, type Socket } from 'node:net';
import {
  ApiKey, apis, encodeRequestHeader, ErrorCode, messageModels, Reader, Writer,
  type ApiDescriptor, type FieldModel, type MessageModel,
} from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';
import { BATCH_CRC, BATCH_RECORD_COUNT, createRecordBatch, crc32c, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';

export type Rng = () => number;

/** mulberry32: small and seedable, so a failing case replays from its seed. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FUZZ_TOPICS = ['fuzz-0', 'fuzz-1', 'fuzz-2', 'fuzz-3'];
const FUZZ_GROUPS = ['fuzz-g0', 'fuzz-g1', 'fuzz-g2'];
const CONFIG_NAMES = ['retention.ms', 'cleanup.policy', 'segment.bytes', 'min.insync.replicas', 'max.message.bytes', 'num.partitions', 'log.retention.bytes', 'no.such.config', ''];

const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};

/** APIs that may rightly stay silent: long polls, acks=0, joins waiting for a rebalance. */
export const MAY_WAIT: ReadonlySet<number> = new Set([ApiKey.Fetch, ApiKey.Produce, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.ConsumerGroupHeartbeat]);

const requestModels = new Map<number, MessageModel>();
for (const m of messageModels) if (m.kind === 'request' && m.apiKey !== undefined) requestModels.set(m.apiKey, m);

const inRange = (r: readonly [number, number] | undefined, v: number): boolean => r !== undefined && v >= r[0] && v <= r[1];

class Generator {
  /** Array elements left for this request, so nested large arrays stay bounded. */
  private elements = 0;
  constructor(private readonly rng: Rng, private readonly batches: readonly Buffer[]) {}

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }
  private chance(p: number): boolean {
    return this.rng() < p;
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }

  request(model: MessageModel, version: number): Record<string, unknown> {
    this.elements = 4000;
    return this.struct(model.fields, version);
  }

  private struct(fields: readonly FieldModel[], version: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!inRange(f.versions, version)) continue;
      if (inRange(f.taggedVersions, version) && this.chance(0.5)) continue;
      out[f.name] = this.value(f, version);
    }
    return out;
  }

  private value(f: FieldModel, version: number): unknown {
    if (inRange(f.nullableVersions, version) && this.chance(0.1)) return null;
    if (f.type.startsWith('[]')) {
      const n = this.count();
      const item: FieldModel = { ...f, type: f.type.slice(2), nullableVersions: undefined as never };
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(item.type === 'struct' ? this.struct(f.fields ?? [], version) : this.value(item, version));
      return out;
    }
    switch (f.type) {
      case 'struct': return this.struct(f.fields ?? [], version);
      case 'bool': return this.chance(0.5);
      case 'int64': return this.long(f);
      case 'float64': return this.pick([0, -1, 1e308, Number.NaN, 0.5]);
      case 'uuid': return this.chance(0.5) ? '00000000-0000-0000-0000-000000000000' : this.uuid();
      case 'string': return this.string(f);
      case 'bytes': return this.chance(0.7) ? Buffer.alloc(this.int(0, 16), this.int(0, 255)) : Buffer.alloc(this.pick([0, 1, 1024, 65536]));
      case 'records': return this.records();
      default: return this.integer(f);
    }
  }

  private count(): number {
    const want = this.chance(0.2) ? 0 : this.chance(0.5) ? 1 : this.chance(0.7) ? this.int(2, 4) : this.pick([100, 1000, 3000]);
    const n = Math.min(want, this.elements);
    this.elements -= n;
    return n;
  }

  private integer(f: FieldModel): number {
    const [lo, hi] = INT_RANGES[f.type] ?? [0, 0];
    if (f.entityType === 'brokerId' && this.chance(0.6)) return this.pick([0, 0, -1, 1]);
    if (/partition(Index)?$|^index$/i.test(f.name) && this.chance(0.6)) return this.pick([0, 1, 2, -1]);
    if (this.chance(0.55)) return this.pick([0, 1, -1, 2, 3, 100, 1000].filter((v) => v >= lo && v <= hi));
    return this.pick([lo, hi, lo + 1, hi - 1, Math.max(lo, -2), Math.min(hi, 10_000), Math.min(hi, 10_001), Math.min(hi, 16_580_609), this.int(lo, hi)]);
  }

  private long(f: FieldModel): bigint {
    if (f.entityType === 'producerId' && this.chance(0.5)) return this.pick([-1n, 0n, 1000n]);
    if (this.chance(0.55)) return this.pick([0n, 1n, -1n, -2n, 100n]);
    return this.pick([-(2n ** 63n), 2n ** 63n - 1n, -3n, 2n ** 53n, BigInt(this.int(0, 2 ** 31))]);
  }

  private uuid(): string {
    const h = Array.from({ length: 32 }, () => this.int(0, 15).toString(16)).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private string(f: FieldModel): string {
    const odd = (): string => this.pick(['', 'a'.repeat(this.pick([249, 250, 256, 5000])), 'bad/name', '..', 'caf\u00e9 \u0000\u001b[31mred\u001b[0m\n\rline', '\ud800'.repeat(3)]);
    switch (f.entityType) {
      case 'topicName': return this.chance(0.85) ? this.pick(FUZZ_TOPICS) : odd();
      case 'groupId': return this.chance(0.85) ? this.pick(FUZZ_GROUPS) : odd();
      case 'transactionalId': return this.chance(0.7) ? 'fuzz-txn' : odd();
    }
    if (f.name === 'name' || f.name === 'configName' || f.name === 'key') return this.chance(0.8) ? this.pick(CONFIG_NAMES) : odd();
    if (f.name === 'protocolType') return this.pick(['consumer', '', 'connect']);
    if (f.name === 'value') return this.pick(['1', '-1', 'compact', 'delete', '9223372036854775807', '99999999999999999999', 'x']);
    return this.chance(0.7) ? this.pick(['fuzz', 'range', 'uniform', 'roundrobin', '']) : odd();
  }

  /** A valid batch, one whose record count is extreme (CRC recomputed, so it reaches validation), or junk. */
  private records(): Buffer {
    const b = Buffer.from(this.pick(this.batches));
    const r = this.rng();
    if (r < 0.6) return b;
    if (r < 0.85) {
      b.writeInt32BE(this.pick([0, -1, 2147483647, -2147483648, 1_000_000]), BATCH_RECORD_COUNT);
      b.writeUInt32BE(crc32c(b.subarray(BATCH_CRC + 4)), BATCH_CRC);
      return b;
    }
    return Buffer.alloc(this.int(0, 80), this.int(0, 255));
  }

  /** Overwrites a few bytes after the header start with an extreme int32, int16 or varint. */
  mutate(frame: Buffer): void {
    if (frame.length <= 14) return;
    const at = this.int(12, frame.length - 1);
    const patch = this.pick([
      [0x7f, 0xff, 0xff, 0xff], [0x80, 0, 0, 0], [0xff, 0xff, 0xff, 0xff], [0, 0xfd, 0, 0x01], [0x7f, 0xff], [0x80, 0x00],
      [0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x08], [0xfe, 0xff, 0xff, 0x07],
    ]);
    for (let i = 0; i < patch.length && at + i < frame.length; i++) frame[at + i] = patch[i]!;
  }
}

export interface FuzzCase {
  api: ApiDescriptor;
  version: number;
  correlationId: number;
  frame: Buffer;
  mutated: boolean;
}

export interface ServedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class CaseFactory {
  private readonly gen: Generator;
  private readonly served: Array<{ api: ApiDescriptor; model: MessageModel; min: number; max: number }>;
  private nextCorrelationId = 1;
  private firstPass = 0;

  constructor(private readonly rng: Rng, served: readonly ServedApi[]) {
    const batches = [1, 3, 20].map((n) => encodeRecordBatch(createRecordBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`fuzz-${i}`) })))));
    this.gen = new Generator(rng, batches);
    this.served = [];
    for (const s of served) {
      const api = apis[s.apiKey];
      const model = requestModels.get(s.apiKey);
      if (api !== undefined && model !== undefined) this.served.push({ api, model, min: Math.max(s.minVersion, api.minVersion), max: Math.min(s.maxVersion, api.maxVersion) });
    }
  }

  next(): FuzzCase {
    // Every served API once first, so a short (loaded) run still covers them all; then at random.
    const s = this.firstPass < this.served.length ? this.served[this.firstPass++]! : this.served[Math.floor(this.rng() * this.served.length)]!;
    const version = s.min + Math.floor(this.rng() * (s.max - s.min + 1));
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const body = this.gen.request(s.model, version);
    const w = new Writer(256);
    w.int32(0);
    const clientId = this.rng() < 0.9 ? 'fuzz' : 'fuzz\u001b[2J\r\n\u0000';
    encodeRequestHeader(w, s.api.requestHeaderVersion(version), { requestApiKey: s.api.apiKey, requestApiVersion: version, correlationId, clientId });
    s.api.encodeRequest(w, version, body);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const mutated = this.rng() < 0.3;
    if (mutated) this.gen.mutate(frame);
    return { api: s.api, version, correlationId, frame, mutated };
  }
}

export interface FuzzStats {
  cases: number;
  answered: number;
  closed: number;
  /** May-wait cases (long polls, acks=0, joins) still silent when given up on. */
  waited: number;
  /** Must-end cases neither answered nor closed within the bound. */
  hangs: string[];
  /** Responses that did not decode or carried another correlation id. */
  badResponses: string[];
  perApi: Map<string, number>;
}

export type Outcome = 'answered' | 'closed' | 'silent';

/** One hostile connection, reused for case after case until it is closed or a case goes silent. */
class HostileConnection {
  private socket: Socket | null = null;
  private waiter: ((o: Outcome, frame?: Buffer) => void) | null = null;

  constructor(private readonly port: number, private readonly host: string) {}

  private async open(): Promise<Socket> {
    const socket = connect({ port: this.port, host: this.host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const decoder = new FrameDecoder(1 << 30);
    // Events of a connection already given up on must not settle a later case.
    socket.on('data', (d: Buffer) => {
      if (this.socket !== socket) return;
      try {
        decoder.push(d, (f) => this.settle('answered', Buffer.from(f)));
      } catch {
        this.settle('closed');
        socket.destroy();
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.settle('closed');
    });
    return socket;
  }

  private settle(o: Outcome, frame?: Buffer): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(o, frame);
  }

  async run(c: FuzzCase, waitMs: number): Promise<{ outcome: Outcome; frame?: Buffer }> {
    if (this.socket === null) this.socket = await this.open();
    const socket = this.socket;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        // A silent request blocks every later response on this connection: start afresh.
        this.socket = null;
        socket.destroy();
        resolve({ outcome: 'silent' });
      }, waitMs);
      this.waiter = (outcome, frame) => {
        clearTimeout(timer);
        if (outcome === 'closed') this.socket = null;
        resolve(frame === undefined ? { outcome } : { outcome, frame });
      };
      socket.write(c.frame);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

function checkResponse(c: FuzzCase, frame: Buffer): string | null {
  try {
    const r = new Reader(frame);
    const corr = r.int32();
    if (corr !== c.correlationId) return `response carries correlation id ${corr}, expected ${c.correlationId}`;
    const headerVersion = c.api.apiKey === ApiKey.ApiVersions ? 0 : c.api.responseHeaderVersion(c.version);
    if (headerVersion >= 1) r.taggedFields();
    c.api.decodeResponse(r, c.version);
    return null;
  } catch (e) {
    return `undecodable response: ${(e as Error).message}`;
  }
}

export interface FuzzRunOptions {
  port: number;
  host?: string;
  seed: number;
  served: readonly ServedApi[];
  /** Stop after this many cases ... */
  cases: number;
  /** ... or this long, whichever comes first. */
  budgetMs: number;
  concurrency: number;
  /** Bound for cases that must be answered or closed. */
  mustEndMs: number;
  /** How long a may-wait case is watched before the connection is dropped. */
  mayWaitMs: number;
  onProgress?: (stats: FuzzStats) => void;
  /** Told each hang as it happens (a soak logs it at once, for diagnosis while it runs). */
  onHang?: (description: string) => void;
  /** Replay from this case number on (1-based, as in hang reports): earlier cases are generated and dropped unsent. */
  firstCase?: number;
  /** Told each case's outcome and how long it took (a replay uses it to find slow cases). */
  onCase?: (c: FuzzCase, outcome: Outcome, ms: number) => void;
}

/** Case `n` (1-based) of a seeded run, as it was sent: the generator's output depends only on seed, served APIs and n. */
export function fuzzCase(seed: number, served: readonly ServedApi[], n: number): FuzzCase {
  const factory = new CaseFactory(prng(seed), served);
  for (let i = 1; i < n; i++) factory.next();
  return factory.next();
}

export async function runStructuredFuzz(o: FuzzRunOptions): Promise<FuzzStats> {
  const factory = new CaseFactory(prng(o.seed), o.served);
  for (let i = 1; i < (o.firstCase ?? 1); i++) factory.next();
  const stats: FuzzStats = { cases: 0, answered: 0, closed: 0, waited: 0, hangs: [], badResponses: [], perApi: new Map() };
  const started = Date.now();
  let lastProgress = started;
  const worker = async (): Promise<void> => {
    const conn = new HostileConnection(o.port, o.host ?? '127.0.0.1');
    try {
      while (stats.cases < o.cases && Date.now() - started < o.budgetMs) {
        const c = factory.next();
        stats.cases++;
        const name = `${c.api.name} v${c.version}`;
        stats.perApi.set(c.api.name, (stats.perApi.get(c.api.name) ?? 0) + 1);
        const mayWait = MAY_WAIT.has(c.api.apiKey);
        const t0 = Date.now();
        const { outcome, frame } = await conn.run(c, mayWait ? o.mayWaitMs : o.mustEndMs);
        o.onCase?.(c, outcome, Date.now() - t0);
        if (outcome === 'answered') {
          stats.answered++;
          const bad = checkResponse(c, frame!);
          if (bad !== null && !c.mutated) stats.badResponses.push(`${name} (correlation id ${c.correlationId}): ${bad}`);
        } else if (outcome === 'closed') {
          stats.closed++;
        } else if (mayWait) {
          stats.waited++;
        } else {
          const hang = `${name}${c.mutated ? ' (mutated)' : ''} (case ${c.correlationId}, ${c.frame.length} bytes): neither answered nor closed within ${o.mustEndMs} ms; frame ${c.frame.toString('hex').slice(0, 200)}`;
          stats.hangs.push(hang);
          o.onHang?.(hang);
        }
        if (o.onProgress !== undefined && Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          o.onProgress(stats);
        }
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return stats;
}

/**
 * The well-behaved client: produce a record to `topic` partition 0, fetch it back, again and
 * again until stopped. Throws on any error; reports rounds and the slowest round.
 */
export function steadyClient(port: number, topic: string, host = '127.0.0.1'): { stop: () => Promise<{ rounds: number; slowestMs: number }>; rounds: () => number } {
  let done = false;
  let rounds = 0;
  let slowestMs = 0;
  const run = (async () => {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const decoder = new FrameDecoder(1 << 30);
    let pending: ((f: Buffer) => void) | null = null;
    let closed = false;
    socket.on('data', (d: Buffer) => decoder.push(d, (f) => pending?.(Buffer.from(f))));
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    let corr = 0;
    const send = async (apiKey: number, version: number, body: unknown): Promise<any> => {
      const api = apis[apiKey]!;
      const w = new Writer(256);
      w.int32(0);
      const correlationId = ++corr;
      encodeRequestHeader(w, api.requestHeaderVersion(version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'steady' });
      api.encodeRequest(w, version, body);
      const frame = w.toBuffer();
      frame.writeInt32BE(frame.length - 4, 0);
      if (closed) throw new Error('the steady connection was closed');
      const answer = new Promise<Buffer>((resolve) => (pending = resolve));
      socket.write(frame);
      const f = await answer;
      const r = new Reader(f);
      if (r.int32() !== correlationId) throw new Error('steady client: correlation id mismatch');
      if (api.responseHeaderVersion(version) >= 1) r.taggedFields();
      return api.decodeResponse(r, version);
    };
    try {
      while (!done) {
        const t0 = Date.now();
        const value = `steady-${rounds}`;
        const records = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from(value) }]));
        const pr = await send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
        const p = pr.responses[0].partitionResponses[0];
        if (p.errorCode !== ErrorCode.NONE) throw new Error(`steady produce #${rounds}: error ${p.errorCode}`);
        const fr = await send(ApiKey.Fetch, 12, {
          replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: p.baseOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
          forgottenTopicsData: [], rackId: '',
        });
        const fp = fr.responses[0].partitions[0];
        if (fp.errorCode !== ErrorCode.NONE) throw new Error(`steady fetch #${rounds}: error ${fp.errorCode}`);
        const got = decodeRecordBatches(fp.records).flatMap((b) => b.records)[0]?.value?.toString();
        if (got !== value) throw new Error(`steady fetch #${rounds}: read ${got}, wrote ${value}`);
        rounds++;
        slowestMs = Math.max(slowestMs, Date.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      socket.destroy();
    }
  })();
  return { rounds: () => rounds, stop: async () => { done = true; await run; return { rounds, slowestMs }; } };
}
