/** The group coordinator's settings, by their Kafka names (read from BrokerConfig by fromBrokerConfig). */
import type { BrokerConfig } from '../../config/broker-config.js';
export interface GroupCoordinatorConfig {
    /** offsets.topic.num.partitions */
    numPartitions: number;
    /** group.initial.rebalance.delay.ms */
    initialRebalanceDelayMs: number;
    /** group.min.session.timeout.ms / group.max.session.timeout.ms */
    minSessionTimeoutMs: number;
    maxSessionTimeoutMs: number;
    /** group.max.size */
    maxSize: number;
    /** How long a new member may wait in a rebalance without rejoining (Kafka: 5 minutes, not configurable). */
    newMemberJoinTimeoutMs: number;
    /** offset.metadata.max.bytes */
    offsetMetadataMaxBytes: number;
    /** offsets.retention.minutes, in ms */
    offsetsRetentionMs: number;
    /** offsets.retention.check.interval.ms */
    offsetsRetentionCheckIntervalMs: number;
    /** group.consumer.session.timeout.ms (KIP-848 groups) */
    consumerSessionTimeoutMs: number;
    /** group.consumer.heartbeat.interval.ms */
    consumerHeartbeatIntervalMs: number;
    /** group.consumer.assignors: names, the first is the default */
    consumerAssignors: readonly string[];
}
export declare const DEFAULT_GROUP_CONFIG: GroupCoordinatorConfig;
export declare function groupConfigFrom(config: BrokerConfig): GroupCoordinatorConfig;
