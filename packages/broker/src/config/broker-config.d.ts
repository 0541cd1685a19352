import { ConfigSource, type ConfigType, type ConfigValue, type Validator } from './config-def.js';
export interface BrokerConfigDef {
    name: string;
    type: ConfigType;
    /** Kafka's default as text; null = no default (absent). */
    default: string | null;
    validator?: Validator;
    sensitive?: boolean;
    /** Changeable at runtime through IncrementalAlterConfigs (cluster-wide or per broker). */
    dynamic?: boolean;
}
export declare const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[];
export declare function brokerConfigDef(name: string): BrokerConfigDef | undefined;
export interface Listener {
    /** Listener name (PLAINTEXT, INTERNAL, ...). */
    name: string;
    securityProtocol: string;
    /** Host to bind; '' = all interfaces. */
    host: string;
    port: number;
}
export interface AdvertisedListener {
    name: string;
    host: string;
    port: number;
}
/** listeners entries look like NAME://host:port, host may be empty or an [ipv6] literal. */
export declare function parseListener(entry: string, protocolMap: Map<string, string>, configName?: string): Listener;
/**
 * The broker's configuration. `values` holds typed values for every known key; `originals`
 * the supplied text (file + overrides), including unknown keys.
 */
export declare class BrokerConfig {
    readonly originals: ReadonlyMap<string, string>;
    readonly unknownKeys: readonly string[];
    private readonly values;
    readonly nodeId: number;
    readonly listeners: readonly Listener[];
    readonly advertisedListeners: readonly AdvertisedListener[];
    readonly logDirs: readonly string[];
    readonly logRetentionMs: number;
    readonly logRollMs: number;
    readonly logRollJitterMs: number;
    readonly logFlushIntervalMs: number;
    constructor(props?: ReadonlyMap<string, string> | Record<string, string>);
    /** Whether a supplied value means something else than Kafka's default. */
    private differsFromDefault;
    /** Startup warnings for supplied settings that have no effect in Samsa. */
    inertSettingWarnings(): string[];
    /** Raw typed value of a known key (null when unset with no default). */
    get(name: string): ConfigValue;
    int(name: string): number;
    long(name: string): number;
    double(name: string): number;
    bool(name: string): boolean;
    string(name: string): string;
    list(name: string): string[];
    /** The value as text, as DescribeConfigs shows it (null for unset / no default). */
    text(name: string): string | null;
    /** STATIC_BROKER_CONFIG when supplied in server.properties/overrides, else DEFAULT_CONFIG. */
    source(name: string): ConfigSource;
    private dynamicDefault;
    private dynamicBroker;
    /** The dynamic overrides in force: cluster default ('default') or this broker's ('broker'). */
    dynamicOverrides(scope: 'default' | 'broker'): ReadonlyMap<string, string>;
    /** The effective configuration the dynamic layers would give, built and validated (throws ConfigException). */
    withDynamic(clusterDefault: ReadonlyMap<string, string>, perBroker: ReadonlyMap<string, string>): BrokerConfig;
    /**
     * Applies dynamic overrides in place, so every holder of this config (topic manager,
     * partition registry, handlers) sees the new values. Throws ConfigException, changing
     * nothing, when the result is invalid.
     */
    applyDynamic(clusterDefault: ReadonlyMap<string, string>, perBroker: ReadonlyMap<string, string>): void;
    isExplicit(name: string): boolean;
    /** A copy with some keys replaced (tests, overrides). */
    with(overrides: Record<string, string>): BrokerConfig;
}
