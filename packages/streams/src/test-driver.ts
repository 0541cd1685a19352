/**
 * TopologyTestDriver, as Kafka's: runs a topology in process without a broker. Each
 * sub-topology is one task (partition 0); records piped into a topic are processed at once,
 * output goes to per-topic queues, and output to a topic another sub-topology reads
 * (repartition, through) is processed in turn. Wall-clock time only moves when told to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamsConfig, type StreamsProperties } from './config.js';
import type { StreamRecord } from './processor.js';
import type { Serde } from './serdes.js';
import type { KeyValueStore, SessionStore, StateStore, WindowStore } from './state/stores.js';
import { StreamTask, type TaskIo } from './task.js';
import type { Topology } from './topology.js';

interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: StreamRecord<unknown, unknown>['headers'];
}

export interface TestRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
}

export class TopologyTestDriver {
  private readonly tasks: StreamTask[] = [];
  private readonly taskByTopic = new Map<string, StreamTask>();
  private readonly outputs = new Map<string, RawRecord[]>();
  private readonly queue: Array<{ topic: string; r: RawRecord }> = [];
  private readonly offsets = new Map<string, bigint>();
  private readonly stateDir: string;
  private wallClock: number;
  private draining = false;

  constructor(topology: Topology, props: StreamsProperties = {}, initialWallClockMs = Date.now()) {
    const raw = props instanceof Map ? Object.fromEntries(props) : { ...props };
    const cfg = streamsConfig({ 'application.id': 'topology-test-driver', 'bootstrap.servers': 'dummy:1234', ...raw });
    this.wallClock = initialWallClockMs;
    this.stateDir = mkdtempSync(join(tmpdir(), 'samsa-ttd-'));
    const internal = (t: string): string => (topology.internalTopics.has(t) ? `${cfg.applicationId}-${t}` : t);
    const io: TaskIo = {
      applicationId: cfg.applicationId,
      topicName: internal,
      defaultKeySerde: cfg.defaultKeySerde,
      defaultValueSerde: cfg.defaultValueSerde,
      defaultStoreType: cfg.defaultStoreType,
      skipOnDeserializationError: cfg.skipOnDeserializationError,
      send: (topic, key, value, timestamp, _partition, headers) => {
        const r = { key, value, timestamp, headers };
        if (this.taskByTopic.has(topic)) this.queue.push({ topic, r });
        else {
          let l = this.outputs.get(topic);
          if (l === undefined) this.outputs.set(topic, (l = []));
          l.push(r);
        }
      },
      partitionCount: () => 1,
      taskDir: (id) => join(this.stateDir, id),
      wallClockMs: () => this.wallClock,
    };
    for (const st of topology.subtopologies()) {
      const task = new StreamTask(st, 0, topology, io);
      task.createStores();
      task.initProcessors();
      this.tasks.push(task);
      for (const t of st.sourceTopics) this.taskByTopic.set(internal(t), task);
    }
  }

  private pipe(topic: string, r: RawRecord): void {
    this.queue.push({ topic, r });
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const { topic: t, r: rec } = this.queue.shift()!;
        const task = this.taskByTopic.get(t);
        if (task === undefined) throw new Error(`Unknown topic: ${t}`);
        const offset = this.offsets.get(t) ?? 0n;
        this.offsets.set(t, offset + 1n);
        task.process(t, offset, rec.key, rec.value, rec.timestamp, rec.headers);
      }
    } finally {
      this.draining = false;
    }
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestInputTopic<K, V> {
    if (!this.taskByTopic.has(topic)) throw new Error(`Unknown topic: ${topic}`);
    return new TestInputTopic(topic, keySerde, valueSerde, (r) => this.pipe(topic, r), () => this.wallClock);
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    let l = this.outputs.get(topic);
    if (l === undefined) this.outputs.set(topic, (l = []));
    return new TestOutputTopic(topic, keySerde, valueSerde, l);
  }

  /** Moves wall-clock time forward and runs the WALL_CLOCK_TIME punctuators that became due. */
  advanceWallClockTime(ms: number): void {
    this.wallClock += ms;
    for (const t of this.tasks) t.punctuate('WALL_CLOCK_TIME', this.wallClock);
  }

  getStateStore<S extends StateStore>(name: string): S | null {
    for (const t of this.tasks) if (t.stores.has(name)) return t.stores.get(name) as S;
    return null;
  }

  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> | null {
    return this.getStateStore<KeyValueStore<K, V>>(name);
  }

  getWindowStore<K, V>(name: string): WindowStore<K, V> | null {
    return this.getStateStore<WindowStore<K, V>>(name);
  }

  getSessionStore<K, V>(name: string): SessionStore<K, V> | null {
    return this.getStateStore<SessionStore<K, V>>(name);
  }

  async close(): Promise<void> {
    for (const t of this.tasks) await t.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export class TestInputTopic<K, V> {
  constructor(
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    private readonly sink: (r: RawRecord) => void,
    private readonly now: () => number,
  ) {}

  pipeInput(key: K | null, value: V | null, timestamp?: number): void {
    this.sink({ key: this.keySerde.serialize(this.topic, key), value: this.valueSerde.serialize(this.topic, value), timestamp: timestamp ?? this.now(), headers: undefined });
  }

  pipeValueList(values: V[], timestamp?: number): void {
    for (const v of values) this.pipeInput(null, v, timestamp);
  }

  pipeKeyValueList(list: Array<[K, V]>, timestamp?: number): void {
    for (const [k, v] of list) this.pipeInput(k, v, timestamp);
  }
}

export class TestOutputTopic<K, V> {
  constructor(
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    private readonly records: RawRecord[],
  ) {}

  isEmpty(): boolean {
    return this.records.length === 0;
  }

  getQueueSize(): number {
    return this.records.length;
  }

  readRecord(): TestRecord<K, V> {
    const r = this.records.shift();
    if (r === undefined) throw new Error(`Empty topic: ${this.topic}`);
    return { key: this.keySerde.deserialize(this.topic, r.key), value: this.valueSerde.deserialize(this.topic, r.value), timestamp: r.timestamp };
  }

  readKeyValue(): [K | null, V | null] {
    const r = this.readRecord();
    return [r.key, r.value];
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): Array<TestRecord<K, V>> {
    const out: Array<TestRecord<K, V>> = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): Array<[K | null, V | null]> {
    return this.readRecordsToList().map((r) => [r.key, r.value]);
  }

  /** The latest value per key, as Kafka's readKeyValuesToMap. */
  readKeyValuesToMap(): Map<K | null, V | null> {
    const m = new Map<K | null, V | null>();
    for (const [k, v] of this.readKeyValuesToList()) m.set(k, v);
    return m;
  }
}
