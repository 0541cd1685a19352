/**
 * Strict client configuration: every option the producer, consumer and admin take, by its
 * camelCase name and by Kafka's property name (so a Java or librdkafka config can be pasted),
 * with its type. An unknown or mistyped option is a ClientError (ERR_SAMSA_CONFIG) naming the
 * closest valid one. The set of names is shared by all clients, as a Java config file is: an
 * option of another client kind (a consumer's group.id given to an Admin) is accepted and unused.
 */
import { defaultConnectionOptions } from './versions.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { SECURITY_PROPERTY_NAMES, securityOptionsFromProperties } from './security-properties.js';

type OptionType = 'int' | 'bool' | 'string' | 'servers' | 'acks' | 'list' | 'object' | 'function' | 'objectOrBool' | 'listOrObjects' | readonly string[];

interface OptionSpec {
  readonly name: string;
  readonly kafka: string | null;
  readonly type: OptionType;
}

const spec = (name: string, kafka: string | null, type: OptionType): OptionSpec => ({ name, kafka, type });

/** Every option, once. Kafka's names are those of the Java client's ProducerConfig / ConsumerConfig / CommonClientConfigs. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  // connection and cluster (all clients)
  spec('bootstrapServers', 'bootstrap.servers', 'servers'),
  spec('clientId', 'client.id', 'string'),
  spec('requestTimeoutMs', 'request.timeout.ms', 'int'),
  spec('connectTimeoutMs', 'socket.connection.setup.timeout.ms', 'int'),
  spec('reconnectBackoffMs', 'reconnect.backoff.ms', 'int'),
  spec('reconnectBackoffMaxMs', 'reconnect.backoff.max.ms', 'int'),
  spec('metadataMaxAgeMs', 'metadata.max.age.ms', 'int'),
  spec('retryBackoffMs', 'retry.backoff.ms', 'int'),
  spec('allowAutoTopicCreation', 'allow.auto.create.topics', 'bool'),
  spec('ssl', null, 'objectOrBool'),
  spec('sasl', null, 'object'),
  // producer
  spec('acks', 'acks', 'acks'),
  spec('lingerMs', 'linger.ms', 'int'),
  spec('batchSize', 'batch.size', 'int'),
  spec('compression', 'compression.type', ['none', 'gzip', 'snappy', 'lz4', 'zstd']),
  spec('idempotent', 'enable.idempotence', 'bool'),
  spec('maxInFlight', 'max.in.flight.requests.per.connection', 'int'),
  spec('retries', 'retries', 'int'),
  spec('deliveryTimeoutMs', 'delivery.timeout.ms', 'int'),
  spec('maxRequestSize', 'max.request.size', 'int'),
  spec('maxBlockMs', 'max.block.ms', 'int'),
  spec('bufferMemory', 'buffer.memory', 'int'),
  spec('partitioner', null, 'function'),
  spec('transactionalId', 'transactional.id', 'string'),
  spec('transactionTimeoutMs', 'transaction.timeout.ms', 'int'),
  // consumer
  spec('groupId', 'group.id', 'string'),
  spec('groupInstanceId', 'group.instance.id', 'string'),
  spec('autoOffsetReset', 'auto.offset.reset', ['earliest', 'latest', 'none']),
  spec('enableAutoCommit', 'enable.auto.commit', 'bool'),
  spec('autoCommitIntervalMs', 'auto.commit.interval.ms', 'int'),
  spec('sessionTimeoutMs', 'session.timeout.ms', 'int'),
  spec('heartbeatIntervalMs', 'heartbeat.interval.ms', 'int'),
  spec('maxPollIntervalMs', 'max.poll.interval.ms', 'int'),
  spec('fetchMinBytes', 'fetch.min.bytes', 'int'),
  spec('fetchMaxWaitMs', 'fetch.max.wait.ms', 'int'),
  spec('fetchMaxBytes', 'fetch.max.bytes', 'int'),
  spec('maxPartitionFetchBytes', 'max.partition.fetch.bytes', 'int'),
  spec('isolationLevel', 'isolation.level', ['read_uncommitted', 'read_committed']),
  spec('checkCrcs', 'check.crcs', 'bool'),
  spec('assignors', 'partition.assignment.strategy', 'listOrObjects'),
  spec('groupProtocol', 'group.protocol', ['classic', 'consumer']),
  spec('groupRemoteAssignor', 'group.remote.assignor', 'string'),
  spec('clientRack', 'client.rack', 'string'),
];

/**
 * Kafka properties that configure the JVM side of Java's clients (serializer classes) and are
 * accepted with no effect here: records are bytes or strings.
 */
