/**
 * Does a fetch of a cold segment (not in the page cache) raise the latency of a producer on
 * another partition? (issue 9: page-cache-miss reads must not block the event loop.)
 *
 *   node bench/dist/cold-fetch.js [--broker-root DIR] [--cold-mib 512] [--requests 3000] [--probe] [--consumer-mib-s N] [--disk-read-mib-s N]
 *
 * Starts `samsa server` from DIR (default: this checkout; a built checkout of another commit
 * compares builds), fills topic `cold` with --cold-mib MiB, restarts the broker (the data is
 * then older than the process, as after any restart), then times --requests acks=1 produce
 * requests of one 1 KiB record to topic `hot`, one at a time, in four phases: alone; while a
 * consumer fetches `cold` from its start with 1 MiB reads right after `sync; echo 1 >
 * /proc/sys/vm/drop_caches` (needs root): the cold fetch; while a thread of the bench reads the
 * same cold file straight from the disk at the same pace, without the broker: what reading the
 * disk costs this machine, the control for the cold fetch; and while the consumer fetches `cold`
 * again, now in the page cache: the same fetch load without the disk, the control for the
 * fetch's own cost. (The broker reads cold and cached bytes alike: off the event loop, since it
 * cannot know which are in the page cache.) The consumer and the disk reader run in one worker
 * thread (its own event loop: decoding responses does not delay the producer's), started before
 * the phases and warmed up with the first 64 MiB of `cold` (the broker's fetch path and the
 * reader's code compiled, the reader's modules loaded: a thread started inside a phase, right
 * after a page-cache drop, would read its modules from the disk and compile them on the CPUs the
 * producer is timed on, which earlier versions of this bench counted against the cold fetch).
 * Prints p50/p99/max of the produce latency and the broker main thread's CPU time and time
 * spent waiting for a CPU (run queue) per phase: on a shared 2-core machine the latter is what
 * other processes cost the producer. --probe also counts the broker's synchronous file reads
 * and their time per phase (bench/sync-read-probe.ts): time its event loop waited in reads.
 * --consumer-mib-s paces the consumer and the disk reader to N MiB/s (default: as fast as they
 * can): on 2 cores an unpaced consumer's CPU (its own and the broker's work to serve it) raises
 * the producer's latency whether the data is cold or cached; paced, the CPU stays mostly idle.
 * --disk-read-mib-s N makes the disk slow: the bench moves itself (and so the broker it starts)
 * into a block-I/O cgroup that throttles reads from the log dir's disk to N MiB/s (cgroup v1
 * blkio or v2 io.max; needs root). A fast virtual disk otherwise hides what a page-cache miss
 * costs: with N below the consumer's pace, each cold read waits for the disk.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiKey } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { freePort, mainThreadCpuSeconds, repoRoot, runQueueWaitSeconds } from './broker-process.js';
import type { Percentiles } from './sync-read-probe.js';
import { createTopic, PipelinedConnection, produceOne } from './wire.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const root = resolve(arg('--broker-root', repoRoot));
const coldMiB = Number(arg('--cold-mib', '512'));
const requests = Number(arg('--requests', '3000'));
const probe = process.argv.includes('--probe');
const consumerMiBs = Number(arg('--consumer-mib-s', '0'));
const diskReadMiBs = Number(arg('--disk-read-mib-s', '0'));
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

/** Latencies of --requests produce requests, fewer if `stopped` turns true before. */
async function producerLatencies(conn: PipelinedConnection, stopped: () => boolean = () => false): Promise<number[]> {
  const record = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.alloc(1024, 0x62) }]));
  const out: number[] = [];
  for (let i = 0; i < requests && !stopped(); i++) {
    const t = performance.now();
    await produceOne(conn, 'hot', record);
    out.push(performance.now() - t);
  }
  return out;
}

/** Fetches `cold` from offset 0 in 1 MiB reads until stopped (at `mibPerS`, if > 0); returns the bytes read. */
async function coldReader(conn: PipelinedConnection, stop: () => boolean, mibPerS: number, maxBytes = 0): Promise<number> {
  let offset = 0n;
  let bytes = 0;
  const started = performance.now();
  while (!stop() && (maxBytes === 0 || bytes < maxBytes)) {
    await pace(started, bytes, mibPerS);
    if (stop()) break;
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

/** Reads the machine's disks completed so far, and their bytes (/proc/diskstats, whole devices only). */
function diskReads(): { ios: number; bytes: number } {
  let ios = 0;
  let bytes = 0;
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !existsSync(`/sys/block/${f[2]}`)) continue;
    ios += Number(f[3]);
    bytes += Number(f[5]) * 512;
  }
  return { ios, bytes };
}

interface SyncReads {
  reads: number;
  ms: number;
  over1ms: number;
  /** Since the previous answer. */
  poolWrites: Percentiles;
  poolReads: Percentiles;
  loopDelay: Percentiles;
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

/** What a phase's reader thread reads: nothing, `cold` through the broker, or its segment file straight from the disk. */
type Reader = { kind: 'none' } | { kind: 'fetch' } | { kind: 'file'; path: string };

/**
 * The bench's reader thread, started once and warmed up before the phases: a thread started
 * in a phase would load and compile its modules (read from the disk right after a page-cache
 * drop) on the CPUs the producer is timed on, a cost of the bench and not of the broker.
 */
class ReaderThread {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private finished: ((bytes: number) => void) | null = null;

