import { ReplicaManager } from './cluster/replica-manager.js';
import { BrokerConfig, type AdvertisedListener } from './config/broker-config.js';
import { BrokerTransactionCoordinator } from './coordinator/transaction/broker-transaction-coordinator.js';
import { BrokerGroupCoordinator } from './coordinator/group/broker-group-coordinator.js';
import type { ApiHandler, BrokerServices, PartitionAppendHook } from './handlers/types.js';
import type { MetadataImage } from './metadata/image.js';
import { Controller } from './metadata/controller.js';
import { type MetadataStore } from './metadata/metadata-store.js';
import { TopicManager } from './metadata/topic-manager.js';
import { FetchSessionCache } from './server/fetch-session-cache.js';
import { ProducerManager } from './producer/producer-manager.js';
import { Purgatory } from './server/purgatory.js';
import { SocketServer } from './server/socket-server.js';
import { LogCleaner } from './storage/log-cleaner.js';
import type { StorageEngine } from './storage/partition-log.js';
import { type Clock } from './util/clock.js';
import { type Logger } from './util/log.js';
/** Kafka's marker of a clean shutdown in each log dir (skips recovery on the next start). */
export declare const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export interface BrokerOptions {
    config?: BrokerConfig | Record<string, string>;
    /** 'file' (default): Kafka's on-disk layout in log.dirs; 'memory': nothing on disk. */
    storage?: 'file' | 'memory' | StorageEngine;
    clock?: Clock;
    logger?: Logger;
    /** Replaces the handler list (tests, embedding). */
    handlers?: readonly ApiHandler[];
    metadataStore?: MetadataStore;
    /** Cluster id to use when none is stored yet (memory brokers, tests). */
    clusterId?: string;
    appendHook?: PartitionAppendHook | null;
    /** How long stop() waits for in-flight responses. */
    shutdownGraceMs?: number;
}
export declare class Broker implements BrokerServices {
    private readonly opts;
    readonly config: BrokerConfig;
    readonly clock: Clock;
    readonly log: Logger;
    readonly nodeId: number;
    /** Long-poll fetches. */
    readonly purgatory: Purgatory;
    /** acks=all produces waiting for the high watermark. */
    readonly producePurgatory: Purgatory;
    readonly fetchSessions: FetchSessionCache;
    readonly handlers: readonly ApiHandler[];
    readonly apiVersions: ReadonlyArray<{
        apiKey: number;
        minVersion: number;
        maxVersion: number;
    }>;
    private state;
    private storageEngine;
    private topicManager;
    private registry;
    private store;
    private servers;
    private retentionTimer;
    private producerManager;
    private cleaner;
    private groups;
    private txns;
    private controllerRole;
    private unsubscribeSession;
    private cluster;
    private dirLocks;
    constructor(opts?: BrokerOptions);
    get clusterId(): string;
    get metadata(): MetadataImage;
    get topics(): TopicManager;
    get partitions(): ReplicaManager;
    /** This broker's controller role (active when it won the election). */
    get controller(): Controller;
    get metadataStore(): MetadataStore;
    get storage(): StorageEngine;
    /** Producer ids and idempotent producer state (null when an appendHook replaced it, or not started). */
    get producers(): ProducerManager | null;
    /** Consumer groups and committed offsets (`__consumer_offsets`); null until started. */
    get groupCoordinator(): BrokerGroupCoordinator | null;
    /** Transactions (`__transaction_state`); null until started. */
    get transactionCoordinator(): BrokerTransactionCoordinator | null;
    /** Log compaction (null when log.cleaner.enable=false or not started). */
    get logCleaner(): LogCleaner | null;
    get isRunning(): boolean;
    /** Bound ports by listener name (differs from the config when it said 0). */
    get boundListeners(): Array<{
        name: string;
        host: string;
        port: number;
    }>;
    /** Open client connections across listeners. */
    get connectionCount(): number;
    /** For tests: the socket servers (connection inspection). */
    get socketServers(): readonly SocketServer[];
    advertisedListener(listenerName: string): AdvertisedListener;
    autoCreateTopic(name: string): Promise<void>;
    start(): Promise<void>;
    /**
     * The cluster id lives in the store (/cluster/id): the first broker writes its own (from
     * meta.properties, or new); every broker checks its log dirs belong to that cluster.
     */
    private resolveClusterId;
    /** The ephemeral /brokers/ids/N registration; waits out a previous session's node (a restart within the session timeout). */
    private register;
    /** Session lost: stop leading (fenced) and give up the controller seat; restored: re-register and rejoin. */
    private onSessionChange;
    private scheduleRetention;
    private startLogCleaner;
    /** Runs a retention pass now (tests, admin). */
    applyRetention(): void;
    stop(): Promise<void>;
    private shutdownParts;
}
