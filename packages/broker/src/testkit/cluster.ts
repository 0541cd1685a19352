/**
 * Several in-process brokers sharing one metadata store: `startCluster({ brokers: 3, store })`
 * where store is 'memory' (a shared in-memory local store), 'zookeeper' or 'etcd' (a real server
 * started on free ports for this cluster, or an existing one given by `connect`, each cluster in
 * its own chroot / key prefix). Hooks stop, kill (the session ends at once, no clean shutdown of
 * the store session's owner) and restart a broker on its old port.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetadataBackend, LocalMetadataStore } from '../metadata/metadata-store.js';
import { startEtcd, startZooKeeper, type CoordinationService } from './coordination-services.js';
import { startBroker, type StartBrokerOptions, type TestBroker } from './index.js';

export interface StartClusterOptions {
  brokers?: number;
  store?: 'memory' | 'zookeeper' | 'etcd';
  /** An already running ZooKeeper (host:port) or etcd (etcd://host:port) to use instead of starting one. */
  connect?: string;
  storage?: 'memory' | 'file';
  /** File storage: each broker's log.dirs are this many directories `d0,d1,...` in its data dir (default: the data dir alone). */
  logDirsPerBroker?: number;
  /** Extra server.properties entries for every broker. */
  config?: Record<string, string>;
  /** broker.rack per broker (by index). */
  racks?: ReadonlyArray<string | null>;
  /** zookeeper.session.timeout.ms (also the etcd lease TTL); 6000 by default. */
  sessionTimeoutMs?: number;
  logger?: StartBrokerOptions['logger'];
  /**
   * Runs once the store (with its chroot/prefix) is chosen and before any broker starts: what an
   * operator does first with `--zookeeper` tools (SCRAM credentials for the brokers' own user).
   */
  prepareStore?: (connect: string | null) => Promise<void>;
}

export interface TestCluster {
  /** Running brokers by node id (0..n-1); a stopped broker is absent. */
  readonly brokers: ReadonlyMap<number, TestBroker>;
  /** Every running broker, comma-separated. */
  readonly bootstrap: string;
  /** The ZooKeeper/etcd server this cluster started (null for memory or `connect`). */
  readonly service: CoordinationService | null;
  /** zookeeper.connect or metadata.store value the brokers use (with chroot/prefix); null for memory. */
  readonly connect: string | null;
  broker(id: number): TestBroker;
  /** Node id of the active controller, waiting until there is one. */
  controller(timeoutMs?: number): Promise<number>;
  stopBroker(id: number): Promise<void>;
  /** Stops a broker abruptly (tests of leader failover); see the process tests for kill -9. */
  killBroker(id: number): Promise<void>;
  restartBroker(id: number): Promise<TestBroker>;
  stop(): Promise<void>;
}

/** Every running broker's `bootstrap`, comma-separated (in-process and process clusters). */
/**
 * The store timeouts of a test broker: a short session (fast failover), and a first connection to
 * a just-started store that may take longer on a loaded machine than that session timeout.
 */
export function storeTimeouts(sessionTimeoutMs: number): Record<string, string> {
  return { 'zookeeper.session.timeout.ms': String(sessionTimeoutMs), 'zookeeper.connection.timeout.ms': '30000' };
}

export function bootstrapOf(running: ReadonlyMap<number, { bootstrap: string }>): string {
  return [...running.values()].map((b) => b.bootstrap).join(',');
}

export function runningBroker<B>(running: ReadonlyMap<number, B>, id: number): B {
  const b = running.get(id);
  if (b === undefined) throw new Error(`broker ${id} is not running`);
  return b;
}

export async function startCluster(opts: StartClusterOptions = {}): Promise<TestCluster> {
  const n = opts.brokers ?? 3;
  const kind = opts.store ?? 'memory';
  let service: CoordinationService | null = null;
  let connect: string | null = null;
  if (kind !== 'memory') {
    if (opts.connect === undefined) service = kind === 'zookeeper' ? await startZooKeeper() : await startEtcd();
    const base = opts.connect ?? service!.connect;
    connect = `${base}/samsa-${randomBytes(4).toString('hex')}`;
  }
  const backend = kind === 'memory' ? new LocalMetadataBackend(null) : null;
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 6000;
  const running = new Map<number, TestBroker>();
  const ports = new Map<number, number>();
  const dataDirs = new Map<number, string>();

  const launch = async (id: number): Promise<TestBroker> => {
    // The cluster owns file-engine data dirs, so a restarted broker comes back with its log.
    if ((opts.storage ?? 'memory') === 'file' && !dataDirs.has(id)) dataDirs.set(id, mkdtempSync(join(tmpdir(), `samsa-cluster-${id}-`)));
    const config: Record<string, string> = {
      'broker.id': String(id),
      ...storeTimeouts(sessionTimeoutMs),
      'offsets.topic.replication.factor': String(Math.min(3, n)),
      ...(kind === 'zookeeper' ? { 'zookeeper.connect': connect! } : {}),
      ...(kind === 'etcd' ? { 'metadata.store': connect! } : {}),
      ...(opts.racks?.[id] != null ? { 'broker.rack': opts.racks[id]! } : {}),
      ...(opts.logDirsPerBroker !== undefined && dataDirs.has(id) ? { 'log.dirs': Array.from({ length: opts.logDirsPerBroker }, (_, i) => join(dataDirs.get(id)!, `d${i}`)).join(',') } : {}),
      ...opts.config,
    };
    const b = await startBroker({
      storage: opts.storage ?? 'memory',
      ...(ports.has(id) ? { port: ports.get(id)! } : {}),
      ...(dataDirs.has(id) ? { dataDir: dataDirs.get(id)! } : {}),
      config,
      ...(backend !== null ? { metadataStore: new LocalMetadataStore(backend) } : {}),
      ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    });
    ports.set(id, b.port);
    running.set(id, b);
    return b;
  };

  try {
    await opts.prepareStore?.(connect);
    await Promise.all(Array.from({ length: n }, (_, i) => launch(i)));
  } catch (e) {
    await Promise.all([...running.values()].map((b) => b.stop().catch(() => undefined)));
    await service?.stop();
    throw e;
  }
  // Every broker sees every other one before the cluster is handed out.
  await Promise.all([...running.values()].map((b) => b.broker.topics.metadata.waitFor((i) => i.brokers.length === n && i.controllerId >= 0, 30000)));

  const cluster: TestCluster = {
    brokers: running,
    get bootstrap() {
      return bootstrapOf(running);
    },
    service,
    connect,
    broker: (id) => runningBroker(running, id),
    async controller(timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const b of running.values()) if (b.broker.controller.isActive) return b.broker.nodeId;
        if (Date.now() > deadline) throw new Error('no active controller');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stopBroker(id) {
      const b = cluster.broker(id);
      running.delete(id);
      await b.stop();
    },
    async killBroker(id) {
      const b = cluster.broker(id);
      running.delete(id);
      // No controlled shutdown: listeners close and the session ends; the controller learns it
      // from the registration disappearing, as with a crash (a real crash waits out the session).
      await b.broker.stop({ controlledShutdown: false });
      await b.stop();
    },
    restartBroker: launch,
    async stop() {
      await Promise.all([...running.values()].map((b) => b.stop()));
      running.clear();
      await service?.stop();
      for (const d of dataDirs.values()) rmSync(d, { recursive: true, force: true });
    },
  };
  return cluster;
}
