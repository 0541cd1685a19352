/**
 * The fault suite's cluster: a ZooKeeper ensemble and N `kafka-server-start` broker processes,
 * each process in its own network namespace. Each run gets a fresh ZooKeeper chroot and fresh
 * log dirs, so one ensemble serves a whole soak.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fourLetterWord, serverLogDir, zooKeeperJavaArgs } from '../../src/testkit/index.js';
import { TestNetwork } from './network.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from test/faults (tsx) or dist/test/faults (compiled). */
export const repoRoot = resolve(here, here.includes('/dist/') ? '../../../../..' : '../../../..');
const cliBin = (name: string): string => join(repoRoot, 'packages', 'cli', 'dist', 'src', 'bin', `${name}.js`);

export const SESSION_TIMEOUT_MS = 4000;
const TICK_MS = 500;
export const BROKER_PORT = 9092; // inside each broker's own namespace: no other process shares it

interface Proc {
  child: ChildProcess;
  output: string;
  /** Every log line about the ZooKeeper session (kept whole: `output` is only the tail). */
  sessionLines: string[];
}

/** The broker's and its ZooKeeper client's lines about the session: fencing, timeouts, reconnects, expiry. */
const SESSION_LINE = /Lost the .* session|Rejoined the cluster|Client session timed out|Session establishment complete|has expired/;

/** Process groups still running: killed when this process exits, however it exits. */
const live = new Set<number>();
process.on('exit', () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function launch(cmd: string, args: string[], logTail = 20000): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_TEST_CONTEXT: undefined, SAMSA_LOG: 'INFO', LOG_DIR: serverLogDir() } });
  const proc: Proc = { child, output: '', sessionLines: [] };
  let partial = '';
  live.add(child.pid!);
  child.once('exit', () => live.delete(child.pid!));
  const add = (d: Buffer): void => {
    const text = d.toString();
    proc.output = (proc.output + text).slice(-logTail);
    const lines = (partial + text).split('\n');
    partial = lines.pop()!.slice(-4096);
    for (const l of lines) if (SESSION_LINE.test(l) && proc.sessionLines.length < 500) proc.sessionLines.push(l);
  };
  child.stdout!.on('data', add);
  child.stderr!.on('data', add);
  return proc;
}

function killGroup(p: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // gone
  }
}

