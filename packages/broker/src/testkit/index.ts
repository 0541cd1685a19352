/**
 * In-process brokers for tests: `startBroker()` starts one on 127.0.0.1 with an ephemeral port
 * in milliseconds (memory storage by default). Use `bootstrap` as the client's broker list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../broker.js';
import type { Clock } from '../util/clock.js';

export { FakeClock, SystemClock, systemClock, type Clock } from '../util/clock.js';
export { Broker } from '../broker.js';
export { createLogger, Logger, type LogLevel, type LogSink } from '../util/log.js';
export { requestChannel, type RequestEvent } from '../server/request-router.js';
export { startZooKeeper, startEtcd, freePort, fourLetterWord, zooKeeperJavaArgs, ZOOKEEPER_JAR, type CoordinationService } from './coordination-services.js';
export { startCluster, type StartClusterOptions, type TestCluster } from './cluster.js';
export { startProcessCluster, type StartProcessClusterOptions, type ProcessCluster, type ProcessBroker } from './process-cluster.js';
export { startServer, spawnSamsa, samsaCommand, serverLogDir, type ServerProcess } from './server-process.js';

export interface StartBrokerOptions {
  /** Default: memory (or file when SAMSA_TESTKIT_STORAGE=file). */
  storage?: 'memory' | 'file';
  /** Data directory for the file engine (a fresh temp dir when omitted; removed on stop). */
  dataDir?: string;
  /** 0 (default) = ephemeral. */
  port?: number;
  /** Extra server.properties entries. */
  config?: Record<string, string>;
  clock?: Clock;
  handlers?: BrokerOptions['handlers'];
  appendHook?: BrokerOptions['appendHook'];
  /** Where the broker logs (tests that assert on log lines pass a capturing logger). */
  logger?: BrokerOptions['logger'];
  /** A metadata store session of its own (clusters); otherwise the config picks one. */
  metadataStore?: BrokerOptions['metadataStore'];
}

export interface TestBroker {
  host: string;
  port: number;
  /** `localhost:PORT`: the advertised name, as Kafka test harnesses expect (COMPAT trap 12). */
  bootstrap: string;
  broker: Broker;
  dataDir: string | null;
  stop(): Promise<void>;
}

/**
 * The storage of brokers that do not choose one: memory, or `SAMSA_TESTKIT_STORAGE=file` (the
 * test runner passes the broker-level suites once more on the file engine that way).
 */
function defaultStorage(): 'memory' | 'file' {
  return process.env['SAMSA_TESTKIT_STORAGE'] === 'file' ? 'file' : 'memory';
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  const storage = opts.storage ?? defaultStorage();
  let dataDir: string | null = null;
  let ownsDir = false;
  if (storage === 'file') {
    dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'samsa-test-'));
    ownsDir = opts.dataDir === undefined;
  }
  const config: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`,
    'advertised.listeners': `PLAINTEXT://localhost:${opts.port ?? 0}`,
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    ...(dataDir !== null ? { 'log.dirs': dataDir } : {}),
    ...opts.config,
  };
  const brokerOpts: BrokerOptions = { config, storage };
  if (opts.clock !== undefined) brokerOpts.clock = opts.clock;
  if (opts.handlers !== undefined) brokerOpts.handlers = opts.handlers;
  if (opts.appendHook !== undefined) brokerOpts.appendHook = opts.appendHook;
  if (opts.logger !== undefined) brokerOpts.logger = opts.logger;
  if (opts.metadataStore !== undefined) brokerOpts.metadataStore = opts.metadataStore;
  const broker = new Broker(brokerOpts);
  await broker.start();
  const port = broker.boundListeners[0]!.port;
  const adv = broker.advertisedListener(broker.boundListeners[0]!.name);
  return {
    host: '127.0.0.1',
    port,
    bootstrap: `${adv.host}:${port}`,
    broker,
    dataDir,
    async stop() {
      await broker.stop();
      if (ownsDir && dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
