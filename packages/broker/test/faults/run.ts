/**
 * One fault-suite run (and, as a program, the soak: `npm run faults -- --runs N --seed S`):
 * a fresh 3-broker cluster (RF 3, min.insync.replicas 2) in its own namespaces on a 3-member
 * ZooKeeper ensemble, idempotent acks=all producers (confluent-kafka and @samsa/client),
 * committing consumer groups (confluent-kafka and @samsa/client), optionally an exactly-once
 * consume-transform-produce workload, the seed's fault schedule, heal, read back, check. A
 * failing run's history is saved under `historyDir`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, checkExactlyOnce, type Ack, type CheckReport, type Commit, type ExactlyOnceReport, type FaultWindow, type Rec } from './checker.js';
import { BROKER_PORT, FaultCluster, repoRoot, SESSION_TIMEOUT_MS, ZooKeeperEnsemble } from './cluster.js';
import { pickSubnet, TestNetwork } from './network.js';
import { ALL_FAULT_KINDS, CUT_BEFORE_KILL_MS, FAULT_KINDS, scheduleFor, type FaultKind, type ScheduledFault } from './schedule.js';

const workloadPy = join(repoRoot, 'packages', 'broker', 'test', 'faults', 'workload.py');
const clientScript = (name: string): string => join(repoRoot, 'packages', 'broker', 'test', 'faults', name);
const BROKERS = 3;
/** The network nodes of the ZooKeeper members (addresses 10.213.x.21-23). */
const ZK_NODES = [11, 12, 13];
const TOPIC = 'faults';
const PARTITIONS = 3;
const TXN_IN = 'faults-txn-in';
const TXN_OUT = 'faults-txn-out';
const TXN_GROUP = 'faults-txn';
const GROUP = 'faults-group';
const CLIENT_GROUP = 'faults-client-group';
/** Input records of the transactional workload per second of workload (it processes ~150/s). */
const TXN_INPUT_PER_SECOND = 100;

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

/** The shared part of a soak: the network and the ZooKeeper ensemble. */
export class FaultHarness {
  private constructor(readonly net: TestNetwork, readonly zk: ZooKeeperEnsemble, readonly dir: string) {}

