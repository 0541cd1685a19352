/**
 * End-to-end broker benchmark. Starts `samsa server` as a separate process (file engine when
 * the build has it, else memory), then from this process: the loopback TCP ceiling, pipelined
 * produce (acks 1 and -1, 1 and 8 partitions), consume from a backlog, and end-to-end latency at
 * a fixed rate. Prints the machine and a summary table.
 *
 *   node -C source --import tsx bench/broker.ts [--quick] [--storage auto|file|memory]
 *        [--only loopback,produce,consume,latency] [--profile DIR] [--json FILE]
 *        [--connections 4] [--depth 16] [--fetch-depth 4] [--seconds N] [--broker-build source|dist]
 *        [--tls]   (SSL listener with a throwaway certificate; every bench connection uses TLS)
 *   npm run bench        (compiles, then runs bench/dist/broker.js)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, arch, platform, setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrokerProcess, type BrokerBuild, type StorageKind } from './broker-process.js';
import { formatProfileSummary, readProfile, summarizeProfile } from './profile-summary.js';
import { PipelinedConnection, useTls } from './wire.js';
import {
  makeBatch, runConsume, runLatency, runLoopback, runProduce, RECORDS_PER_BATCH,
  type ConsumeResult, type LatencyResult, type LoopbackResult, type ProduceResult,
} from './workloads.js';

type Phase = 'loopback' | 'produce' | 'consume' | 'latency';
const ALL_PHASES: Phase[] = ['loopback', 'produce', 'consume', 'latency'];

interface Args {
  quick: boolean;
  /** The broker listens with SSL (a throwaway certificate) and every bench connection uses TLS. */
  tls: boolean;
  storage: StorageKind | 'auto';
  only: Set<Phase>;
  profileDir: string | undefined;
  json: string | undefined;
  connections: number;
  depth: number;
  fetchDepth: number;
  seconds: number | undefined;
  build: BrokerBuild | undefined;
  brokerNodeArgs: string[];
  brokerLog: string | undefined;
  /** Scheduling priority (nice) for the broker and this process; negative needs privileges. */
  nice: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, tls: false, storage: 'auto', only: new Set(ALL_PHASES), profileDir: undefined, json: undefined, connections: 4, depth: 16, fetchDepth: 4, seconds: undefined, build: undefined, brokerNodeArgs: [], brokerLog: undefined, nice: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick': a.quick = true; break;
      case '--tls': a.tls = true; break;
      case '--storage': {
        const v = value();
        if (v !== 'auto' && v !== 'file' && v !== 'memory') throw new Error('--storage auto|file|memory');
        a.storage = v;
        break;
      }
      case '--only': {
        const phases = value().split(',');
        for (const p of phases) if (!ALL_PHASES.includes(p as Phase)) throw new Error(`unknown phase ${p} (${ALL_PHASES.join(', ')})`);
        a.only = new Set(phases as Phase[]);
        break;
      }
      case '--profile': a.profileDir = resolve(value()); break;
      case '--json': a.json = resolve(value()); break;
      case '--connections': a.connections = positive(flag, value()); break;
      case '--depth': a.depth = positive(flag, value()); break;
      case '--fetch-depth': a.fetchDepth = positive(flag, value()); break;
      case '--seconds': a.seconds = positive(flag, value()); break;
      case '--nice': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < -20 || n > 19) throw new Error('--nice takes -20..19');
        a.nice = n;
        break;
      }
      case '--broker-log': a.brokerLog = resolve(value()); break;
      case '--broker-node-args': a.brokerNodeArgs = value().split(' ').filter((x) => x !== ''); break;
      case '--broker-build': {
        const v = value();
        if (v !== 'source' && v !== 'dist') throw new Error('--broker-build source|dist');
        a.build = v;
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write('usage: bench/broker.ts [--quick] [--storage auto|file|memory] [--only loopback,produce,consume,latency] [--profile DIR] [--json FILE] [--connections N] [--depth N] [--fetch-depth N] [--seconds N] [--broker-build source|dist] [--broker-node-args "--flag ..."]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
  return n;
}

function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${platform()} ${arch()} kernel ${release()}`;
}

/** Linux PSI: the share of time some runnable task waited for a CPU (avg10/avg60). */
function cpuPressure(): string {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    const m = /avg10=([\d.]+) avg60=([\d.]+)/.exec(line);
    return m === null ? 'unknown' : `some avg10=${m[1]}% avg60=${m[2]}%`;
  } catch {
    return 'unknown';
  }
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');

interface Row {
  benchmark: string;
  mbPerSec: string;
  recordsPerSec: string;
  brokerCpu: string;
  /** MB/s per broker core: throughput per unit of broker CPU, steadier than MB/s on a busy machine. */
  perCore: string;
  benchCpu: string;
  notes: string;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seconds = args.seconds ?? (args.quick ? 2 : 5);
  const warmup = args.quick ? 0.5 : 1;
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  console.log(`Machine: ${machine()}`);
  console.log(`Load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; CPU pressure ${cpuPressure()}`);

  if (args.only.has('loopback')) {
    const r: LoopbackResult = await runLoopback(args.quick ? 1 : 3);
    results['loopback'] = r;
    rows.push({ benchmark: r.name, mbPerSec: fmt(r.mbPerSec), recordsPerSec: '', brokerCpu: '', perCore: '', benchCpu: '', notes: 'two node processes; the ceiling for one connection' });
    console.log(`${r.name}: ${fmt(r.mbPerSec)} MB/s`);
  }

  if (args.profileDir !== undefined) mkdirSync(args.profileDir, { recursive: true });
  const needsBroker = args.only.has('produce') || args.only.has('consume') || args.only.has('latency');
  if (needsBroker) {
    const tls = args.tls ? benchCertificate() : null;
    useTls(tls === null ? null : { ca: tls.cert, servername: 'localhost' });
    const broker = await BrokerProcess.start({
      storage: args.storage,
      ...(tls !== null ? { overrides: { listeners: 'SSL://127.0.0.1:{port}', 'advertised.listeners': 'SSL://127.0.0.1:{port}', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': tls.keystore } } : {}),
      ...(args.build !== undefined ? { build: args.build } : {}),
      nodeArgs: args.brokerNodeArgs,
      ...(args.profileDir !== undefined ? { profileDir: args.profileDir } : {}),
    });
    if (args.nice !== undefined) {
      // On a shared machine this keeps other jobs from preempting the measured processes.
      setPriority(broker.pid, args.nice);
      setPriority(process.pid, args.nice);
    }
    console.log(`Broker: pid ${broker.pid},${args.nice !== undefined ? ` nice ${args.nice},` : ''} ${broker.storage} storage, ${broker.build} build, port ${broker.port}, data dir ${broker.dataDir}`);
    let admin: PipelinedConnection | null = null;
    try {
      admin = await PipelinedConnection.open('127.0.0.1', broker.port);
      // Bounded retention so the memory engine (or the disk) holds at most a few hundred MiB per partition.
      const bounded = { 'segment.bytes': String(64 << 20), 'retention.bytes': String(256 << 20) };
      const common = { connections: args.connections, depth: args.depth, seconds, warmupSeconds: warmup, topicConfigs: bounded, deleteAfter: true };
      if (args.only.has('produce')) {
        for (const [acks, partitions] of [[1, 1], [1, 8], [-1, 1], [-1, 8]] as const) {
          const r: ProduceResult = await runProduce(broker, admin, { ...common, topic: `bench-produce-acks${acks < 0 ? 'all' : acks}-p${partitions}`, partitions, acks });
          results[r.name] = r;
          rows.push({
            benchmark: r.name, mbPerSec: fmt(r.mbPerSec), recordsPerSec: fmt(r.recordsPerSec), brokerCpu: fmt(r.brokerCpu), perCore: fmt(r.mbPerSec / (r.brokerCpu / 100)), benchCpu: fmt(r.benchCpu),
            notes: `broker waited for a CPU ${fmt(r.brokerWaitMsPerSec)} ms/s; ${args.connections} conns x ${args.depth} in flight, ${fmt(r.requestsPerSec)} req/s of ${partitions} x ${r.batchBytes} B`,
          });
          console.log(`${r.name}: ${fmt(r.mbPerSec)} MB/s, ${fmt(r.recordsPerSec)} records/s, ${fmt(r.requestsPerSec)} req/s, broker CPU ${fmt(r.brokerCpu)}%, bench CPU ${fmt(r.benchCpu)}%`);
        }
      }
      if (args.only.has('consume')) {
        const partitions = 8;
        const backlogBytes = args.quick ? 256 << 20 : 1024 << 20;
        const batchBytes = makeBatch(RECORDS_PER_BATCH).length;
        const batchesPerPartition = Math.ceil(backlogBytes / partitions / batchBytes);
        const topic = 'bench-backlog';
        // Fill: 8 batches per request, so batchesPerPartition requests.
        await runProduce(broker, admin, {
          topic, partitions, acks: 1, connections: args.connections, depth: args.depth, seconds: 120, warmupSeconds: 0,
          maxRequests: batchesPerPartition, topicConfigs: { 'segment.bytes': String(256 << 20) }, deleteAfter: false,
        });
        const r: ConsumeResult = await runConsume(broker, {
          topic, partitions, batchesPerPartition, batchBytes, connections: args.connections, depth: args.fetchDepth,
          partitionMaxBytes: 1 << 20, seconds, warmupSeconds: warmup,
        });
        results[r.name] = r;
        rows.push({
          benchmark: r.name, mbPerSec: fmt(r.mbPerSec), recordsPerSec: fmt(r.recordsPerSec), brokerCpu: fmt(r.brokerCpu), perCore: fmt(r.mbPerSec / (r.brokerCpu / 100)), benchCpu: fmt(r.benchCpu),
          notes: `broker waited for a CPU ${fmt(r.brokerWaitMsPerSec)} ms/s; ${fmt(backlogBytes / 2 ** 20)} MiB backlog read ${r.passes.toFixed(1)}x; ${args.connections} conns x ${args.fetchDepth} fetches of ${partitions / args.connections} x 1 MiB`,
        });
        console.log(`${r.name}: ${fmt(r.mbPerSec)} MB/s, ${fmt(r.recordsPerSec)} records/s, ${fmt(r.requestsPerSec)} fetches/s, broker CPU ${fmt(r.brokerCpu)}%, bench CPU ${fmt(r.benchCpu)}%`);
      }
      if (args.only.has('latency')) {
        const r: LatencyResult = await runLatency(broker, admin, { topic: 'bench-latency', recordsPerSec: 10_000, seconds: args.quick ? 3 : 10, warmupSeconds: warmup });
        results[r.name] = r;
        rows.push({
          benchmark: r.name, mbPerSec: fmt((r.achievedRecordsPerSec * 1024) / 1e6, 1), recordsPerSec: fmt(r.achievedRecordsPerSec), brokerCpu: fmt(r.brokerCpu), perCore: '', benchCpu: fmt(r.benchCpu),
          notes: `broker waited for a CPU ${fmt(r.brokerWaitMsPerSec)} ms/s; p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, p99.9 ${fmt(r.p999Ms, 2)} ms, max ${fmt(r.maxMs, 2)} ms (${fmt(r.records)} records in ${fmt(r.batches)} batches)`,
        });
        console.log(`${r.name}: p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, p99.9 ${fmt(r.p999Ms, 2)} ms, max ${fmt(r.maxMs, 2)} ms over ${fmt(r.records)} records; broker waited for a CPU ${fmt(r.brokerWaitMsPerSec)} ms/s`);
      }
    } catch (e) {
      console.error(`benchmark failed: ${e instanceof Error ? e.stack : String(e)}\nbroker log tail:\n${broker.logTail()}`);
      process.exitCode = 1;
    } finally {
      admin?.close();
      await broker.stop(args.brokerLog);
    }
    for (const file of broker.profiles()) {
      const profile = readProfile(file);
      console.log(`\nBroker CPU profile ${file}, whole run:\n`);
      console.log(formatProfileSummary(summarizeProfile(profile, 30)));
      for (const [name, r] of Object.entries(results)) {
        const w = (r as { monotonicUs?: [number, number] }).monotonicUs;
        if (w === undefined) continue;
        console.log(`\nBroker CPU profile, measured window of "${name}":\n`);
        console.log(formatProfileSummary(summarizeProfile(profile, 15, w)));
      }
    }
  }

  console.log(`\nLoad average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\nMachine: ${machine()}\n`);
  console.log('| benchmark | MB/s | records/s | broker CPU % | MB/s per broker core | bench CPU % | notes |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(`| ${r.benchmark} | ${r.mbPerSec} | ${r.recordsPerSec} | ${r.brokerCpu} | ${r.perCore} | ${r.benchCpu} | ${r.notes} |`);
  console.log('\nMB = 10^6 bytes of record batches; CPU % of one core (broker from /proc/<pid>/stat, bench = this load generator).');
  console.log(`CPU pressure (other processes competing for the cores): ${cpuPressure()}`);
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ machine: machine(), args: { ...args, only: [...args.only] }, results }, null, 2));
}

await main();

/** A self-signed EC certificate for localhost (openssl), as a PEM keystore file and the certificate. */
function benchCertificate(): { keystore: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  writeFileSync(join(dir, 'keystore.pem'), readFileSync(join(dir, 'key.pem'), 'utf8') + cert);
  return { keystore: join(dir, 'keystore.pem'), cert };
}