function exited(p: Proc): Promise<void> {
  return new Promise((r) => (p.child.exitCode !== null || p.child.signalCode !== null ? r() : p.child.once('exit', () => r())));
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ZooKeeper's ports inside each member's own namespace (no other process shares them). */
const ZK_CLIENT_PORT = 2181;
const ZK_QUORUM_PORT = 2888;
const ZK_ELECTION_PORT = 3888;

/**
 * A 3-member ZooKeeper ensemble (QuorumPeerMain, Debian's ZooKeeper on Java), each member in its
 * own network namespace, so a member can be killed, paused or cut off like a broker. Each run
 * gets a fresh chroot, so one ensemble serves a whole soak.
 */
export class ZooKeeperEnsemble {
  private readonly members = new Map<number, Proc>();
  private readonly paused = new Set<number>();
  readonly ids: number[];

  /** `nodeIds`: the network nodes of the members (their myid is 1..n in this order). */
  constructor(readonly net: TestNetwork, readonly dir: string, private readonly nodeIds: number[]) {
    this.ids = nodeIds.map((_, i) => i + 1);
  }

  address(member: number): string {
    return this.net.address(this.nodeIds[member - 1]!);
  }

  get addresses(): string[] {
    return this.ids.map((m) => this.address(m));
  }

  get connectString(): string {
    return this.connectStringOf(this.ids);
  }

  /** A connect string listing `members` in this order (a client tries them in order). */
  connectStringOf(members: number[]): string {
    return members.map((m) => `${this.address(m)}:${ZK_CLIENT_PORT}`).join(',');
  }

  private startMember(member: number): void {
    const dir = join(this.dir, `zk-${member}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'myid'), `${member}\n`);
    const props = join(dir, 'zoo.cfg');
    writeFileSync(props, [
      `tickTime=${TICK_MS}`,
      // Followers sync within 5 ticks and join within 10: a member back from a pause or crash rejoins in seconds.
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${ZK_CLIENT_PORT}`,
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      ...this.ids.map((m) => `server.${m}=${this.address(m)}:${ZK_QUORUM_PORT}:${ZK_ELECTION_PORT}`),
      '',
    ].join('\n'));
    const java = zooKeeperJavaArgs([props]).map((a) => (a === 'org.apache.zookeeper.server.ZooKeeperServerMain' ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain' : a));
    this.members.set(member, launch('ip', ['netns', 'exec', this.net.namespace(this.nodeIds[member - 1]!), 'java', ...java]));
  }

  /** Starts every member and waits until the ensemble has a leader and serves clients. */
  async start(): Promise<void> {
    for (const m of this.ids) this.startMember(m);
    await this.waitForQuorum(90000);
  }

  /** Waits until a leader leads and every running, unpaused member serves (`srvr` answers a Mode). */
  async waitForQuorum(timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = this.ids.filter((m) => this.members.has(m) && !this.paused.has(m));
      const modes = await Promise.all(up.map((m) => fourLetterWord(this.address(m), ZK_CLIENT_PORT, 'srvr')));
      if (modes.some((o) => o.includes('Mode: leader')) && modes.every((o) => /Mode: (leader|follower)/.test(o))) return;
      for (const [m, p] of this.members) if (p.child.exitCode !== null) throw new Error(`ZooKeeper member ${m} exited: ${p.output}`);
      if (Date.now() > deadline) throw new Error(`ZooKeeper ensemble has no quorum: ${modes.map((o) => /Mode: \w+/.exec(o)?.[0] ?? 'no answer').join(', ')}\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** The member that leads now (null: none answers as leader). */
  async leader(): Promise<number | null> {
    for (const m of this.ids) {
      if (!this.members.has(m) || this.paused.has(m)) continue;
      if ((await fourLetterWord(this.address(m), ZK_CLIENT_PORT, 'srvr')).includes('Mode: leader')) return m;
    }
    return null;
  }

  async kill(member: number): Promise<void> {
    const p = this.members.get(member);
    if (p === undefined) return;
    killGroup(p, 'SIGKILL');
    await exited(p);
    this.members.delete(member);
    this.paused.delete(member);
  }

  pause(member: number): void {
    const p = this.members.get(member);
    if (p === undefined) return;
    killGroup(p, 'SIGSTOP');
    this.paused.add(member);
  }

  /** Every member running and resumed (a killed one restarts on its data dir). */
  heal(): void {
    for (const m of [...this.paused]) {
      const p = this.members.get(m);
      if (p !== undefined) killGroup(p, 'SIGCONT');
      this.paused.delete(m);
    }
    for (const m of this.ids) if (!this.members.has(m)) this.startMember(m);
  }

  async stop(): Promise<void> {
    this.heal();
    await Promise.all([...this.ids].map((m) => this.kill(m)));
  }

  logs(): string {
    return this.ids.map((m) => `==== zookeeper ${m}\n${this.members.get(m)?.output ?? ''}`).join('\n');
  }
}

export interface BrokerSettings {
  /** Broker id to its zookeeper.connect (default: the cluster's `zkConnect` for all). */
  zkConnectFor?: (id: number) => string;
  /** Extra environment for the broker processes (e.g. the test-only unsafe HW switch). */
  env?: Record<string, string>;
  /** Brokers run under libfaketime, so `skew` can move their wall clocks (see `skew`). */
  fakeClock?: boolean;
}

/** Debian's libfaketime (package faketime), thread-safe variant: Node runs threads. */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

export class FaultCluster {
  private readonly brokers = new Map<number, Proc>();
  private readonly paused = new Set<number>();
  readonly ids: number[];

  constructor(
    readonly net: TestNetwork,
    readonly dir: string,
    readonly zkConnect: string,
    size: number,
    readonly settings: BrokerSettings = {},
  ) {
    this.ids = Array.from({ length: size }, (_, i) => i + 1);
  }

  get bootstrap(): string {
    return this.ids.map((id) => `${this.net.address(id)}:${BROKER_PORT}`).join(',');
  }

  private propsFile(id: number): string {
    const file = join(this.dir, `server-${id}.properties`);
    const address = this.net.address(id);
    writeFileSync(file, [
      `broker.id=${id}`,
      `listeners=PLAINTEXT://${address}:${BROKER_PORT}`,
      `advertised.listeners=PLAINTEXT://${address}:${BROKER_PORT}`,
      `log.dirs=${join(this.dir, `logs-${id}`)}`,
      `zookeeper.connect=${this.settings.zkConnectFor?.(id) ?? this.zkConnect}`,
      `zookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
      'default.replication.factor=3',
      'min.insync.replicas=2',
      'offsets.topic.replication.factor=3',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=3',
      'transaction.state.log.min.isr=2',
      'unclean.leader.election.enable=false',
      'replica.lag.time.max.ms=3000',
      'replica.socket.timeout.ms=3000',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'));
    return file;
  }

  private clockFile(id: number): string {
    return join(this.dir, `clock-${id}`);
  }

  /**
   * Moves broker `id`'s wall clock `seconds` away from the real one (0: back in step), as NTP
   * gone wrong would: only CLOCK_REALTIME (Date.now) moves; CLOCK_MONOTONIC, on which libuv's
   * timers run, does not (FAKETIME_DONT_FAKE_MONOTONIC). The broker sees it within a second.
   */
  skew(id: number, seconds: number): void {
    writeFileSync(this.clockFile(id), `${seconds >= 0 ? '+' : ''}${seconds}\n`);
  }

  private brokerEnv(id: number): Record<string, string> {
    if (this.settings.fakeClock !== true) return this.settings.env ?? {};
    if (!existsSync(this.clockFile(id))) this.skew(id, 0);
    return {
      ...this.settings.env,
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: this.clockFile(id),
      // Re-read the skew at most once a second, not on every Date.now.
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  async startBroker(id: number): Promise<void> {
    const proc = launch(
      'ip',
      ['netns', 'exec', this.net.namespace(id), 'env', ...Object.entries(this.brokerEnv(id)).map(([k, v]) => `${k}=${v}`), process.execPath, cliBin('kafka-server-start'), this.propsFile(id)],
    );
    this.brokers.set(id, proc);
    await waitUntil(() => proc.output.includes('started (cluster') || proc.child.exitCode !== null, `broker ${id} to start`, 60000);
    if (proc.child.exitCode !== null) throw new Error(`broker ${id} exited: ${proc.output}`);
  }

  async start(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.startBroker(id)));
  }

  /** kill -9 (the process group: `ip netns exec` and `env` exec into node, so this is the broker). */
  async kill(id: number): Promise<void> {
    const p = this.brokers.get(id);
    if (p === undefined) return;
    killGroup(p, 'SIGKILL');
    await exited(p);
    this.brokers.delete(id);
    this.paused.delete(id);
  }

  pause(id: number): void {
    const p = this.brokers.get(id);
    if (p === undefined) return;
    killGroup(p, 'SIGSTOP');
    this.paused.add(id);
  }

  resume(id: number): void {
    const p = this.brokers.get(id);
    if (p !== undefined) killGroup(p, 'SIGCONT');
    this.paused.delete(id);
  }

  isRunning(id: number): boolean {
    return this.brokers.has(id);
  }

  /** Every broker running and resumed. */
  async heal(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    for (const id of this.ids) if (!this.brokers.has(id)) await this.startBroker(id);
  }

  output(id: number): string {
    return this.brokers.get(id)?.output ?? '';
  }

  /** Broker id's log lines about its ZooKeeper session since it started. */
  sessionLines(id: number): string[] {
    return this.brokers.get(id)?.sessionLines ?? [];
  }

  async stop(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    await Promise.all([...this.brokers.keys()].map((id) => this.kill(id)));
  }

  /** Broker logs, for a failing run's saved history. */
  logs(): string {
    return this.ids.map((id) => `==== broker ${id}\n${this.output(id)}`).join('\n');
  }
}
