/**
 * StreamsConfig: Kafka Streams' property names and defaults, from a properties map (the demo's
 * file) or an object. Values are validated here, once.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Serde, serdeByClassName, Serdes } from './serdes.js';
import type { StoreType } from './state/stores.js';

export class StreamsConfigError extends Error {
  override readonly name = 'ConfigException';
}

export interface StreamsConfig {
  applicationId: string;
  bootstrapServers: string[];
  stateDir: string;
  commitIntervalMs: number;
  processingGuarantee: 'at_least_once' | 'exactly_once_v2';
  /** The producer's transaction.timeout.ms under exactly_once_v2 (Kafka Streams' default 10000). */
  transactionTimeoutMs: number;
  defaultKeySerde: Serde<unknown>;
  defaultValueSerde: Serde<unknown>;
  defaultStoreType: StoreType;
  clientId: string;
  pollMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPollIntervalMs: number;
  autoOffsetReset: 'earliest' | 'latest' | 'none';
  /** Internal topics' replication factor (-1: the broker's default). */
  replicationFactor: number;
  /** default.deserialization.exception.handler is LogAndContinueExceptionHandler. */
  skipOnDeserializationError: boolean;
}

export type StreamsProperties = Record<string, string | number | Serde<unknown>> | Map<string, string>;

function int(name: string, v: string | undefined, def: number, min = 0): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new StreamsConfigError(`Invalid value ${v} for configuration ${name}: must be an integer >= ${min}`);
  return n;
}

export function streamsConfig(props: StreamsProperties): StreamsConfig {
  const raw = props instanceof Map ? Object.fromEntries(props) : props;
  const str = (k: string): string | undefined => {
    const v = raw[k];
    return v === undefined ? undefined : typeof v === 'object' ? undefined : String(v);
  };
  const serde = (k: string): Serde<unknown> => {
    const v = raw[k];
    if (v === undefined) return Serdes.ByteArray() as Serde<unknown>; // Kafka's default (ByteArraySerde)
    if (typeof v === 'object') return v as Serde<unknown>;
    try {
      return serdeByClassName(String(v));
    } catch (e) {
      throw new StreamsConfigError(`Invalid value ${String(v)} for configuration ${k}: ${(e as Error).message}`);
    }
  };
  const applicationId = str('application.id');
  if (applicationId === undefined || applicationId === '') throw new StreamsConfigError('Missing required configuration "application.id" which has no default value.');
  if (!/^[a-zA-Z0-9._-]+$/.test(applicationId)) throw new StreamsConfigError(`Invalid value ${applicationId} for configuration application.id: it names topics, so only ASCII letters, digits, '.', '_' and '-'`);
  const bootstrap = str('bootstrap.servers');
  if (bootstrap === undefined || bootstrap.trim() === '') throw new StreamsConfigError('Missing required configuration "bootstrap.servers" which has no default value.');
  let guarantee = str('processing.guarantee') ?? 'at_least_once';
  if (guarantee === 'exactly_once' || guarantee === 'exactly_once_beta') {
    // Kafka 3.x accepts the deprecated names with a warning (4.0 removed them); both run as v2
    // here, which gives the same guarantee with one producer per instance.
    process.stderr.write(`WARN Configuration processing.guarantee=${guarantee} is deprecated and will be removed in 4.0; running as exactly_once_v2. Please use exactly_once_v2 instead.\n`);
    guarantee = 'exactly_once_v2';
  }
  const eos = guarantee === 'exactly_once_v2';
  if (guarantee !== 'at_least_once' && !eos) throw new StreamsConfigError(`Invalid value ${guarantee} for configuration processing.guarantee: String must be one of: at_least_once, exactly_once_v2`);
  const dslStore = str('default.dsl.store') ?? 'rocksDB';
  if (dslStore !== 'rocksDB' && dslStore !== 'in_memory') throw new StreamsConfigError(`Invalid value ${dslStore} for configuration default.dsl.store: String must be one of: rocksDB, in_memory`);
  const reset = str('auto.offset.reset') ?? 'earliest';
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') throw new StreamsConfigError(`Invalid value ${reset} for configuration auto.offset.reset: String must be one of: latest, earliest, none`);
  const threads = int('num.stream.threads', str('num.stream.threads'), 1, 1);
  if (threads !== 1) throw new StreamsConfigError('num.stream.threads: one stream thread per instance (Node runs one event loop); run more instances to scale');
  const handler = (str('default.deserialization.exception.handler') ?? 'LogAndFailExceptionHandler').replace(/^org\.apache\.kafka\.streams\.errors\./, '');
  if (handler !== 'LogAndFailExceptionHandler' && handler !== 'LogAndContinueExceptionHandler') {
    throw new StreamsConfigError(`Invalid value ${handler} for configuration default.deserialization.exception.handler: LogAndFailExceptionHandler or LogAndContinueExceptionHandler`);
  }
  return {
    applicationId,
    bootstrapServers: bootstrap.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    stateDir: str('state.dir') ?? join(tmpdir(), 'kafka-streams'),
    // Kafka's defaults: 30 s, 100 ms under exactly-once (each commit ends a transaction)
    commitIntervalMs: int('commit.interval.ms', str('commit.interval.ms'), eos ? 100 : 30000),
    processingGuarantee: eos ? 'exactly_once_v2' : 'at_least_once',
    transactionTimeoutMs: int('producer.transaction.timeout.ms', str('producer.transaction.timeout.ms') ?? str('transaction.timeout.ms'), 10000, 1),
    defaultKeySerde: serde('default.key.serde'),
    defaultValueSerde: serde('default.value.serde'),
    // rocksDB is Kafka's name for the default persistent store; here it is LMDB
    defaultStoreType: dslStore === 'in_memory' ? 'in_memory' : 'persistent',
    clientId: str('client.id') ?? `${applicationId}-${process.pid}`,
    pollMs: int('poll.ms', str('poll.ms'), 100),
    sessionTimeoutMs: int('session.timeout.ms', str('session.timeout.ms'), 45000, 1),
    heartbeatIntervalMs: int('heartbeat.interval.ms', str('heartbeat.interval.ms'), 3000, 1),
    maxPollIntervalMs: int('max.poll.interval.ms', str('max.poll.interval.ms'), 300000, 1),
    autoOffsetReset: reset,
    replicationFactor: int('replication.factor', str('replication.factor'), -1, -1),
    skipOnDeserializationError: handler === 'LogAndContinueExceptionHandler',
  };
}
