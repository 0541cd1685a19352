/**
 * Worker config (connect-standalone.properties / connect-distributed.properties), Kafka's keys
 * and defaults. Client settings for the worker's producer and consumers come from the top
 * level (bootstrap.servers, client.id) with `producer.` / `consumer.` overrides for the few
 * options the Samsa client documents.
 */
import { CONNECT_PROTOCOL_MODES, type ConnectProtocolMode } from './connect-protocol.js';
import { hostname } from 'node:os';
import { ConfigException } from './api.js';
import type { ConsumerOptions, ProducerOptions } from '@samsa/client';

export type WorkerMode = 'standalone' | 'distributed';

export interface WorkerConfig {
  mode: WorkerMode;
  props: Record<string, string>;
  bootstrapServers: string[];
  keyConverter: string;
  valueConverter: string;
  headerConverter: string;
  offsetFlushIntervalMs: number;
  pluginPath: string | undefined;
  /** Parsed `listeners`: host ('' = every interface) and port (0 = ephemeral). */
  listener: { host: string; port: number };
  restAdvertisedHostName: string | undefined;
  restAdvertisedPort: number | undefined;
  offsetStorageFileFilename: string | undefined;
  groupId: string;
  configStorageTopic: string;
  offsetStorageTopic: string;
  statusStorageTopic: string;
  configStorageReplicationFactor: number;
  offsetStorageReplicationFactor: number;
  statusStorageReplicationFactor: number;
  offsetStoragePartitions: number;
  statusStoragePartitions: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** connect.protocol: eager, compatible or sessioned (Kafka's default). */
  connectProtocol: ConnectProtocolMode;
  connectorClientConfigOverridePolicy: ClientOverridePolicy;
  topicTrackingEnable: boolean;
  topicTrackingAllowReset: boolean;
  scheduledRebalanceMaxDelayMs: number;
  producer: ProducerOptions;
  consumer: Omit<ConsumerOptions, 'groupId'>;
}

function connectProtocolOf(v: string | undefined): ConnectProtocolMode {
  const mode = (v ?? 'sessioned').trim().toLowerCase();
  if (!(CONNECT_PROTOCOL_MODES as readonly string[]).includes(mode)) throw new ConfigException(`Invalid value ${v} for configuration connect.protocol: String must be one of: ${CONNECT_PROTOCOL_MODES.join(', ')}`);
  return mode as ConnectProtocolMode;
}

function intOf(props: Record<string, string>, key: string, def: number, min = Number.MIN_SAFE_INTEGER): number {
  const v = props[key];
  if (v === undefined || v.trim() === '') return def;
  const n = Number(v.trim());
  if (!Number.isInteger(n)) throw new ConfigException(`Invalid value ${v} for configuration ${key}: Not a number of type INT`);
  if (n < min) throw new ConfigException(`Invalid value ${v} for configuration ${key}: Value must be at least ${min}`);
  return n;
}

/** `http://host:port` (the first of a comma-separated `listeners`). */
export function parseListener(listeners: string): { host: string; port: number } {
  const first = listeners.split(',')[0]!.trim();
  const m = /^(https?):\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/i.exec(first);
  if (m === null) throw new ConfigException(`Invalid value ${listeners} for configuration listeners: expected a URL like http://:8083`);
  if (m[1]!.toLowerCase() === 'https') throw new ConfigException('listeners: https is not supported yet');
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

/** Producer settings from `<prefix>key` properties (`producer.acks`, `producer.override.linger.ms`, ...) over `base`. */
export function producerOptionsFrom(props: Record<string, string>, prefix: string, base: ProducerOptions): ProducerOptions {
  const producer: ProducerOptions = { ...base };
  const acks = props[`${prefix}acks`];
  if (acks !== undefined) producer.acks = acks === 'all' ? -1 : (Number(acks) as 0 | 1 | -1);
  if (props[`${prefix}linger.ms`] !== undefined) producer.lingerMs = intOf(props, `${prefix}linger.ms`, 5, 0);
  if (props[`${prefix}batch.size`] !== undefined) producer.batchSize = intOf(props, `${prefix}batch.size`, 16384, 0);
  const compression = props[`${prefix}compression.type`];
  if (compression !== undefined) producer.compression = compression as ProducerOptions['compression'];
  if (props[`${prefix}client.id`] !== undefined) producer.clientId = props[`${prefix}client.id`];
  return producer;
}

/** Consumer settings from `<prefix>key` properties over `base`; `group.id` only matters for a sink's `consumer.override.group.id`. */
export function consumerOptionsFrom(props: Record<string, string>, prefix: string, base: Omit<ConsumerOptions, 'groupId'>): Omit<ConsumerOptions, 'groupId'> & { groupId?: string } {
  const consumer: Omit<ConsumerOptions, 'groupId'> & { groupId?: string } = { ...base };
  if (props[`${prefix}session.timeout.ms`] !== undefined) consumer.sessionTimeoutMs = intOf(props, `${prefix}session.timeout.ms`, 45000, 1);
  if (props[`${prefix}heartbeat.interval.ms`] !== undefined) consumer.heartbeatIntervalMs = intOf(props, `${prefix}heartbeat.interval.ms`, 3000, 1);
  if (props[`${prefix}fetch.max.wait.ms`] !== undefined) consumer.fetchMaxWaitMs = intOf(props, `${prefix}fetch.max.wait.ms`, 500, 0);
  const reset = props[`${prefix}auto.offset.reset`];
  if (reset !== undefined) consumer.autoOffsetReset = reset as 'earliest' | 'latest' | 'none';
  if (props[`${prefix}client.id`] !== undefined) consumer.clientId = props[`${prefix}client.id`];
  if (props[`${prefix}group.id`] !== undefined) consumer.groupId = props[`${prefix}group.id`];
  return consumer;
}

/** connector.client.config.override.policy: Kafka's class names or their aliases. */
export type ClientOverridePolicy = 'All' | 'None' | 'Principal';
function overridePolicyOf(v: string | undefined): ClientOverridePolicy {
  const name = (v ?? 'All').trim().replace(/^org\.apache\.kafka\.connect\.connector\.policy\./, '').replace(/ConnectorClientConfigOverridePolicy$/, '');
  if (name === 'All' || name === 'None' || name === 'Principal') return name;
  throw new ConfigException(`Invalid value ${v} for configuration connector.client.config.override.policy: Class ${v} could not be found.`);
}

/** The `producer.override.*`/`consumer.override.*`/`admin.override.*` keys the policy refuses, with Kafka's message. */
export function disallowedClientOverrides(policy: ClientOverridePolicy, props: Record<string, string>): Map<string, string> {
  const principalKeys = new Set(['sasl.jaas.config', 'sasl.mechanism', 'security.protocol']);
  const out = new Map<string, string>();
  for (const key of Object.keys(props)) {
    const m = /^(producer|consumer|admin)\.override\.(.+)$/.exec(key);
    if (m === null || policy === 'All' || (policy === 'Principal' && principalKeys.has(m[2]!))) continue;
    out.set(key, `The '${policy}' policy does not allow '${m[2]}' to be overridden in the connector configuration.`);
  }
  return out;
}

export function parseWorkerConfig(props: Record<string, string>, mode: WorkerMode): WorkerConfig {
  const bootstrap = (props['bootstrap.servers'] ?? 'localhost:9092').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (bootstrap.length === 0) throw new ConfigException('bootstrap.servers is empty');
  const clientId = props['client.id'];
  const common = { bootstrapServers: bootstrap, ...(clientId !== undefined ? { clientId } : {}) };
  const producer = producerOptionsFrom(props, 'producer.', { ...common });
  const consumer = consumerOptionsFrom(props, 'consumer.', { ...common });
  const advertisedPort = props['rest.advertised.port'];
  const cfg: WorkerConfig = {
    mode,
    props,
    bootstrapServers: bootstrap,
    keyConverter: props['key.converter'] ?? 'org.apache.kafka.connect.json.JsonConverter',
    valueConverter: props['value.converter'] ?? 'org.apache.kafka.connect.json.JsonConverter',
    headerConverter: props['header.converter'] ?? 'org.apache.kafka.connect.storage.SimpleHeaderConverter',
    offsetFlushIntervalMs: intOf(props, 'offset.flush.interval.ms', 60000, 0),
    pluginPath: props['plugin.path'],
    listener: parseListener(props.listeners ?? 'http://:8083'),
    restAdvertisedHostName: props['rest.advertised.host.name'],
    restAdvertisedPort: advertisedPort === undefined ? undefined : intOf(props, 'rest.advertised.port', 0, 0),
    offsetStorageFileFilename: props['offset.storage.file.filename'],
    groupId: props['group.id'] ?? '',
    configStorageTopic: props['config.storage.topic'] ?? '',
    offsetStorageTopic: props['offset.storage.topic'] ?? '',
    statusStorageTopic: props['status.storage.topic'] ?? '',
    configStorageReplicationFactor: intOf(props, 'config.storage.replication.factor', 3, -1),
    offsetStorageReplicationFactor: intOf(props, 'offset.storage.replication.factor', 3, -1),
    statusStorageReplicationFactor: intOf(props, 'status.storage.replication.factor', 3, -1),
    offsetStoragePartitions: intOf(props, 'offset.storage.partitions', 25, -1),
    statusStoragePartitions: intOf(props, 'status.storage.partitions', 5, -1),
    sessionTimeoutMs: intOf(props, 'session.timeout.ms', 10000, 1),
    heartbeatIntervalMs: intOf(props, 'heartbeat.interval.ms', 3000, 1),
    rebalanceTimeoutMs: intOf(props, 'rebalance.timeout.ms', 60000, 1),
    connectProtocol: connectProtocolOf(props['connect.protocol']),
    connectorClientConfigOverridePolicy: overridePolicyOf(props['connector.client.config.override.policy']),
    topicTrackingEnable: (props['topic.tracking.enable'] ?? 'true').trim().toLowerCase() !== 'false',
    topicTrackingAllowReset: (props['topic.tracking.allow.reset'] ?? 'true').trim().toLowerCase() !== 'false',
    scheduledRebalanceMaxDelayMs: intOf(props, 'scheduled.rebalance.max.delay.ms', 300000, 0),
    producer,
    consumer,
  };
  if (mode === 'standalone' && cfg.offsetStorageFileFilename === undefined) {
    throw new ConfigException('Missing required configuration "offset.storage.file.filename" which has no default value.');
  }
  if (mode === 'distributed') {
    for (const k of ['group.id', 'config.storage.topic', 'offset.storage.topic', 'status.storage.topic']) {
      if (props[k] === undefined || props[k]!.trim() === '') throw new ConfigException(`Missing required configuration "${k}" which has no default value.`);
    }
  }
  return cfg;
}

/** The host other workers and clients reach this worker at (rest.advertised.host.name, else the bound host or the machine's name). */
export function advertisedHost(cfg: WorkerConfig): string {
  if (cfg.restAdvertisedHostName !== undefined) return cfg.restAdvertisedHostName;
  const h = cfg.listener.host;
  return h === '' || h === '0.0.0.0' || h === '::' ? hostname() : h;
}
