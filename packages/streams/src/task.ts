/**
 * A stream task: one sub-topology instantiated for one partition. It owns its processors and
 * state stores, tracks stream time (the largest timestamp it has processed), runs punctuators,
 * and hands sink output and changelog writes to the runtime (or the test driver) through TaskIo.
 */
import type { Cancellable, Processor, ProcessorContext, PunctuationType, RecordMetadata, StreamRecord } from './processor.js';
import type { Serde } from './serdes.js';
import type { StateStore, StoreContext, StoreType } from './state/stores.js';
import type { SinkNode, Subtopology, Topology } from './topology.js';

export interface TaskIo {
  readonly applicationId: string;
  /** Repartition topics get the application.id prefix. */
  topicName(topic: string): string;
  readonly defaultKeySerde: Serde<unknown>;
  readonly defaultValueSerde: Serde<unknown>;
  readonly defaultStoreType: StoreType;
  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, partition: number | undefined, headers: StreamRecord<unknown, unknown>['headers']): void;
  partitionCount(topic: string): number;
  /** The task's state directory (null: no persistent stores possible). */
  taskDir(taskId: string): string | null;
  wallClockMs(): number;
  /** default.deserialization.exception.handler: true = log and skip the record (LogAndContinue). */
  skipOnDeserializationError: boolean;
}

export const changelogTopic = (applicationId: string, store: string): string => `${applicationId}-${store}-changelog`;

interface Punctuation {
  intervalMs: number;
  type: PunctuationType;
  callback: (t: number) => void;
  next: number | null;
  cancelled: boolean;
  node: string;
}

interface Instance {
  name: string;
  processor: Processor<unknown, unknown> | null;
  sink: SinkNode | null;
  children: Instance[];
  byName: Map<string, Instance>;
  context: ProcessorContext;
}

export class StreamTask {
  readonly id: string;
  readonly stores = new Map<string, StateStore>();
  streamTime = -Infinity;
  commitRequested = false;
  /** Per source topic, the offset after the last record processed. */
  readonly nextOffsets = new Map<string, bigint>();
  private readonly instances = new Map<string, Instance>();
  private readonly sourceByTopic = new Map<string, { inst: Instance; keySerde: Serde<unknown>; valueSerde: Serde<unknown> }>();
  private readonly punctuations: Punctuation[] = [];
  private current: RecordMetadata | null = null;

  constructor(
    readonly subtopology: Subtopology,
    readonly partition: number,
    private readonly topology: Topology,
    private readonly io: TaskIo,
  ) {
    this.id = `${subtopology.id}_${partition}`;
  }

  /** Builds stores (not yet restored) and processors. Call initProcessors() after restoring. */
  createStores(): void {
    const taskDir = this.io.taskDir(this.id);
    const storeCtx: StoreContext = {
      taskId: this.id,
      taskDir,
      log: (store, key, value) => this.io.send(changelogTopic(this.io.applicationId, store), key, value, this.currentTimestamp(), this.partition, undefined),
      currentStreamTimeMs: () => this.streamTime,
    };
    for (const name of this.subtopology.stores) {
      const store = this.topology.storeBuilders.get(name)!.build({ storeType: this.io.defaultStoreType, keySerde: this.io.defaultKeySerde, valueSerde: this.io.defaultValueSerde });
      store.init(storeCtx);
      this.stores.set(name, store);
    }
  }

  private timestampOfRecord = 0;
  private currentTimestamp(): number {
    return this.timestampOfRecord;
  }

  initProcessors(): void {
    for (const node of this.subtopology.nodes) {
      const inst: Instance = { name: node.name, processor: null, sink: node.kind === 'sink' ? node : null, children: [], byName: new Map(), context: null as unknown as ProcessorContext };
      inst.context = this.contextFor(inst, node.kind === 'processor' ? node.stores : new Set());
      this.instances.set(node.name, inst);
    }
    for (const inst of this.instances.values()) {
      for (const c of this.topology.children.get(inst.name)!) {
        const child = this.instances.get(c)!;
        inst.children.push(child);
        inst.byName.set(c, child);
      }
    }
    for (const node of this.subtopology.nodes) {
      const inst = this.instances.get(node.name)!;
      if (node.kind === 'source') {
        for (const t of node.topics) this.sourceByTopic.set(this.io.topicName(t), { inst, keySerde: node.keySerde ?? this.io.defaultKeySerde, valueSerde: node.valueSerde ?? this.io.defaultValueSerde });
      } else if (node.kind === 'processor') {
        inst.processor = node.supplier();
        inst.processor.init?.(inst.context);
      }
    }
  }

