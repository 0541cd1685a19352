/**
 * Does a fetch of a cold segment (not in the page cache) raise the latency of a producer on
 * another partition? (issue 9: page-cache-miss reads must not block the event loop.)
 *
 *   node bench/dist/cold-fetch.js [--broker-root DIR] [--cold-mib 512] [--requests 3000] [--probe]
 *
 * Starts `samsa server` from DIR (default: this checkout; a built checkout of another commit
 * compares builds), fills topic `cold` with --cold-mib MiB, restarts the broker (the data is
 * then older than the process, as after any restart), then times --requests acks=1 produce
 * requests of one 1 KiB record to topic `hot`, one at a time, in three phases: alone; while a
 * consumer fetches `cold` from its start with 1 MiB reads right after `sync; echo 1 >
 * /proc/sys/vm/drop_caches` (needs root): the cold fetch; and while it fetches it again, now in
 * the page cache: the same consumer load without the disk, the control. The consumer runs in a
 * worker thread (its own event loop: decoding its responses does not delay the producer's).
 * Prints p50/p99/max of the produce latency and the broker main thread's CPU time and time
 * spent waiting for a CPU (run queue) per phase: on a shared 2-core machine the latter is what
 * other processes cost the producer. --probe also counts the broker's synchronous file reads
 * and their time per phase (bench/sync-read-probe.ts): time its event loop waited in reads.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { freePort, repoRoot, runQueueWaitSeconds } from './broker-process.js';
import { createTopic, PipelinedConnection } from './wire.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const root = resolve(arg('--broker-root', repoRoot));
const coldMiB = Number(arg('--cold-mib', '512'));
const requests = Number(arg('--requests', '3000'));
const probe = process.argv.includes('--probe');
const probeDir = mkdtempSync(join(tmpdir(), 'samsa-cold-probe-'));
const probeFile = join(probeDir, 'sync-reads.jsonl');

async function startBroker(props: string): Promise<ChildProcess> {
  const preload = probe ? ['--import', new URL('./sync-read-probe.js', import.meta.url).href] : [];
  const child = spawn(process.execPath, [...preload, join(root, 'packages/cli/dist/src/bin/samsa.js'), 'server', props], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SAMSA_LOG: 'WARN', SAMSA_SYNC_READ_PROBE: probeFile } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const port = portOf(props);
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    try {
      (await PipelinedConnection.open('127.0.0.1', port)).socket.destroy();
      return child;
    } catch {
      if (child.exitCode !== null) throw new Error(`broker exited: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('broker did not start');
}

async function stopBroker(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function dropPageCache(): void {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '1');
}

async function produce(conn: PipelinedConnection, topic: string, records: Buffer): Promise<void> {
  const r = await conn.request<any>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const code = r.responses[0].partitionResponses[0].errorCode;
  if (code !== ErrorCode.NONE) throw new Error(`produce to ${topic}: error ${code}`);
}

/** Latencies of --requests produce requests, fewer if `stopped` turns true before. */
async function producerLatencies(conn: PipelinedConnection, stopped: () => boolean = () => false): Promise<number[]> {
  const record = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.alloc(1024, 0x62) }]));
  const out: number[] = [];
  for (let i = 0; i < requests && !stopped(); i++) {
    const t = performance.now();
    await produce(conn, 'hot', Buffer.from(record));
    out.push(performance.now() - t);
  }
  return out;
}

