/**
 * The load generators: pipelined produce, fetch from a backlog, end-to-end latency at a fixed
 * rate, and the loopback TCP ceiling. Requests are encoded once with the generated codecs; the
 * loops only patch correlation ids, count responses and spot-check them, so the generator
 * stays cheap next to the broker. Every loop is bounded in time (and the drains in time too).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApiKey, ErrorCode, type FetchResponse, type ProduceResponse } from '@samsa/protocol';
import { BATCH_BASE_OFFSET, BATCH_LAST_OFFSET_DELTA, BATCH_LENGTH, BATCH_LOG_OVERHEAD, createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import type { BrokerProcess } from './broker-process.js';
import { CORRELATION_ID_AT, PipelinedConnection, createTopic, decodeResponseFrame, deleteTopic, encodeRequestFrame, endOffsets } from './wire.js';

export const RECORD_BYTES = 1024;
export const RECORDS_PER_BATCH = 16;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;

/** A RecordBatch v2 of `count` records of RECORD_BYTES (incompressible-ish bytes), built once. */
export function makeBatch(count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => {
    const value = Buffer.allocUnsafe(RECORD_BYTES);
    for (let j = 0; j < RECORD_BYTES; j++) value[j] = (j * 31 + i * 7) & 0xff;
    return { key: null, value };
  });
  return encodeRecordBatch(createRecordBatch(records));
}

export interface CpuWindow {
  seconds: number;
  /** The window on CLOCK_MONOTONIC in microseconds (the clock of V8's CPU profiles). */
  monotonicUs: [number, number];
  /** Broker CPU time over the window as a percentage of one core. */
  brokerCpu: number;
  /** This process (load generator) CPU, percentage of one core. */
  benchCpu: number;
  /** Milliseconds per second the broker's main thread waited for a CPU (other processes had it). */
  brokerWaitMsPerSec: number;
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Measures wall time and both processes' CPU between start() and stop(). */
class Window {
  private t0 = 0;
  private broker0 = 0;
  private bench0 = 0;
  private mono0 = 0;
  private wait0 = 0;
  constructor(private readonly broker: BrokerProcess) {}
  start(): void {
    this.t0 = performance.now();
    this.mono0 = monotonicUs();
    this.wait0 = this.broker.runQueueWaitSeconds();
    this.broker0 = this.broker.cpuSeconds();
    const u = process.cpuUsage();
    this.bench0 = (u.user + u.system) / 1e6;
  }
  stop(): CpuWindow {
    const seconds = (performance.now() - this.t0) / 1000;
    const u = process.cpuUsage();
    return {
      seconds,
      monotonicUs: [this.mono0, monotonicUs()],
      brokerCpu: (100 * (this.broker.cpuSeconds() - this.broker0)) / seconds,
      benchCpu: (100 * ((u.user + u.system) / 1e6 - this.bench0)) / seconds,
      brokerWaitMsPerSec: (1000 * (this.broker.runQueueWaitSeconds() - this.wait0)) / seconds,
    };
  }
}

async function openConnections(broker: BrokerProcess, n: number): Promise<PipelinedConnection[]> {
  return Promise.all(Array.from({ length: n }, () => PipelinedConnection.open('127.0.0.1', broker.port)));
}

/** Waits until check() is true, polling; throws after timeoutMs. */
async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- produce ------------------------------------------------------------------------------------

export interface ProduceOptions {
  topic: string;
  partitions: number;
  acks: number;
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
  /** Measured seconds (after warmup). */
  seconds: number;
  warmupSeconds: number;
  /** Stop after this many requests in total (backlog fill); time still bounds the run. */
  maxRequests?: number;
  /** Topic configs for CreateTopics. */
  topicConfigs?: Record<string, string>;
  /** Delete the topic afterwards (frees the broker's memory). */
  deleteAfter: boolean;
}

export interface ProduceResult extends CpuWindow {
  name: string;
  mbPerSec: number;
  recordsPerSec: number;
  requestsPerSec: number;
  batchBytes: number;
  requests: number;
}

/**
 * Each request carries one 16-record batch per partition (how a producer with one connection
 * per broker sends), so 8 partitions = 8 batches per request. Every connection has `depth`
 * frame copies; a copy is rewritten only after its response came back, i.e. after the socket
 * sent it.
 */
export async function runProduce(broker: BrokerProcess, admin: PipelinedConnection, o: ProduceOptions): Promise<ProduceResult> {
  await createTopic(admin, o.topic, o.partitions, o.topicConfigs);
  const batch = makeBatch(RECORDS_PER_BATCH);
  const conns = await openConnections(broker, o.connections);
  const body = {
    transactionalId: null,
    acks: o.acks,
    timeoutMs: 30_000,
    topicData: [{ name: o.topic, partitionData: Array.from({ length: o.partitions }, (_, p) => ({ index: p, records: batch })) }],
  };
  const template = encodeRequestFrame(ApiKey.Produce, PRODUCE_VERSION, 0, body);
  const maxRequests = o.maxRequests ?? Number.MAX_SAFE_INTEGER;
  let totalSent = 0;
  let totalAcked = 0;
  let running = true;
  let failure: Error | null = null;

  const states = conns.map((conn) => {
    const slots = Array.from({ length: o.depth }, () => Buffer.from(template));
    const st = { sent: 0, acked: 0 };
    const send = (): void => {
      const frame = slots[st.sent % o.depth]!;
      frame.writeInt32BE(st.sent, CORRELATION_ID_AT);
      st.sent++;
      totalSent++;
      conn.socket.write(frame);
    };
    conn.onFrame = (frame) => {
      const correlationId = frame.readInt32BE(0);
      if (correlationId !== st.acked && failure === null) failure = new Error(`produce response ${correlationId}, expected ${st.acked}`);
      // Spot-check the body: the first response and every 256th.
      if ((st.acked & 255) === 0) {
        const res = decodeResponseFrame<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, frame).body;
        for (const t of res.responses) for (const p of t.partitionResponses) {
          if (p.errorCode !== ErrorCode.NONE && failure === null) failure = new Error(`produce to ${t.name}-${p.index} failed: error ${p.errorCode} ${p.errorMessage ?? ''}`);
        }
      }
      st.acked++;
      totalAcked++;
      if (running && failure === null && totalSent < maxRequests) send();
    };
    return { st, send };
  });

