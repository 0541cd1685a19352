/**
 * Real ZooKeeper and etcd servers for tests and local clusters: each starts on free loopback
 * ports with a fresh temp data dir, is waited on until it answers, and is stopped by its pid.
 * ZooKeeper is Debian's (/usr/share/java/zookeeper.jar, run with java), etcd is /usr/bin/etcd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** slf4j without a binding prints a warning per start; the nop binding keeps test output clean. */
const SLF4J_NOP = '/usr/share/java/slf4j-nop.jar';
export const ETCD_BIN = '/usr/bin/etcd';

export interface CoordinationService {
  /** zookeeper.connect (host:port) or metadata.store (etcd://host:port) value. */
  readonly connect: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its data dir. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil(what: string, child: ChildProcess, check: () => Promise<boolean>, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${output()}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not come up within ${timeoutMs} ms: ${output()}`);
}

function stopper(child: ChildProcess, dataDir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}

function capture(child: ChildProcess): () => string {
  let out = '';
  const add = (b: Buffer): void => {
    out = (out + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

/** java arguments that run ZooKeeper's standalone server with `args` (a zoo.cfg, or port and data dir), plus `jvmOptions`. */
export function zooKeeperJavaArgs(args: readonly string[], jvmOptions: readonly string[] = []): string[] {
  const cp = existsSync(SLF4J_NOP) ? `${ZOOKEEPER_JAR}:${SLF4J_NOP}` : ZOOKEEPER_JAR;
  return ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dzookeeper.admin.enableServer=false', '-Dzookeeper.4lw.commands.whitelist=*', ...jvmOptions, '-cp', cp, 'org.apache.zookeeper.server.ZooKeeperServerMain', ...args];
}

/** ZooKeeper's answer to a four-letter word (`ruok`, `srvr`, ...) at host:port: '' when none comes in time. */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = createConnection({ host, port });
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('connect', () => s.write(word));
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/**
 * Starts a standalone ZooKeeper. tickTime 500 ms allows session timeouts from 1 s to 10 s,
 * so tests of session expiry stay short; the admin HTTP server is off (it would take port 8080).
 */
export async function startZooKeeper(opts: { tickTimeMs?: number } = {}): Promise<CoordinationService> {
  if (!existsSync(ZOOKEEPER_JAR)) throw new Error(`ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing): apt-get install zookeeper`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-zk-'));
  // No fsync of the transaction log (forceSync=no): on a machine busy writing (the suite's storage
  // tests) each waits behind other files' writeback. A killed test server loses nothing: the page cache stays.
  const child = spawn('java', zooKeeperJavaArgs([String(port), dataDir, String(opts.tickTimeMs ?? 500)], ['-Dzookeeper.forceSync=no']), { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  // Ready when `ruok` is answered `imok` (serving sessions), not when the port merely accepts: a
  // client that connects while the server is still starting may get no answer to its handshake
  // and waits its connect timeout (session timeout / servers, as Apache's client) before it tries
  // again. A CI run's broker timed out its 18 s connection so; under CPU load a 6 s-session
  // client took ~6.7 s to connect in 3 of 8 starts.
  await waitUntil('ZooKeeper', child, async () => (await fourLetterWord('127.0.0.1', port, 'ruok', 2000)) === 'imok', 30000, output);
  return { connect: `127.0.0.1:${port}`, port, pid: child.pid!, dataDir, stop: stopper(child, dataDir) };
}

/** Starts a single-member etcd on two free ports (client, peer). */
export async function startEtcd(): Promise<CoordinationService> {
  if (!existsSync(ETCD_BIN)) throw new Error(`etcd is not installed (${ETCD_BIN} is missing): apt-get install etcd-server`);
  const port = await freePort();
  const peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-etcd-'));
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(ETCD_BIN, [
    '--name', 'samsa-test', '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `samsa-test=${peer}`, '--log-level', 'error',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  const healthy = async (): Promise<boolean> => {
    try {
      const r = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
      return r.ok && ((await r.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };
  await waitUntil('etcd', child, healthy, 30000, output);
  return { connect: `etcd://127.0.0.1:${port}`, port, pid: child.pid!, dataDir, stop: stopper(child, dataDir) };
}
