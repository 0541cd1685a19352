/**
 * A bounded, seeded fuzz against a live in-process broker. Hostile connections send random
 * bytes, bad size prefixes, unknown API keys and versions, truncated frames, valid headers with
 * random bodies (every API key, every served version) and byte-flipped valid requests. Each
 * must end in well-formed responses or a closed connection with a logged reason, while a
 * well-behaved client on its own connection keeps producing and fetching, and nothing escapes
 * as an uncaught exception or unhandled rejection.
 *
 * FUZZ_SEED=<n> replays a run; FUZZ_MS (default 6000) and FUZZ_CASES (default 4000) bound it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ApiKey, apis, encodeRequestHeader, ErrorCode, Reader, Writer, type ApiDescriptor } from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { createLogger, startBroker, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 6000);
const MAX_CASES = Number(process.env['FUZZ_CASES'] ?? 4000);
const MAX_FRAME = 1 << 20;
/**
 * How long a hostile connection is watched: cases that must end (close or answer) get a
 * generous limit so a loaded CI machine does not fail them, and end as soon as they do; cases
 * that may legitimately wait (partial frames, long polls) are given up on sooner.
 */
const MUST_END_WAIT_MS = 3000;
const MAY_WAIT_MS = 150;

/**
 * APIs that may legitimately stay silent for a while: Fetch long polls (max_wait_ms can be
 * anything), Produce with acks=0 (no response at all), group joins waiting for a rebalance.
 */
const MAY_WAIT = new Set<number>([ApiKey.Fetch, ApiKey.Produce, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.ConsumerGroupHeartbeat, ApiKey.ShareFetch, ApiKey.ShareGroupHeartbeat].filter((k) => k !== undefined));

/** mulberry32: small, seedable, good enough to spread cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(0, 255);
  return b;
}

function frame(apiKey: number, version: number, correlationId: number, body: Buffer, headerVersion = 1): Buffer {
  const w = new Writer(64);
  w.int32(0);
  encodeRequestHeader(w, headerVersion, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'fuzz' });
  const head = w.toBuffer();
  const out = Buffer.concat([head, body]);
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

function encodeRequest(api: ApiDescriptor, version: number, correlationId: number, body: unknown): Buffer {
  const w = new Writer(256);
  w.int32(0);
  encodeRequestHeader(w, api.requestHeaderVersion(version), { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId: 'fuzz' });
  api.encodeRequest(w, version, body);
  const out = w.toBuffer();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

const batch = (n: number) => encodeRecordBatch(createRecordBatch(Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`fuzz-${i}`), headers: [{ key: 'h', value: Buffer.from('v') }] }))));

/** Valid requests to truncate and mutate (targets the 'fuzz' topic, never the good client's). */
function corpus(): Array<{ apiKey: number; version: number; body: unknown }> {
  return [
    { apiKey: ApiKey.ApiVersions, version: 3, body: { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1.0' } },
    { apiKey: ApiKey.Metadata, version: 1, body: { topics: [{ name: 'fuzz' }] } },
    { apiKey: ApiKey.Metadata, version: 12, body: { topics: [{ name: 'fuzz', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false } },
    { apiKey: ApiKey.Produce, version: 7, body: { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch(3) }] }] } },
    { apiKey: ApiKey.Produce, version: 9, body: { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch(2) }] }] } },
    {
      apiKey: ApiKey.Fetch, version: 11, body: {
        replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1 << 16, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 16, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '',
      },
    },
    {
      apiKey: ApiKey.Fetch, version: 12, body: {
        replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1 << 16, isolationLevel: 1, sessionId: 0, sessionEpoch: 0,
        topics: [{ topic: 'fuzz', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 16, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '',
      },
    },
    { apiKey: ApiKey.ListOffsets, version: 7, body: { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] } },
    { apiKey: ApiKey.ListOffsets, version: 1, body: { replicaId: -1, topics: [{ name: 'fuzz', partitions: [{ partitionIndex: 0, timestamp: 1000n }] }] } },
  ];
}

type Expect = 'close' | 'respond-or-close' | 'any';
interface FuzzCase {
  kind: string;
  bytes: Buffer[];
  expect: Expect;
  /** Responses to decode: correlation id -> api/version. */
  decodeAs: Map<number, { api: ApiDescriptor; version: number }>;
  /** A close must be explained by a log line containing this. */
  reason?: RegExp;
}

interface Outcome {
  closed: boolean;
  frames: Buffer[];
  localPort: number;
}

