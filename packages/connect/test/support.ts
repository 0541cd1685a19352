/** Helpers for Connect tests: worker processes, REST calls, and waiting on files and conditions. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** packages/connect/dist/src/bin (tests run from dist) or src/bin (tsx). */
const binDir = join(here, '..', 'src', 'bin');
export const repoRoot = join(here, here.includes(`${join('dist', 'test')}`) ? '../../../..' : '../../..');

export interface WorkerProcess {
  child: ChildProcess;
  url: string;
  workerId: string;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Starts connect-standalone / connect-distributed as a child process; resolves once "Kafka Connect started". */
export async function spawnWorker(mode: 'standalone' | 'distributed', args: string[], timeoutMs = 60000): Promise<WorkerProcess> {
  const bin = join(binDir, `connect-${mode}.${existsSync(join(binDir, `connect-${mode}.js`)) ? 'js' : 'ts'}`);
  const nodeArgs = bin.endsWith('.ts') ? ['--import', 'tsx', bin] : [bin];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  await waitFor(() => out.includes('Kafka Connect started') || child.exitCode !== null, timeoutMs, () => `worker did not start:\n${out}`);
  if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${out}`);
  const m = /advertising URL (http:\/\/([^/]+)\/)/.exec(out)!;
  return { child, url: m[1]!.replace(/\/$/, ''), workerId: m[2]!, output: () => out, exited };
}

/** Polls `cond` (every 50 ms) until it holds; fails with `why()` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, why: () => string = () => 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function linesOf(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

export function writeProperties(path: string, props: Record<string, string>): string {
  writeFileSync(path, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return path;
}

export async function rest(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

/** The numbered lines test files use: line-0001, line-0002, ... */
export const numbered = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `line-${String(from + i).padStart(4, '0')}`);

/**
 * A broker and a scratch dir for one test file (before/after hooks), and the worker processes to
 * SIGKILL if a test fails before stopping them.
 */
export function connectFixture(dirPrefix: string): { readonly broker: TestBroker; readonly dir: string; live: Set<WorkerProcess> } {
  const fixture = { broker: null as unknown as TestBroker, dir: '', live: new Set<WorkerProcess>() };
  before(async () => {
    fixture.broker = await startBroker({ storage: 'memory' });
    fixture.dir = mkdtempSync(join(tmpdir(), dirPrefix));
  });
  after(async () => {
    for (const w of fixture.live) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await fixture.broker.stop();
    rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}

/** connect-distributed worker properties for tests: String converters, single-replica internal topics named `<prefix>-configs|offsets|status`. */
export function distributedWorkerProps(bootstrap: string, groupId: string, prefix: string, extra: Record<string, string>): Record<string, string> {
  return {
    'bootstrap.servers': bootstrap,
    'group.id': groupId,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'config.storage.topic': `${prefix}-configs`,
    'offset.storage.topic': `${prefix}-offsets`,
    'status.storage.topic': `${prefix}-status`,
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'status.storage.partitions': '2',
    'session.timeout.ms': '6000',
    'heartbeat.interval.ms': '1000',
    listeners: 'http://127.0.0.1:0',
    ...extra,
  };
}

export interface ConnectorStatusBody {
  connector: { state: string; worker_id: string };
  tasks: Array<{ id: number; state: string; worker_id: string }>;
}