const JVM_ONLY = new Set(['key.serializer', 'value.serializer', 'key.deserializer', 'value.deserializer']);

/** Kafka's security properties, turned together into the `ssl` and `sasl` options (security-properties.ts). */
const SECURITY_NAMES = new Set(SECURITY_PROPERTY_NAMES);
const SECURITY_SPECS = SECURITY_PROPERTY_NAMES.map((n) => spec(n, null, 'string'));

const byName = new Map<string, OptionSpec>();
for (const s of OPTION_SPECS) {
  byName.set(s.name, s);
  if (s.kafka !== null) byName.set(s.kafka, s);
}

/** Kafka's property names, as accepted in options objects next to the camelCase ones (acks and retries are spelled the same in both). */
export interface KafkaProperties {
  'bootstrap.servers'?: string | string[];
  'client.id'?: string;
  'request.timeout.ms'?: number | string;
  'socket.connection.setup.timeout.ms'?: number | string;
  'reconnect.backoff.ms'?: number | string;
  'reconnect.backoff.max.ms'?: number | string;
  'metadata.max.age.ms'?: number | string;
  'retry.backoff.ms'?: number | string;
  'allow.auto.create.topics'?: boolean | string;
  'linger.ms'?: number | string;
  'batch.size'?: number | string;
  'compression.type'?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  'enable.idempotence'?: boolean | string;
  'max.in.flight.requests.per.connection'?: number | string;
  'delivery.timeout.ms'?: number | string;
  'max.request.size'?: number | string;
  'max.block.ms'?: number | string;
  'buffer.memory'?: number | string;
  'transactional.id'?: string;
  'transaction.timeout.ms'?: number | string;
  'group.id'?: string;
  'group.instance.id'?: string;
  'auto.offset.reset'?: 'earliest' | 'latest' | 'none';
  'enable.auto.commit'?: boolean | string;
  'auto.commit.interval.ms'?: number | string;
  'session.timeout.ms'?: number | string;
  'heartbeat.interval.ms'?: number | string;
  'max.poll.interval.ms'?: number | string;
  'fetch.min.bytes'?: number | string;
  'fetch.max.wait.ms'?: number | string;
  'fetch.max.bytes'?: number | string;
  'max.partition.fetch.bytes'?: number | string;
  'isolation.level'?: 'read_uncommitted' | 'read_committed';
  'check.crcs'?: boolean | string;
  'partition.assignment.strategy'?: string | string[];
  'group.protocol'?: 'classic' | 'consumer';
  'group.remote.assignor'?: string;
  'client.rack'?: string;
  'security.protocol'?: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  'sasl.mechanism'?: string;
  'sasl.mechanisms'?: string;
  'sasl.jaas.config'?: string;
  'sasl.username'?: string;
  'sasl.password'?: string;
  'sasl.oauthbearer.config'?: string;
  'ssl.truststore.location'?: string;
  'ssl.truststore.type'?: string;
  'ssl.truststore.password'?: string;
  'ssl.truststore.certificates'?: string;
  'ssl.keystore.location'?: string;
  'ssl.keystore.type'?: string;
  'ssl.keystore.password'?: string;
  'ssl.key.password'?: string;
  'ssl.keystore.key'?: string;
  'ssl.keystore.certificate.chain'?: string;
  'ssl.endpoint.identification.algorithm'?: string;
  'ssl.protocol'?: string;
  'ssl.enabled.protocols'?: string;
  'ssl.ca.location'?: string;
  'ssl.ca.pem'?: string;
  'ssl.certificate.location'?: string;
  'ssl.certificate.pem'?: string;
  'ssl.key.location'?: string;
  'ssl.key.pem'?: string;
  'enable.ssl.certificate.verification'?: boolean | string;
  'key.serializer'?: string;
  'value.serializer'?: string;
  'key.deserializer'?: string;
  'value.deserializer'?: string;
}

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The valid option name closest to `name` ("linger" -> lingerMs / linger.ms). */
export function closestOption(name: string): OptionSpec {
  const squash = (s: string): string => s.toLowerCase().replace(/[._-]/g, '');
  let best = OPTION_SPECS[0]!;
  let bestScore = Infinity;
  for (const s of [...OPTION_SPECS, ...SECURITY_SPECS]) {
    for (const candidate of [s.name, s.kafka]) {
      if (candidate === null) continue;
      // Same letters apart from separators and case (auto_offset_reset, AutoOffsetReset): distance 0.
      const d = squash(candidate) === squash(name) ? 0 : Math.min(editDistance(name, candidate), editDistance(squash(name), squash(candidate)));
      // A name that is a prefix of a valid one ("linger", "fetchMax") is closer than its length difference says.
      const score = squash(candidate).startsWith(squash(name)) && name.length >= 3 ? d / 4 : d;
      if (score < bestScore) {
        bestScore = score;
        best = s;
      }
    }
  }
  return best;
}