  constructor(port: number) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { port } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('message', () => resolve());
    });
    this.worker.on('message', (m: { bytes?: number }) => {
      if (m.bytes !== undefined) this.finished?.(m.bytes);
    });
  }

  /** Starts a job once the thread is ready; `done` is its bytes, when stopped or at the end of what it reads. */
  async start(job: ReaderJob): Promise<{ done: Promise<number> }> {
    await this.ready;
    const done = new Promise<number>((resolve) => (this.finished = resolve));
    this.worker.postMessage(job);
    return { done };
  }

  stop(): void {
    this.worker.postMessage('stop');
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Times the producer while the reader thread reads (see Reader) from its start; `cold`: the
 * page cache is dropped first (after the reader is ready, just before the timing starts).
 */
async function phase(name: string, broker: ChildProcess, producer: PipelinedConnection, reader: ReaderThread, what: Reader, cold: boolean): Promise<void> {
  const pid = broker.pid!;
  const reads0 = probe ? await syncReads(broker) : null;
  if (cold) dropPageCache();
  const cpu0 = mainThreadCpuSeconds(pid);
  const wait0 = runQueueWaitSeconds(pid);
  const disk0 = diskReads();
  let result: Promise<number> | null = null;
  let readerDone = false;
  if (what.kind !== 'none') {
    result = (await reader.start({ mibPerS: consumerMiBs, file: what.kind === 'file' ? what.path : null, maxBytes: 0 })).done;
    void result.then(() => (readerDone = true));
  }
  const t = performance.now();
  // With a reader, only while it reads: it stops at the end of the topic or file.
  const ms = await producerLatencies(producer, () => readerDone);
  if (result !== null) reader.stop();
  const bytes = result === null ? 0 : await result;
  const s = (performance.now() - t) / 1000;
  const cpu = mainThreadCpuSeconds(pid) - cpu0;
  const wait = runQueueWaitSeconds(pid) - wait0;
  const disk1 = diskReads();
  const disk = `; disk: ${disk1.ios - disk0.ios} reads, ${((disk1.bytes - disk0.bytes) / 1048576).toFixed(0)} MiB`;
  const reads1 = reads0 === null ? null : await syncReads(broker);
  const pct = (what: string, p: Percentiles): string => `${what} p50 ${p.p50.toFixed(2)} p99 ${p.p99.toFixed(2)} max ${p.max.toFixed(1)} ms (${p.n})`;
  const sync = reads0 === null || reads1 === null ? '' : `; ${reads1.reads - reads0.reads} sync file reads on the event loop, ${(reads1.ms - reads0.ms).toFixed(0)} ms in them, ${reads1.over1ms - reads0.over1ms} over 1 ms\n${''.padEnd(28)}${pct('pool writes', reads1.poolWrites)}; ${pct('pool reads', reads1.poolReads)}; ${pct('loop delay', reads1.loopDelay)}`;
  const who = what.kind === 'fetch' ? 'the consumer' : 'the disk reader';
  const read = what.kind !== 'none' ? ` (${who} read ${(bytes / 1048576).toFixed(0)} MiB meanwhile, ${(bytes / 1048576 / s).toFixed(0)} MiB/s)` : '';
  console.log(`${name.padEnd(28)}${summary(ms)} (${ms.length} requests); broker main thread ${(cpu * 1000).toFixed(0)} ms CPU, ${(wait * 1000).toFixed(0)} ms waiting for a CPU in ${(s * 1000).toFixed(0)} ms${read}${disk}${sync}`);
}

/**
 * Moves this process (its threads, and the processes it starts from now on) into a new cgroup
 * whose reads from `dir`'s disk are throttled to `mibPerS`; returns the undo.
 */
function throttleDiskReads(dir: string, mibPerS: number): () => void {
  const dev = statSync(dir).dev;
  let device = `${(dev >> 8) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  // Throttling applies to whole disks: a partition's limit goes on its disk.
  if (existsSync(`/sys/dev/block/${device}/partition`)) device = readFileSync(`/sys/dev/block/${device}/../dev`, 'utf8').trim();
  const bps = Math.round(mibPerS * 1048576);
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const root = v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/blkio';
  const group = join(root, `samsa-cold-fetch-${process.pid}`);
  if (v2) writeFileSync(join(root, 'cgroup.subtree_control'), '+io');
  mkdirSync(group);
  writeFileSync(join(group, v2 ? 'io.max' : 'blkio.throttle.read_bps_device'), v2 ? `${device} rbps=${bps}` : `${device} ${bps}`);
  writeFileSync(join(group, 'cgroup.procs'), String(process.pid));
  return () => {
    writeFileSync(join(root, 'cgroup.procs'), String(process.pid));
    rmdirSync(group);
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cold-fetch-'));
  const undoThrottle = diskReadMiBs > 0 ? throttleDiskReads(dir, diskReadMiBs) : (): void => {};
  const props = join(dir, 'server.properties');
  writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${await freePort()}\nlog.dirs=${join(dir, 'logs')}\noffsets.topic.replication.factor=1\nlog.segment.bytes=1073741824\n`);
  const port = (): number => portOf(props);
  let broker = await startBroker(props);
  let reader: ReaderThread | null = null;
  try {
    const admin = await PipelinedConnection.open('127.0.0.1', port());
    await createTopic(admin, 'cold', 1);
    await createTopic(admin, 'hot', 1);
    const batch = encodeRecordBatch(createRecordBatch(Array.from({ length: 32 }, () => ({ key: null, value: Buffer.alloc(16 * 1024, 0x61) }))));
    for (let written = 0; written < coldMiB * 1024 * 1024; written += batch.length) await produceOne(admin, 'cold', batch);
    admin.socket.destroy();
    await stopBroker(broker);
    broker = await startBroker(props);
    const producer = await PipelinedConnection.open('127.0.0.1', port());
    await producerLatencies(producer); // warm-up: connections, JIT, the hot segment
    // Warm-up of the fetch path (the broker's and the reader's JIT): the first 64 MiB of `cold`.
    reader = new ReaderThread(port());
    await (await reader.start({ mibPerS: 0, file: null, maxBytes: 64 << 20 })).done;
    await producerLatencies(producer); // and what the fetch warm-up leaves to settle (its garbage)
    console.log(`broker ${root}, cold segment ${coldMiB} MiB, ${requests} produce requests (1 KiB, acks=1), consumer ${consumerMiBs > 0 ? `paced to ${consumerMiBs} MiB/s` : 'unpaced'}${diskReadMiBs > 0 ? `, disk reads throttled to ${diskReadMiBs} MiB/s` : ''}`);
    const coldDir = join(dir, 'logs', 'cold-0');
    const coldLog = join(coldDir, readdirSync(coldDir).find((f) => f.endsWith('.log'))!);
    await phase('producer alone:', broker, producer, reader, { kind: 'none' }, true);
    await phase('producer + cold fetch:', broker, producer, reader, { kind: 'fetch' }, true);
    await phase('producer + disk read:', broker, producer, reader, { kind: 'file', path: coldLog }, true);
    // The fetch control: all of `cold` in the page cache (the cold phase read only part of it).
    for (const f of readdirSync(coldDir)) readFileSync(join(coldDir, f));
    await phase('producer + cached fetch:', broker, producer, reader, { kind: 'fetch' }, false);
    producer.socket.destroy();
  } finally {
    try {
      await reader?.close();
      await stopBroker(broker);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(probeDir, { recursive: true, force: true });
      undoThrottle();
    }
  }
}

