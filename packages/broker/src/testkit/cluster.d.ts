import { type CoordinationService } from './coordination-services.js';
import { type StartBrokerOptions, type TestBroker } from './index.js';
export interface StartClusterOptions {
    brokers?: number;
    store?: 'memory' | 'zookeeper' | 'etcd';
    /** An already running ZooKeeper (host:port) or etcd (etcd://host:port) to use instead of starting one. */
    connect?: string;
    storage?: 'memory' | 'file';
    /** Extra server.properties entries for every broker. */
    config?: Record<string, string>;
    /** broker.rack per broker (by index). */
    racks?: ReadonlyArray<string | null>;
    /** zookeeper.session.timeout.ms (also the etcd lease TTL); 6000 by default. */
    sessionTimeoutMs?: number;
    logger?: StartBrokerOptions['logger'];
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
export declare function startCluster(opts?: StartClusterOptions): Promise<TestCluster>;
