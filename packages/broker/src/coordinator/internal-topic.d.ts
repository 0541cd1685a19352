import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { MetadataImage } from '../metadata/image.js';
import type { TopicManager } from '../metadata/topic-manager.js';
import type { Logger } from '../util/log.js';
export interface InternalTopicHost {
    readonly nodeId: number;
    readonly topics: TopicManager;
    readonly partitions: ReplicaManager;
}
export interface InternalTopicCoordinator {
    numPartitions: number;
    partitionFor(key: string): number;
    loadPartition(partition: number, epoch: number): Promise<void>;
    unloadPartition(partition: number): void;
}
export interface InternalTopicSpec {
    name: string;
    numPartitions: number;
    replicationFactor: number;
    configs: Record<string, string>;
}
export declare class InternalTopicCoordinatorLoader {
    private readonly host;
    private readonly coordinator;
    private readonly spec;
    private readonly log;
    /** Leader epoch each loaded partition was loaded at. */
    private readonly loadedEpochs;
    private creating;
    constructor(host: InternalTopicHost, coordinator: InternalTopicCoordinator, spec: () => InternalTopicSpec, log: Logger);
    private get topic();
    /** Loads the partitions led here (at their leader epoch) and unloads those no longer led. */
    reconcile(image: MetadataImage): void;
    clear(): void;
    /**
     * Creates the topic if it does not exist yet. Returns NONE, or COORDINATOR_NOT_AVAILABLE when
     * it cannot be created (e.g. a replication factor larger than the number of brokers, as in Kafka).
     */
    ensureTopic(): Promise<number>;
    /** The node leading a key's partition, or null when the topic or partition is not there yet. */
    coordinatorNodeFor(key: string): number | null;
}
