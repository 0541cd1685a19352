/**
 * @samsa/client against kafkajs, @platformatic/kafka and librdkafka (confluent-kafka from
 * /usr/bin/python3), in one run against one `samsa server` process (ephemeral port, own data
 * dir). Every client phase runs in its own child process, which reports the wall time and its
 * own CPU seconds for the timed section; CPU-s/GB is the figure to compare on a shared machine.
 *
 *   npx tsc -b && node packages/client/dist/bench/compare.js [--records 100000] [--size 1024]
 *     [--partitions 8] [--runs 1] [--only samsa,kafkajs,...] [--profile DIR]
 *
 * Producers each write their own topic; every consumer reads the topic @samsa/client produced
 * (same bytes for all), in its own consumer group, from the earliest offset: the consume time
 * includes joining the group. `first record` is the time from subscribe to the first record.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../src/admin.js';
import { Cluster } from '../src/cluster.js';
import { findCoordinator } from '../src/group/coordinator.js';
import { Consumer } from '../src/consumer.js';
import { Producer } from '../src/producer.js';

const require = createRequire(import.meta.url);
const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const repoRoot = fileURLToPath(new URL(fromSource ? '../../..' : '../../../..', import.meta.url));

interface WorkerResult {
  seconds: number;
  cpuSeconds: number;
  records: number;
  firstRecordSeconds?: number | null;
  /** Minor page faults in the timed section (Node workers only). */
  minorFaults?: number;
}

type Phase = 'produce' | 'consume';

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// ---- workers (child processes) ------------------------------------------------------------------

async function worker(client: string, phase: Phase, bootstrap: string, topic: string, records: number, size: number): Promise<WorkerResult> {
  const value = Buffer.alloc(size, 'x');
  const CHUNK = 1000;
  const t0 = performance.now();
  const c0 = cpuNow();
  const f0 = process.resourceUsage().minorPageFault;
  let first: number | null = null;
  const done = (n: number): WorkerResult => ({ seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuNow() - c0, records: n, firstRecordSeconds: first, minorFaults: process.resourceUsage().minorPageFault - f0 });
  const seen = (): void => {
    if (first === null) first = (performance.now() - t0) / 1000;
  };
  const deadline = Date.now() + 180_000;
  if (client === 'samsa' && phase === 'produce') {
    const p = new Producer({ bootstrapServers: bootstrap });
    await p.connect();
    for (let i = 0; i < records; i++) {
      const wait = p.produce(topic, value, `k${i}`);
      if (wait !== undefined) await wait;
    }
    await p.flush();
    const r = done(records);
    await p.close();
    return r;
  }
  if ((client === 'samsa' || client === 'samsa-poll') && phase === 'consume') {
    const c = new Consumer({ bootstrapServers: bootstrap, groupId: `bench-${client}`, autoOffsetReset: 'earliest' });
    c.subscribe([topic]);
    let n = 0;
    let bytes = 0;
    if (client === 'samsa') {
      for await (const m of c) {
        seen();
        bytes += m.value!.length;
        if (++n >= records || Date.now() > deadline) break;
      }
    } else {
      while (n < records && Date.now() < deadline) {
        for (const b of await c.poll(500)) {
          seen();
          for (const m of b.messages) bytes += m.value!.length;
          n += b.messages.length;
        }
      }
    }
    const r = done(n);
    await c.close();
    return r;
  }
  if (client === 'kafkajs') {
    const { Kafka, logLevel, Partitioners } = require('kafkajs');
    const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    if (phase === 'produce') {
      const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
      await p.connect();
      const inflight: Array<Promise<unknown>> = [];
      for (let i = 0; i < records; i += CHUNK) {
        inflight.push(p.send({ topic, acks: -1, messages: Array.from({ length: Math.min(CHUNK, records - i) }, (_, j) => ({ key: `k${i + j}`, value })) }));
        if (inflight.length >= 8) await inflight.shift();
      }
      await Promise.all(inflight);
      const r = done(records);
      await p.disconnect();
      return r;
    }
    const kc = kafka.consumer({ groupId: 'bench-kafkajs', maxBytesPerPartition: 1048576 });
    await kc.connect();
    await kc.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 180_000);
      void kc.run({
        eachBatch: async ({ batch }: { batch: { messages: Array<{ value: Buffer }> } }) => {
          seen();
          for (const m of batch.messages) void m.value.length;
          n += batch.messages.length;
          if (n >= records) {
            clearTimeout(t);
            resolve();
          }
        },
      });
    });
    const r = done(n);
    await kc.disconnect();
    return r;
  }
  if (client === 'platformatic') {
    const { Producer: PProducer, Consumer: PConsumer } = require('@platformatic/kafka');
    if (phase === 'produce') {
      const p = new PProducer({ clientId: 'bench', bootstrapBrokers: [bootstrap], acks: -1 });
      const inflight: Array<Promise<unknown>> = [];
      for (let i = 0; i < records; i += CHUNK) {
        inflight.push(p.send({ messages: Array.from({ length: Math.min(CHUNK, records - i) }, (_, j) => ({ topic, key: Buffer.from(`k${i + j}`), value })) }));
        if (inflight.length >= 8) await inflight.shift();
      }
      await Promise.all(inflight);
      const r = done(records);
      await p.close();
      return r;
    }
    const pc = new PConsumer({ groupId: 'bench-platformatic', clientId: 'bench', bootstrapBrokers: [bootstrap] });
    let n = 0;
    const stream = await pc.consume({ topics: [topic], mode: 'earliest', autocommit: true });
    for await (const m of stream) {
      seen();
      void (m as { value: Buffer }).value.length;
      if (++n >= records || Date.now() > deadline) break;
    }
    const r = done(n);
    await stream.close();
    await pc.close(true);
    return r;
  }
  throw new Error(`unknown worker ${client} ${phase}`);
}

