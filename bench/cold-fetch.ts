/**
 * Does a fetch of a cold segment (not in the page cache) raise the latency of a producer on
 * another partition? (issue 9: page-cache-miss reads must not block the event loop.)
 *
 *   node bench/dist/cold-fetch.js [--broker-root DIR] [--cold-mib 512] [--requests 3000]
 *
 * Starts `samsa server` from DIR (default: this checkout; a built checkout of another commit
 * compares builds), fills topic `cold` with --cold-mib MiB, restarts the broker (the data is
 * then older than the process, as after any restart), then twice: fsync + drop the page cache
 * (`echo 1 > /proc/sys/vm/drop_caches`, needs root) and time --requests acks=1 produce requests
 * of one 1 KiB record to topic `hot`, one at a time, first alone, then while a consumer fetches
 * `cold` from its start with 1 MiB reads. Prints p50/p99/max of the produce latency.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { freePort, repoRoot } from './broker-process.js';
import { createTopic, PipelinedConnection } from './wire.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const root = resolve(arg('--broker-root', repoRoot));
const coldMiB = Number(arg('--cold-mib', '512'));
const requests = Number(arg('--requests', '3000'));

async function startBroker(props: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'packages/cli/dist/src/bin/samsa.js'), 'server', props], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SAMSA_LOG: 'WARN' } });
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

async function producerLatencies(conn: PipelinedConnection): Promise<number[]> {
  const record = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.alloc(1024, 0x62) }]));
  const out: number[] = [];
  for (let i = 0; i < requests; i++) {
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
    const consumer = await PipelinedConnection.open('127.0.0.1', port());
    await producerLatencies(producer); // warm-up: connections, JIT, the hot segment
    dropPageCache();
    console.log(`broker ${root}, cold segment ${coldMiB} MiB, ${requests} produce requests (1 KiB, acks=1)`);
    console.log(`producer alone:             ${summary(await producerLatencies(producer))}`);
    dropPageCache();
    let done = false;
    const reading = coldReader(consumer, () => done);
    const t = performance.now();
    const withCold = await producerLatencies(producer);
    done = true;
    const bytes = await reading;
    console.log(`producer + cold fetch:      ${summary(withCold)} (the consumer read ${(bytes / 1048576).toFixed(0)} MiB meanwhile, ${(bytes / 1048576 / ((performance.now() - t) / 1000)).toFixed(0)} MiB/s)`);
    producer.socket.destroy();
    consumer.socket.destroy();
  } finally {
    await stopBroker(broker);
    rmSync(dir, { recursive: true, force: true });
  }
}

function portOf(props: string): number {
  return Number(/listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(props, 'utf8'))![1]);
}

await main();
