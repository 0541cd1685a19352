/**
 * kafka-producer-perf-test: sends --num-records records at up to --throughput records/s and
 * prints ProducerPerformance's lines: a window line every 5 s and the total with latency
 * percentiles (50th/95th/99th/99.9th), formatted exactly as Kafka formats them.
 */
import { readFileSync } from 'node:fs';
import { Producer } from '@samsa/client';
import { type ToolSpec, UsageError } from '../args.js';
import { fixed, javaF } from '../format.js';
import { bootstrapList, describeError, type Io, loadProperties, parseKeyValues, producerOptions, type Tool, ToolError } from '../tool.js';

export const producerPerfSpec: ToolSpec = {
  name: 'kafka-producer-perf-test',
  summary: 'This tool is used to verify the producer performance.',
  options: [
    { name: 'topic', kind: 'value', metavar: 'TOPIC', description: 'produce messages to this topic' },
    { name: 'num-records', kind: 'value', metavar: 'NUM-RECORDS', description: 'number of messages to produce' },
    { name: 'record-size', kind: 'value', metavar: 'RECORD-SIZE', description: 'message size in bytes. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.' },
    { name: 'payload-file', kind: 'value', metavar: 'PAYLOAD-FILE', description: 'file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will be read from this file and a payload will be randomly selected when sending messages.' },
    { name: 'payload-monotonic', kind: 'flag', description: 'payload is monotonically increasing integer.' },
    { name: 'payload-delimiter', kind: 'value', metavar: 'PAYLOAD-DELIMITER', default: '\\n', description: 'provides delimiter to be used when --payload-file is provided. Defaults to new line.' },
    { name: 'throughput', kind: 'value', metavar: 'THROUGHPUT', description: 'throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling.' },
    { name: 'producer-props', kind: 'values', metavar: 'PROP-NAME=PROP-VALUE', description: 'kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs take precedence over those passed via --producer.config.' },
    { name: 'producer.config', aliases: ['command-config'], kind: 'value', metavar: 'CONFIG-FILE', description: 'producer config properties file.' },
    { name: 'bootstrap-server', kind: 'value', metavar: 'BOOTSTRAP-SERVERS', description: 'The server(s) to connect to (overrides bootstrap.servers in the producer properties).' },
    { name: 'print-metrics', kind: 'flag', description: 'print out metrics at the end of the test (not available: accepted and ignored).' },
    { name: 'transactional-id', kind: 'value', metavar: 'TRANSACTIONAL-ID', description: 'The transactional id to use (transactions are not supported by the Samsa client yet).' },
    { name: 'transaction-duration-ms', kind: 'value', metavar: 'TRANSACTION-DURATION', description: 'The max age of each transaction (transactions are not supported yet).' },
    { name: 'warmup-records', kind: 'value', metavar: 'WARMUP-RECORDS', default: '0', description: 'The number of records to treat as warmup; these initial records will not be included in steady-state statistics.' },
  ],
};

/** ProducerPerformance.Stats, line for line in what it prints. */
export class PerfStats {
  private readonly start = Date.now();
  private windowStart = Date.now();
  private readonly latencies: Int32Array;
  private readonly sampling: number;
  private iteration = 0;
  private index = 0;
  private count = 0;
  private bytes = 0;
  private maxLatency = 0;
  private totalLatency = 0;
  private windowCount = 0;
  private windowMaxLatency = 0;
  private windowTotalLatency = 0;
  private windowBytes = 0;
  suppressed = false;

  constructor(numRecords: number, private readonly io: Io, private readonly steadyState = false, private readonly reportingIntervalMs = 5000) {
    this.sampling = Math.max(1, Math.floor(numRecords / Math.min(numRecords, 500000)));
    this.latencies = new Int32Array(Math.floor(numRecords / this.sampling) + 1);
  }

