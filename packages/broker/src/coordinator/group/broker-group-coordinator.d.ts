/**
 * The group coordinator inside a broker: owns the GroupCoordinator, writes through the
 * `__consumer_offsets` partition logs, loads a partition's shard when this broker leads it (at
 * startup, and when the topic is created on the first FindCoordinator) and unloads it when it
 * stops leading it or the topic goes away. Timers run on the broker's clock.
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { TopicManager } from '../../metadata/topic-manager.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { GroupCoordinator } from './group-coordinator.js';
export interface GroupCoordinatorHost {
    readonly config: BrokerConfig;
    readonly clock: Clock;
    readonly log: Logger;
    readonly nodeId: number;
    readonly topics: TopicManager;
    readonly partitions: ReplicaManager;
}
export declare class BrokerGroupCoordinator {
    private readonly host;
    readonly coordinator: GroupCoordinator;
    private unsubscribe;
    private readonly log;
    private readonly loader;
    constructor(host: GroupCoordinatorHost);
    /** Loads the partitions this broker leads and follows metadata changes. */
    start(): void;
    stop(): void;
    /** Creates `__consumer_offsets` if it does not exist yet (Kafka does it on the first FindCoordinator). */
    ensureTopic(): Promise<number>;
    /** The node leading a group's partition, or null when the topic or partition is not there yet. */
    coordinatorNodeFor(groupId: string): number | null;
}
