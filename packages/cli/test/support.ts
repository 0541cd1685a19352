/** Runs the command-line tools as child processes (compiled JS, or the TS sources through tsx). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { serverLogDir } from '@samsa/broker/testkit';
import { type Io, runTool } from '../src/tool.js';
import { TOOLS } from '../src/tools.js';

const here = dirname(fileURLToPath(import.meta.url));
export const compiled = here.includes(join('dist', 'test'));
export const pkgRoot = compiled ? resolve(here, '..', '..') : resolve(here, '..');

/** The node arguments that start bin script `name` (e.g. kafka-topics, samsa). */
export function binArgs(name: string): string[] {
  if (compiled) return [join(pkgRoot, 'dist', 'src', 'bin', `${name}.js`)];
  return ['-C', 'source', '--import', 'tsx', join(pkgRoot, 'src', 'bin', `${name}.ts`)];
}

export function binExists(name: string): boolean {
  return existsSync(compiled ? join(pkgRoot, 'dist', 'src', 'bin', `${name}.js`) : join(pkgRoot, 'src', 'bin', `${name}.ts`));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<RunResult>;
}

/** Starts `bin` with `args`; stdin gets `input` (then EOF) when given. Killed after timeoutMs. */
export function start(bin: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Running {
  const child = spawn(process.execPath, [...binArgs(bin), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, SAMSA_LOG: 'ERROR', LOG_DIR: serverLogDir(), ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const done = new Promise<RunResult>((r) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      r({ code, stdout, stderr });
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Runs a tool to completion. */
export function run(bin: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return start(bin, args, opts).done;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Non-empty lines of a tool's output. */
export const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

/** Tool output collected in memory. */
export function captureIo(input = ''): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (s) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString()),
    err: (s) => void (err += s),
    stdin: Readable.from([input]),
    stopSignal: new Promise(() => {}),
    stdout: () => out,
    stderr: () => err,
  };
}

/** Runs a tool in this process (through runTool) with captured output. */
export async function runIn(tool: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runTool(TOOLS.get(tool)!, argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

