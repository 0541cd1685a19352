import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { TopicManager } from '../../metadata/topic-manager.js';
import type { ProducerManager } from '../../producer/producer-manager.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { BrokerGroupCoordinator } from '../group/broker-group-coordinator.js';
import { TransactionCoordinator, type TopicPartitionRef } from './transaction-coordinator.js';
export interface TxnCoordinatorHost {
    readonly config: BrokerConfig;
    readonly clock: Clock;
    readonly log: Logger;
    readonly nodeId: number;
    readonly topics: TopicManager;
    readonly partitions: ReplicaManager;
    readonly producers: ProducerManager | null;
    readonly groupCoordinator: BrokerGroupCoordinator | null;
}
export interface MarkerEntry {
    producerId: bigint;
    producerEpoch: number;
    coordinatorEpoch: number;
    commit: boolean;
}
/**
 * Writes one marker to a partition led here (Kafka's ReplicaManager.appendRecords with origin
 * Coordinator): a control batch in the log, then the group coordinator's pending offsets for
 * `__consumer_offsets`. Throws a KafkaError (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION).
 */
export declare function writeLocalMarker(host: Pick<TxnCoordinatorHost, 'partitions' | 'clock' | 'groupCoordinator'>, tp: TopicPartitionRef, m: MarkerEntry): void;
export declare class BrokerTransactionCoordinator {
    private readonly host;
    readonly coordinator: TransactionCoordinator;
    private unsubscribe;
    private readonly log;
    private readonly loader;
    constructor(host: TxnCoordinatorHost);
    /** Marker fan-out: local leaders now; the rest come back as pending (retried by the coordinator). */
    private writeMarkers;
    start(): void;
    stop(): void;
    /** Creates `__transaction_state` on first use, as Kafka does; NONE or COORDINATOR_NOT_AVAILABLE. */
    ensureTopic(): Promise<number>;
    /** The node leading a transactional id's partition, or null when not known yet. */
    coordinatorNodeFor(transactionalId: string): number | null;
}
