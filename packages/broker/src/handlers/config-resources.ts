/**
 * What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: resource types, the
 * BROKER resource name rules, the broker config view, and applying a new override set to a
 * topic or to the dynamic broker configs (validated, persisted, applied to the logs live).
 */
import { ErrorCode } from '@samsa/protocol';
import { BROKER_CONFIG_DEFS, brokerConfigDef } from '../config/broker-config.js';
import { CONFIG_TYPE_CODE, ConfigException, ConfigSource, parseValue } from '../config/config-def.js';
import { TopicConfig, type DescribedConfig } from '../config/topic-config.js';
import { topicNameError } from '../metadata/topic-name.js';
import { mapError } from '../server/error-mapping.js';
import type { BrokerServices, RequestContext } from './types.js';
import { CLUSTER_RESOURCE_NAME } from '../security/acl.js';
import { checkTlsStores, isTlsStoreKey } from '../security/inter-broker.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;

/** An error for one resource of a configs request: Kafka code and message. */
export class ResourceError extends Error {
  constructor(readonly code: number, message: string | null) {
    super(message ?? '');
  }
  get errorMessage(): string | null {
    return this.message === '' ? null : this.message;
  }
}

export function toResourceError(e: unknown): ResourceError {
  if (e instanceof ResourceError) return e;
  const m = mapError(e);
  return new ResourceError(m.code, m.message);
}

/** '' for the cluster-wide default, else this node's id as text; throws INVALID_REQUEST otherwise. */
export function brokerEntity(resourceName: string, nodeId: number): string {
  if (resourceName === '') return '';
  if (!/^-?\d+$/.test(resourceName.trim())) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resourceName}`);
  if (Number(resourceName) !== nodeId) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId} or empty string, but received ${resourceName}`);
  return String(nodeId);
}

/** A topic that must exist (INVALID_TOPIC_EXCEPTION / UNKNOWN_TOPIC_OR_PARTITION otherwise). */
export function requireTopic(broker: BrokerServices, name: string): void {
  const invalid = topicNameError(name);
  if (invalid !== null) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
  if (broker.metadata.topic(name) === undefined) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
}

/** The current value of a topic config as text: its override, else the broker-derived default. */
export function topicConfigValue(broker: BrokerServices, topic: string, name: string): string | null {
  const image = broker.metadata.topic(topic);
  const override = image?.configs.get(name);
  if (override !== undefined) return override;
  return new TopicConfig(broker.config, image?.configs ?? new Map()).describe([name])[0]?.value ?? null;
}

