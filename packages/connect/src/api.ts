/**
 * The plugin API, as Kafka Connect's (org.apache.kafka.connect.connector/source/sink): a
 * connector splits its job into task configs; the runtime runs tasks, moving data between
 * Kafka and the outside world. A plugin module exports classes extending SourceConnector or
 * SinkConnector (and optionally Transformation/Predicate classes); see the README.
 */
import type { Schema, SinkRecord, SourceRecord } from './data.js';
import type { ConnectRecord } from './data.js';

export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';
export type Importance = 'HIGH' | 'MEDIUM' | 'LOW';

/** One key of a ConfigDef. No `defaultValue` means the key is required. */
export interface ConfigKey {
  name: string;
  type: ConfigType;
  defaultValue?: string | null;
  importance: Importance;
  documentation: string;
  group?: string;
  /** Returns an error message for a bad value, or null. */
  validator?: (value: string | null) => string | null;
  /** Allowed values, shown as recommended_values by the validate endpoint. */
  recommendedValues?: string[];
}

export type ConfigDef = ConfigKey[];

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConnectorContext {
  /** The connector's task configs changed: the runtime asks taskConfigs() again. */
  requestTaskReconfiguration(): void;
  /** The connector failed in the background. */
  raiseError(err: Error): void;
}

export interface OffsetStorageReader {
  /** The last committed offset of a source partition, or null. */
  offset(partition: Record<string, unknown>): Record<string, unknown> | null;
}

export interface SourceTaskContext {
  configs(): Record<string, string>;
  offsetStorageReader: OffsetStorageReader;
}

export interface SinkTaskContext {
  configs(): Record<string, string>;
  /** Rewind or skip: the next records of the partition start at `offset`. */
  offset(tp: TopicPartition, offset: number): void;
  pause(tps: TopicPartition[]): void;
  resume(tps: TopicPartition[]): void;
  assignment(): TopicPartition[];
  /** Commit offsets soon rather than at the next offset.flush.interval.ms. */
  requestCommit(): void;
}

export type TaskClass<T> = new () => T;

export abstract class Connector {
  context!: ConnectorContext;
  abstract readonly type: 'source' | 'sink';
  abstract version(): string;
  abstract start(props: Record<string, string>): void | Promise<void>;
  abstract taskConfigs(maxTasks: number): Array<Record<string, string>>;
  abstract stop(): void | Promise<void>;
  /** The connector's own config keys (validated by PUT /connector-plugins/{type}/config/validate). */
  config(): ConfigDef {
    return [];
  }
}

export abstract class SourceTask {
  context!: SourceTaskContext;
  abstract version(): string;
  abstract start(props: Record<string, string>): void | Promise<void>;
  /** Records read since the last call; null or [] when there is nothing (wait a little first). */
  abstract poll(): Promise<SourceRecord[] | null>;
  abstract stop(): void | Promise<void>;
  /** Called after the offsets of the records sent so far are committed. */
  commit(): void | Promise<void> {}
  /** Called once Kafka acknowledged a record (metadata null when a transformation dropped it). */
  commitRecord(_record: SourceRecord, _metadata: { topic: string; partition: number; offset: number } | null): void {}
}

export abstract class SinkTask {
  context!: SinkTaskContext;
  abstract version(): string;
  abstract start(props: Record<string, string>): void | Promise<void>;
  abstract put(records: SinkRecord[]): void | Promise<void>;
  /** Make everything put so far durable; offsets are committed after it returns. */
  flush(_currentOffsets: Map<string, { topic: string; partition: number; offset: number }>): void | Promise<void> {}
  open(_partitions: TopicPartition[]): void | Promise<void> {}
  close(_partitions: TopicPartition[]): void | Promise<void> {}
  abstract stop(): void | Promise<void>;
}

export abstract class SourceConnector extends Connector {
  readonly type = 'source' as const;
  abstract taskClass(): TaskClass<SourceTask>;
}

export abstract class SinkConnector extends Connector {
  readonly type = 'sink' as const;
  abstract taskClass(): TaskClass<SinkTask>;
}

/** A single message transformation: returns the new record, or null to drop it. */
export interface Transformation<R extends ConnectRecord = ConnectRecord> {
  configure(props: Record<string, string>): void;
  apply(record: R): R | null;
  config(): ConfigDef;
  close(): void;
}

export interface Predicate<R extends ConnectRecord = ConnectRecord> {
  configure(props: Record<string, string>): void;
  test(record: R): boolean;
  config(): ConfigDef;
  close(): void;
}

/** Thrown for invalid configs; the REST API answers 400 with its message. */
export class ConfigException extends Error {
  override readonly name = 'ConfigException';
}

/** Thrown by tasks for failures worth retrying; other errors fail the task. */
export class RetriableException extends Error {
  override readonly name = 'RetriableException';
}

export type { Schema };
