import { brokerConfigDef } from './broker-config.js';
import { atLeast, between, CONFIG_TYPE_CODE, ConfigException, ConfigSource, formatValue, oneOf, parseValue, } from './config-def.js';
import { refusedMessage, TOPIC_CONFIG_SUPPORT } from './config-support.js';
const t = (name, type, synonyms, extra = {}) => ({ name, type, synonyms, ...extra });
export const TOPIC_CONFIG_DEFS = [
    t('cleanup.policy', 'list', ['log.cleanup.policy'], { validator: oneOf('compact', 'delete') }),
    t('compression.type', 'string', ['compression.type'], { validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') }),
    t('compression.gzip.level', 'int', ['compression.gzip.level']),
    t('compression.lz4.level', 'int', ['compression.lz4.level'], { validator: between(1, 17) }),
    t('compression.zstd.level', 'int', ['compression.zstd.level'], { validator: between(-131072, 22) }),
    t('delete.retention.ms', 'long', ['log.cleaner.delete.retention.ms'], { validator: atLeast(0) }),
    t('file.delete.delay.ms', 'long', ['log.segment.delete.delay.ms'], { validator: atLeast(0) }),
    t('flush.messages', 'long', ['log.flush.interval.messages'], { validator: atLeast(1) }),
    t('flush.ms', 'long', ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], { validator: atLeast(0), derive: (b) => fmtLong(b.logFlushIntervalMs) }),
    t('follower.replication.throttled.replicas', 'list', [], { fallback: '' }),
    t('index.interval.bytes', 'int', ['log.index.interval.bytes'], { validator: atLeast(0) }),
    t('leader.replication.throttled.replicas', 'list', [], { fallback: '' }),
    t('max.compaction.lag.ms', 'long', ['log.cleaner.max.compaction.lag.ms'], { validator: atLeast(1) }),
    t('max.message.bytes', 'int', ['message.max.bytes'], { validator: atLeast(0) }),
    t('message.timestamp.after.max.ms', 'long', ['log.message.timestamp.after.max.ms'], { validator: atLeast(0) }),
    t('message.timestamp.before.max.ms', 'long', ['log.message.timestamp.before.max.ms'], { validator: atLeast(0) }),
    t('message.timestamp.type', 'string', ['log.message.timestamp.type'], { validator: oneOf('CreateTime', 'LogAppendTime') }),
    t('min.cleanable.dirty.ratio', 'double', ['log.cleaner.min.cleanable.ratio'], { validator: between(0, 1) }),
    t('min.compaction.lag.ms', 'long', ['log.cleaner.min.compaction.lag.ms'], { validator: atLeast(0) }),
    t('min.insync.replicas', 'int', ['min.insync.replicas'], { validator: atLeast(1) }),
    t('preallocate', 'boolean', ['log.preallocate']),
    t('retention.bytes', 'long', ['log.retention.bytes']),
    t('retention.ms', 'long', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], { validator: atLeast(-1), derive: (b) => fmtLong(b.logRetentionMs) }),
    t('segment.bytes', 'int', ['log.segment.bytes'], { validator: atLeast(14) }),
    t('segment.index.bytes', 'int', ['log.index.size.max.bytes'], { validator: atLeast(4) }),
    t('segment.jitter.ms', 'long', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], { validator: atLeast(0), derive: (b) => fmtLong(b.logRollJitterMs) }),
    t('segment.ms', 'long', ['log.roll.ms', 'log.roll.hours'], { validator: atLeast(1), derive: (b) => fmtLong(b.logRollMs) }),
    t('unclean.leader.election.enable', 'boolean', ['unclean.leader.election.enable']),
];
const TOPIC_DEFS_BY_NAME = new Map(TOPIC_CONFIG_DEFS.map((x) => [x.name, x]));
export function topicConfigDef(name) {
    return TOPIC_DEFS_BY_NAME.get(name);
}
function fmtLong(n) {
    return formatValue('long', n) ?? String(n);
}
/** The default text of a topic config for this broker (derived from its synonyms). */
export function topicDefault(def, broker) {
    if (def.derive !== undefined)
        return def.derive(broker);
    const syn = def.synonyms[0];
    if (syn !== undefined)
        return broker.text(syn) ?? '';
    return def.fallback ?? '';
}
/**
 * Validates topic config overrides (CreateTopics configs, AlterConfigs). Throws
 * ConfigException with a message suitable for INVALID_CONFIG's error message.
 */