function configError(message: string): ClientError {
  return new ClientError(ClientErrorCode.CONFIG, message);
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `"${v}" (string)` : `${String(v)} (${Array.isArray(v) ? 'array' : typeof v})`;
}

function coerce(s: OptionSpec, given: string, v: unknown): unknown {
  const bad = (want: string): ClientError => configError(`option ${given} must be ${want}, got ${describe(v)}`);
  const t = s.type;
  if (Array.isArray(t)) {
    const str = typeof v === 'string' ? v.trim().toLowerCase() : v;
    if (typeof str !== 'string' || !t.includes(str)) throw bad(`one of ${t.join(', ')}`);
    return str;
  }
  switch (t) {
    case 'int': {
      const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad('a non-negative integer');
      return n;
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw bad('true or false');
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'servers':
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) return v;
      throw bad('"host:port,host:port" or an array of "host:port" strings');
    case 'acks':
      if (v === 'all' || v === '-1' || v === -1) return -1;
      if (v === 0 || v === 1 || v === '0' || v === '1') return Number(v);
      throw bad('0, 1, -1 or "all"');
    case 'list':
    case 'listOrObjects':
      if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
      if (Array.isArray(v) && (t === 'listOrObjects' || v.every((x) => typeof x === 'string'))) return v;
      throw bad('a comma-separated string or an array');
    case 'object':
      if (typeof v === 'object' && v !== null) return v;
      throw bad('an object');
    case 'objectOrBool':
      if (typeof v === 'boolean' || (typeof v === 'object' && v !== null)) return v;
      throw bad('true, false or an object');
    case 'function':
      if (typeof v === 'function') return v;
      throw bad('a function');
  }
}

const resolved = new WeakSet<object>();

/**
 * Validates options and returns them with Kafka's property names mapped to the camelCase ones
 * (`linger.ms: '5'` -> `lingerMs: 5`). Throws ClientError(ERR_SAMSA_CONFIG) for an unknown
 * name (naming the closest valid one), a value of the wrong type, or one option given twice
 * with different values.
 */
export function resolveOptions<T extends object>(opts: T): T {
  if (resolved.has(opts)) return opts;
  if (typeof opts !== 'object' || opts === null) throw configError(`options must be an object, got ${describe(opts)}`);
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  const security = new Map<string, string>();
  for (const [given, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (JVM_ONLY.has(given)) continue;
    if (SECURITY_NAMES.has(given)) {
      if (typeof v !== 'string' && typeof v !== 'boolean') throw configError(`option ${given} must be a string, got ${describe(v)}`);
      security.set(given, String(v));
      continue;
    }
    const s = byName.get(given);
    if (s === undefined && given in defaultConnectionOptions) {
      out[given] = v; // a connection option added to ConnectionOptions after this table (validated there)
      continue;
    }
    if (s === undefined) {
      const near = closestOption(given);
      throw configError(`unknown option "${given}": did you mean ${near.name}${near.kafka !== null ? ` (${near.kafka})` : ''}?`);
    }
    const value = coerce(s, given, v);
    if (s.name in out && String(out[s.name]) !== String(value)) {
      throw configError(`option ${s.name} given twice with different values (${from[s.name]}=${String(out[s.name])}, ${given}=${String(value)})`);
    }
    out[s.name] = value;
    from[s.name] = given;
  }
  if (security.size > 0) {
    const derived = securityOptionsFromProperties(security);
    for (const key of ['ssl', 'sasl'] as const) {
      if (derived[key] === undefined) continue;
      if (key in out) throw configError(`option ${key} given twice: as the ${key} object and as Kafka's security properties (${[...security.keys()].join(', ')}); use one`);
      out[key] = derived[key];
    }
  }
  resolved.add(out);
  return out as T;
}
