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
  /** offsets.commit.timeout.ms: how long a write waits for the in-sync replicas */
  offsetCommitTimeoutMs: number;
  /** group.consumer.session.timeout.ms (KIP-848 groups) */
  consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  consumerHeartbeatIntervalMs: number;
  /** group.consumer.assignors: names, the first is the default */
  consumerAssignors: readonly string[];
}

export const DEFAULT_GROUP_CONFIG: GroupCoordinatorConfig = {
  numPartitions: 50,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 2147483647,
  newMemberJoinTimeoutMs: 300_000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetCommitTimeoutMs: 5000,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerAssignors: ['uniform', 'range'],
};

/** A config value when the broker config defines it, else the default (KIP-848 settings are not all declared yet). */
function optional<T>(config: BrokerConfig, name: string, fallback: T): T {
  try {
    const v = config.get(name) as unknown;
    return v === undefined || v === null ? fallback : (v as T);
  } catch {
    return fallback;
  }
}

export function groupConfigFrom(config: BrokerConfig): GroupCoordinatorConfig {
  return {
    numPartitions: config.int('offsets.topic.num.partitions'),
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxSize: config.int('group.max.size'),
    newMemberJoinTimeoutMs: DEFAULT_GROUP_CONFIG.newMemberJoinTimeoutMs,
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: Number(config.long('offsets.retention.check.interval.ms')),
    offsetCommitTimeoutMs: config.int('offsets.commit.timeout.ms'),
    consumerSessionTimeoutMs: optional(config, 'group.consumer.session.timeout.ms', DEFAULT_GROUP_CONFIG.consumerSessionTimeoutMs),
    consumerHeartbeatIntervalMs: optional(config, 'group.consumer.heartbeat.interval.ms', DEFAULT_GROUP_CONFIG.consumerHeartbeatIntervalMs),
    consumerAssignors: DEFAULT_GROUP_CONFIG.consumerAssignors,
  };
}
