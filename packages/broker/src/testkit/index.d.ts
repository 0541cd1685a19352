import { Broker, type BrokerOptions } from '../broker.js';
import type { Clock } from '../util/clock.js';
export { FakeClock, SystemClock, systemClock, type Clock } from '../util/clock.js';
export { Broker } from '../broker.js';
export { createLogger, Logger, type LogLevel, type LogSink } from '../util/log.js';
export { requestChannel, type RequestEvent } from '../server/request-router.js';
export { startZooKeeper, startEtcd, freePort, zooKeeperJavaArgs, ZOOKEEPER_JAR, type CoordinationService } from './coordination-services.js';
export { startCluster, type StartClusterOptions, type TestCluster } from './cluster.js';
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
export declare function startBroker(opts?: StartBrokerOptions): Promise<TestBroker>;
