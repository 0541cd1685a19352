import { type DescribedConfig } from '../config/topic-config.js';
import type { BrokerServices, RequestContext } from './types.js';
export declare const RESOURCE_TOPIC = 2;
export declare const RESOURCE_BROKER = 4;
export declare const RESOURCE_BROKER_LOGGER = 8;
/** An error for one resource of a configs request: Kafka code and message. */
export declare class ResourceError extends Error {
    readonly code: number;
    constructor(code: number, message: string | null);
    get errorMessage(): string | null;
}
export declare function toResourceError(e: unknown): ResourceError;
/** '' for the cluster-wide default, else this node's id as text; throws INVALID_REQUEST otherwise. */
export declare function brokerEntity(resourceName: string, nodeId: number): string;
/** A topic that must exist (INVALID_TOPIC_EXCEPTION / UNKNOWN_TOPIC_OR_PARTITION otherwise). */
export declare function requireTopic(broker: BrokerServices, name: string): void;
/** The current value of a topic config as text: its override, else the broker-derived default. */
export declare function topicConfigValue(broker: BrokerServices, topic: string, name: string): string | null;
/** DescribeConfigs entries of the BROKER resource: all configs for this node, the dynamic defaults for ''. */
export declare function describeBroker(broker: BrokerServices, entity: string, keys: readonly string[] | null, includeSynonyms: boolean): DescribedConfig[];
/** Replaces a topic's overrides (validate_only checks only); the registry applies them to the logs. */
export declare function replaceTopicConfigs(broker: BrokerServices, topic: string, configs: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void>;
/**
 * Replaces the dynamic broker overrides of an entity. Like Kafka (KAFKA-13609), a broker
 * config that fails validation is INVALID_REQUEST, and so is a static (read-only) one.
 */
export declare function replaceBrokerConfigs(broker: BrokerServices, entity: string, configs: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void>;
export interface AlterResourceResult {
    errorCode: number;
    errorMessage: string | null;
    resourceType: number;
    resourceName: string;
}
/**
 * Runs `alter` for each resource of an (Incremental)AlterConfigs request; a failure answers
 * that resource alone with its Kafka code, as Kafka does.
 */
export declare function alterEachResource<R extends {
    resourceType: number;
    resourceName: string;
}>(ctx: RequestContext, resources: readonly R[], validateOnly: boolean, alter: (broker: BrokerServices, r: R, validateOnly: boolean) => Promise<void>): Promise<AlterResourceResult[]>;
