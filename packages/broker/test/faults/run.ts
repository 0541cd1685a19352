/**
 * One fault-suite run (and, as a program, the soak: `npm run faults -- --runs N --seed S`):
 * a fresh 3-broker cluster (RF 3, min.insync.replicas 2) in its own namespaces, an idempotent
 * acks=all confluent-kafka producer and a committing consumer group, the seed's fault schedule,
 * heal, read back, check. A failing run's history is saved under `historyDir`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, type Ack, type CheckReport, type Commit, type FaultWindow, type Rec } from './checker.js';
import { FaultCluster, repoRoot, SESSION_TIMEOUT_MS, ZooKeeperProcess } from './cluster.js';
import { pickSubnet, TestNetwork } from './network.js';
import { ALL_FAULT_KINDS, CUT_BEFORE_KILL_MS, FAULT_KINDS, scheduleFor, type FaultKind, type ScheduledFault } from './schedule.js';
import { freePort } from '../../src/testkit/index.js';

const workloadPy = join(repoRoot, 'packages', 'broker', 'test', 'faults', 'workload.py');
const clientProducer = join(repoRoot, 'packages', 'broker', 'test', 'faults', 'client-producer.mjs');
const BROKERS = 3;
const TOPIC = 'faults';
const PARTITIONS = 3;

type Event = Record<string, unknown> & { t: string };

/** Runs workload.py (confluent-kafka), collecting its JSON lines. */
function python(args: string[], timeoutMs: number): Promise<{ events: Event[]; stderr: string; code: number | null }> {
  return collect('/usr/bin/python3', [workloadPy, ...args], timeoutMs);
}

/** Runs a workload process whose stdout is one JSON event a line. */
function collect(cmd: string, args: string[], timeoutMs: number): Promise<{ events: Event[]; stderr: string; code: number | null }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
      done({ events, stderr, code });
    });
  });
}

/** The shared part of a soak: the network and ZooKeeper. */
export class FaultHarness {
  private constructor(readonly net: TestNetwork, readonly zk: ZooKeeperProcess, readonly dir: string) {}

