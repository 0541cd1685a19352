export declare const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
export declare const ETCD_BIN = "/usr/bin/etcd";
export interface CoordinationService {
    /** zookeeper.connect (host:port) or metadata.store (etcd://host:port) value. */
    readonly connect: string;
    readonly port: number;
    readonly pid: number;
    readonly dataDir: string;
    /** Stops the server (SIGTERM, then SIGKILL) and removes its data dir. */
    stop(): Promise<void>;
}
export declare function freePort(): Promise<number>;
/** java arguments that run ZooKeeper's standalone server with `args` (a zoo.cfg, or port and data dir). */
export declare function zooKeeperJavaArgs(args: readonly string[]): string[];
/**
 * Starts a standalone ZooKeeper. tickTime 500 ms allows session timeouts from 1 s to 10 s,
 * so tests of session expiry stay short; the admin HTTP server is off (it would take port 8080).
 */
export declare function startZooKeeper(opts?: {
    tickTimeMs?: number;
}): Promise<CoordinationService>;
/** Starts a single-member etcd on two free ports (client, peer). */
export declare function startEtcd(): Promise<CoordinationService>;