  record(latency: number, bytes: number, time: number): void {
    this.count++;
    this.bytes += bytes;
    this.totalLatency += latency;
    this.maxLatency = Math.max(this.maxLatency, latency);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowTotalLatency += latency;
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latency);
    if (this.iteration % this.sampling === 0 && this.index < this.latencies.length) this.latencies[this.index++] = latency;
    if (time - this.windowStart >= this.reportingIntervalMs) {
      if (this.steadyState && this.count === this.windowCount) this.io.out('In steady state.\n');
      if (!this.suppressed) this.printWindow();
      this.newWindow();
    }
    this.iteration++;
  }

  printWindow(): void {
    const elapsed = Date.now() - this.windowStart;
    const recsPerSec = (1000.0 * this.windowCount) / elapsed;
    const mbPerSec = (1000.0 * this.windowBytes) / elapsed / (1024.0 * 1024.0);
    this.io.out(`${this.windowCount} records sent, ${fixed(recsPerSec, 1)} records/sec (${fixed(mbPerSec, 2)} MB/sec), ${fixed(this.windowTotalLatency / this.windowCount, 1)} ms avg latency, ${fixed(this.windowMaxLatency, 1)} ms max latency.\n`);
  }

  private newWindow(): void {
    this.windowStart = Date.now();
    this.windowCount = 0;
    this.windowMaxLatency = 0;
    this.windowTotalLatency = 0;
    this.windowBytes = 0;
  }

  printTotal(): void {
    const elapsed = Date.now() - this.start;
    const recsPerSec = (1000.0 * this.count) / elapsed;
    const mbPerSec = (1000.0 * this.bytes) / elapsed / (1024.0 * 1024.0);
    const sorted = this.latencies.subarray(0, this.index).slice().sort();
    const perc = (p: number): number => sorted[Math.floor(p * sorted.length)] ?? 0;
    this.io.out(
      `${this.count}${this.steadyState ? ' steady state' : ''} records sent, ${javaF(recsPerSec)} records/sec (${fixed(mbPerSec, 2)} MB/sec), ${fixed(this.totalLatency / this.count, 2)} ms avg latency, ${fixed(this.maxLatency, 2)} ms max latency, ${perc(0.5)} ms 50th, ${perc(0.95)} ms 95th, ${perc(0.99)} ms 99th, ${perc(0.999)} ms 99.9th.\n`,
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export const producerPerfTool: Tool = {
  spec: producerPerfSpec,
  async run(a, io) {
    a.checkRequired('topic', 'num-records', 'throughput');
    const payloadOpts = ['record-size', 'payload-file', 'payload-monotonic'].filter((o) => a.has(o));
    if (payloadOpts.length !== 1) throw new UsageError('one of the arguments --record-size --payload-file --payload-monotonic is required (exactly one)');
    const topic = a.required('topic');
    const numRecords = Number(a.long('num-records')!);
    const warmup = Math.max(Number(a.long('warmup-records') ?? 0n), 0);
    const recordSize = a.int('record-size');
    const throughput = a.number('throughput')!;
    if (numRecords <= 0) throw new UsageError('--num-records should be greater than zero');
    if (warmup >= numRecords) throw new UsageError('The value for --warmup-records must be strictly fewer than the number of records in the test, --num-records.');
    if (recordSize !== undefined && recordSize <= 0) throw new UsageError('--record-size should be greater than zero');
    if (!a.has('producer-props') && !a.has('producer.config') && !a.has('bootstrap-server')) throw new UsageError('Either --producer-props or --producer.config must be specified.');
    if (a.has('transactional-id') || a.has('transaction-duration-ms')) throw new ToolError('Transactions are not supported by the Samsa client yet (--transactional-id, --transaction-duration-ms)');

    const props = a.has('producer.config') ? loadProperties(a.required('producer.config')) : new Map<string, string>();
    for (const p of a.values('producer-props')) {
      const pieces = p.split('=');
      if (pieces.length !== 2) throw new UsageError(`Invalid property: ${p}`);
    }
    parseKeyValues(a.values('producer-props'), props);
    if (a.has('bootstrap-server')) props.set('bootstrap.servers', a.required('bootstrap-server'));
    const servers = props.get('bootstrap.servers');
    if (servers === undefined) throw new UsageError('bootstrap.servers must be given in --producer-props, --producer.config or --bootstrap-server');
    props.delete('bootstrap.servers');

    // payloads: a file's entries, or slices of one pool of random A-Z (views, never rewritten,
    // so a record's bytes stay valid until the producer has encoded them)
    let payloads: Buffer[] = [];
    if (a.has('payload-file')) {
      const path = a.required('payload-file');
      io.out(`Reading payloads from: ${path}\n`);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new ToolError('File does not exist or empty file provided.');
      }
      if (text.length === 0) throw new ToolError('File does not exist or empty file provided.');
      const delim = a.required('payload-delimiter') === '\\n' ? '\n' : a.required('payload-delimiter');
      payloads = text.split(delim).filter((s) => s.length > 0).map((s) => Buffer.from(s, 'utf8'));
      io.out(`Number of messages read: ${payloads.length}\n`);
    }
    let pool = Buffer.alloc(0);
    if (recordSize !== undefined) {
      pool = Buffer.allocUnsafe(Math.max(recordSize * 2, 1 << 20));
      let seed = 0x2545f491;
      for (let i = 0; i < pool.length; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        pool[i] = 65 + ((seed >>> 0) % 26);
      }
    }
    let poolPos = 0;
    const payloadFor = (i: number): Buffer => {
      if (payloads.length > 0) return payloads[Math.floor(Math.random() * payloads.length)]!;
      if (recordSize !== undefined) {
        if (poolPos + recordSize > pool.length) poolPos = 0;
        const b = pool.subarray(poolPos, poolPos + recordSize);
        poolPos = (poolPos + 7919) % Math.max(1, pool.length - recordSize);
        return b;
      }
      return Buffer.from(String(i));
    };

    if (!props.has('client.id')) props.set('client.id', 'perf-producer-client');
    const producer = new Producer(producerOptions(bootstrapList(servers), props, 'perf-producer-client', io));
    await producer.connect();
    await producer.cluster.waitForTopics([topic], producer.maxBlockMs).catch((e: unknown) => {
      throw new ToolError(`Error: topic ${topic} is not available: ${describeError(e)}`);
    });
    if (warmup > 0) io.out(`Warmup first ${warmup} records. Steady state results will print after the complete test summary.\n`);
    const stats = new PerfStats(numRecords, io);
    let steady: PerfStats | null = null;
    const startPerf = performance.now();
    const maxBuffered = 32 * 1024 * 1024; // buffer.memory
    let buffered = 0;
    let failures = 0;
    const inFlight = new Set<Promise<void>>();
    // Records sent between two yields to the event loop go in one send() (at most about one
    // batch's worth): a promise per record would cost more than the produce path being
    // measured. Each record's latency still runs from its own send time to its batch's ack.
    let chunk: { values: Buffer[]; starts: number[]; bytes: number; steady: PerfStats | null } = { values: [], starts: [], bytes: 0, steady: null };
    const flushChunk = (): void => {
      const c = chunk;
      if (c.values.length === 0) return;
      chunk = { values: [], starts: [], bytes: 0, steady };
      buffered += c.bytes;
      const p: Promise<void> = producer.send({ topic, messages: c.values.map((value) => ({ value })) }).then(
        () => {
          const now = Date.now();
          for (let k = 0; k < c.values.length; k++) {
            stats.record(now - c.starts[k]!, c.values[k]!.length, now);
            c.steady?.record(now - c.starts[k]!, c.values[k]!.length, now);
          }
        },
        (e: unknown) => {
          failures += c.values.length;
          if (failures <= 10 * c.values.length) io.err(`${describeError(e)}\n`);
        },
      ).finally(() => {
        buffered -= c.bytes;
        inFlight.delete(p);
      });
      inFlight.add(p);
    };
    for (let i = 0; i < numRecords; i++) {
      const payload = payloadFor(i);
      const sendStart = Date.now();
      if (warmup > 0 && i === warmup) {
        flushChunk();
        steady = new PerfStats(numRecords - warmup, io, true);
        chunk.steady = steady;
        stats.suppressed = true;
      }
      chunk.values.push(payload);
      chunk.starts.push(sendStart);
      chunk.bytes += payload.length;
      if (chunk.bytes >= producer.batchSize || chunk.values.length >= 1000) flushChunk();
      if (throughput >= 0) {
        // a sub-millisecond clock: a fast loop would otherwise see 0 ms elapsed and never throttle
        const elapsedSec = (performance.now() - startPerf) / 1000;
        if (throughput === 0) {
          flushChunk();
          await new Promise<never>(() => {});
        }
        if (elapsedSec > 0 && i / elapsedSec > throughput) {
          flushChunk();
          await sleep(Math.max(1, startPerf + (i / throughput) * 1000 - performance.now()));
        } else if (i % 1000 === 999) {
          flushChunk();
          await yieldLoop();
        }
      } else if (i % 1000 === 999) {
        flushChunk();
        await yieldLoop();
      }
      while (buffered >= maxBuffered && inFlight.size > 0) await Promise.race(inFlight);
    }
    flushChunk();
    await Promise.all(inFlight);
    await producer.close();
    stats.printTotal();
    steady?.printTotal();
    return failures > 0 ? 1 : 0;
  },
};
