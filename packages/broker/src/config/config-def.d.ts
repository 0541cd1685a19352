/**
 * Config value types, parsing and validation shared by broker and topic configs. Messages
 * follow Kafka's ConfigException wording so users recognise them.
 */
export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';
/** DescribeConfigs configType codes (KIP-569). */
export declare const CONFIG_TYPE_CODE: Record<ConfigType, number>;
/** DescribeConfigs config source codes. */
export declare enum ConfigSource {
    UNKNOWN = 0,
    DYNAMIC_TOPIC_CONFIG = 1,
    DYNAMIC_BROKER_CONFIG = 2,
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3,
    STATIC_BROKER_CONFIG = 4,
    DEFAULT_CONFIG = 5,
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
}
export type ConfigValue = boolean | string | number | string[] | null;
export declare class ConfigException extends Error {
    readonly name = "ConfigException";
}
export interface Validator {
    /** Returns an error message for the value, or null when valid. */
    check(value: ConfigValue): string | null;
    describe: string;
}
export declare const atLeast: (min: number) => Validator;
export declare const between: (min: number, max: number) => Validator;
export declare const oneOf: (...allowed: string[]) => Validator;
export declare const LONG_MAX = "9223372036854775807";
/** Parses a raw string as `type`; throws ConfigException with Kafka's wording on bad input. */
export declare function parseValue(name: string, type: ConfigType, raw: string | null): ConfigValue;
/** The text form of a typed value, as DescribeConfigs shows it. */
export declare function formatValue(type: ConfigType, v: ConfigValue): string | null;