function runCase(port: number, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const frames: Buffer[] = [];
    const decoder = new FrameDecoder(1 << 30);
    let closed = false;
    let localPort = -1;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closed, frames, localPort });
    };
    const timer = setTimeout(done, c.expect === 'any' ? MAY_WAIT_MS : MUST_END_WAIT_MS);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      try {
        decoder.push(d, (f) => frames.push(Buffer.from(f)));
      } catch (e) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`broker sent an unframeable response: ${(e as Error).message}`));
      }
      // Everything answered: no need to wait for a close that need not come.
      if (c.expect !== 'close' && c.decodeAs.size > 0 && frames.length >= c.decodeAs.size) done();
    });
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('connect', () => {
      localPort = socket.localPort ?? -1;
      // Bytes go out in a few writes, so frames straddle socket reads on the broker side.
      for (const b of c.bytes) socket.write(b);
    });
  });
}

function makeCase(n: number, served: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>, samples: ReturnType<typeof corpus>): FuzzCase {
  const corr = 1000 + n;
  const kinds = ['random', 'oversized', 'unknown-key', 'unknown-version', 'api-versions-too-new', 'truncated-fixed', 'truncated-open', 'random-body', 'random-body', 'random-body', 'mutated', 'mutated', 'short-header'] as const;
  const kind = pick(kinds);
  const split = (b: Buffer): Buffer[] => {
    if (b.length < 2 || rand() < 0.5) return [b];
    const at = int(1, b.length - 1);
    return [b.subarray(0, at), b.subarray(at)];
  };
  switch (kind) {
    case 'random':
      return { kind, bytes: split(randomBytes(int(1, 600))), expect: 'any', decodeAs: new Map() };
    case 'oversized': {
      const size = pick([-1, -2147483648, MAX_FRAME + 1, 2147483647, int(MAX_FRAME + 1, 2147483647)]);
      const b = Buffer.alloc(4 + int(0, 64));
      b.writeInt32BE(size, 0);
      return { kind, bytes: [b], expect: 'close', decodeAs: new Map(), reason: /socket\.request\.max\.bytes|invalid frame size/ };
    }
    case 'unknown-key': {
      const known = new Set(served.map((s) => s.apiKey));
      let key = pick([-1, -32768, 32767, int(0, 32767), int(0, 100)]);
      while (known.has(key)) key = int(200, 32767);
      return { kind, bytes: split(frame(key, int(0, 20), corr, randomBytes(int(0, 64)))), expect: 'close', decodeAs: new Map(), reason: /unsupported api key/ };
    }
    case 'unknown-version': {
      const s = pick(served.filter((x) => x.apiKey !== ApiKey.ApiVersions));
      const version = pick([s.maxVersion + 1, s.maxVersion + int(2, 200), -1, -32768, 32767]);
      return { kind, bytes: split(frame(s.apiKey, version, corr, randomBytes(int(0, 64)))), expect: 'close', decodeAs: new Map(), reason: /unsupported version/ };
    }
    case 'api-versions-too-new': {
      // KIP-511: answered (v0, UNSUPPORTED_VERSION), not closed.
      const v = int(5, 32767);
      return { kind, bytes: split(frame(ApiKey.ApiVersions, v, corr, randomBytes(int(0, 32)), 2)), expect: 'respond-or-close', decodeAs: new Map([[corr, { api: apis[ApiKey.ApiVersions]!, version: 0 }]]) };
    }
    case 'truncated-fixed': {
      const s = pick(samples);
      const full = encodeRequest(apis[s.apiKey]!, s.version, corr, s.body);
      const cut = full.subarray(0, int(4, full.length - 1));
      const b = Buffer.from(cut);
      b.writeInt32BE(b.length - 4, 0);
      return { kind, bytes: split(b), expect: 'close', decodeAs: new Map(), reason: /cannot decode|shorter than a request header/ };
    }
    case 'truncated-open': {
      // The size promises more than comes: the broker waits; the client gives up.
      const s = pick(samples);
      const full = encodeRequest(apis[s.apiKey]!, s.version, corr, s.body);
      return { kind, bytes: [full.subarray(0, int(1, full.length - 1))], expect: 'any', decodeAs: new Map() };
    }
    case 'random-body': {
      const s = pick(served);
      const api = apis[s.apiKey]!;
      const version = int(s.minVersion, s.maxVersion);
      // Random, all-zero (empty strings and arrays, zero ints: decodes in most APIs) or sparse
      // bytes (small counts and lengths): the last two reach the handlers with odd values.
      const len = pick([0, 1, 2, 4, 8, int(0, 64), int(0, 512)]);
      const style = pick(['random', 'zeros', 'sparse'] as const);
      const body = style === 'random' ? randomBytes(len) : style === 'zeros' ? Buffer.alloc(len) : Buffer.from(Array.from({ length: len }, () => pick([0, 0, 0, 1, 2, 3, 255, int(0, 255)])));
      return { kind: `random-body ${api.name} v${version}`, bytes: split(frame(s.apiKey, version, corr, body, api.requestHeaderVersion(version))), expect: MAY_WAIT.has(s.apiKey) ? 'any' : 'respond-or-close', decodeAs: new Map([[corr, { api, version }]]) };
    }
    case 'mutated': {
      const s = pick(samples);
      const api = apis[s.apiKey]!;
      const b = encodeRequest(api, s.version, corr, s.body);
      // Keep the size prefix, api key, version and correlation id; flip bytes after them.
      const flips = int(1, 6);
      for (let i = 0; i < flips && b.length > 12; i++) b[int(12, b.length - 1)] = int(0, 255);
      return { kind: `mutated ${api.name} v${s.version}`, bytes: split(b), expect: MAY_WAIT.has(s.apiKey) ? 'any' : 'respond-or-close', decodeAs: new Map([[corr, { api, version: s.version }]]) };
    }
    case 'short-header': {
      const b = Buffer.alloc(4 + int(0, 7));
      for (let i = 4; i < b.length; i++) b[i] = int(0, 255);
      b.writeInt32BE(b.length - 4, 0);
      return { kind, bytes: [b], expect: b.length - 4 === 0 ? 'any' : 'close', decodeAs: new Map(), reason: /shorter than a request header|unsupported|cannot decode/ };
    }
  }
}