interface ReaderJob {
  mibPerS: number;
  /** A file to read straight from the disk instead of fetching `cold`. */
  file: string | null;
  /** Stop after this many bytes (0: when told to, or at the end). */
  maxBytes: number;
}

/** Waits until `bytes` are due at `mibPerS` MiB/s since `started` (no wait when unpaced). */
async function pace(started: number, bytes: number, mibPerS: number): Promise<void> {
  if (mibPerS <= 0) return;
  const due = started + (bytes / 1048576 / mibPerS) * 1000;
  if (performance.now() < due) await new Promise((r) => setTimeout(r, due - performance.now()));
}

/** Reads `path` from its start in 1 MiB reads (this thread's own blocking reads) until stopped or at its end. */
async function fileReader(path: string, stop: () => boolean, mibPerS: number): Promise<number> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const started = performance.now();
  let bytes = 0;
  try {
    for (;;) {
      await pace(started, bytes, mibPerS);
      if (stop()) break;
      const n = readSync(fd, buf, 0, buf.length, bytes);
      if (n === 0) break;
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** The reader thread: connects, says it is ready, then runs each job (ReaderJob) until told to stop, posting the bytes read. */
async function readerThread(port: number): Promise<void> {
  const consumer = await PipelinedConnection.open('127.0.0.1', port);
  let stop = false;
  const jobs: ReaderJob[] = [];
  let wake: (() => void) | null = null;
  parentPort!.on('message', (m: ReaderJob | 'stop') => {
    if (m === 'stop') stop = true;
    else jobs.push(m);
    wake?.();
  });
  parentPort!.postMessage({ ready: true });
  for (;;) {
    while (jobs.length === 0) await new Promise<void>((r) => (wake = r));
    const job = jobs.shift()!;
    stop = false;
    const stopped = (): boolean => stop;
    const bytes = job.file !== null ? await fileReader(job.file, stopped, job.mibPerS) : await coldReader(consumer, stopped, job.mibPerS, job.maxBytes);
    parentPort!.postMessage({ bytes });
  }
}

function portOf(props: string): number {
  return Number(/listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(props, 'utf8'))![1]);
}

if (isMainThread) await main();
else await readerThread((workerData as { port: number }).port);
