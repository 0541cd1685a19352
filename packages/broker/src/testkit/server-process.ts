/**
 * `samsa server` as a child process, for tests that SIGKILL and restart a broker. The command is
 * the CLI of this repository (the broker package must not depend on @samsa/cli): the compiled
 * `packages/cli/dist/src/bin/samsa.js` when the testkit runs from dist, the TypeScript source
 * through tsx otherwise. `SAMSA_SERVER_COMMAND` (a path to a samsa.js) overrides both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePort } from './coordination-services.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Running from packages/broker/dist/src/testkit rather than packages/broker/src/testkit. */
const compiled = here.includes(join('dist', 'src'));
const brokerRoot = compiled ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
const cliRoot = resolve(brokerRoot, '..', 'cli');
const repoRoot = resolve(brokerRoot, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** The node arguments that run `samsa` (before its own arguments). */
export function samsaCommand(): string[] {
  const override = process.env['SAMSA_SERVER_COMMAND'];
  if (override !== undefined && override !== '') return [override];
  return compiled ? [join(cliRoot, 'dist', 'src', 'bin', 'samsa.js')] : ['-C', 'source', '--import', 'tsx', join(cliRoot, 'src', 'bin', 'samsa.ts')];
}

/** Server processes still running: killed when the test process exits, however it exits. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

let logDir: string | null = null;

/**
 * LOG_DIR for the servers a test process starts, unless a test names its own: a temp dir of this
 * process, removed when it exits. (Kafka's default, logs/ under the current directory, put every
 * test server's server.log into the checkout.)
 */
export function serverLogDir(): string {
  if (logDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-test-logs-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    logDir = dir;
  }
  return logDir;
}

/** `samsa <args>` as a child process. */
export function spawnSamsa(args: readonly string[], env: Record<string, string> = {}, command: readonly string[] = samsaCommand()): ChildProcess {
  const child = spawn(process.execPath, [...command, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG: 'INFO', NODE_TEST_CONTEXT: undefined, LOG_DIR: serverLogDir(), ...env } });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Runs `samsa server PROPS [args]`; resolves once it logs that it started (20 s at most). */
export async function startServer(props: string, args: readonly string[] = [], env: Record<string, string> = {}, command?: readonly string[]): Promise<ServerProcess> {
  const child = spawnSamsa(['server', props, ...args], env, command);
  child.stdout!.resume();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 20_000;
  while (!stderr.includes('started (cluster')) {
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`broker did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, stderr: () => stderr, exited };
}
