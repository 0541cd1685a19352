/**
 * The fault suite's cluster: ZooKeeper (a separate java process, on the bridge address) and N
 * `kafka-server-start` broker processes, each in its own network namespace. Each run gets a
 * fresh ZooKeeper chroot and fresh log dirs, so one ZooKeeper serves a whole soak.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../../src/index.js';
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
}

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
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_TEST_CONTEXT: undefined, SAMSA_LOG: 'INFO' } });
  const proc: Proc = { child, output: '' };
  live.add(child.pid!);
  child.once('exit', () => live.delete(child.pid!));
  const add = (d: Buffer): void => {
    proc.output = (proc.output + d.toString()).slice(-logTail);
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

export class ZooKeeperProcess {
  private proc!: Proc;
  constructor(readonly dir: string, readonly address: string, readonly port: number) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const props = join(this.dir, 'zookeeper.properties');
    writeFileSync(props, `dataDir=${join(this.dir, 'data')}\nclientPort=${this.port}\nclientPortAddress=${this.address}\ntickTime=${TICK_MS}\nmaxClientCnxns=0\nadmin.enableServer=false\n`);
    this.proc = launch(process.execPath, [cliBin('zookeeper-server-start'), props]);
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        const c = await ZkClient.connect({ connectString: `${this.address}:${this.port}`, sessionTimeoutMs: 4000, connectionTimeoutMs: 5000 });
        await c.close();
        return;
      } catch (e) {
        if (Date.now() > deadline || this.proc.child.exitCode !== null) throw new Error(`ZooKeeper did not start: ${(e as Error).message}\n${this.proc.output}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.proc === undefined) return;
    killGroup(this.proc, 'SIGKILL');
    await exited(this.proc);
  }
}

export interface BrokerSettings {
  /** Extra environment for the broker processes (e.g. the test-only unsafe HW switch). */
  env?: Record<string, string>;
}

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
      `zookeeper.connect=${this.zkConnect}`,
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

  async startBroker(id: number): Promise<void> {
    const proc = launch(
      'ip',
      ['netns', 'exec', this.net.namespace(id), 'env', ...Object.entries(this.settings.env ?? {}).map(([k, v]) => `${k}=${v}`), process.execPath, cliBin('kafka-server-start'), this.propsFile(id)],
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

  async stop(): Promise<void> {
    for (const id of [...this.paused]) this.resume(id);
    await Promise.all([...this.brokers.keys()].map((id) => this.kill(id)));
  }

  /** Broker logs, for a failing run's saved history. */
  logs(): string {
    return this.ids.map((id) => `==== broker ${id}\n${this.output(id)}`).join('\n');
  }
}