  private contextFor(inst: Instance, stores: Set<string>): ProcessorContext {
    const task = this;
    return {
      applicationId: this.io.applicationId,
      taskId: this.id,
      partition: this.partition,
      recordMetadata: () => task.current,
      currentStreamTimeMs: () => task.streamTime,
      currentSystemTimeMs: () => task.io.wallClockMs(),
      forward(record, childName) {
        if (childName !== undefined) {
          const child = inst.byName.get(childName);
          if (child === undefined) throw new Error(`Unknown downstream node: ${childName} is not a child of ${inst.name}`);
          task.deliver(child, record);
          return;
        }
        for (const child of inst.children) task.deliver(child, record);
      },
      getStateStore<S extends StateStore>(name: string): S {
        if (!stores.has(name)) throw new Error(`Processor ${inst.name} has no access to StateStore ${name}: connect it with addStateStore or connectProcessorAndStateStores`);
        return task.stores.get(name) as S;
      },
      schedule(intervalMs, type, callback): Cancellable {
        if (!(intervalMs >= 1)) throw new Error('The minimum supported scheduling interval is 1 millisecond.');
        const p: Punctuation = { intervalMs, type, callback, cancelled: false, node: inst.name, next: type === 'WALL_CLOCK_TIME' ? task.io.wallClockMs() + intervalMs : null };
        task.punctuations.push(p);
        return { cancel: () => void (p.cancelled = true) };
      },
      keySerde: () => task.io.defaultKeySerde,
      valueSerde: () => task.io.defaultValueSerde,
      commit: () => void (task.commitRequested = true),
    };
  }

  private deliver(inst: Instance, record: StreamRecord<unknown, unknown>): void {
    const prevTs = this.timestampOfRecord;
    this.timestampOfRecord = record.timestamp;
    try {
      if (inst.sink !== null) this.sinkSend(inst.sink, record);
      else if (inst.processor !== null) inst.processor.process(record);
      else for (const c of inst.children) this.deliver(c, record);
    } finally {
      this.timestampOfRecord = prevTs;
    }
  }

  private sinkSend(sink: SinkNode, record: StreamRecord<unknown, unknown>): void {
    const topic = typeof sink.topic === 'string' ? this.io.topicName(sink.topic) : sink.topic(record.key, record.value, { topic: this.current?.topic ?? null, partition: this.partition, offset: this.current?.offset ?? null });
    const key = (sink.keySerde ?? this.io.defaultKeySerde).serialize(topic, record.key);
    const value = (sink.valueSerde ?? this.io.defaultValueSerde).serialize(topic, record.value);
    let partition: number | undefined;
    if (sink.partitioner !== undefined) partition = sink.partitioner(topic, record.key, record.value, this.io.partitionCount(topic));
    if (record.timestamp < 0) throw new Error(`record timestamp ${record.timestamp} written to ${topic} is negative`);
    this.io.send(topic, key, value, record.timestamp, partition, record.headers);
  }

  /** Processes one input record of a source topic. */
  process(topic: string, offset: bigint, key: Buffer | null, value: Buffer | null, timestamp: number, headers: StreamRecord<unknown, unknown>['headers']): void {
    const src = this.sourceByTopic.get(topic);
    if (src === undefined) throw new Error(`task ${this.id} has no source for topic ${topic}`);
    this.current = { topic, partition: this.partition, offset };
    this.nextOffsets.set(topic, offset + 1n);
    let record: StreamRecord<unknown, unknown>;
    try {
      record = { key: src.keySerde.deserialize(topic, key), value: src.valueSerde.deserialize(topic, value), timestamp };
    } catch (e) {
      const why = `Deserialization exception for ${topic}-${this.partition} at offset ${offset}: ${(e as Error).message}`;
      this.current = null;
      if (!this.io.skipOnDeserializationError) throw new Error(`${why} (default.deserialization.exception.handler=LogAndFailExceptionHandler)`);
      process.stderr.write(`WARN ${why}; skipped (LogAndContinueExceptionHandler)\n`);
      return;
    }
    if (headers !== undefined && headers.length > 0) record.headers = headers;
    if (timestamp > this.streamTime) this.streamTime = timestamp;
    try {
      this.deliver(src.inst, record);
    } finally {
      this.current = null;
    }
    this.punctuate('STREAM_TIME', this.streamTime);
  }

  /** Runs the punctuators of one type that are due at `now`; returns whether any ran. */
  punctuate(type: PunctuationType, now: number): boolean {
    let ran = false;
    for (const p of this.punctuations) {
      if (p.cancelled || p.type !== type) continue;
      if (p.next === null) p.next = now; // stream time: the first record triggers the first punctuation
      if (now < p.next) continue;
      p.next += p.intervalMs * (Math.floor((now - p.next) / p.intervalMs) + 1);
      ran = true;
      const prevTs = this.timestampOfRecord;
      this.timestampOfRecord = now;
      try {
        p.callback(now);
      } finally {
        this.timestampOfRecord = prevTs;
      }
    }
    if (ran) for (let i = this.punctuations.length - 1; i >= 0; i--) if (this.punctuations[i]!.cancelled) this.punctuations.splice(i, 1);
    return ran;
  }

  flushStores(): void {
    for (const s of this.stores.values()) s.flush();
  }

  async close(): Promise<void> {
    for (const inst of this.instances.values()) inst.processor?.close?.();
    for (const s of this.stores.values()) await s.close();
  }
}
