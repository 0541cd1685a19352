/**
 * Topic administration from any broker, the way ZooKeeper-era Kafka's AdminZkClient does it:
 * validate against the current image, write the assignment (/brokers/topics/T) and config
 * (/config/topics/T) keys, queue deletions under /admin/delete_topics, and let the controller
 * give partitions their leaders. Each operation then waits until this broker's image shows the
 * result (it never assumes a watch fired inside the write), up to the operation's timeout.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ClusterMetadata, type MetadataListener } from './cluster-metadata.js';
import type { MetadataImage, TopicImage } from './image.js';
import { type MetadataStore } from './metadata-store.js';
export type { MetadataListener } from './cluster-metadata.js';
export interface CreateTopicRequest {
    name: string;
    /** -1 = num.partitions */
    numPartitions?: number;
    /** -1 = default.replication.factor */
    replicationFactor?: number;
    /** Manual assignment: partition -> broker ids. */
    assignments?: ReadonlyArray<{
        partition: number;
        brokerIds: readonly number[];
    }>;
    configs?: ReadonlyMap<string, string> | Record<string, string>;
}
interface PlannedTopic {
    id: string;
    partitions: number[][];
    configs: Record<string, string>;
}
export declare class TopicManager {
    private readonly store;
    private readonly config;
    readonly nodeId: number;
    readonly metadata: ClusterMetadata;
    constructor(store: MetadataStore, config: BrokerConfig, clusterId: string, nodeId: number);
    get image(): MetadataImage;
    /** Loads the stored metadata and starts following store changes. */
    load(): Promise<void>;
    onChange(listener: MetadataListener): () => void;
    close(): void;
    private liveBrokers;
    /** Checks a create request and returns what it would write (CreateTopics validateOnly uses this). */
    validateCreate(req: CreateTopicRequest): PlannedTopic;
    private validConfigs;
    createTopic(req: CreateTopicRequest, opts?: {
        validateOnly?: boolean;
        timeoutMs?: number;
    }): Promise<TopicImage>;
    deleteTopic(name: string, opts?: {
        timeoutMs?: number;
    }): Promise<TopicImage>;
    createPartitions(name: string, totalCount: number, opts?: {
        validateOnly?: boolean;
        assignments?: ReadonlyArray<readonly number[]> | null;
        timeoutMs?: number;
    }): Promise<TopicImage>;
    /** Replaces the topic's config overrides (already merged by the caller for incremental alters). */
    setTopicConfigs(name: string, configs: ReadonlyMap<string, string>, opts?: {
        validateOnly?: boolean;
        timeoutMs?: number;
    }): Promise<TopicImage>;
    /**
     * Dynamic broker config overrides as stored: `entity` is a node id, or '' for the
     * cluster-wide default (Kafka's `<default>` entity).
     */
    brokerConfigOverrides(entity: string): Promise<Map<string, string>>;
    /** Replaces an entity's dynamic broker config overrides (empty = none) and applies them to this broker's config. */
    setBrokerConfigOverrides(entity: string, configs: ReadonlyMap<string, string>): Promise<void>;
    /** Applies the stored dynamic broker configs (this node's and the cluster default) to the broker config. */
    loadBrokerConfigOverrides(): Promise<void>;
}