  const window = new Window(broker);
  let ackedAtStart = 0;
  const warm = setTimeout(() => {
    ackedAtStart = totalAcked;
    window.start();
  }, o.warmupSeconds * 1000);
  window.start();
  for (const s of states) for (let i = 0; i < o.depth && totalSent < maxRequests; i++) s.send();
  const totalMs = (o.warmupSeconds + o.seconds) * 1000;
  const deadline = Date.now() + totalMs;
  await waitFor(() => Date.now() >= deadline || failure !== null || conns.some((c) => c.error !== null) || (totalSent >= maxRequests && totalAcked === totalSent), totalMs + 1000, 'the produce run');
  clearTimeout(warm);
  const cpu = window.stop();
  const measured = totalAcked - ackedAtStart;
  running = false;
  await waitFor(() => totalAcked === totalSent || failure !== null || conns.some((c) => c.error !== null), 30_000, 'outstanding produce responses');
  for (const c of conns) c.close();
  const connError = conns.find((c) => c.error !== null)?.error;
  if (failure !== null) throw failure;
  if (connError !== undefined && connError !== null) throw connError;
  // Cross-check with the log end offsets: every acknowledged batch is in the log.
  const leos = await endOffsets(admin, o.topic, o.partitions);
  const expected = totalAcked * RECORDS_PER_BATCH;
  for (let p = 0; p < o.partitions; p++) {
    if (leos[p] !== expected) throw new Error(`${o.topic}-${p} ends at ${leos[p]}, expected ${expected}`);
  }
  if (o.deleteAfter) await deleteTopic(admin, o.topic);
  const requestBytes = batch.length * o.partitions;
  return {
    name: `produce acks=${o.acks}, ${o.partitions} partition${o.partitions > 1 ? 's' : ''}`,
    ...cpu,
    mbPerSec: (measured * requestBytes) / 1e6 / cpu.seconds,
    recordsPerSec: (measured * RECORDS_PER_BATCH * o.partitions) / cpu.seconds,
    requestsPerSec: measured / cpu.seconds,
    batchBytes: batch.length,
    requests: totalAcked,
  };
}

// ---- consume from backlog -----------------------------------------------------------------------

export interface ConsumeOptions {
  topic: string;
  partitions: number;
  /** Batches per partition in the backlog (all the same size: batchBytes). */
  batchesPerPartition: number;
  batchBytes: number;
  connections: number;
  depth: number;
  /** Bytes per partition per fetch (rounded down to whole batches). */
  partitionMaxBytes: number;
  seconds: number;
  warmupSeconds: number;
}

