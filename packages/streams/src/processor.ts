/**
 * The Processor API's types: a record flowing through the topology, a processor, and the
 * context a processor is given (forwarding, punctuation schedules, state stores, time).
 */
import type { Serde } from './serdes.js';
import type { StateStore } from './state/stores.js';

export interface StreamRecord<K, V> {
  key: K;
  value: V;
  /** Milliseconds since the epoch (the record's event time). */
  timestamp: number;
  headers?: Array<{ key: string; value: Buffer | null }>;
}

export const PunctuationType = { STREAM_TIME: 'STREAM_TIME', WALL_CLOCK_TIME: 'WALL_CLOCK_TIME' } as const;
export type PunctuationType = (typeof PunctuationType)[keyof typeof PunctuationType];

export interface Cancellable {
  cancel(): void;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string;
  /** "<subtopology>_<partition>", as Kafka's TaskId. */
  readonly taskId: string;
  readonly partition: number;
  /** Where the current record came from (null inside a punctuation). */
  recordMetadata(): RecordMetadata | null;
  /** The task's stream time: the largest record timestamp it has processed. */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /** Sends a record to every child, or to the named child only. */
  forward<K extends KOut, V extends VOut>(record: StreamRecord<K, V>, childName?: string): void;
  /** A store connected to this processor (addStateStore / connectProcessorAndStateStores). */
  getStateStore<S extends StateStore>(name: string): S;
  /** Calls `callback(time)` every `intervalMs` of stream time or wall-clock time. */
  schedule(intervalMs: number, type: PunctuationType, callback: (timestamp: number) => void): Cancellable;
  /** default.key.serde / default.value.serde. */
  keySerde(): Serde<unknown>;
  valueSerde(): Serde<unknown>;
  /** Asks for a commit at the end of the current loop. */
  commit(): void;
}

export interface Processor<KIn, VIn, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

export type ProcessorSupplier<KIn, VIn, KOut = unknown, VOut = unknown> = () => Processor<KIn, VIn, KOut, VOut>;
