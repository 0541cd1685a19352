/** Helpers for Connect tests: worker processes, REST calls, and waiting on files and conditions. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
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
