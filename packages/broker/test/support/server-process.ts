/**
 * `samsa server` as a child process, for tests that SIGKILL and restart a broker: the compiled
 * CLI when the tests run from dist, the TypeScript source through tsx otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(join('dist', 'test'));
const brokerRoot = compiled ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
const cliRoot = resolve(brokerRoot, '..', 'cli');
const repoRoot = resolve(brokerRoot, '..', '..');

/** A free port on 127.0.0.1 (for a broker child process). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** `samsa <args>` as a child process (the compiled CLI, or the source through tsx). */
export function spawnSamsa(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const entry = compiled ? [join(cliRoot, 'dist', 'src', 'bin', 'samsa.js')] : ['-C', 'source', '--import', 'tsx', join(cliRoot, 'src', 'bin', 'samsa.ts')];
  return spawn(process.execPath, [...entry, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG: 'INFO', NODE_TEST_CONTEXT: undefined, ...env } });
}

/** Runs `samsa server PROPS [args]`; resolves once it logs that it started (20 s at most). */
export async function startServer(props: string, args: readonly string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawnSamsa(['server', props, ...args], env);
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
