/**
 * Several `samsa server` child processes sharing a real ZooKeeper or etcd:
 * `startProcessCluster({ brokers: 3, store })`. Each broker listens on a free 127.0.0.1 port with
 * file storage in its own temp dir; hooks stop (SIGTERM, controlled shutdown, exit 0 expected),
 * kill (SIGKILL, a crash: the store session expires after zookeeper.session.timeout.ms) and
 * restart (same port and log dir) a broker. The controller is read from Metadata, as a client does.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiByName, ApiKey, type MetadataResponse } from '@samsa/protocol';
import { Connection } from '@samsa/network';
import { bootstrapOf, runningBroker, storeTimeouts } from './cluster.js';
import { startEtcd, startZooKeeper, freePort, type CoordinationService } from './coordination-services.js';
import { startServer, type ServerProcess } from './server-process.js';

export interface StartProcessClusterOptions {
  brokers?: number;
  store?: 'zookeeper' | 'etcd';
  /** An already running ZooKeeper (host:port) or etcd (etcd://host:port) to use instead of starting one. */
  connect?: string;
  /** Extra server.properties entries for every broker. */
  config?: Record<string, string>;
  /** zookeeper.session.timeout.ms (also the etcd lease TTL); 6000 by default. */
  sessionTimeoutMs?: number;
  /** Node arguments that run `samsa` (default: this repository's CLI, see server-process.ts). */
  command?: readonly string[];
}

export interface ProcessBroker {
  id: number;
  port: number;
  /** `localhost:PORT`, the advertised listener. */
  bootstrap: string;
  logDir: string;
  process: ServerProcess;
}

export interface ProcessCluster {
  /** Running broker processes by node id (0..n-1); a stopped or killed broker is absent. */
  readonly brokers: ReadonlyMap<number, ProcessBroker>;
  /** Every running broker, comma-separated. */
  readonly bootstrap: string;
  readonly service: CoordinationService | null;
  /** zookeeper.connect or metadata.store value of the brokers (with chroot/prefix). */
  readonly connect: string;
  broker(id: number): ProcessBroker;
  /** Metadata from one running broker. */
  metadata(id: number): Promise<MetadataResponse>;
  /**
   * Node id of the controller that every running broker reports, waiting until they agree on a
   * running one (other than `not`, for a test waiting on a failover).
   */
  controller(opts?: { timeoutMs?: number; not?: number }): Promise<number>;
  /** SIGTERM, then waits for the exit; throws unless the exit code is 0. */
  stopBroker(id: number): Promise<void>;
  /** SIGKILL (kill -9), then waits for the process to be gone. */
  killBroker(id: number): Promise<void>;
  /** Starts the broker again on its old port and log dir; resolves once it logged that it started. */
  restartBroker(id: number): Promise<ProcessBroker>;
  /** Waits until every running broker lists `count` brokers (default: the running ones). */
  waitForBrokers(count?: number, timeoutMs?: number): Promise<void>;
  /** Kills what still runs, stops the store it started, removes the log dirs. */
  stop(): Promise<void>;
}

