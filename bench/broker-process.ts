/**
 * Runs the broker under test as a separate process (`samsa server`), so the load generator's
 * CPU never mixes with the broker's, and reads that process's CPU time from /proc.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelinedConnection } from './wire.js';

/** Where this file runs from: bench/*.ts (tsx) or bench/dist/*.js (compiled). */
const fromSource = import.meta.url.endsWith('.ts');
export const repoRoot = fileURLToPath(new URL(fromSource ? '..' : '../..', import.meta.url));

export type BrokerBuild = 'source' | 'dist';
export type StorageKind = 'file' | 'memory';

export interface BrokerProcessOptions {
  storage: StorageKind | 'auto';
  /** source: the TypeScript sources through tsx; dist: the compiled CLI. Defaults to how this bench runs. */
  build?: BrokerBuild;
  /** The checkout whose broker runs (default: this one); another built checkout compares builds. */
  root?: string;
  /** Write a V8 CPU profile of the broker (node --cpu-prof) into this directory. */
  profileDir?: string;
  overrides?: Record<string, string>;
  nodeArgs?: string[];
}

let clockTicks = 0;
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used so far (all its threads), from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / ticksPerSecond();
}

/** CPU seconds the process's main thread has used so far (/proc/<pid>/schedstat field 1). */
export function mainThreadCpuSeconds(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
}

/**
 * Seconds the process's main thread has spent runnable but waiting for a CPU (schedstat field
 * 2): how much other processes delayed it. NaN where schedstats are not available.
 */
export function runQueueWaitSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return Number.NaN;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class BrokerProcess {
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined = undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly storage: StorageKind,
    readonly build: BrokerBuild,
    readonly dataDir: string,
    readonly logFile: string,
    readonly profileDir: string | undefined,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  runQueueWaitSeconds(): number {
    return runQueueWaitSeconds(this.pid);
  }

  /** The broker's own log output (for errors). */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  static async start(opts: BrokerProcessOptions): Promise<BrokerProcess> {
    if (opts.storage !== 'auto') return BrokerProcess.startWith(opts, opts.storage);
    try {
      return await BrokerProcess.startWith(opts, 'file');
    } catch (e) {
      if (!/file storage engine is not available/.test(String(e))) throw e;
      process.stderr.write('note: the file storage engine is not available in this build; benchmarking the memory engine\n');
      return BrokerProcess.startWith(opts, 'memory');
    }
  }

  private static async startWith(opts: BrokerProcessOptions, storage: StorageKind): Promise<BrokerProcess> {
    const build = opts.build ?? (fromSource ? 'source' : 'dist');
    const dataDir = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
    const port = await freePort();
    const root = opts.root ?? repoRoot;
    const entry = build === 'source' ? join(root, 'packages/cli/src/bin/samsa.ts') : join(root, 'packages/cli/dist/src/bin/samsa.js');
    if (!existsSync(entry)) throw new Error(`broker entry ${entry} not found (run npx tsc -b, or --broker-build source)`);
    const nodeArgs = [...(opts.nodeArgs ?? [])];
    if (build === 'source') nodeArgs.push('-C', 'source', '--import', 'tsx');
    if (opts.profileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
    const overrides: Record<string, string> = {
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': join(dataDir, 'logs'),
      'auto.create.topics.enable': 'false',
      'log.retention.check.interval.ms': '1000',
      // '{port}' in an override stands for the port picked here (--tls listeners).
      ...Object.fromEntries(Object.entries(opts.overrides ?? {}).map(([k, v]) => [k, v.replaceAll('{port}', String(port))])),
    };
    const args = [...nodeArgs, entry, 'server', '--storage', storage];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
    const logFile = join(dataDir, 'broker.log');
    const log = createWriteStream(logFile);
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const bp = new BrokerProcess(child, port, storage, build, dataDir, logFile, opts.profileDir);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (bp.exitCode !== undefined) {
        await sleep(100);
        const tail = bp.logTail();
        rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`broker exited with ${bp.exitCode} during startup:\n${tail}`);
      }
      try {
        const c = await PipelinedConnection.open('127.0.0.1', port, 1000);
        c.close();
        return bp;
      } catch {
        if (Date.now() > deadline) {
          await bp.stop();
          throw new Error(`broker did not listen on ${port} within 30 s:\n${bp.logTail()}`);
        }
        await sleep(100);
      }
    }
  }

  /**
   * SIGTERM (clean shutdown: the CPU profile is written), SIGKILL after 15 s; removes the data
   * dir, after copying the broker's output to keepLogAs when given.
   */
  async stop(keepLogAs?: string): Promise<void> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (keepLogAs !== undefined && existsSync(this.logFile)) copyFileSync(this.logFile, keepLogAs);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The .cpuprofile files written by this broker (after stop). */
  profiles(): string[] {
    if (this.profileDir === undefined || !existsSync(this.profileDir)) return [];
    return readdirSync(this.profileDir).filter((f) => new RegExp(`\\.${this.pid}\\.0\\.\\d+\\.cpuprofile$`).test(f)).map((f) => join(this.profileDir!, f));
  }
}