// ---- orchestration ------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

function runChild(cmd: string, args: string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as WorkerResult);
      } catch (err) {
        reject(new Error(`${args.join(' ')}: ${(err as Error).message} ${out.slice(-500)}`));
      }
    });
  });
}

async function startServer(): Promise<{ bootstrap: string; stop(): Promise<void>; pid: number }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-compare-'));
  const entry = join(repoRoot, 'packages/cli/dist/src/bin/samsa.js');
  const overrides = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': join(dataDir, 'logs'),
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': '0',
  };
  const args = [entry, 'server', ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const bootstrap = `127.0.0.1:${port}`;
  const admin = new Admin({ bootstrapServers: bootstrap, reconnectBackoffMaxMs: 200 });
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.listTopics();
      break;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await admin.close();
  // The first group lookup creates __consumer_offsets: do it now, so no client's first-record time pays for it.
  const cluster = new Cluster({ bootstrapServers: bootstrap });
  await findCoordinator(cluster, 'compare-warm-up', 0, 30_000);
  cluster.close();
  return {
    bootstrap,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function argOf(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

async function main(): Promise<void> {
  const records = Number(argOf('records', '100000'));
  const size = Number(argOf('size', '1024'));
  const partitions = Number(argOf('partitions', '8'));
  const runs = Number(argOf('runs', '1'));
  const profileDir = process.argv.includes('--profile') ? argOf('profile', '') : null;
  const producers = ['samsa', 'kafkajs', 'platformatic', 'librdkafka'];
  const consumers = ['samsa', 'samsa-poll', 'kafkajs', 'platformatic', 'librdkafka'];
  const only = process.argv.includes('--only') ? new Set(argOf('only', '').split(',')) : null;
  const server = await startServer();
  const admin = new Admin({ bootstrapServers: server.bootstrap });
  const GB = (records * size) / 1e9;
  const results = new Map<string, WorkerResult[]>();
  const label: Record<string, string> = {
    samsa: '@samsa/client',
    'samsa-poll': '@samsa/client poll()',
    kafkajs: 'kafkajs',
    platformatic: '@platformatic/kafka',
    librdkafka: 'librdkafka (confluent-kafka)',
  };
  const phaseLabel = (c: string, phase: Phase): string =>
    phase === 'produce' ? `${label[c]} ${c === 'samsa' ? 'produce()' : c === 'librdkafka' ? 'produce()+flush' : 'send() x1000'}` : `${label[c]} ${c === 'samsa' ? 'for await' : c === 'kafkajs' ? 'eachBatch' : c === 'platformatic' ? 'stream' : c === 'librdkafka' ? 'consume(10000)' : ''}`;
  const run = async (c: string, phase: Phase, topic: string): Promise<void> => {
    const a = [String(records), String(size)];
    const r = c === 'librdkafka'
      ? await runChild('/usr/bin/python3', [join(repoRoot, 'packages/client/bench/confluent-worker.py'), phase, server.bootstrap, topic, ...a])
      : await runChild(process.execPath, [...process.execArgv, ...(profileDir && c.startsWith('samsa') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), here, '--worker', c, phase, server.bootstrap, topic, ...a]);
    const k = `${phase}\u0000${c}`;
    results.set(k, [...(results.get(k) ?? []), r]);
    console.error(`${phaseLabel(c, phase)}: ${r.records} records, ${(GB * 1000 / r.seconds).toFixed(0)} MB/s, ${(r.cpuSeconds / GB).toFixed(2)} CPU-s/GB${r.minorFaults !== undefined ? `, ${(r.minorFaults / GB / 1000).toFixed(0)}k faults/GB` : ''}${r.firstRecordSeconds != null ? `, first record ${(r.firstRecordSeconds * 1000).toFixed(0)} ms` : ''}`);
  };
  try {
    for (let i = 0; i < runs; i++) {
      const topics = producers.map((c) => `compare-${c}-${i}`);
      await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })) });
      for (const c of producers) if (only === null || only.has(c)) await run(c, 'produce', `compare-${c}-${i}`);
      const source = `compare-samsa-${i}`;
      if (only !== null && !only.has('samsa')) {
        const p = new Producer({ bootstrapServers: server.bootstrap });
        await p.connect();
        const v = Buffer.alloc(size, 'x');
        for (let j = 0; j < records; j++) {
          const w = p.produce(source, v, `k${j}`);
          if (w !== undefined) await w;
        }
        await p.close();
      }
      for (const c of consumers) if (only === null || only.has(c) || (c === 'samsa-poll' && only.has('samsa'))) await run(c, 'consume', source);
    }
  } finally {
    await admin.close();
    await server.stop();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`\n${records} records x ${size} B (${(GB * 1000).toFixed(0)} MB), ${partitions} partitions, acks=all, one \`samsa server\` process; medians of ${runs} run(s).`);
  console.log(`Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} at the end.\n`);
  console.log('| phase | client | MB/s | client CPU-s/GB | vs librdkafka CPU | minor faults/GB | first record |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const phase of ['produce', 'consume'] as Phase[]) {
    const base = results.get(`${phase}\u0000librdkafka`);
    const baseCpu = base === undefined ? null : median(base.map((r) => r.cpuSeconds / GB));
    for (const c of phase === 'produce' ? producers : consumers) {
      const rs = results.get(`${phase}\u0000${c}`);
      if (rs === undefined) continue;
      const cpu = median(rs.map((r) => r.cpuSeconds / GB));
      const mbps = median(rs.map((r) => (GB * 1000) / r.seconds));
      const firsts = rs.map((r) => r.firstRecordSeconds).filter((x): x is number => typeof x === 'number');
      const faults = rs.map((r) => r.minorFaults).filter((x): x is number => typeof x === 'number');
      console.log(`| ${phase} | ${phaseLabel(c, phase)} | ${mbps.toFixed(0)} | ${cpu.toFixed(2)} | ${baseCpu === null ? '–' : `${(cpu / baseCpu).toFixed(2)}x`} | ${faults.length > 0 ? `${(median(faults) / GB / 1000).toFixed(0)}k` : ''} | ${firsts.length > 0 ? `${(median(firsts) * 1000).toFixed(0)} ms` : ''} |`);
    }
  }
}

if (process.argv[2] === '--worker') {
  const [, , , client, phase, bootstrap, topic, records, size] = process.argv;
  const r = await worker(client!, phase as Phase, bootstrap!, topic!, Number(records), Number(size));
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
} else {
  await main();
}