export function validateTopicConfigs(overrides) {
    const entries = overrides instanceof Map ? [...overrides] : Object.entries(overrides);
    const out = new Map();
    for (const [name, raw] of entries) {
        const def = TOPIC_DEFS_BY_NAME.get(name);
        if (def === undefined)
            throw new ConfigException(`Unknown topic config name: ${name}`);
        const v = parseValue(name, def.type, raw);
        const err = v === null ? null : def.validator?.check(v);
        if (err)
            throw new ConfigException(`Invalid value ${raw} for configuration ${name}: ${err}`);
        const support = TOPIC_CONFIG_SUPPORT.get(name);
        if (support?.kind === 'refused' && formatValue(def.type, v) !== kafkaDefault(def)) {
            throw new ConfigException(refusedMessage(name, raw, support.reason));
        }
        out.set(name, raw);
    }
    return out;
}
/** Kafka's default of a topic config: its first broker synonym's default, or its own. */
function kafkaDefault(def) {
    const synonym = def.synonyms[0] === undefined ? undefined : brokerConfigDef(def.synonyms[0]);
    const raw = synonym?.default ?? def.fallback ?? null;
    return raw === null ? null : formatValue(def.type, parseValue(def.name, def.type, raw));
}
/** One topic's effective configs: broker-derived defaults plus the topic's overrides. */
export class TopicConfig {
    broker;
    overrides;
    values = new Map();
    constructor(broker, overrides = new Map()) {
        this.broker = broker;
        this.overrides = overrides;
        for (const def of TOPIC_CONFIG_DEFS) {
            const raw = overrides.get(def.name) ?? topicDefault(def, broker);
            this.values.set(def.name, parseValue(def.name, def.type, raw));
        }
    }
    get(name) {
        return this.values.get(name) ?? null;
    }
    num(name) { return this.values.get(name); }
    /** The storage contract's view. */
    toLogConfig() {
        return {
            segmentBytes: this.num('segment.bytes'),
            segmentMs: this.num('segment.ms'),
            retentionMs: this.num('retention.ms'),
            retentionBytes: this.num('retention.bytes'),
            segmentIndexBytes: this.num('segment.index.bytes'),
            indexIntervalBytes: this.num('index.interval.bytes'),
            flushMessages: this.num('flush.messages'),
            flushMs: this.num('flush.ms'),
            cleanupPolicy: this.values.get('cleanup.policy').join(','),
            deleteRetentionMs: this.num('delete.retention.ms'),
            minCompactionLagMs: this.num('min.compaction.lag.ms'),
            minCleanableDirtyRatio: this.num('min.cleanable.dirty.ratio'),
            fileDeleteDelayMs: this.num('file.delete.delay.ms'),
            messageTimestampType: this.values.get('message.timestamp.type'),
            maxMessageBytes: this.num('max.message.bytes'),
        };
    }
    /** DescribeConfigs entries for the topic, in table order (or only `names`). */
    describe(names, includeSynonyms = false) {
        const defs = names === undefined || names === null ? TOPIC_CONFIG_DEFS : names.map((n) => TOPIC_DEFS_BY_NAME.get(n)).filter((x) => x !== undefined);
        return defs.map((def) => describeTopicConfig(def, this.broker, this.overrides, includeSynonyms));
    }
}
function describeTopicConfig(def, broker, overrides, includeSynonyms) {
    const override = overrides.get(def.name);
    // Kafka's ConfigHelper: broker synonyms layer by layer (this broker's dynamic values, the
    // cluster-wide dynamic default, server.properties); the first one found names the source.
    const dynamicBroker = broker.dynamicOverrides('broker');
    const dynamicDefault = broker.dynamicOverrides('default');
    const brokerSynonyms = [];
    for (const s of def.synonyms) {
        const v = dynamicBroker.get(s);
        if (v !== undefined)
            brokerSynonyms.push({ name: s, value: v, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    }
    for (const s of def.synonyms) {
        const v = dynamicDefault.get(s);
        if (v !== undefined)
            brokerSynonyms.push({ name: s, value: v, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    }
    for (const s of def.synonyms) {
        const v = broker.originals.get(s);
        if (v !== undefined)
            brokerSynonyms.push({ name: s, value: v, source: ConfigSource.STATIC_BROKER_CONFIG });
    }
    const source = override !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : brokerSynonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    const value = override !== undefined ? formatValue(def.type, parseValue(def.name, def.type, override)) : topicDefault(def, broker);
    const synonyms = [];
    if (includeSynonyms) {
        if (override !== undefined)
            synonyms.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
        synonyms.push(...brokerSynonyms);
        const first = def.synonyms[0];
        if (first !== undefined && brokerConfigDef(first)?.default != null)
            synonyms.push({ name: first, value: brokerConfigDef(first).default, source: ConfigSource.DEFAULT_CONFIG });
    }
    return { name: def.name, value, readOnly: false, source, isSensitive: false, configType: CONFIG_TYPE_CODE[def.type], synonyms };
}
//# sourceMappingURL=topic-config.js.map