/** Fetches `cold` from offset 0 in 1 MiB reads until stopped; returns the bytes read. */
async function coldReader(conn: PipelinedConnection, stop: () => boolean): Promise<number> {
  let offset = 0n;
  let bytes = 0;
  while (!stop()) {
    const f = await conn.request<any>(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'cold', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    const p = f.responses[0].partitions[0];
    const records: Buffer = p.records;
    if (records.length < 61) break;
    bytes += records.length;
    // The next offset: after the last whole batch (base offset at 0, last offset delta at 23).
    let pos = 0;
    while (pos + 61 <= records.length) {
      const size = records.readInt32BE(pos + 8) + 12;
      if (pos + size > records.length) break;
      offset = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23)) + 1n;
      pos += size;
    }
  }
  return bytes;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): string => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
  return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${s[s.length - 1]!.toFixed(2)} ms`;
}

/** /proc/<pid>/schedstat: the main thread's CPU seconds (field 1). */
function mainThreadCpuSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
}

interface SyncReads {
  reads: number;
  ms: number;
  over1ms: number;
}

/** The probe's running totals in the broker (asked for with SIGUSR2). */
async function syncReads(broker: ChildProcess): Promise<SyncReads> {
  const lines = (): string[] => {
    try {
      return readFileSync(probeFile, 'utf8').trim().split('\n').filter((l) => l !== '');
    } catch {
      return [];
    }
  };
  const before = lines().length;
  broker.kill('SIGUSR2');
  for (let i = 0; lines().length === before; i++) {
    if (i > 500) throw new Error('the sync read probe did not answer');
    await new Promise((r) => setTimeout(r, 10));
  }
  return JSON.parse(lines().at(-1)!) as SyncReads;
}

/** Times the producer while `consumer` (null: none) reads `cold` from offset 0 in a worker thread. */
async function phase(name: string, broker: ChildProcess, producer: PipelinedConnection, port: number, consumer: boolean): Promise<void> {
  const pid = broker.pid!;
  const reads0 = probe ? await syncReads(broker) : null;
  const cpu0 = mainThreadCpuSeconds(pid);
  const wait0 = runQueueWaitSeconds(pid);
  let reader: Worker | null = null;
  let result: Promise<number> | null = null;
  let readerDone = false;
  if (consumer) {
    reader = new Worker(new URL(import.meta.url), { workerData: { port } });
    result = new Promise<number>((resolve, reject) => {
      reader!.once('message', (m: { bytes: number }) => {
        readerDone = true;
        resolve(m.bytes);
      });
      reader!.once('error', reject);
    });
    await new Promise((r) => reader!.once('online', r));
  }
  const t = performance.now();
  // With a consumer, only while it reads: it stops at the end of the topic.
  const ms = await producerLatencies(producer, () => readerDone);
  reader?.postMessage('stop');
  const bytes = result === null ? 0 : await result;
  const s = (performance.now() - t) / 1000;
  const cpu = mainThreadCpuSeconds(pid) - cpu0;
  const wait = runQueueWaitSeconds(pid) - wait0;
  const reads1 = reads0 === null ? null : await syncReads(broker);
  const sync = reads0 === null || reads1 === null ? '' : `; ${reads1.reads - reads0.reads} sync file reads on the event loop, ${(reads1.ms - reads0.ms).toFixed(0)} ms in them, ${reads1.over1ms - reads0.over1ms} over 1 ms`;
  const read = consumer ? ` (the consumer read ${(bytes / 1048576).toFixed(0)} MiB meanwhile, ${(bytes / 1048576 / s).toFixed(0)} MiB/s)` : '';
  console.log(`${name.padEnd(28)}${summary(ms)} (${ms.length} requests); broker main thread ${(cpu * 1000).toFixed(0)} ms CPU, ${(wait * 1000).toFixed(0)} ms waiting for a CPU in ${(s * 1000).toFixed(0)} ms${read}${sync}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cold-fetch-'));
  const props = join(dir, 'server.properties');
  writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${await freePort()}\nlog.dirs=${join(dir, 'logs')}\noffsets.topic.replication.factor=1\nlog.segment.bytes=1073741824\n`);
  const port = (): number => portOf(props);
  let broker = await startBroker(props);
  try {
    const admin = await PipelinedConnection.open('127.0.0.1', port());
    await createTopic(admin, 'cold', 1);
    await createTopic(admin, 'hot', 1);
    const batch = encodeRecordBatch(createRecordBatch(Array.from({ length: 32 }, () => ({ key: null, value: Buffer.alloc(16 * 1024, 0x61) }))));
    for (let written = 0; written < coldMiB * 1024 * 1024; written += batch.length) await produce(admin, 'cold', Buffer.from(batch));
    admin.socket.destroy();
    await stopBroker(broker);
    broker = await startBroker(props);
    const producer = await PipelinedConnection.open('127.0.0.1', port());
    await producerLatencies(producer); // warm-up: connections, JIT, the hot segment
    console.log(`broker ${root}, cold segment ${coldMiB} MiB, ${requests} produce requests (1 KiB, acks=1)`);
    dropPageCache();
    await phase('producer alone:', broker, producer, port(), false);
    dropPageCache();
    await phase('producer + cold fetch:', broker, producer, port(), true);
    // The control: all of `cold` in the page cache (the cold phase read only part of it).
    for (const f of readdirSync(join(dir, 'logs', 'cold-0'))) readFileSync(join(dir, 'logs', 'cold-0', f));
    await phase('producer + cached fetch:', broker, producer, port(), true);
    producer.socket.destroy();
  } finally {
    await stopBroker(broker);
    rmSync(dir, { recursive: true, force: true });
    rmSync(probeDir, { recursive: true, force: true });
  }
}

/** The consumer's worker thread: fetches `cold` from the start until told to stop, then posts the bytes read. */
async function consumerThread(port: number): Promise<void> {
  let stop = false;
  parentPort!.once('message', () => (stop = true));
  const consumer = await PipelinedConnection.open('127.0.0.1', port);
  const bytes = await coldReader(consumer, () => stop);
  consumer.socket.destroy();
  parentPort!.postMessage({ bytes });
}

function portOf(props: string): number {
  return Number(/listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(props, 'utf8'))![1]);
}

if (isMainThread) await main();
else await consumerThread((workerData as { port: number }).port);
