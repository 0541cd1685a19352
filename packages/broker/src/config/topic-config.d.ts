/**
 * Topic-level configs: one table giving each config's type, validation and broker synonyms
 * (the broker key whose value is the topic's default, e.g. log.retention.ms -> retention.ms).
 * From it come validation for CreateTopics/AlterConfigs, the DescribeConfigs view and the
 * LogConfig handed to storage.
 */
import type { LogConfig } from '../storage/partition-log.js';
import type { BrokerConfig } from './broker-config.js';
import { ConfigSource, type ConfigType, type ConfigValue, type Validator } from './config-def.js';
export interface TopicConfigDef {
    name: string;
    type: ConfigType;
    validator?: Validator;
    /**
     * Broker keys this topic config inherits from, in precedence order. The first one that is
     * set supplies the default; `derive` computes the value when the synonyms need arithmetic
     * (hours -> ms).
     */
    synonyms: readonly string[];
    /** Topic default as text when the broker has no synonym. */
    fallback?: string;
    derive?: (broker: BrokerConfig) => string;
}
export declare const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[];
export declare function topicConfigDef(name: string): TopicConfigDef | undefined;
/** The default text of a topic config for this broker (derived from its synonyms). */
export declare function topicDefault(def: TopicConfigDef, broker: BrokerConfig): string;
/**
 * Validates topic config overrides (CreateTopics configs, AlterConfigs). Throws
 * ConfigException with a message suitable for INVALID_CONFIG's error message.
 */
export declare function validateTopicConfigs(overrides: ReadonlyMap<string, string> | Record<string, string>): Map<string, string>;
/** One topic's effective configs: broker-derived defaults plus the topic's overrides. */
export declare class TopicConfig {
    readonly broker: BrokerConfig;
    readonly overrides: ReadonlyMap<string, string>;
    private readonly values;
    constructor(broker: BrokerConfig, overrides?: ReadonlyMap<string, string>);
    get(name: string): ConfigValue;
    num(name: string): number;
    /** The storage contract's view. */
    toLogConfig(): LogConfig;
    /** DescribeConfigs entries for the topic, in table order (or only `names`). */
    describe(names?: readonly string[] | null, includeSynonyms?: boolean): DescribedConfig[];
}
export interface ConfigSynonym {
    name: string;
    value: string | null;
    source: ConfigSource;
}
export interface DescribedConfig {
    name: string;
    value: string | null;
    readOnly: boolean;
    source: ConfigSource;
    isSensitive: boolean;
    /** DescribeConfigs configType code. */
    configType: number;
    synonyms: ConfigSynonym[];
}