  static async open(): Promise<FaultHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-faults-'));
    const net = new TestNetwork(pickSubnet());
    try {
      for (let id = 1; id <= BROKERS; id++) net.addNode(id);
      for (const id of ZK_NODES) net.addNode(id);
      const zk = new ZooKeeperEnsemble(net, join(dir, 'zookeeper'), ZK_NODES);
      // Namespaces and links go however this process ends (the next run also removes stale ones).
      process.once('exit', () => net.destroy());
      try {
        await zk.start();
      } catch (e) {
        await zk.stop();
        throw e;
      }
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
  /** This schedule instead of the seed's (a regression test of one precise fault). */
  schedule?: ScheduledFault[];
  /** ZooKeeper members (1-3) in the order broker `id`'s zookeeper.connect lists them (default 1,2,3 for all). */
  zkMembersFor?: (id: number) => number[];
  /** Called once the brokers are up and again after the read-back (e.g. to look at the store). */
  probe?: (when: 'started' | 'checked', cluster: FaultCluster) => Promise<void>;
  /** Run the exactly-once consume-transform-produce workload (always on when the schedule has `txn-kill`). */
  transactional?: boolean;
  /** Where a failing run's history goes. */
  historyDir?: string;
  /** Save the history of passing runs too (to study what a fault did). */
  keepHistory?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  seed: number;
  faults: ScheduledFault[];
  report: CheckReport;
  /** The exactly-once check (null: no transactional workload in this run). */
  exactlyOnce: ExactlyOnceReport | null;
  /** Transactions committed and aborted by the transactional workload. */
  transactions: { committed: number; aborted: number } | null;
  /** What the faults showed that is not a check (e.g. the coordinator and leader a txn-kill hit). */
  observations: string[];
  written: number;
  /** Offsets the consumer group committed (acknowledged commits). */
  commits: number;
  /** Per broker, its log lines about its ZooKeeper session (fenced, timed out, reconnected, expired). */
  sessionLines: Map<number, string[]>;
  historyFile: string | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RunContext {
  cluster: FaultCluster;
  h: FaultHarness;
  txnId: string;
  note: (s: string) => void;
}

/** Runs client-admin.mjs (@samsa/client's admin) for one lookup. */
async function clientAdmin(bootstrap: string, ...args: string[]): Promise<Event | undefined> {
  const r = await collect(process.execPath, [clientScript('client-admin.mjs'), bootstrap, ...args], 30000);
  return r.events[0];
}

/** Undoes the faults `inject` made that the network and cluster heal do not. */
type Undo = () => Promise<void> | void;

async function inject(f: ScheduledFault, ctx: RunContext): Promise<Undo | void> {
  const { cluster, h } = ctx;
  const net = h.net;
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
      for (const a of h.zk.addresses) net.dropFrom(f.broker, a);
      return;
    case 'cut-then-kill':
      for (const o of others) {
        net.dropFrom(f.broker, net.address(o));
        net.dropFrom(o, net.address(f.broker));
      }
      await sleep(CUT_BEFORE_KILL_MS);
      return cluster.kill(f.broker);
    case 'clock-skew': {
      // The broker's wall clock jumps `amount` minutes; another broker's the other way.
      const other = others[0]!;
      cluster.skew(f.broker, f.amount * 60);
      cluster.skew(other, -f.amount * 60);
      ctx.note(`clock of broker ${f.broker} ${f.amount > 0 ? '+' : ''}${f.amount} min, broker ${other} ${-f.amount > 0 ? '+' : ''}${-f.amount} min`);
      return () => {
        cluster.skew(f.broker, 0);
        cluster.skew(other, 0);
      };
    }
    case 'zk-kill':
      return h.zk.kill(f.broker);
    case 'zk-pause':
      return h.zk.pause(f.broker);
    case 'zk-leader-kill':
    case 'zk-leader-pause': {
      const leader = (await h.zk.leader()) ?? f.broker;
      ctx.note(`ZooKeeper leader is member ${leader}`);
      if (f.kind === 'zk-leader-kill') return h.zk.kill(leader);
      return h.zk.pause(leader);
    }
    case 'zk-quorum-loss': {
      // Two of three members stopped (the leader among them): no quorum until they resume.
      const leader = (await h.zk.leader()) ?? f.broker;
      const second = h.zk.ids.find((m) => m !== leader && m !== f.broker) ?? h.zk.ids.find((m) => m !== leader)!;
      ctx.note(`ZooKeeper quorum lost: members ${leader} (leader) and ${second} stopped`);
      h.zk.pause(leader);
      h.zk.pause(second);
      return;
    }
    case 'loss-between-brokers':
      net.loss(f.broker, others.map((o) => net.address(o)), f.amount);
      return () => ctx.note(`loss rules dropped ${net.dropped(f.broker)} packets`);
    case 'delay-between-brokers':
      await net.delay(f.broker, others, BROKER_PORT, f.amount);
      return () => {
        const { connections, bytes } = net.relayed();
        ctx.note(`delay relays passed on ${connections} connections, ${bytes} bytes`);
      };
    case 'txn-kill': {
      // kill -9 the transaction coordinator's broker, then a leader of an output partition that
      // is another broker, both mid-transaction; both restart when the fault ends.
      const coord = await clientAdmin(cluster.bootstrap, 'txn-coordinator', ctx.txnId);
      const leaders = await clientAdmin(cluster.bootstrap, 'leaders', TXN_OUT);
      const coordinator = typeof coord?.['id'] === 'number' && coord['id'] > 0 ? coord['id'] : f.broker;
      const outLeaders = Object.values((leaders?.['leaders'] as Record<string, number> | undefined) ?? {});
      const leader = outLeaders.find((l) => l !== coordinator && l > 0) ?? others[0]!;
      ctx.note(`transaction coordinator: broker ${coordinator} (${coord?.['state'] ?? coord?.['error']}); output leaders ${outLeaders.join(',')}; killing ${coordinator} then ${leader}`);
      await cluster.kill(coordinator);
      await sleep(500);
      return cluster.kill(leader);
    }
  }
}

/** The kinds whose target is a ZooKeeper member, not a broker. */
const ZK_KINDS = new Set<FaultKind>(['zk-kill', 'zk-pause', 'zk-leader-kill', 'zk-leader-pause', 'zk-quorum-loss']);

export async function runOnce(h: FaultHarness, opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? (() => {});
  const workloadMs = opts.workloadMs ?? 16000;
  const faults = opts.schedule ?? scheduleFor(opts.seed, BROKERS, workloadMs - 4000, SESSION_TIMEOUT_MS, 2, opts.kinds);
  const transactional = opts.transactional === true || faults.some((f) => f.kind === 'txn-kill');
  const runDir = join(h.dir, `run-${opts.seed}-${Date.now()}`);
  mkdirSync(runDir);
  const chroot = `/run-${opts.seed}-${Date.now()}`;
  const zkMembersFor = opts.zkMembersFor;
  const cluster = new FaultCluster(h.net, runDir, `${h.zk.connectString}${chroot}`, BROKERS, {
    ...(zkMembersFor !== undefined ? { zkConnectFor: (id: number) => `${h.zk.connectStringOf(zkMembersFor(id))}${chroot}` } : {}),
    env: opts.brokerEnv,
    fakeClock: faults.some((f) => f.kind === 'clock-skew'),
  });
  const windows: FaultWindow[] = [];
  const timeline: string[] = [];
  const observations: string[] = [];
  const t0 = Date.now();
  const note = (s: string): void => {
    timeline.push(`${Date.now() - t0} ms ${s}`);
    log(`seed ${opts.seed}: ${s}`);
  };
  const txnId = `faults-txn-${opts.seed}`;
  const ctx: RunContext = { cluster, h, txnId, note: (s) => (note(s), observations.push(s)) };
  const undos: Undo[] = [];
  let keepData: string | null = null;
  try {
    await h.zk.waitForQuorum();
    await cluster.start();
    note(`brokers up: ${cluster.bootstrap}`);
    await opts.probe?.('started', cluster);
    const create = async (topic: string): Promise<void> => {
      const created = await python(['create', cluster.bootstrap, topic, String(PARTITIONS), String(BROKERS)], 90000);
      if (!created.events.some((e) => e.t === 'created')) throw new Error(`topic ${topic} not created: ${created.stderr}`);
    };
    await create(TOPIC);
    const seconds = String(workloadMs / 1000);
    let inputCount = 0;
    if (transactional) {
      await create(TXN_IN);
      await create(TXN_OUT);
      inputCount = Math.round((workloadMs / 1000) * TXN_INPUT_PER_SECOND);
      const filled = await python(['fill', cluster.bootstrap, TXN_IN, 'in', '12', String(inputCount)], 120000);
      const done = filled.events.find((e) => e.t === 'filled');
      if (done === undefined || done['acked'] !== inputCount) throw new Error(`transactional input not written: ${JSON.stringify(done)} ${filled.stderr}`);
    }
    const start = Date.now();
    const producing = python(['produce', cluster.bootstrap, TOPIC, `w${opts.seed}`, '12', seconds], workloadMs + 120000);
    const clientProducing = collect(process.execPath, [clientScript('client-producer.mjs'), cluster.bootstrap, TOPIC, `c${opts.seed}`, '12', seconds], workloadMs + 120000);
    const consuming = python(['consume', cluster.bootstrap, TOPIC, GROUP, seconds], workloadMs + 120000);
    const clientConsuming = collect(process.execPath, [clientScript('client-consumer.mjs'), cluster.bootstrap, TOPIC, CLIENT_GROUP, seconds], workloadMs + 120000);
    const processing = transactional ? python(['txn-process', cluster.bootstrap, TXN_IN, TXN_OUT, TXN_GROUP, txnId, seconds], workloadMs + 240000) : null;
    for (const f of faults) {
      await sleep(Math.max(0, start + f.atMs - Date.now()));
      const startMs = Date.now();
      note(`inject ${f.kind} ${ZK_KINDS.has(f.kind) ? 'member' : 'broker'} ${f.broker} for ${f.durationMs} ms${f.amount !== 0 ? ` (${f.amount})` : ''}`);
      const undo = await inject(f, ctx);
      if (typeof undo === 'function') undos.push(undo);
      await sleep(f.durationMs);
      for (const u of undos.splice(0)) await u();
      h.net.heal();
      h.zk.heal();
      await cluster.heal();
      windows.push({ kind: f.kind, startMs, endMs: Date.now() });
      note(`healed ${f.kind} ${f.broker}`);
    }
    const [produced, clientProduced, consumed, clientConsumed, processed] = await Promise.all([producing, clientProducing, consuming, clientConsuming, processing]);
    note(`workload done`);
    const producerEvents = [...produced.events, ...clientProduced.events];
    const acks = producerEvents.filter((e) => e.t === 'ack') as unknown as Ack[];
    const commits = [
      ...consumed.events.filter((e) => e.t === 'commit').map((e) => ({ ...e, g: GROUP })),
      ...clientConsumed.events.filter((e) => e.t === 'commit').map((e) => ({ ...e, g: CLIENT_GROUP })),
    ] as unknown as Commit[];
    const written = producerEvents.filter((e) => e.t === 'done').reduce((n, e) => n + ((e['sent'] as number | undefined) ?? 0), 0);
    if (!clientProduced.events.some((e) => e.t === 'done')) throw new Error(`the @samsa/client producer did not finish: ${clientProduced.stderr}`);
    if (!clientConsumed.events.some((e) => e.t === 'done')) throw new Error(`the @samsa/client consumer did not finish: ${clientConsumed.stderr}`);
    let transactions: RunResult['transactions'] = null;
    if (processed !== null) {
      const done = processed.events.find((e) => e.t === 'done');
      if (done === undefined) throw new Error(`the transactional workload did not finish: ${processed.stderr}`);
      transactions = { committed: done['committed'] as number, aborted: done['aborted'] as number };
    }

    // Right after an election the new leader's HW can trail what the old one acknowledged
    // until followers fetch again: read back until the check passes or 20 s have gone by.
    let report!: CheckReport;
    let exactlyOnce: ExactlyOnceReport | null = null;
    let readBack: Event[] = [];
    let txnReadBack: Event[] = [];
    const deadline = Date.now() + 20000;
    for (;;) {
      const read = await python(['read', cluster.bootstrap, TOPIC, `${GROUP},${CLIENT_GROUP}`], 120000);
      readBack = read.events;
      const records = readBack.filter((e) => e.t === 'rec') as unknown as Rec[];
      const committed = new Map(readBack.filter((e) => e.t === 'committed').map((e) => [`${e['g'] as string}/${e['p'] as number}`, e['o'] as number]));
      report = check({ acks, records, commits, committed, faults: windows });
      if (transactional) {
        const inRead = await python(['read', cluster.bootstrap, TXN_IN, TXN_GROUP], 120000);
        const outRead = await python(['read', cluster.bootstrap, TXN_OUT, TXN_GROUP, 'read_committed'], 120000);
        txnReadBack = [...inRead.events, ...outRead.events.map((e) => ({ ...e, topic: TXN_OUT }))];
        const inputs = inRead.events.filter((e) => e.t === 'rec') as unknown as Rec[];
        const ends = new Map(inRead.events.filter((e) => e.t === 'partition').map((e) => [e['p'] as number, e['high'] as number]));
        const txnCommitted = new Map(inRead.events.filter((e) => e.t === 'committed').map((e) => [e['p'] as number, e['o'] as number]));
        exactlyOnce = checkExactlyOnce(inputs, outRead.events.filter((e) => e.t === 'rec') as unknown as Rec[], txnCommitted, ends);
        if (inputs.length !== inputCount) exactlyOnce = { ...exactlyOnce, missing: [...exactlyOnce.missing, `input topic holds ${inputs.length} of ${inputCount} records`], ok: false };
      }
      if ((report.ok && (exactlyOnce?.ok ?? true)) || Date.now() > deadline) break;
      await sleep(2000);
    }
    note(`checked: ${JSON.stringify({ ...report, lost: report.lost.length, duplicated: report.duplicated.length })}`);
    if (exactlyOnce !== null) note(`exactly-once: ${JSON.stringify(exactlyOnce)} transactions ${JSON.stringify(transactions)}`);
    let historyFile: string | null = null;
    if ((!report.ok || exactlyOnce?.ok === false || opts.keepHistory === true) && opts.historyDir !== undefined) {
      mkdirSync(opts.historyDir, { recursive: true });
      historyFile = join(opts.historyDir, `seed-${opts.seed}.json`);
      // A failing run's log dirs too, for kafka-dump-log.
      if (!report.ok || exactlyOnce?.ok === false) keepData = join(opts.historyDir, `seed-${opts.seed}-data`);
      writeFileSync(historyFile, JSON.stringify({
        seed: opts.seed, faults, timeline, report, exactlyOnce, produced: producerEvents, consumed: consumed.events, clientConsumed: clientConsumed.events,
        processed: processed?.events ?? null, processedStderr: processed?.stderr ?? null, readBack, txnReadBack, brokerLogs: cluster.logs(),
      }, null, 1));
    }
    await opts.probe?.('checked', cluster);
    const sessionLines = new Map(cluster.ids.map((id) => [id, [...cluster.sessionLines(id)]]));
    return { seed: opts.seed, faults, report, exactlyOnce, transactions, observations, written, commits: commits.length, sessionLines, historyFile };
  } finally {
    for (const u of undos.splice(0)) await u();
    h.net.heal();
    h.zk.heal();
    await cluster.stop();
    if (keepData !== null) {
      rmSync(keepData, { recursive: true, force: true });
      renameSync(runDir, keepData);
    } else {
      rmSync(runDir, { recursive: true, force: true });
    }
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
  const kinds = kindsArg < 0 ? FAULT_KINDS : argv[kindsArg + 1] === 'all' ? ALL_FAULT_KINDS : (argv[kindsArg + 1]!.split(',') as FaultKind[]);
  // --txn: the exactly-once workload in every run (otherwise only in runs with a txn-kill).
  const transactional = argv.includes('--txn');
  for (const k of kinds) if (!ALL_FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind ${k}; kinds: ${ALL_FAULT_KINDS.join(', ')}`);
  const historyDir = resolve(process.cwd(), 'faults-history');
  const h = await FaultHarness.open();
  const onSignal = (): void => {
    void h.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const totals = { acknowledged: 0, lost: 0, duplicated: 0, reordered: 0, moved: 0, committedLost: 0, written: 0, faults: 0, failed: [] as number[] };
  const txn = { runs: 0, inputs: 0, missing: 0, duplicated: 0, other: 0, committed: 0, aborted: 0 };
  const recovery: number[] = [];
  const byKind = new Map<string, number>();
  try {
    for (let i = 0; i < runs; i++) {
      const s = seed + i;
      let r: RunResult;
      try {
        r = await runOnce(h, { seed: s, workloadMs, historyDir, kinds, transactional, keepHistory: argv.includes('--keep-history'), log: argv.includes('--verbose') ? (l) => console.log(l) : undefined });
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
      const eo = r.exactlyOnce;
      if (eo !== null) {
        txn.runs++;
        txn.inputs += eo.inputs;
        txn.missing += eo.missing.length;
        txn.duplicated += eo.duplicated.length;
        txn.other += eo.unexpected.length + eo.aheadOfOffsets.length + eo.unfinished.length;
        txn.committed += r.transactions?.committed ?? 0;
        txn.aborted += r.transactions?.aborted ?? 0;
      }
      const failed = !r.report.ok || eo?.ok === false;
      if (failed) totals.failed.push(s);
      const eoLine = eo === null ? '' : ` exactly-once ${eo.ok ? 'ok' : 'FAILED'} (inputs ${eo.inputs}, outputs ${eo.outputs}, missing ${eo.missing.length}, duplicated ${eo.duplicated.length}, unexpected ${eo.unexpected.length}, ahead of offsets ${eo.aheadOfOffsets.length}, unfinished ${eo.unfinished.length}; transactions ${r.transactions?.committed} committed ${r.transactions?.aborted} aborted)`;
      console.log(`seed ${s}: ${failed ? 'FAILED' : 'ok'} faults ${r.faults.map((f) => `${f.kind}(${f.broker},${f.durationMs}ms)`).join(' ')} written ${r.written} commits ${r.commits} acknowledged ${r.report.acknowledged} (${r.report.withoutOffset} without offset) lost ${r.report.lost.length} duplicated ${r.report.duplicated.length} reordered ${r.report.reordered.length} moved ${r.report.offsetsMoved.length} committed lost ${r.report.committedLost.length} recovery ${r.report.recoveryMs.join('/')} ms${eoLine}${r.historyFile !== null && failed ? ` history ${r.historyFile}` : ''}`);
    }
  } finally {
    await h.close();
  }
  if (txn.runs > 0) console.log(`exactly-once runs ${txn.runs}: inputs ${txn.inputs}, missing ${txn.missing}, duplicated ${txn.duplicated}, other violations ${txn.other}; transactions committed ${txn.committed}, aborted ${txn.aborted}`);
  console.log(`faults by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`records written ${totals.written}, faults ${totals.faults}, recovery p50 ${percentile(recovery, 0.5)} ms p99 ${percentile(recovery, 0.99)} ms, reordered ${totals.reordered}, offsets moved ${totals.moved}, failing seeds: ${totals.failed.join(' ') || 'none'}`);
  console.log(`runs: ${runs}, acknowledged: ${totals.acknowledged}, lost: ${totals.lost}, duplicated: ${totals.duplicated}, committed offsets lost: ${totals.committedLost}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}