export async function startProcessCluster(opts: StartProcessClusterOptions = {}): Promise<ProcessCluster> {
  const n = opts.brokers ?? 3;
  const kind = opts.store ?? 'zookeeper';
  const service = opts.connect === undefined ? (kind === 'zookeeper' ? await startZooKeeper() : await startEtcd()) : null;
  const connect = `${opts.connect ?? service!.connect}/samsa-${randomBytes(4).toString('hex')}`;
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 6000;
  const root = mkdtempSync(join(tmpdir(), 'samsa-process-cluster-'));
  const running = new Map<number, ProcessBroker>();
  const ports = new Map<number, number>();
  const connections = new Map<number, Connection>();

  const propsFile = (id: number, port: number): { props: string; logDir: string } => {
    const logDir = join(root, `broker-${id}`);
    mkdirSync(logDir, { recursive: true });
    const config: Record<string, string> = {
      'broker.id': String(id),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'advertised.listeners': `PLAINTEXT://localhost:${port}`,
      'log.dirs': logDir,
      [kind === 'zookeeper' ? 'zookeeper.connect' : 'metadata.store']: connect,
      ...storeTimeouts(sessionTimeoutMs),
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.replication.factor': String(Math.min(3, n)),
      'transaction.state.log.replication.factor': String(Math.min(3, n)),
      'transaction.state.log.min.isr': '1',
      ...opts.config,
    };
    const props = join(root, `server-${id}.properties`);
    writeFileSync(props, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    return { props, logDir };
  };

  const launch = async (id: number): Promise<ProcessBroker> => {
    const port = ports.get(id) ?? (await freePort());
    ports.set(id, port);
    const { props, logDir } = propsFile(id, port);
    const proc = await startServer(props, [], {}, opts.command);
    const b: ProcessBroker = { id, port, bootstrap: `localhost:${port}`, logDir, process: proc };
    running.set(id, b);
    return b;
  };

  const connectionTo = (id: number): Connection => {
    const port = ports.get(id)!;
    let c = connections.get(id);
    if (c === undefined || c.port !== port) {
      c?.close();
      c = new Connection('127.0.0.1', port, id, {
        clientId: 'samsa-testkit', requestTimeoutMs: 5000, connectTimeoutMs: 5000, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 500,
        maxVersions: new Map([[ApiKey.ApiVersions, 3], [ApiKey.Metadata, 12]]), softwareName: 'samsa-testkit', softwareVersion: '0.1.0',
      });
      connections.set(id, c);
    }
    return c;
  };

  /** Polls until `ready` holds for the Metadata of every running broker. */
  const waitForMetadata = async (ready: (all: MetadataResponse[]) => boolean, what: string, timeoutMs: number): Promise<MetadataResponse[]> => {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    for (;;) {
      try {
        const all = await Promise.all([...running.keys()].map((id) => cluster.metadata(id)));
        if (ready(all)) return all;
        last = JSON.stringify(all.map((m) => ({ controller: m.controllerId, brokers: m.brokers.map((b) => b.nodeId) })));
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms (last: ${last})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const cluster: ProcessCluster = {
    brokers: running,
    get bootstrap() {
      return bootstrapOf(running);
    },
    service,
    connect,
    broker: (id) => runningBroker(running, id),
    async metadata(id) {
      cluster.broker(id);
      const { response } = await connectionTo(id).send(apiByName.Metadata, () => ({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
      return response;
    },
    async controller({ timeoutMs = 30000, not }: { timeoutMs?: number; not?: number } = {}) {
      const all = await waitForMetadata((ms) => {
        const c = ms[0]?.controllerId ?? -1;
        return c >= 0 && c !== not && running.has(c) && ms.every((m) => m.controllerId === c);
      }, 'no agreed controller', timeoutMs);
      return all[0]!.controllerId!;
    },
    async waitForBrokers(count = running.size, timeoutMs = 30000) {
      await waitForMetadata((ms) => ms.every((m) => m.brokers.length === count), `running brokers do not all list ${count} brokers`, timeoutMs);
    },
    async stopBroker(id) {
      const b = cluster.broker(id);
      running.delete(id);
      b.process.child.kill('SIGTERM');
      const code = await b.process.exited;
      if (code !== 0) throw new Error(`broker ${id} exited with ${code} on SIGTERM:\n${b.process.stderr().slice(-4000)}`);
    },
    async killBroker(id) {
      const b = cluster.broker(id);
      running.delete(id);
      b.process.child.kill('SIGKILL');
      await b.process.exited;
    },
    restartBroker: launch,
    async stop() {
      for (const c of connections.values()) c.close();
      const procs = [...running.values()];
      running.clear();
      for (const b of procs) b.process.child.kill('SIGKILL');
      await Promise.all(procs.map((b) => b.process.exited));
      await service?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(Array.from({ length: n }, (_, i) => launch(i)));
    await cluster.waitForBrokers(n);
    await cluster.controller();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