  static async open(): Promise<FaultHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-faults-'));
    const net = new TestNetwork(pickSubnet());
    try {
      for (let id = 1; id <= BROKERS; id++) net.addNode(id);
      const zk = new ZooKeeperProcess(join(dir, 'zookeeper'), net.hostAddress, await freePort());
      await zk.start();
      // Namespaces and links go however this process ends (the next run also removes stale ones).
      process.once('exit', () => net.destroy());
      return new FaultHarness(net, zk, dir);
    } catch (e) {
      net.destroy();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.zk.stop();
    this.net.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RunOptions {
  seed: number;
  workloadMs?: number;
  /** Extra broker environment (the test-only unsafe switch). */
  brokerEnv?: Record<string, string>;
  kinds?: FaultKind[];
  /** Where a failing run's history goes. */
  historyDir?: string;
  log?: (line: string) => void;
}

export interface RunResult {
  seed: number;
  faults: ScheduledFault[];
  report: CheckReport;
  written: number;
  /** Offsets the consumer group committed (acknowledged commits). */
  commits: number;
  historyFile: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function inject(f: ScheduledFault, cluster: FaultCluster, net: TestNetwork): Promise<void> {
  const others = cluster.ids.filter((id) => id !== f.broker);
  switch (f.kind) {
    case 'kill':
      return cluster.kill(f.broker);
    case 'pause':
      return cluster.pause(f.broker);
    case 'isolate':
      return net.isolate(f.broker);
    case 'partition-brokers':
      for (const o of others) {
        net.dropFrom(f.broker, net.address(o));
        net.dropFrom(o, net.address(f.broker));
      }
      return;
    case 'one-way-to-brokers':
      for (const o of others) net.dropFrom(f.broker, net.address(o));
      return;
    case 'cut-from-store':
      return net.dropFrom(f.broker, net.hostAddress);
    case 'cut-then-kill':
      for (const o of others) {
        net.dropFrom(f.broker, net.address(o));
        net.dropFrom(o, net.address(f.broker));
      }
      await sleep(CUT_BEFORE_KILL_MS);
      return cluster.kill(f.broker);
  }
}

export async function runOnce(h: FaultHarness, opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const workloadMs = opts.workloadMs ?? 16000;
  const faults = scheduleFor(opts.seed, BROKERS, workloadMs - 4000, SESSION_TIMEOUT_MS, 2, opts.kinds);
  const runDir = join(h.dir, `run-${opts.seed}-${Date.now()}`);
  mkdirSync(runDir);
  const cluster = new FaultCluster(h.net, runDir, `${h.zk.address}:${h.zk.port}/run-${opts.seed}-${Date.now()}`, BROKERS, { env: opts.brokerEnv });
  const windows: FaultWindow[] = [];
  const timeline: string[] = [];
  const t0 = Date.now();
  const note = (s: string): void => {
    timeline.push(`${Date.now() - t0} ms ${s}`);
    log(`seed ${opts.seed}: ${s}`);
  };
  try {
    await cluster.start();
    note(`brokers up: ${cluster.bootstrap}`);
    const created = await python(['create', cluster.bootstrap, TOPIC, String(PARTITIONS), String(BROKERS)], 90000);
    if (!created.events.some((e) => e.t === 'created')) throw new Error(`topic not created: ${created.stderr}`);
    const seconds = String(workloadMs / 1000);
    const start = Date.now();
    const producing = python(['produce', cluster.bootstrap, TOPIC, `w${opts.seed}`, '12', seconds], workloadMs + 120000);
    const clientProducing = collect(process.execPath, [clientProducer, cluster.bootstrap, TOPIC, `c${opts.seed}`, '12', seconds], workloadMs + 120000);
    const consuming = python(['consume', cluster.bootstrap, TOPIC, 'faults-group', seconds], workloadMs + 120000);
    for (const f of faults) {
      await sleep(Math.max(0, start + f.atMs - Date.now()));
      const startMs = Date.now();
      note(`inject ${f.kind} broker ${f.broker} for ${f.durationMs} ms`);
      await inject(f, cluster, h.net);
      await sleep(f.durationMs);
      h.net.heal();
      await cluster.heal();
      windows.push({ kind: f.kind, startMs, endMs: Date.now() });
      note(`healed ${f.kind} broker ${f.broker}`);
    }
    const [produced, clientProduced, consumed] = await Promise.all([producing, clientProducing, consuming]);
    note(`workload done`);
    const producerEvents = [...produced.events, ...clientProduced.events];
    const acks = producerEvents.filter((e) => e.t === 'ack') as unknown as Ack[];
    const commits = consumed.events.filter((e) => e.t === 'commit') as unknown as Commit[];
    const written = producerEvents.filter((e) => e.t === 'done').reduce((n, e) => n + ((e['sent'] as number | undefined) ?? 0), 0);
    if (!clientProduced.events.some((e) => e.t === 'done')) throw new Error(`the @samsa/client producer did not finish: ${clientProduced.stderr}`);

    // Right after an election the new leader's HW can trail what the old one acknowledged
    // until followers fetch again: read back until the check passes or 20 s have gone by.
    let report!: CheckReport;
    let readBack: Event[] = [];
    const deadline = Date.now() + 20000;
    for (;;) {
      const read = await python(['read', cluster.bootstrap, TOPIC, 'faults-group'], 120000);
      readBack = read.events;
      const records = readBack.filter((e) => e.t === 'rec') as unknown as Rec[];
      const committed = new Map(readBack.filter((e) => e.t === 'committed').map((e) => [e['p'] as number, e['o'] as number]));
      report = check({ acks, records, commits, committed, faults: windows });
      if (report.ok || Date.now() > deadline) break;
      await sleep(2000);
    }
    note(`checked: ${JSON.stringify({ ...report, lost: report.lost.length, duplicated: report.duplicated.length })}`);
    let historyFile: string | null = null;
    if (!report.ok && opts.historyDir !== undefined) {
      mkdirSync(opts.historyDir, { recursive: true });
      historyFile = join(opts.historyDir, `seed-${opts.seed}.json`);
      writeFileSync(historyFile, JSON.stringify({ seed: opts.seed, faults, timeline, report, produced: producerEvents, consumed: consumed.events, readBack, brokerLogs: cluster.logs() }, null, 1));
    }
    return { seed: opts.seed, faults, report, written, commits: commits.length, historyFile };
  } finally {
    h.net.heal();
    await cluster.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : def;
  };
  const runs = arg('runs', 10);
  const seed = arg('seed', 1);
  const workloadMs = arg('workload-ms', 16000);
  const kindsArg = argv.indexOf('--kinds');
  const kinds = kindsArg >= 0 ? (argv[kindsArg + 1]!.split(',') as FaultKind[]) : FAULT_KINDS;
  for (const k of kinds) if (!ALL_FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${k}; kinds: ${ALL_FAULT_KINDS.join(', ')}`);
  const historyDir = resolve(process.cwd(), 'faults-history');
  const h = await FaultHarness.open();
  const onSignal = (): void => {
    void h.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const totals = { acknowledged: 0, lost: 0, duplicated: 0, reordered: 0, moved: 0, committedLost: 0, written: 0, faults: 0, failed: [] as number[] };
  const recovery: number[] = [];
  const byKind = new Map<string, number>();
  try {
    for (let i = 0; i < runs; i++) {
      const s = seed + i;
      let r: RunResult;
      try {
        r = await runOnce(h, { seed: s, workloadMs, historyDir, kinds });
      } catch (e) {
        console.log(`seed ${s}: harness error: ${(e as Error).message.split('\n')[0]}`);
        totals.failed.push(s);
        continue;
      }
      totals.acknowledged += r.report.acknowledged;
      totals.lost += r.report.lost.length;
      totals.duplicated += r.report.duplicated.length;
      totals.reordered += r.report.reordered.length;
      totals.moved += r.report.offsetsMoved.length;
      totals.committedLost += r.report.committedLost.length;
      totals.written += r.written;
      totals.faults += r.faults.length;
      for (const f of r.faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
      for (const ms of r.report.recoveryMs) if (ms !== null) recovery.push(ms);
      if (!r.report.ok) totals.failed.push(s);
      console.log(`seed ${s}: ${r.report.ok ? 'ok' : 'FAILED'} faults ${r.faults.map((f) => `${f.kind}(${f.broker},${f.durationMs}ms)`).join(' ')} written ${r.written} commits ${r.commits} acknowledged ${r.report.acknowledged} (${r.report.withoutOffset} without offset) lost ${r.report.lost.length} duplicated ${r.report.duplicated.length} reordered ${r.report.reordered.length} moved ${r.report.offsetsMoved.length} committed lost ${r.report.committedLost.length} recovery ${r.report.recoveryMs.join('/')} ms${r.historyFile !== null ? ` history ${r.historyFile}` : ''}`);
    }
  } finally {
    await h.close();
  }
  console.log(`faults by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`records written ${totals.written}, faults ${totals.faults}, recovery p50 ${percentile(recovery, 0.5)} ms p99 ${percentile(recovery, 0.99)} ms, reordered ${totals.reordered}, offsets moved ${totals.moved}, failing seeds: ${totals.failed.join(' ') || 'none'}`);
  console.log(`runs: ${runs}, acknowledged: ${totals.acknowledged}, lost: ${totals.lost}, duplicated: ${totals.duplicated}, committed offsets lost: ${totals.committedLost}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}

