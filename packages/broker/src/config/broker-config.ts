/**
 * Broker configuration: Kafka's server.properties names and defaults, one table. Values come
 * from a properties file plus overrides; unknown keys are kept and reported once (Kafka warns
 * "The configuration 'x' was supplied but isn't a known config").
 */
import { hostname } from 'node:os';
import {
  atLeast, between, ConfigException, ConfigSource, formatValue, LONG_MAX, oneOf, parseValue,
  type ConfigType, type ConfigValue, type Validator,
} from './config-def.js';
import { CONFIG_SUPPORT, inertMessage, refusedMessage } from './config-support.js';

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

const d = (name: string, type: ConfigType, def: string | null, extra: Omit<BrokerConfigDef, 'name' | 'type' | 'default'> = {}): BrokerConfigDef => ({ name, type, default: def, ...extra });

const HOURS_168_MS = '604800000';

/** Kafka's class name for the rack-aware replica selector (replica.selector.class, KIP-392). */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

export const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[] = [
  // identity and networking
  // Kafka's broker.id defaults to -1 (auto-assigned by ZooKeeper); a single Samsa node is 0.
  d('node.id', 'int', '0', { validator: atLeast(0) }),
  d('broker.id', 'int', null),
  d('process.roles', 'list', 'broker,controller'),
  // Kafka's default: every interface (a container is reachable from outside).
  d('listeners', 'list', 'PLAINTEXT://:9092'),
  d('advertised.listeners', 'list', null),
  d('listener.security.protocol.map', 'list', 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT'),
  // Which advertised listener other brokers connect to (followers, transaction markers): named,
  // or by security protocol (the listener of that name); one or the other, as Kafka.
  d('inter.broker.listener.name', 'string', null),
  d('security.inter.broker.protocol', 'string', 'PLAINTEXT', { validator: oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL') }),
  d('controller.listener.names', 'list', null),
  d('controller.quorum.voters', 'list', ''),
  d('controller.quorum.bootstrap.servers', 'list', ''),
  d('broker.rack', 'string', null),
  // cluster metadata: ZooKeeper (Kafka's keys) or etcd (Samsa's metadata.store); neither = local store
  d('zookeeper.connect', 'string', null),
  d('zookeeper.session.timeout.ms', 'int', '18000', { validator: atLeast(1) }),
  d('zookeeper.connection.timeout.ms', 'int', null),
  d('metadata.store', 'string', null),
  d('socket.send.buffer.bytes', 'int', '102400'),
  d('socket.receive.buffer.bytes', 'int', '102400'),
  d('socket.request.max.bytes', 'int', '104857600', { validator: atLeast(1) }),
  d('socket.listen.backlog.size', 'int', '50', { validator: atLeast(1) }),
  d('connections.max.idle.ms', 'long', '600000'),
  d('queued.max.requests', 'int', '500', { validator: atLeast(1) }),
  d('queued.max.request.bytes', 'long', '-1'),
  d('num.network.threads', 'int', '3', { dynamic: true }),
  d('num.io.threads', 'int', '8', { dynamic: true }),
  d('num.recovery.threads.per.data.dir', 'int', '2', { dynamic: true }),
  d('request.timeout.ms', 'int', '30000'),
  // log
  d('log.dirs', 'list', null),
  d('log.dir', 'list', '/tmp/kafka-logs'),
  d('metadata.log.dir', 'string', null),
  d('num.partitions', 'int', '1', { validator: atLeast(1), dynamic: true }),
  d('default.replication.factor', 'int', '1', { dynamic: true }),
  d('auto.create.topics.enable', 'boolean', 'true'),
  d('delete.topic.enable', 'boolean', 'true'),
  d('log.segment.bytes', 'int', '1073741824', { validator: atLeast(14), dynamic: true }),
  d('log.roll.ms', 'long', null, { dynamic: true }),
  d('log.roll.hours', 'int', '168', { validator: atLeast(1) }),
  d('log.roll.jitter.ms', 'long', null, { dynamic: true }),
  d('log.roll.jitter.hours', 'int', '0', { validator: atLeast(0) }),
  d('log.retention.ms', 'long', null, { dynamic: true }),
  d('log.retention.minutes', 'int', null),
  d('log.retention.hours', 'int', '168'),
  d('log.retention.bytes', 'long', '-1', { dynamic: true }),
  d('log.retention.check.interval.ms', 'long', '300000', { validator: atLeast(1) }),
  d('log.cleanup.policy', 'list', 'delete', { validator: oneOf('compact', 'delete'), dynamic: true }),
  d('log.index.size.max.bytes', 'int', '10485760', { validator: atLeast(4), dynamic: true }),
  d('log.index.interval.bytes', 'int', '4096', { validator: atLeast(0), dynamic: true }),
  d('log.flush.interval.messages', 'long', LONG_MAX, { validator: atLeast(1), dynamic: true }),
  d('log.flush.interval.ms', 'long', null, { dynamic: true }),
  d('log.flush.scheduler.interval.ms', 'long', LONG_MAX),
  d('log.flush.offset.checkpoint.interval.ms', 'int', '60000', { validator: atLeast(0) }),
  d('log.flush.start.offset.checkpoint.interval.ms', 'int', '60000', { validator: atLeast(0) }),
  d('log.segment.delete.delay.ms', 'long', '60000', { validator: atLeast(0), dynamic: true }),
  d('log.preallocate', 'boolean', 'false', { dynamic: true }),
  d('log.message.timestamp.type', 'string', 'CreateTime', { validator: oneOf('CreateTime', 'LogAppendTime'), dynamic: true }),
  d('log.message.timestamp.before.max.ms', 'long', LONG_MAX, { validator: atLeast(0), dynamic: true }),
  d('log.message.timestamp.after.max.ms', 'long', '3600000', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.enable', 'boolean', 'true'),
  d('log.cleaner.threads', 'int', '1', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.dedupe.buffer.size', 'long', '134217728', { dynamic: true }),
  d('log.cleaner.io.buffer.size', 'int', '524288', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308', { dynamic: true }),
  d('log.cleaner.backoff.ms', 'long', '15000', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.min.cleanable.ratio', 'double', '0.5', { validator: between(0, 1), dynamic: true }),
  d('log.cleaner.delete.retention.ms', 'long', '86400000', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.min.compaction.lag.ms', 'long', '0', { validator: atLeast(0), dynamic: true }),
  d('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, { validator: atLeast(1), dynamic: true }),
  d('message.max.bytes', 'int', '1048588', { validator: atLeast(0), dynamic: true }),
  d('compression.type', 'string', 'producer', { validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), dynamic: true }),
  d('compression.gzip.level', 'int', '-1', { dynamic: true }),
  d('compression.lz4.level', 'int', '9', { validator: between(1, 17), dynamic: true }),
  d('compression.zstd.level', 'int', '3', { validator: between(-131072, 22), dynamic: true }),
  d('min.insync.replicas', 'int', '1', { validator: atLeast(1), dynamic: true }),
  d('unclean.leader.election.enable', 'boolean', 'false', { dynamic: true }),
  // replication throttles (kafka-reassign-partitions --throttle sets them per broker)
  d('leader.replication.throttled.rate', 'long', LONG_MAX, { validator: atLeast(0), dynamic: true }),
  d('follower.replication.throttled.rate', 'long', LONG_MAX, { validator: atLeast(0), dynamic: true }),
  d('replica.alter.log.dirs.io.max.bytes.per.second', 'long', LONG_MAX, { validator: atLeast(0), dynamic: true }),
  // controller: preferred-replica leadership
  d('auto.leader.rebalance.enable', 'boolean', 'true'),
  d('leader.imbalance.per.broker.percentage', 'int', '10', { validator: atLeast(0) }),
  d('leader.imbalance.check.interval.seconds', 'long', '300', { validator: atLeast(1) }),
  // fetch
  d('max.incremental.fetch.session.cache.slots', 'int', '1000', { validator: atLeast(0) }),
  d('fetch.max.bytes', 'int', '57671680', { validator: atLeast(1024) }),
  d('replica.fetch.max.bytes', 'int', '1048576'),
  // replication (followers fetch from leaders with the Fetch API)
  d('num.replica.fetchers', 'int', '1', { validator: atLeast(1) }),
  d('replica.fetch.wait.max.ms', 'int', '500', { validator: atLeast(0) }),
  d('replica.fetch.min.bytes', 'int', '1', { validator: atLeast(1) }),
  d('replica.fetch.response.max.bytes', 'int', '10485760', { validator: atLeast(0) }),
  d('replica.fetch.backoff.ms', 'int', '1000', { validator: atLeast(0) }),
  d('replica.socket.timeout.ms', 'int', '30000'),
  d('controlled.shutdown.enable', 'boolean', 'true'),
  d('controlled.shutdown.max.retries', 'int', '3', { validator: atLeast(0) }),
  d('controlled.shutdown.retry.backoff.ms', 'long', '5000', { validator: atLeast(0) }),
  d('replica.high.watermark.checkpoint.interval.ms', 'long', '5000', { validator: atLeast(1) }),
  d('replica.lag.time.max.ms', 'long', '30000', { validator: atLeast(1) }),
  // KIP-392: Kafka's rack-aware selector is the one built in; a consumer's Fetch (v11+, with its
  // rack_id) is pointed at an in-sync replica in its rack. Unset: consumers read from leaders.
  d('replica.selector.class', 'string', null, { validator: oneOf(RACK_AWARE_REPLICA_SELECTOR) }),
  // groups, offsets, transactions, producers
  d('group.initial.rebalance.delay.ms', 'int', '3000'),
  d('group.min.session.timeout.ms', 'int', '6000'),
  d('group.max.session.timeout.ms', 'int', '1800000'),
  d('group.max.size', 'int', '2147483647', { validator: atLeast(1) }),
  d('group.coordinator.rebalance.protocols', 'list', 'classic,consumer', { validator: oneOf('classic', 'consumer') }),
  d('group.consumer.session.timeout.ms', 'int', '45000', { validator: atLeast(1) }),
  d('group.consumer.heartbeat.interval.ms', 'int', '5000', { validator: atLeast(1) }),
  d('group.consumer.max.size', 'int', '2147483647', { validator: atLeast(1) }),
  d('offsets.topic.num.partitions', 'int', '50', { validator: atLeast(1) }),
  d('offsets.topic.replication.factor', 'short', '3', { validator: atLeast(1) }),
  d('offsets.topic.segment.bytes', 'int', '104857600', { validator: atLeast(1) }),
  d('offsets.retention.minutes', 'int', '10080', { validator: atLeast(1) }),
  d('offsets.retention.check.interval.ms', 'long', '600000', { validator: atLeast(1) }),
  d('offsets.commit.timeout.ms', 'int', '5000', { validator: atLeast(1) }),
  d('offset.metadata.max.bytes', 'int', '4096'),
  d('transaction.state.log.num.partitions', 'int', '50', { validator: atLeast(1) }),
  d('transaction.state.log.replication.factor', 'short', '3', { validator: atLeast(1) }),
  d('transaction.state.log.min.isr', 'int', '2', { validator: atLeast(1) }),
  d('transaction.state.log.segment.bytes', 'int', '104857600', { validator: atLeast(1) }),
  d('transaction.max.timeout.ms', 'int', '900000', { validator: atLeast(1) }),
  d('transactional.id.expiration.ms', 'int', '604800000', { validator: atLeast(1), dynamic: true }),
  d('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', { validator: atLeast(1) }),
  d('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', { validator: atLeast(1) }),
  d('transaction.partition.verification.enable', 'boolean', 'true', { dynamic: true }),
  d('producer.id.expiration.ms', 'int', '86400000', { validator: atLeast(1), dynamic: true }),
  d('producer.id.expiration.check.interval.ms', 'int', '600000', { validator: atLeast(1) }),
  d('max.connections', 'int', '2147483647', { dynamic: true }),
  d('max.connections.per.ip', 'int', '2147483647', { dynamic: true }),
  // security (src/security reads these; listener.name.<listener>.<key> overrides any of them per
  // listener). SASL settings are read when a listener starts; the TLS key and trust stores are
  // dynamic per broker (Kafka's certificate rotation): new connections get the new ones.
  d('connections.max.reauth.ms', 'long', '0', { validator: atLeast(0) }),
  d('sasl.enabled.mechanisms', 'list', 'GSSAPI'),
  d('sasl.mechanism.inter.broker.protocol', 'string', 'GSSAPI'),
  d('sasl.jaas.config', 'password', null, { sensitive: true }),
  d('sasl.server.max.receive.size', 'int', '524288', { validator: atLeast(1) }),
  d('sasl.oauthbearer.jwks.endpoint.url', 'string', null),
  d('sasl.oauthbearer.expected.audience', 'list', null),
  d('sasl.oauthbearer.expected.issuer', 'string', null),
  d('sasl.oauthbearer.sub.claim.name', 'string', 'sub'),
  d('sasl.oauthbearer.clock.skew.seconds', 'int', '30'),
  d('ssl.protocol', 'string', 'TLSv1.3'),
  d('ssl.enabled.protocols', 'list', 'TLSv1.2,TLSv1.3'),
  d('ssl.cipher.suites', 'list', ''),
  d('ssl.client.auth', 'string', 'none', { validator: oneOf('required', 'requested', 'none') }),
  d('ssl.keystore.type', 'string', 'JKS', { dynamic: true }),
  d('ssl.keystore.location', 'string', null, { dynamic: true }),
  d('ssl.keystore.password', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.keystore.key', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.keystore.certificate.chain', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.key.password', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.truststore.type', 'string', 'JKS', { dynamic: true }),
  d('ssl.truststore.location', 'string', null, { dynamic: true }),
  d('ssl.truststore.password', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.truststore.certificates', 'password', null, { sensitive: true, dynamic: true }),
  d('ssl.endpoint.identification.algorithm', 'string', 'https'),
  d('ssl.principal.mapping.rules', 'string', 'DEFAULT'),
  d('authorizer.class.name', 'string', ''),
  d('super.users', 'string', null),
  d('allow.everyone.if.no.acl.found', 'boolean', 'false'),
  // quotas (per user/client-id quotas themselves live in the metadata store, as Kafka's)
  d('quota.window.num', 'int', '11', { validator: atLeast(1) }),
  d('quota.window.size.seconds', 'int', '1', { validator: atLeast(1) }),
  d('client.quota.callback.class', 'class', null),
];

const DEFS_BY_NAME = new Map(BROKER_CONFIG_DEFS.map((x) => [x.name, x]));

export function brokerConfigDef(name: string): BrokerConfigDef | undefined {
  return DEFS_BY_NAME.get(name);
}

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
export function parseListener(entry: string, protocolMap: Map<string, string>, configName = 'listeners'): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(-?\d+)$/.exec(entry.trim());
  if (m === null) throw new ConfigException(`Invalid value ${entry} for configuration ${configName}: Unable to parse ${entry} to a broker endpoint`);
  const name = m[1]!.toUpperCase();
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new ConfigException(`Invalid value ${entry} for configuration ${configName}: port ${port} out of range`);
  const securityProtocol = protocolMap.get(name);
  if (securityProtocol === undefined) throw new ConfigException(`Invalid value ${entry} for configuration ${configName}: No security protocol defined for listener ${name}`);
  return { name, securityProtocol, host, port };
}

/**
 * The broker's configuration. `values` holds typed values for every known key; `originals`
 * the supplied text (file + overrides), including unknown keys.
 */
export class BrokerConfig {
  readonly originals: ReadonlyMap<string, string>;
  readonly unknownKeys: readonly string[];
  private readonly values = new Map<string, ConfigValue>();

  // Derived settings the broker reads often.
  readonly nodeId: number;
  readonly listeners: readonly Listener[];
  readonly advertisedListeners: readonly AdvertisedListener[];
  /** The listener brokers use to reach each other (inter.broker.listener.name / security.inter.broker.protocol). */
  readonly interBrokerListener: { name: string; securityProtocol: string };
  readonly logDirs: readonly string[];
  readonly logRetentionMs: number;
  readonly logRollMs: number;
  readonly logRollJitterMs: number;
  readonly logFlushIntervalMs: number;

  constructor(props: ReadonlyMap<string, string> | Record<string, string> = {}) {
    const originals = props instanceof Map ? new Map(props) : new Map(Object.entries(props));
    this.originals = originals;
    const unknown: string[] = [];
    // listener.name.<listener>.<key> are per-listener copies of known keys (read by src/security).
    for (const key of originals.keys()) if (!DEFS_BY_NAME.has(key) && !key.startsWith('listener.name.')) unknown.push(key);
    this.unknownKeys = unknown;

    for (const def of BROKER_CONFIG_DEFS) {
      const raw = originals.get(def.name) ?? def.default;
      const v = parseValue(def.name, def.type, raw);
      const err = v === null ? null : def.validator?.check(v);
      if (err) throw new ConfigException(`Invalid value ${raw} for configuration ${def.name}: ${err}`);
      this.values.set(def.name, v);
    }

    // node.id (KRaft) and broker.id (ZooKeeper era) name the same thing.
    const brokerId = this.values.get('broker.id') as number | null;
    const nodeIdSet = originals.has('node.id');
    if (brokerId !== null && nodeIdSet && brokerId !== this.int('node.id')) {
      throw new ConfigException(`broker.id (${brokerId}) must match node.id (${this.int('node.id')})`);
    }
    this.nodeId = brokerId !== null && !nodeIdSet ? brokerId : this.int('node.id');
    if (this.nodeId < 0) throw new ConfigException(`Invalid value ${this.nodeId} for configuration node.id: Value must be at least 0`);

    const protocolMap = new Map<string, string>();
    for (const entry of this.list('listener.security.protocol.map')) {
      const [name, proto] = entry.split(':');
      if (name === undefined || proto === undefined) throw new ConfigException(`Invalid value ${entry} for configuration listener.security.protocol.map: expected NAME:PROTOCOL`);
      protocolMap.set(name.trim().toUpperCase(), proto.trim().toUpperCase());
    }
    const controllerNames = new Set((this.values.get('controller.listener.names') as string[] | null ?? []).map((n) => n.toUpperCase()));
    // Controller listeners from a Kafka KRaft server.properties are accepted and not bound:
    // Samsa's metadata does not travel over a Kafka controller quorum.
    const all = this.list('listeners').map((e) => parseListener(e, protocolMap));
    this.listeners = all.filter((l) => !controllerNames.has(l.name));
    if (this.listeners.length === 0) throw new ConfigException('Invalid value for configuration listeners: no broker listener configured');
    const names = new Set<string>();
    for (const l of this.listeners) {
      if (names.has(l.name)) throw new ConfigException(`Invalid value for configuration listeners: duplicate listener name ${l.name}`);
      names.add(l.name);
    }

    const advertisedRaw = this.values.get('advertised.listeners') as string[] | null;
    if (advertisedRaw !== null) {
      this.advertisedListeners = advertisedRaw
        .map((e) => parseListener(e, protocolMap, 'advertised.listeners'))
        .filter((l) => !controllerNames.has(l.name))
        .map((l) => ({ name: l.name, host: advertisedHost(l.host), port: l.port }));
    } else {
      this.advertisedListeners = this.listeners.map((l) => ({ name: l.name, host: advertisedHost(l.host), port: l.port }));
    }
    if (this.advertisedListeners.some((l) => l.host === '0.0.0.0')) {
      throw new ConfigException('advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.');
    }

    this.interBrokerListener = this.resolveInterBrokerListener(protocolMap);

    // A value Samsa cannot honour is refused, never silently ignored (config-support.ts).
    for (const [name, support] of CONFIG_SUPPORT) {
      if (support.kind !== 'refused' || !this.differsFromDefault(name)) continue;
      throw new ConfigException(refusedMessage(name, originals.get(name)!, support.reason));
    }
    if (!this.list('group.coordinator.rebalance.protocols').includes('classic')) {
      throw new ConfigException("Invalid value for configuration group.coordinator.rebalance.protocols: Disabling the 'classic' protocol is not supported.");
    }

    const logDirs = this.values.get('log.dirs') as string[] | null;
    this.logDirs = logDirs !== null && logDirs.length > 0 ? logDirs : this.list('log.dir');
    if (this.logDirs.length === 0) throw new ConfigException('Invalid value for configuration log.dirs: at least one log directory is required');

    // Kafka's precedence: .ms over .minutes over .hours.
    const retMs = this.values.get('log.retention.ms') as number | null;
    const retMin = this.values.get('log.retention.minutes') as number | null;
    this.logRetentionMs = retMs !== null ? retMs : retMin !== null ? retMin * 60_000 : this.int('log.retention.hours') * 3_600_000;
    if (this.logRetentionMs < -1) throw new ConfigException(`Invalid value ${this.logRetentionMs} for configuration log.retention.ms: Value must be at least -1`);
    if (this.logRetentionMs < 0) this.logRetentionMs = -1;
    const rollMs = this.values.get('log.roll.ms') as number | null;
    this.logRollMs = rollMs !== null ? rollMs : this.int('log.roll.hours') * 3_600_000;
    if (this.logRollMs < 1) throw new ConfigException(`Invalid value ${this.logRollMs} for configuration log.roll.ms: Value must be at least 1`);
    const jitterMs = this.values.get('log.roll.jitter.ms') as number | null;
    this.logRollJitterMs = jitterMs !== null ? jitterMs : this.int('log.roll.jitter.hours') * 3_600_000;
    const flushMs = this.values.get('log.flush.interval.ms') as number | null;
    this.logFlushIntervalMs = flushMs !== null ? flushMs : this.long('log.flush.scheduler.interval.ms');
  }

  /** Kafka's KafkaConfig rules for the inter-broker listener, with its messages. */
  private resolveInterBrokerListener(protocolMap: ReadonlyMap<string, string>): { name: string; securityProtocol: string } {
    const named = this.originals.get('inter.broker.listener.name');
    if (named !== undefined && this.originals.has('security.inter.broker.protocol')) {
      throw new ConfigException('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
    }
    let name: string;
    let securityProtocol: string;
    if (named !== undefined) {
      name = named.trim().toUpperCase();
      const p = protocolMap.get(name);
      if (p === undefined) throw new ConfigException(`Listener with name ${name} defined in inter.broker.listener.name not found in listener.security.protocol.map.`);
      securityProtocol = p;
    } else {
      securityProtocol = this.string('security.inter.broker.protocol');
      name = securityProtocol;
    }
    if (!this.advertisedListeners.some((l) => l.name === name)) {
      throw new ConfigException(`inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${this.advertisedListeners.map((l) => l.name).join(',')}`);
    }
    if (securityProtocol.startsWith('SASL')) {
      const mechanism = this.string('sasl.mechanism.inter.broker.protocol');
      const prefix = `listener.name.${name.toLowerCase()}.`;
      const enabledText = this.originals.get(`${prefix}sasl.enabled.mechanisms`) ?? this.text('sasl.enabled.mechanisms') ?? '';
      const enabled = enabledText.split(',').map((m) => m.trim().toUpperCase());
      if (!enabled.includes(mechanism.toUpperCase())) {
        throw new ConfigException('sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication');
      }
    }
    return { name, securityProtocol };
  }

  /** Whether a supplied value means something else than Kafka's default. */
  private differsFromDefault(name: string): boolean {
    const def = DEFS_BY_NAME.get(name);
    if (def === undefined || !this.originals.has(name)) return false;
    return formatValue(def.type, this.values.get(name) ?? null) !== formatValue(def.type, parseValue(name, def.type, def.default));
  }

  /** Startup warnings for supplied settings that have no effect in Samsa. */
  inertSettingWarnings(): string[] {
    const out: string[] = [];
    for (const [name, support] of CONFIG_SUPPORT) {
      if (support.kind === 'inert' && support.quiet !== true && this.differsFromDefault(name)) out.push(inertMessage(name, this.originals.get(name)!, support.reason));
    }
    return out;
  }

  /** Raw typed value of a known key (null when unset with no default). */
  get(name: string): ConfigValue {
    if (!this.values.has(name)) throw new ConfigException(`Unknown configuration ${name}`);
    return this.values.get(name)!;
  }
  int(name: string): number { return this.get(name) as number; }
  long(name: string): number { return this.get(name) as number; }
  double(name: string): number { return this.get(name) as number; }
  bool(name: string): boolean { return this.get(name) as boolean; }
  string(name: string): string { return this.get(name) as string; }
  list(name: string): string[] { return (this.get(name) as string[] | null) ?? []; }

  /** The value as text, as DescribeConfigs shows it (null for unset / no default). */
  text(name: string): string | null {
    const def = DEFS_BY_NAME.get(name);
    if (def === undefined) return this.originals.get(name) ?? null;
    return formatValue(def.type, this.values.get(name) ?? null);
  }

  /** STATIC_BROKER_CONFIG when supplied in server.properties/overrides, else DEFAULT_CONFIG. */
  source(name: string): ConfigSource {
    if (this.dynamicBroker.has(name)) return ConfigSource.DYNAMIC_BROKER_CONFIG;
    if (this.dynamicDefault.has(name)) return ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    return this.originals.has(name) ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
  }

  // Dynamic layers (IncrementalAlterConfigs/AlterConfigs on BROKER resources). Kafka's
  // precedence: this broker's dynamic value, then the cluster-wide dynamic default, then
  // server.properties, then the default.
  private dynamicDefault: ReadonlyMap<string, string> = new Map();
  private dynamicBroker: ReadonlyMap<string, string> = new Map();

  /** The dynamic overrides in force: cluster default ('default') or this broker's ('broker'). */
  dynamicOverrides(scope: 'default' | 'broker'): ReadonlyMap<string, string> {
    return scope === 'default' ? this.dynamicDefault : this.dynamicBroker;
  }

  /** The effective configuration the dynamic layers would give, built and validated (throws ConfigException). */
  withDynamic(clusterDefault: ReadonlyMap<string, string>, perBroker: ReadonlyMap<string, string>): BrokerConfig {
    const merged = new Map(this.originals);
    for (const [k, v] of clusterDefault) merged.set(k, v);
    for (const [k, v] of perBroker) merged.set(k, v);
    return new BrokerConfig(merged);
  }

  /**
   * Applies dynamic overrides in place, so every holder of this config (topic manager,
   * partition registry, handlers) sees the new values. Throws ConfigException, changing
   * nothing, when the result is invalid.
   */
  applyDynamic(clusterDefault: ReadonlyMap<string, string>, perBroker: ReadonlyMap<string, string>): void {
    const next = this.withDynamic(clusterDefault, perBroker);
    for (const [k, v] of next.values) this.values.set(k, v);
    const derived = this as { -readonly [K in 'logRetentionMs' | 'logRollMs' | 'logRollJitterMs' | 'logFlushIntervalMs']: number };
    derived.logRetentionMs = next.logRetentionMs;
    derived.logRollMs = next.logRollMs;
    derived.logRollJitterMs = next.logRollJitterMs;
    derived.logFlushIntervalMs = next.logFlushIntervalMs;
    const changed = new Set<string>();
    for (const k of new Set([...this.dynamicDefault.keys(), ...this.dynamicBroker.keys(), ...clusterDefault.keys(), ...perBroker.keys()])) {
      if ((this.dynamicBroker.get(k) ?? this.dynamicDefault.get(k)) !== (perBroker.get(k) ?? clusterDefault.get(k))) changed.add(k);
    }
    this.dynamicDefault = new Map(clusterDefault);
    this.dynamicBroker = new Map(perBroker);
    if (changed.size > 0) for (const l of this.dynamicListeners) l(changed);
  }

  private readonly dynamicListeners: Array<(changed: ReadonlySet<string>) => void> = [];

  /** Called after dynamic overrides changed the effective value of some keys (TLS reloads). */
  onDynamicChange(listener: (changed: ReadonlySet<string>) => void): void {
    this.dynamicListeners.push(listener);
  }

  /**
   * The text in force for any key, known or not (listener.name.<l>.<key> included): this
   * broker's dynamic value, the cluster-wide dynamic default, then server.properties.
   */
  effectiveOriginal(name: string): string | undefined {
    return this.dynamicBroker.get(name) ?? this.dynamicDefault.get(name) ?? this.originals.get(name);
  }

  isExplicit(name: string): boolean {
    return this.originals.has(name);
  }

  /** A copy with some keys replaced (tests, overrides). */
  with(overrides: Record<string, string>): BrokerConfig {
    const next = new Map(this.originals);
    for (const [k, v] of Object.entries(overrides)) next.set(k, v);
    return new BrokerConfig(next);
  }
}

/**
 * Like Kafka, a listener without a host (`PLAINTEXT://:9092`, every interface) is advertised
 * under this machine's host name (Kafka: InetAddress.getLocalHost.getCanonicalHostName; the
 * config is built synchronously, so no reverse lookup here). Clients that need another name
 * get it from advertised.listeners.
 */
function advertisedHost(host: string): string {
  return host === '' ? hostname() : host;
}