/** Produce + fetch back on its own connection, over and over, until told to stop. */
async function wellBehavedClient(tb: TestBroker, stop: { done: boolean }): Promise<{ rounds: number }> {
  const c = await WireClient.connect(tb.port, '127.0.0.1', 'steady');
  let rounds = 0;
  try {
    while (!stop.done) {
      const value = `steady-${rounds}`;
      const records = encodeRecordBatch(createRecordBatch([{ key: Buffer.from('k'), value: Buffer.from(value) }]));
      const pr = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'steady', partitionData: [{ index: 0, records }] }] });
      const p = pr.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, ErrorCode.NONE, `steady produce #${rounds}`);
      assert.equal(p.baseOffset, BigInt(rounds), `steady produce #${rounds} offset`);
      const fr = await c.send(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'steady', partitions: [{ partition: 0, fetchOffset: p.baseOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const fp = fr.responses[0].partitions[0];
      assert.equal(fp.errorCode, ErrorCode.NONE, `steady fetch #${rounds}`);
      const got = decodeRecordBatches(fp.records).flatMap((b) => b.records);
      assert.equal(got[0]?.value?.toString(), value, `steady fetch #${rounds} value`);
      rounds++;
      // Pacing, not synchronisation: leaves the fuzz workers most of the broker.
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    c.close();
  }
  return { rounds };
}

test(`live broker: hostile connections end in responses or logged closes while a good client keeps working (seed ${SEED})`, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED}`);
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  const logLines: string[] = [];
  const logger = createLogger('kafka.server.KafkaServer', { sink: (l) => logLines.push(l), level: 'DEBUG' });
  const tb = await startBroker({ logger, config: { 'socket.request.max.bytes': String(MAX_FRAME) } });
  try {
    await tb.broker.topics.createTopic({ name: 'steady' });
    await tb.broker.topics.createTopic({ name: 'fuzz', numPartitions: 2 });
    const served = tb.broker.apiVersions;
    const samples = corpus().filter((s) => served.some((a) => a.apiKey === s.apiKey && s.version >= a.minVersion && s.version <= a.maxVersion));
    const stop = { done: false };
    const steady = wellBehavedClient(tb, stop);
    steady.catch(() => {});

    const tally = new Map<string, { cases: number; closed: number; responded: number }>();
    const problems: string[] = [];
    const reasonChecks: Array<{ where: string; port: number; reason: RegExp }> = [];
    const started = Date.now();
    let n = 0;
    const check = (c: FuzzCase, o: Outcome, caseNo: number): void => {
      const family = c.kind.split(' ')[0]!;
      const row = tally.get(family) ?? { cases: 0, closed: 0, responded: 0 };
      row.cases++;
      if (o.closed) row.closed++;
      if (o.frames.length > 0) row.responded++;
      tally.set(family, row);
      const where = `${c.kind} (case ${caseNo}, client port ${o.localPort})`;
      if (c.expect === 'close' && !o.closed) problems.push(`${where}: connection left open`);
      if (c.expect === 'close' && o.closed && c.reason !== undefined) reasonChecks.push({ where, port: o.localPort, reason: c.reason });
      if (c.expect === 'respond-or-close' && !o.closed && o.frames.length < c.decodeAs.size) problems.push(`${where}: neither answered nor closed within ${MUST_END_WAIT_MS} ms`);
      for (const f of o.frames) {
        try {
          const r = new Reader(f);
          const corr = r.int32();
          const d = c.decodeAs.get(corr);
          if (d === undefined) {
            problems.push(`${where}: response with unexpected correlation id ${corr}`);
            continue;
          }
          const headerVersion = d.api.apiKey === ApiKey.ApiVersions ? 0 : d.api.responseHeaderVersion(d.version);
          if (headerVersion >= 1) r.taggedFields();
          const res = d.api.decodeResponse(r, d.version) as { errorCode?: number };
          if (c.kind === 'api-versions-too-new') assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
        } catch (e) {
          problems.push(`${where}: undecodable response: ${(e as Error).message}`);
        }
      }
    };
    // A pool of hostile connections, each worker starting its next case when one ends.
    const worker = async (): Promise<void> => {
      while (n < MAX_CASES && Date.now() - started < BUDGET_MS) {
        const caseNo = n++;
        const c = makeCase(caseNo, served, samples);
        check(c, await runCase(tb.port, c), caseNo);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    stop.done = true;
    const { rounds } = await steady;
    // Once the broker has let go of every connection (the good client's too), each close it
    // chose has been logged: a close is logged before the socket goes.
    const drained = Date.now() + 10_000;
    while (tb.broker.connectionCount > 0) {
      assert.ok(Date.now() < drained, `${tb.broker.connectionCount} connection(s) still open on the broker`);
      await new Promise((r) => setTimeout(r, 5));
    }

    t.diagnostic(`${n} hostile connections in ${Date.now() - started} ms; good client rounds ${rounds}`);
    for (const [k, v] of tally) t.diagnostic(`  ${k}: ${v.cases} cases, ${v.closed} closed, ${v.responded} answered`);
    const unexpected = logLines.filter((l) => / ERROR /.test(l));
    if (unexpected.length > 0) t.diagnostic(`ERROR log lines:\n${unexpected.slice(0, 10).join('\n')}`);
    assert.deepEqual(problems.slice(0, 20), [], `seed ${SEED}`);
    assert.ok(rounds >= 10, `the good client completed ${rounds} produce+fetch rounds during the fuzz`);
    // Every close the broker chose is explained in its log.
    const closes = logLines.filter((l) => /Closing connection /.test(l));
    assert.ok(closes.length > 0, 'closes are logged');
    for (const l of closes) assert.match(l, /Closing connection \S+( \(client [^)]*\))?: \S/, 'a close line names its reason');
    // ... and each close the fuzz expected carries the expected reason (connection ids hold the client's port).
    const closesByPort = new Map<number, string[]>();
    for (const l of closes) {
      const m = /-127\.0\.0\.1:(\d+)-/.exec(l);
      if (m !== null) closesByPort.set(Number(m[1]), [...(closesByPort.get(Number(m[1])) ?? []), l]);
    }
    const missingReasons: string[] = [];
    for (const r of reasonChecks) {
      const mine = closesByPort.get(r.port) ?? [];
      if (!mine.some((l) => r.reason.test(l))) missingReasons.push(`${r.where}: no log line matching ${r.reason} (${mine.at(-1) ?? 'no close logged'})`);
    }
    assert.deepEqual(missingReasons.slice(0, 10), [], `seed ${SEED}: close reasons`);
    // Handlers must map failures to Kafka error codes; an unexpected exception is a bug.
    assert.deepEqual(unexpected.filter((l) => /Unexpected error/.test(l)).slice(0, 5), [], `seed ${SEED}: handler exceptions`);

    // Still healthy: a fresh connection gets ApiVersions and Metadata.
    const c = await WireClient.connect(tb.port);
    const av = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'after', clientSoftwareVersion: '1' });
    assert.equal(av.errorCode, ErrorCode.NONE);
    const md = await c.send(ApiKey.Metadata, 12, { topics: [{ name: 'steady', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(md.topics[0].errorCode, ErrorCode.NONE);
    c.close();
    assert.ok(tb.broker.isRunning);
    assert.deepEqual(escaped, [], 'no uncaught exception or unhandled rejection');
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await tb.stop();
  }
});