export interface ConsumeResult extends CpuWindow {
  name: string;
  mbPerSec: number;
  recordsPerSec: number;
  requestsPerSec: number;
  passes: number;
}

/**
 * Fetches the backlog with pipelined requests: every connection owns some partitions and keeps
 * `depth` fetches in flight, each asking for the next chunk of each of its partitions. Batches
 * all have one size, so the chunks (offsets and byte counts) are known in advance, which is
 * what lets fetches be pipelined; every response is checked against them. At the end of a
 * partition the reads start over from offset 0 (the data is in the broker's cache either way).
 */
export async function runConsume(broker: BrokerProcess, o: ConsumeOptions): Promise<ConsumeResult> {
  const batchesPerFetch = Math.max(1, Math.floor(o.partitionMaxBytes / o.batchBytes));
  const conns = await openConnections(broker, o.connections);
  let running = true;
  let failure: Error | null = null;
  let totalBytes = 0;
  let totalRequests = 0;
  let totalAnswered = 0;
  let wraps = 0;
  const owned = conns.map((_, c) => Array.from({ length: o.partitions }, (_, p) => p).filter((p) => p % o.connections === c));
  const nextBatch = new Array<number>(o.partitions).fill(0);

  const states = conns.map((conn, c) => {
    // What each in-flight request asked for, in order: [partition, firstBatch, batchCount]*.
    const expected: number[][] = [];
    let correlationId = 0;
    const send = (): void => {
      const want: number[] = [];
      const partitions = owned[c]!.map((p) => {
        if (nextBatch[p]! >= o.batchesPerPartition) {
          nextBatch[p] = 0;
          wraps++;
        }
        const first = nextBatch[p]!;
        const count = Math.min(batchesPerFetch, o.batchesPerPartition - first);
        nextBatch[p] = first + count;
        want.push(p, first, count);
        return { partition: p, currentLeaderEpoch: -1, fetchOffset: BigInt(first * RECORDS_PER_BATCH), logStartOffset: -1n, partitionMaxBytes: count * o.batchBytes };
      });
      expected.push(want);
      totalRequests++;
      conn.socket.write(encodeRequestFrame(ApiKey.Fetch, FETCH_VERSION, correlationId++, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 256 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: o.topic, partitions }], forgottenTopicsData: [], rackId: '',
      }));
    };
    let answered = 0;
    const next = (): number[] => {
      const want = expected.shift()!;
      answered++;
      totalAnswered++;
      return want;
    };
    conn.onFrame = (frame) => {
      const correlationId = answered;
      const want = next();
      try {
        const decoded = decodeResponseFrame<FetchResponse>(ApiKey.Fetch, FETCH_VERSION, frame);
        if (decoded.correlationId !== correlationId) throw new Error(`fetch response ${decoded.correlationId}, expected ${correlationId}`);
        const res = decoded.body;
        if ((res.errorCode ?? 0) !== ErrorCode.NONE) throw new Error(`fetch error ${res.errorCode}`);
        const parts = res.responses[0]?.partitions ?? [];
        for (let i = 0; i < want.length; i += 3) {
          const [p, first, count] = [want[i]!, want[i + 1]!, want[i + 2]!];
          const d = parts.find((x) => x.partitionIndex === p);
          if (d === undefined || d.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${o.topic}-${p}: error ${d?.errorCode ?? 'missing'}`);
          const records = d.records ?? Buffer.alloc(0);
          if (records.length !== count * o.batchBytes) throw new Error(`fetch ${o.topic}-${p} at batch ${first}: ${records.length} bytes, expected ${count * o.batchBytes}`);
          if (Number(records.readBigInt64BE(BATCH_BASE_OFFSET)) !== first * RECORDS_PER_BATCH) throw new Error(`fetch ${o.topic}-${p}: wrong first offset`);
          totalBytes += records.length;
        }
      } catch (e) {
        failure ??= e as Error;
      }
      if (running && failure === null) send();
    };
    // Responses not assembled (see PipelinedConnection.skipAbove): order and size are checked.
    conn.skipAbove = 64 << 10;
    conn.assembleEvery = 16;
    conn.onSkippedFrame = (size, correlationId) => {
      const expectedId = answered;
      const want = next();
      let bytes = 0;
      for (let i = 0; i < want.length; i += 3) bytes += want[i + 2]! * o.batchBytes;
      if (correlationId !== expectedId) failure ??= new Error(`fetch response ${correlationId}, expected ${expectedId}`);
      else if (size < bytes || size > bytes + 1024) failure ??= new Error(`fetch response of ${size} bytes, expected ${bytes} bytes of records`);
      totalBytes += bytes;
      if (running && failure === null) send();
    };
    return { send };
  });

  const window = new Window(broker);
  let bytesAtStart = 0;
  let requestsAtStart = 0;
  const warm = setTimeout(() => {
    bytesAtStart = totalBytes;
    requestsAtStart = totalAnswered;
    window.start();
  }, o.warmupSeconds * 1000);
  window.start();
  for (const s of states) for (let i = 0; i < o.depth; i++) s.send();
  const totalMs = (o.warmupSeconds + o.seconds) * 1000;
  const deadline = Date.now() + totalMs;
  await waitFor(() => Date.now() >= deadline || failure !== null || conns.some((c) => c.error !== null), totalMs + 1000, 'the consume run');
  clearTimeout(warm);
  const cpu = window.stop();
  const bytes = totalBytes - bytesAtStart;
  const answered = totalAnswered - requestsAtStart;
  running = false;
  await waitFor(() => totalAnswered === totalRequests || failure !== null || conns.some((c) => c.error !== null), 30_000, 'outstanding fetch responses');
  for (const c of conns) c.close();
  if (failure !== null) throw failure;
  const connError = conns.find((c) => c.error !== null)?.error;
  if (connError !== undefined && connError !== null) throw connError;
  return {
    name: `consume backlog, ${o.partitions} partitions`,
    ...cpu,
    mbPerSec: bytes / 1e6 / cpu.seconds,
    recordsPerSec: ((bytes / o.batchBytes) * RECORDS_PER_BATCH) / cpu.seconds,
    requestsPerSec: answered / cpu.seconds,
    passes: wraps / o.partitions,
  };
}

// ---- end-to-end latency -------------------------------------------------------------------------

export interface LatencyOptions {
  topic: string;
  recordsPerSec: number;
  seconds: number;
  warmupSeconds: number;
}

export interface LatencyResult extends CpuWindow {
  name: string;
  records: number;
  batches: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  achievedRecordsPerSec: number;
}

const MAX_RECORDS_PER_REQUEST = 64;

/**
 * A producer (acks=1) sends, about every millisecond, the records due at the target rate as one
 * batch; a consumer long-polls (min_bytes 1). Latency of a record = the time its fetch response
 * arrived - the time its produce request was written to the socket, both on this process's
 * clock. One producer into a fresh one-partition topic means record offsets are known at send
 * time, so the consumer finds send times by offset without parsing record bodies.
 */
export async function runLatency(broker: BrokerProcess, admin: PipelinedConnection, o: LatencyOptions): Promise<LatencyResult> {
  await createTopic(admin, o.topic, 1);
  const [producer, consumer] = await openConnections(broker, 2);
  const batches = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, (_, n) => (n === 0 ? null : makeBatch(n)));
  const maxRecords = Math.ceil(o.recordsPerSec * (o.seconds + o.warmupSeconds) * 1.1) + MAX_RECORDS_PER_REQUEST;
  const sendTime = new Float64Array(maxRecords);
  const latencies = new Float64Array(maxRecords);
  let measuredCount = 0;
  let produced = 0;
  let requests = 0;
  let consumed = 0;
  let failure: Error | null = null;
  let producing = true;
  let consuming = true;
  let measureFrom = Number.POSITIVE_INFINITY;

  let producerCorrelation = 0;
  let producerAcked = 0;
  producer!.onFrame = (frame) => {
    const res = decodeResponseFrame<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, frame).body;
    const p = res.responses[0]?.partitionResponses[0];
    if (p === undefined || p.errorCode !== ErrorCode.NONE) failure ??= new Error(`latency produce failed: error ${p?.errorCode}`);
    producerAcked++;
  };

  let fetchCorrelation = 0;
  const fetchNext = (): void => {
    consumer!.socket.write(encodeRequestFrame(ApiKey.Fetch, FETCH_VERSION, fetchCorrelation++, {
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: o.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(consumed), logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }));
  };
  consumer!.onFrame = (frame) => {
    const now = performance.now();
    try {
      const res = decodeResponseFrame<FetchResponse>(ApiKey.Fetch, FETCH_VERSION, frame).body;
      const d = res.responses[0]?.partitions[0];
      if (d === undefined || d.errorCode !== ErrorCode.NONE) throw new Error(`latency fetch failed: error ${d?.errorCode}`);
      const records = d.records ?? Buffer.alloc(0);
      let pos = 0;
      while (pos + BATCH_LOG_OVERHEAD <= records.length) {
        const size = BATCH_LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH);
        if (pos + size > records.length) break; // a partial batch at the end of a fetch
        const base = Number(records.readBigInt64BE(pos + BATCH_BASE_OFFSET));
        const last = base + records.readInt32BE(pos + BATCH_LAST_OFFSET_DELTA);
        if (base !== consumed) throw new Error(`latency consumer expected offset ${consumed}, got ${base}`);
        for (let off = base; off <= last; off++) {
          if (sendTime[off]! >= measureFrom) latencies[measuredCount++] = now - sendTime[off]!;
        }
        consumed = last + 1;
        pos += size;
      }
    } catch (e) {
      failure ??= e as Error;
    }
    if (consuming && failure === null) fetchNext();
  };

  const window = new Window(broker);
  const t0 = performance.now();
  const warm = setTimeout(() => {
    measureFrom = performance.now();
    window.start();
  }, o.warmupSeconds * 1000);
  window.start();
  fetchNext();
  const stopAt = t0 + (o.warmupSeconds + o.seconds) * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (now >= stopAt || failure !== null) {
        producing = false;
        resolve();
        return;
      }
      let due = Math.min(Math.floor(((now - t0) / 1000) * o.recordsPerSec) - produced, maxRecords - produced);
      while (due > 0) {
        const n = Math.min(due, MAX_RECORDS_PER_REQUEST);
        const t = performance.now();
        sendTime.fill(t, produced, produced + n);
        producer!.socket.write(encodeRequestFrame(ApiKey.Produce, PRODUCE_VERSION, producerCorrelation++, {
          transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: o.topic, partitionData: [{ index: 0, records: batches[n]! }] }],
        }));
        produced += n;
        requests++;
        due -= n;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  clearTimeout(warm);
  await waitFor(() => (consumed >= produced && producerAcked === producerCorrelation) || failure !== null, 10_000, 'the latency consumer to catch up');
  const cpu = window.stop();
  consuming = false;
  void producing;
  // The consumer may still have a long poll open: closing the connection ends it.
  producer!.close();
  consumer!.close();
  if (failure !== null) throw failure;
  await deleteTopic(admin, o.topic);
  const sorted = latencies.subarray(0, measuredCount).sort();
  const q = (x: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!);
  return {
    name: `end-to-end latency at ${o.recordsPerSec} records/s`,
    ...cpu,
    records: measuredCount,
    batches: requests,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
    achievedRecordsPerSec: measuredCount / o.seconds,
  };
}

// ---- loopback TCP ceiling -----------------------------------------------------------------------

/** A child process that counts what it receives on one connection and reports it at the end. */
const SINK = `
const net = require('node:net');
let bytes = 0, t0 = 0;
const server = net.createServer((c) => {
  c.on('data', (d) => { if (t0 === 0) t0 = performance.now(); bytes += d.length; });
  c.on('end', () => { process.stdout.write(JSON.stringify({ bytes, ms: performance.now() - t0 }) + '\\n'); server.close(); c.end(); });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
setTimeout(() => process.exit(2), 120000).unref();
`;

export interface LoopbackResult {
  name: string;
  mbPerSec: number;
  seconds: number;
}

/** Pushes 1 MiB buffers over one loopback connection into another node process for `seconds`. */
export async function runLoopback(seconds: number): Promise<LoopbackResult> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  let onLine: (() => void) | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      lines.push(partial.slice(0, i));
      partial = partial.slice(i + 1);
      onLine?.();
    }
  });
  const nextLine = (): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('loopback sink did not answer')), 30_000);
    const check = (): void => {
      if (lines.length > 0) {
        clearTimeout(timer);
        onLine = null;
        resolve(lines.shift()!);
      }
    };
    onLine = check;
    check();
  });
  try {
    const { port } = JSON.parse(await nextLine()) as { port: number };
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    const stopAt = Date.now() + seconds * 1000;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (Date.now() < stopAt) {
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end(resolve);
      };
      pump();
    });
    const { bytes, ms } = JSON.parse(await nextLine()) as { bytes: number; ms: number };
    socket.destroy();
    return { name: 'loopback TCP, 1 MiB writes, 1 connection', mbPerSec: bytes / 1e6 / (ms / 1000), seconds: ms / 1000 };
  } finally {
    child.kill();
  }
}
