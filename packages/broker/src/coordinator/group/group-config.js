export const DEFAULT_GROUP_CONFIG = {
    numPartitions: 50,
    initialRebalanceDelayMs: 3000,
    minSessionTimeoutMs: 6000,
    maxSessionTimeoutMs: 1_800_000,
    maxSize: 2147483647,
    newMemberJoinTimeoutMs: 300_000,
    offsetMetadataMaxBytes: 4096,
    offsetsRetentionMs: 10080 * 60_000,
    offsetsRetentionCheckIntervalMs: 600_000,
    consumerSessionTimeoutMs: 45_000,
    consumerHeartbeatIntervalMs: 5000,
    consumerAssignors: ['uniform', 'range'],
};
/** A config value when the broker config defines it, else the default (KIP-848 settings are not all declared yet). */
function optional(config, name, fallback) {
    try {
        const v = config.get(name);
        return v === undefined || v === null ? fallback : v;
    }
    catch {
        return fallback;
    }
}
export function groupConfigFrom(config) {
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
        consumerSessionTimeoutMs: optional(config, 'group.consumer.session.timeout.ms', DEFAULT_GROUP_CONFIG.consumerSessionTimeoutMs),
        consumerHeartbeatIntervalMs: optional(config, 'group.consumer.heartbeat.interval.ms', DEFAULT_GROUP_CONFIG.consumerHeartbeatIntervalMs),
        consumerAssignors: DEFAULT_GROUP_CONFIG.consumerAssignors,
    };
}
//# sourceMappingURL=group-config.js.map