/** DescribeConfigs entries of the BROKER resource: all configs for this node, the dynamic defaults for ''. */
export function describeBroker(broker: BrokerServices, entity: string, keys: readonly string[] | null, includeSynonyms: boolean): DescribedConfig[] {
  const config = broker.config;
  const defaults = config.dynamicOverrides('default');
  const own = config.dynamicOverrides('broker');
  const names = entity === '' ? [...defaults.keys()] : [...BROKER_CONFIG_DEFS.map((d) => d.name), ...[...defaults.keys(), ...own.keys()].filter((k) => brokerConfigDef(k) === undefined)];
  const unique = [...new Set(names)].filter((n) => keys === null || keys.includes(n));
  return unique.map((name) => {
    const def = brokerConfigDef(name);
    const type = def?.type ?? 'string';
    const sensitive = def?.sensitive === true || type === 'password';
    let value: string | null;
    let source: ConfigSource;
    if (entity === '') {
      value = defaults.get(name) ?? null;
      source = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    } else {
      value = def !== undefined ? config.text(name) : own.get(name) ?? defaults.get(name) ?? null;
      source = def !== undefined ? config.source(name) : own.has(name) ? ConfigSource.DYNAMIC_BROKER_CONFIG : ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    }
    const synonyms: DescribedConfig['synonyms'] = [];
    if (includeSynonyms) {
      const show = (v: string | null) => (sensitive ? null : v);
      if (entity !== '' && own.has(name)) synonyms.push({ name, value: show(own.get(name)!), source: ConfigSource.DYNAMIC_BROKER_CONFIG });
      if (defaults.has(name)) synonyms.push({ name, value: show(defaults.get(name)!), source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
      if (entity !== '' && config.originals.has(name)) synonyms.push({ name, value: show(config.originals.get(name)!), source: ConfigSource.STATIC_BROKER_CONFIG });
      if (entity !== '' && def?.default != null) synonyms.push({ name, value: show(def.default), source: ConfigSource.DEFAULT_CONFIG });
    }
    return {
      name,
      value: sensitive ? null : value,
      readOnly: def === undefined ? false : def.dynamic !== true,
      source,
      isSensitive: sensitive,
      configType: def === undefined ? 0 : CONFIG_TYPE_CODE[def.type],
      synonyms,
    };
  });
}

/** Replaces a topic's overrides (validate_only checks only); the registry applies them to the logs. */
export async function replaceTopicConfigs(broker: BrokerServices, topic: string, configs: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
  requireTopic(broker, topic);
  await broker.topics.setTopicConfigs(topic, configs, { validateOnly });
  if (!validateOnly) broker.log.info(`Updated the configs of topic ${topic}: ${[...configs].map(([k, v]) => `${k}=${v}`).join(', ') || '(defaults)'}`);
}

/**
 * Replaces the dynamic broker overrides of an entity. Like Kafka (KAFKA-13609), a broker
 * config that fails validation is INVALID_REQUEST, and so is a static (read-only) one.
 */
export async function replaceBrokerConfigs(broker: BrokerServices, entity: string, configs: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
  const readOnly = [...configs.keys()].filter((k) => {
    // listener.name.<listener>.<key> is as dynamic as <key> (Kafka's per-listener reconfiguration).
    const def = brokerConfigDef(k.startsWith('listener.name.') ? k.split('.').slice(3).join('.') : k);
    return (def !== undefined || k.startsWith('listener.name.')) && def?.dynamic !== true;
  });
  if (readOnly.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: Set(${readOnly.join(', ')})`);
  const perBrokerOnly = [...configs.keys()].filter(isTlsStoreKey);
  if (entity === '' && perBrokerOnly.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Cannot update these configs at default cluster level, broker id must be specified: Set(${perBrokerOnly.join(', ')})`);
  const config = broker.config;
  try {
    for (const [k, v] of configs) {
      const def = brokerConfigDef(k);
      if (def === undefined) continue;
      const parsed = parseValue(k, def.type, v);
      const err = parsed === null ? null : def.validator?.check(parsed);
      if (err) throw new ConfigException(`Invalid value ${v} for configuration ${k}: ${err}`);
    }
    const defaults = entity === '' ? configs : config.dynamicOverrides('default');
    const own = entity === '' ? config.dynamicOverrides('broker') : configs;
    const candidate = config.withDynamic(defaults, own);
    // The stores are files on the broker that uses them: loaded here for this broker's own entity.
    if (entity === String(broker.nodeId) && [...configs.keys(), ...config.dynamicOverrides('broker').keys()].some(isTlsStoreKey)) checkTlsStores(candidate);
  } catch (e) {
    if (e instanceof ConfigException) throw new ResourceError(ErrorCode.INVALID_REQUEST, e.message);
    throw e;
  }
  if (validateOnly) return;
  await broker.topics.setBrokerConfigOverrides(entity, configs);
  broker.log.info(`Updated dynamic broker configs for ${entity === '' ? 'the cluster default' : `broker ${entity}`}: ${[...configs].map(([k, v]) => `${k}=${brokerConfigDef(k)?.sensitive === true ? '[hidden]' : v}`).join(', ') || '(none)'}`);
  applyBrokerDefaultsToLogs(broker);
}

/** Topic defaults derive from broker configs: refresh every hosted topic's config and its logs'. */
function applyBrokerDefaultsToLogs(broker: BrokerServices): void {
  broker.partitions.refreshConfigs();
}

export interface AlterResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

/** ALTER_CONFIGS / DESCRIBE_CONFIGS on the topic, or on the cluster for a broker resource. */
export function requireConfigAccess(ctx: RequestContext, op: AclOperation, r: { resourceType: number; resourceName: string }): void {
  if (r.resourceType === RESOURCE_TOPIC) requireAuthorized(ctx, op, ResourceType.TOPIC, r.resourceName);
  else if (r.resourceType === RESOURCE_BROKER) requireAuthorized(ctx, op, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/**
 * Runs `alter` for each resource of an (Incremental)AlterConfigs request; a failure answers
 * that resource alone with its Kafka code, as Kafka does.
 */
export async function alterEachResource<R extends { resourceType: number; resourceName: string }>(
  ctx: RequestContext,
  resources: readonly R[],
  validateOnly: boolean,
  alter: (broker: BrokerServices, r: R, validateOnly: boolean) => Promise<void>,
): Promise<AlterResourceResult[]> {
  const responses: AlterResourceResult[] = [];
  for (const r of resources) {
    try {
      requireConfigAccess(ctx, AclOperation.ALTER_CONFIGS, r);
      await alter(ctx.broker, r, validateOnly);
      responses.push({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (e) {
      const err = toResourceError(e);
      if (err.code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.log.error(`Error altering configs of resource ${r.resourceType}/${r.resourceName}`, e);
      responses.push({ errorCode: err.code, errorMessage: err.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return responses;
}
