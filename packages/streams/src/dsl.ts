/**
 * The DSL: StreamsBuilder, KStream, KTable, grouped and windowed streams. Every operation adds
 * Processor API nodes to one Topology. KTable nodes forward `Change` values (new and old), as
 * Kafka's, so filters, joins and suppression see updates and retractions; a table's values are
 * read through value getters backed by its materialized store.
 */
import type { Processor, ProcessorContext, StreamRecord } from './processor.js';
import { type Serde, Serdes, sessionWindowedSerde, timeWindowedSerde, type Windowed } from './serdes.js';
import { type KeyValueStore, type SessionStore, type StoreType, Stores, type WindowStore } from './state/stores.js';
import { type StreamPartitioner, type TopicNameExtractor, Topology, TopologyException } from './topology.js';
import { JoinWindows, SessionWindows, SlidingWindows, TimeWindows } from './windows.js';

export interface Change<V> {
  newValue: V | null;
  oldValue: V | null;
}

export interface Consumed<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  name?: string;
}
export interface Produced<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  partitioner?: StreamPartitioner;
  name?: string;
}
export interface Grouped<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** Names the repartition topic (<application.id>-<name>-repartition). */
  name?: string;
}
export interface Repartitioned<K, V> extends Grouped<K, V> {
  numberOfPartitions?: number;
}
export interface Materialized<K, V> {
  /** The store name (queryable with KafkaStreams#store and named in the changelog topic). */
  storeName?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** 'persistent' (LMDB) or 'in_memory'; default.dsl.store when absent. */
  storeType?: StoreType;
  loggingEnabled?: boolean;
  /** Window stores: how long windows are kept (default: window size + grace, at least 1 day as Kafka). */
  retentionMs?: number;
}
export interface Branched<K, V> {
  name?: string;
  /** Transforms the branch's stream; its result is what the branch map holds. */
  withFunction?: (s: KStream<K, V>) => KStream<K, V> | null;
}

/** Kafka's static helpers: Consumed.with(keySerde, valueSerde), Materialized.as(name), ... */
export const Consumed = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Consumed<K, V> => ({ keySerde, valueSerde }),
};
export const Produced = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>, partitioner?: StreamPartitioner): Produced<K, V> => (partitioner === undefined ? { keySerde, valueSerde } : { keySerde, valueSerde, partitioner }),
};
export const Grouped = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Grouped<K, V> => ({ keySerde, valueSerde }),
  as: <K, V>(name: string): Grouped<K, V> => ({ name }),
};
export const Materialized = {
  as: <K, V>(storeName: string): Materialized<K, V> => ({ storeName }),
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Materialized<K, V> => ({ keySerde, valueSerde }),
};

type ValueGetter<K, V> = (key: K) => V | null;
interface ValueGetterSupplier<K, V> {
  storeNames: string[];
  get(ctx: ProcessorContext): ValueGetter<K, V>;
}

const ONE_DAY = 86_400_000;

/** A processor from a function; `init` builds per-task state (each task has its own processor). */
function fn<KIn, VIn, S = undefined>(process: (ctx: ProcessorContext, r: StreamRecord<KIn, VIn>, state: S) => void, init?: (ctx: ProcessorContext) => S): () => Processor<KIn, VIn> {
  return () => {
    let ctx!: ProcessorContext;
    let state!: S;
    return {
      init(c) {
        ctx = c;
        if (init !== undefined) state = init(c);
      },
      process: (r) => process(ctx, r, state),
    };
  };
}

const withKV = <K, V>(r: StreamRecord<unknown, unknown>, key: K, value: V): StreamRecord<K, V> => {
  const out: StreamRecord<K, V> = { key, value, timestamp: r.timestamp };
  if (r.headers !== undefined) out.headers = r.headers;
  return out;
};

export class StreamsBuilder {
  readonly topology = new Topology();
  private index = 0;

  /** Kafka's generated names: PREFIX-0000000007. */
  newName(prefix: string): string {
    return `${prefix}-${String(this.index++).padStart(10, '0')}`;
  }

  stream<K = unknown, V = unknown>(topics: string | string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const name = consumed.name ?? this.newName('KSTREAM-SOURCE');
    this.topology.addSource(name, topics, consumed);
    return new KStream<K, V>(this, name, consumed.keySerde, consumed.valueSerde, false, Array.isArray(topics) ? topics : [topics]);
  }

  /** A table from a topic: each record is an upsert (null value deletes), materialized in a store. */
  table<K = unknown, V = unknown>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const source = consumed.name ?? this.newName('KSTREAM-SOURCE');
    this.topology.addSource(source, topic, consumed);
    const name = this.newName('KTABLE-SOURCE');
    const storeName = materialized.storeName ?? `${topic}-STATE-STORE-${String(this.index++).padStart(10, '0')}`;
    const keySerde = materialized.keySerde ?? consumed.keySerde;
    const valueSerde = materialized.valueSerde ?? consumed.valueSerde;
    this.topology.addProcessor<K, V>(
      name,
      fn<K, V>((ctx, r) => {
        if (r.key === null || r.key === undefined) return;
        const store = ctx.getStateStore<KeyValueStore<K, V>>(storeName);
        const old = store.get(r.key);
        store.put(r.key, r.value);
        ctx.forward(withKV(r, r.key, { newValue: r.value, oldValue: old }));
      }),
      source,
    );
    this.topology.addStateStore(Stores.keyValueStoreBuilder(storeName, keySerde, valueSerde, storeOpts(materialized)), name);
    return new KTable<K, V>(this, name, keySerde, valueSerde, kvGetter<K, V>(storeName), [topic], storeName);
  }

  addStateStore(builder: Parameters<Topology['addStateStore']>[0]): this {
    this.topology.addStateStore(builder);
    return this;
  }

  build(): Topology {
    return this.topology;
  }
}

function storeOpts(m: Materialized<unknown, unknown>): { type?: StoreType; logging?: boolean } {
  const o: { type?: StoreType; logging?: boolean } = {};
  if (m.storeType !== undefined) o.type = m.storeType;
  if (m.loggingEnabled !== undefined) o.logging = m.loggingEnabled;
  return o;
}

function kvGetter<K, V>(storeName: string): ValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    get: (ctx) => {
      const s = ctx.getStateStore<KeyValueStore<K, V>>(storeName);
      return (k) => s.get(k);
    },
  };
}

export class KStream<K, V> {
  constructor(
    readonly builder: StreamsBuilder,
    readonly name: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    /** The key changed since the source: grouping and joins repartition first. */
    readonly repartitionRequired: boolean,
    /** Source topics feeding this stream (co-partitioning checks). */
    readonly sourceTopics: string[],
  ) {}

  private get topology(): Topology {
    return this.builder.topology;
  }

  private next<K2, V2>(prefix: string, process: (ctx: ProcessorContext, r: StreamRecord<K, V>) => void, opts: { keyChanged?: boolean; keySerde?: Serde<K2> | undefined; valueSerde?: Serde<V2> | undefined; name?: string | undefined } = {}): KStream<K2, V2> {
    const name = opts.name ?? this.builder.newName(prefix);
    this.topology.addProcessor(name, fn(process), this.name);
    return new KStream<K2, V2>(this.builder, name, opts.keyChanged === true ? opts.keySerde : (this.keySerde as unknown as Serde<K2>), opts.valueSerde, this.repartitionRequired || opts.keyChanged === true, this.sourceTopics);
  }

  filter(predicate: (key: K, value: V) => boolean, named?: string): KStream<K, V> {
    return this.next('KSTREAM-FILTER', (ctx, r) => predicate(r.key, r.value) && ctx.forward(r), { valueSerde: this.valueSerde, name: named });
  }

  filterNot(predicate: (key: K, value: V) => boolean, named?: string): KStream<K, V> {
    return this.next('KSTREAM-FILTER', (ctx, r) => !predicate(r.key, r.value) && ctx.forward(r), { valueSerde: this.valueSerde, name: named });
  }

  map<K2, V2>(mapper: (key: K, value: V) => [K2, V2], named?: string): KStream<K2, V2> {
    return this.next<K2, V2>('KSTREAM-MAP', (ctx, r) => {
      const [k, v] = mapper(r.key, r.value);
      ctx.forward(withKV(r, k, v));
    }, { keyChanged: true, name: named });
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, named?: string): KStream<K, V2> {
    return this.next<K, V2>('KSTREAM-MAPVALUES', (ctx, r) => ctx.forward(withKV(r, r.key, mapper(r.value, r.key))), { name: named });
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<[K2, V2]>, named?: string): KStream<K2, V2> {
    return this.next<K2, V2>('KSTREAM-FLATMAP', (ctx, r) => {
      for (const [k, v] of mapper(r.key, r.value)) ctx.forward(withKV(r, k, v));
    }, { keyChanged: true, name: named });
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, named?: string): KStream<K, V2> {
    return this.next<K, V2>('KSTREAM-FLATMAPVALUES', (ctx, r) => {
      for (const v of mapper(r.value, r.key)) ctx.forward(withKV(r, r.key, v));
    }, { name: named });
  }

  selectKey<K2>(selector: (key: K, value: V) => K2, named?: string): KStream<K2, V> {
    return this.next<K2, V>('KSTREAM-KEY-SELECT', (ctx, r) => ctx.forward(withKV(r, selector(r.key, r.value), r.value)), { keyChanged: true, valueSerde: this.valueSerde, name: named });
  }

  peek(action: (key: K, value: V) => void, named?: string): KStream<K, V> {
    return this.next('KSTREAM-PEEK', (ctx, r) => {
      action(r.key, r.value);
      ctx.forward(r);
    }, { valueSerde: this.valueSerde, name: named });
  }

  foreach(action: (key: K, value: V) => void, named?: string): void {
    this.next('KSTREAM-FOREACH', (_ctx, r) => action(r.key, r.value), { name: named });
  }

  /** Runs a Processor API processor on the stream (connected to the named stores). */
  process<K2, V2>(supplier: () => Processor<K, V, K2, V2>, ...storeNames: string[]): KStream<K2, V2> {
    const name = this.builder.newName('KSTREAM-PROCESSOR');
    this.topology.addProcessor(name, supplier as () => Processor<unknown, unknown>, this.name);
    if (storeNames.length > 0) this.topology.connectProcessorAndStateStores([name], ...storeNames);
    return new KStream<K2, V2>(this.builder, name, undefined, undefined, true, this.sourceTopics);
  }

  merge(other: KStream<K, V>, named?: string): KStream<K, V> {
    const name = named ?? this.builder.newName('KSTREAM-MERGE');
    this.topology.addProcessor(name, fn<K, V>((ctx, r) => ctx.forward(r)), this.name, other.name);
    return new KStream<K, V>(this.builder, name, this.keySerde, this.valueSerde, this.repartitionRequired || other.repartitionRequired, [...this.sourceTopics, ...other.sourceTopics]);
  }

  /** Routes each record to the first branch whose predicate matches (KIP-418). */
  split(prefix = ''): BranchedKStream<K, V> {
    const name = this.builder.newName('KSTREAM-BRANCH');
    const branches: Array<{ predicate: ((k: K, v: V) => boolean) | null; child: string }> = [];
    this.topology.addProcessor(name, fn<K, V>((ctx, r) => {
      for (const b of branches) {
        if (b.predicate === null || b.predicate(r.key, r.value)) {
          ctx.forward(r, b.child);
          return;
        }
      }
    }), this.name);
    return new BranchedKStream(this, name, prefix, branches);
  }

  /** The older branch(): one stream per predicate, a record goes to the first match. */
  branch(...predicates: Array<(key: K, value: V) => boolean>): Array<KStream<K, V>> {
    const split = this.split();
    for (const p of predicates) split.branch(p);
    return Object.values(split.noDefaultBranch());
  }

  /** @internal a pass-through child of a node, for branches. */
  childOf(parent: string, name: string): KStream<K, V> {
    this.topology.addProcessor(name, fn<K, V>((ctx, r) => ctx.forward(r)), parent);
    return new KStream<K, V>(this.builder, name, this.keySerde, this.valueSerde, this.repartitionRequired, this.sourceTopics);
  }

  /** Writes to a topic, or to the topic an extractor picks per record. */
  to(topic: string | ((key: K, value: V, context: { topic: string | null; partition: number; offset: bigint | null }) => string), produced: Produced<K, V> = {}): void {
    const name = produced.name ?? this.builder.newName('KSTREAM-SINK');
    this.topology.addSink(name, topic as string | TopicNameExtractor, { keySerde: produced.keySerde ?? this.keySerde, valueSerde: produced.valueSerde ?? this.valueSerde, ...(produced.partitioner !== undefined ? { partitioner: produced.partitioner } : {}) }, this.name);
  }

  /** Writes to a topic and reads it back (Kafka's deprecated through()). */
  through(topic: string, produced: Produced<K, V> = {}): KStream<K, V> {
    this.to(topic, produced);
    return this.builder.stream<K, V>(topic, { ...(produced.keySerde ?? this.keySerde ? { keySerde: (produced.keySerde ?? this.keySerde)! } : {}), ...(produced.valueSerde ?? this.valueSerde ? { valueSerde: (produced.valueSerde ?? this.valueSerde)! } : {}) });
  }

  /** Through an internal topic <application.id>-<name>-repartition, partitioned by the current key. */
  repartition(repartitioned: Repartitioned<K, V> = {}): KStream<K, V> {
    const base = repartitioned.name ?? this.builder.newName('KSTREAM-REPARTITION');
    return this.repartitionAs(base, repartitioned.keySerde ?? this.keySerde, repartitioned.valueSerde ?? this.valueSerde, repartitioned.numberOfPartitions);
  }

  /** @internal */
  repartitionAs(base: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, partitions?: number): KStream<K, V> {
    const topic = `${base}-repartition`;
    this.topology.addInternalTopic(topic, partitions);
    // null keys cannot be partitioned by key: dropped, as Kafka's repartition filter does
    const filter = this.builder.newName('KSTREAM-FILTER');
    this.topology.addProcessor(filter, fn<K, V>((ctx, r) => r.key !== null && r.key !== undefined && ctx.forward(r)), this.name);
    this.topology.addSink(`${base}-repartition-sink`, topic, { keySerde, valueSerde }, filter);
    const source = `${base}-repartition-source`;
    this.topology.addSource(source, topic, { keySerde, valueSerde });
    return new KStream<K, V>(this.builder, source, keySerde, valueSerde, false, [topic]);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStream<K, V>(this, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde, grouped.name);
  }

  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    const keyed = this.selectKey(selector);
    return new KGroupedStream<K2, V>(keyed, grouped.keySerde, grouped.valueSerde ?? this.valueSerde, grouped.name);
  }

  toTable(materialized: Materialized<K, V> = {}): KTable<K, V> {
    const name = this.builder.newName('KSTREAM-TOTABLE');
    const storeName = materialized.storeName ?? `${name}-STATE-STORE`;
    const keySerde = materialized.keySerde ?? this.keySerde;
    const valueSerde = materialized.valueSerde ?? this.valueSerde;
    const input = this.repartitionRequired ? this.repartitionAs(name, keySerde, valueSerde) : this;
    this.topology.addProcessor(name, fn<K, V>((ctx, r) => {
      if (r.key === null || r.key === undefined) return;
      const store = ctx.getStateStore<KeyValueStore<K, V>>(storeName);
      const old = store.get(r.key);
      store.put(r.key, r.value);
      ctx.forward(withKV(r, r.key, { newValue: r.value, oldValue: old }));
    }), input.name);
    this.topology.addStateStore(Stores.keyValueStoreBuilder(storeName, keySerde, valueSerde, storeOpts(materialized)), name);
    return new KTable<K, V>(this.builder, name, keySerde, valueSerde, kvGetter<K, V>(storeName), input.sourceTopics, storeName);
  }

  /** Stream-table join (inner), or with `{ left: true }` a left join. Stream records look the table up. */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => VR, opts?: { left?: boolean }): KStream<K, VR>;
  /** Windowed stream-stream inner join. */
  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO) => VR, windows: JoinWindows, opts?: StreamJoinOptions<V, VO>): KStream<K, VR>;
  join<VO, VR>(other: KTable<K, VO> | KStream<K, VO>, joiner: (value: V, o: VO) => VR, windowsOrOpts?: JoinWindows | { left?: boolean }, streamOpts: StreamJoinOptions<V, VO> = {}): KStream<K, VR> {
    if (other instanceof KTable) return this.tableJoin(other, joiner, (windowsOrOpts as { left?: boolean } | undefined)?.left === true);
    if (!(windowsOrOpts instanceof JoinWindows)) throw new TopologyException('a stream-stream join needs JoinWindows');
    return this.streamJoin(other, joiner as (v: V | null, o: VO | null) => VR, windowsOrOpts, streamOpts, 'inner');
  }

  /** Stream-table left join: every stream record comes out, with null when the table has no value. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => VR): KStream<K, VR>;
  /** Windowed stream-stream left join: a record without a partner comes out with null once its window closes. */
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, windows: JoinWindows, opts?: StreamJoinOptions<V, VO>): KStream<K, VR>;
  leftJoin<VO, VR>(other: KTable<K, VO> | KStream<K, VO>, joiner: (value: V, o: VO | null) => VR, windows?: JoinWindows, opts: StreamJoinOptions<V, VO> = {}): KStream<K, VR> {
    if (other instanceof KTable) return this.tableJoin(other, joiner as (v: V, t: VO) => VR, true);
    if (windows === undefined) throw new TopologyException('a stream-stream join needs JoinWindows');
    return this.streamJoin(other, joiner as (v: V | null, o: VO | null) => VR, windows, opts, 'left');
  }

  /** Windowed stream-stream outer join: records of either side without a partner come out once their window closes. */
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V | null, otherValue: VO | null) => VR, windows: JoinWindows, opts: StreamJoinOptions<V, VO> = {}): KStream<K, VR> {
    return this.streamJoin(other, joiner, windows, opts, 'outer');
  }

  private copartitioned(other: { sourceTopics: string[] }): KStream<K, V> {
    const self = this.repartitionRequired ? this.repartitionAs(this.builder.newName('KSTREAM-JOIN'), this.keySerde, this.valueSerde) : this;
    this.topology.copartitionGroups.push([...new Set([...self.sourceTopics, ...other.sourceTopics])]);
    return self;
  }

  private tableJoin<VT, VR>(table: KTable<K, VT>, joiner: (v: V, t: VT) => VR, left: boolean): KStream<K, VR> {
    const input = this.copartitioned(table);
    const name = this.builder.newName(left ? 'KSTREAM-LEFTJOIN' : 'KSTREAM-JOIN');
    this.topology.addProcessor(name, fn<K, V, ValueGetter<K, VT>>((ctx, r, get) => {
      if (r.key === null || r.key === undefined || r.value === null) return;
      const tv = get(r.key);
      if (tv === null && !left) return;
      ctx.forward(withKV(r, r.key, joiner(r.value, tv as VT)));
    }, (ctx) => table.valueGetter.get(ctx)), input.name);
    this.topology.connectProcessorAndStateStores([name], ...table.valueGetter.storeNames);
    return new KStream<K, VR>(this.builder, name, this.keySerde, undefined, false, input.sourceTopics);
  }

  private streamJoin<VO, VR>(other: KStream<K, VO>, joiner: (v: V | null, o: VO | null) => VR, windows: JoinWindows, opts: StreamJoinOptions<V, VO>, kind: 'inner' | 'left' | 'outer'): KStream<K, VR> {
    const left = this.copartitioned(other);
    const right = other.repartitionRequired ? other.repartitionAs(this.builder.newName('KSTREAM-JOINOTHER'), other.keySerde, other.valueSerde) : other;
    const thisStore = this.builder.newName('KSTREAM-JOINTHIS') + '-store';
    const otherStore = this.builder.newName('KSTREAM-JOINOTHER') + '-store';
    const retentionMs = windows.beforeMs + windows.afterMs + windows.graceMs + 1;
    const typeOpt = opts.storeType !== undefined ? { type: opts.storeType } : {};
    const storeOpt = { retentionMs, windowSizeMs: 0, retainDuplicates: true, ...typeOpt };
    const thisKeySerde = this.keySerde;
    const thisValueSerde = opts.thisValueSerde ?? this.valueSerde;
    const otherValueSerde = opts.otherValueSerde ?? other.valueSerde;
    this.topology.addStateStore(Stores.windowStoreBuilder(thisStore, thisKeySerde, thisValueSerde, storeOpt));
    this.topology.addStateStore(Stores.windowStoreBuilder(otherStore, other.keySerde ?? thisKeySerde, otherValueSerde, storeOpt));
    // left/outer joins (Kafka 3.1+): a record without a partner is held in a shared store and
    // emitted with a null partner once its window has closed, never eagerly
    const outerStore = kind === 'inner' ? null : this.builder.newName('KSTREAM-OUTERSHARED') + '-store';
    if (outerStore !== null) this.topology.addStateStore(Stores.keyValueStoreBuilder(outerStore, Serdes.ByteArray(), Serdes.ByteArray(), typeOpt));
    const LEFT = 0;
    const RIGHT = 1;
    const closesAfter = [windows.afterMs + windows.graceMs, windows.beforeMs + windows.graceMs];
    const side = <A, B>(sideId: number, own: string, opposite: string, before: number, after: number, combine: (a: A | null, b: B | null) => VR, keepUnjoined: boolean) =>
      fn<K, A, { seq: number; keySerde: Serde<K>; serdes: [Serde<unknown>, Serde<unknown>] }>((ctx, r, st) => {
        if (r.key === null || r.key === undefined || r.value === null) return;
        // late: every window this record could join has closed
        if (r.timestamp + after + windows.graceMs < ctx.currentStreamTimeMs()) return;
        ctx.getStateStore<WindowStore<K, A>>(own).put(r.key, r.value, r.timestamp);
        let joined = false;
        for (const o of ctx.getStateStore<WindowStore<K, B>>(opposite).fetchRange(r.key, r.timestamp - before, r.timestamp + after)) {
          joined = true;
          ctx.forward({ key: r.key, value: combine(r.value, o.value), timestamp: Math.max(r.timestamp, o.windowStart) });
        }
        if (outerStore === null) return;
        const outer = ctx.getStateStore<KeyValueStore<Buffer, Buffer>>(outerStore);
        const kb = st.keySerde.serialize('', r.key) ?? Buffer.alloc(0);
        if (joined) {
          // partners waiting in the shared store are joined now: they must not come out unjoined
          for (const { key: ek, value: ev } of outer.range(heldKey(r.timestamp - before, 0, 0), heldKey(r.timestamp + after, 1, 0xffffffff))) {
            if (ek[8] !== 1 - sideId) continue;
            const len = ev.readUInt32BE(0);
            if (ev.subarray(4, 4 + len).equals(kb)) outer.delete(ek);
          }
        } else if (keepUnjoined) {
          const vb = (st.serdes[sideId] as Serde<A>).serialize('', r.value) ?? Buffer.alloc(0);
          const entry = Buffer.allocUnsafe(4 + kb.length + vb.length);
          entry.writeUInt32BE(kb.length, 0);
          kb.copy(entry, 4);
          vb.copy(entry, 4 + kb.length);
          outer.put(heldKey(r.timestamp, sideId, (st.seq = (st.seq + 1) >>> 0)), entry);
        }
        const now = ctx.currentStreamTimeMs();
        const horizon = now - Math.min(...closesAfter);
        for (const { key: ek, value: ev } of outer.range(heldKey(0, 0, 0), heldKey(Math.max(0, horizon), 0, 0))) {
          const ts = Number(ek.readBigInt64BE(0));
          const held = ek[8]!;
          if (ts + closesAfter[held]! >= now) continue;
          outer.delete(ek);
          const len = ev.readUInt32BE(0);
          const key = st.keySerde.deserialize('', ev.subarray(4, 4 + len)) as K;
          const value = st.serdes[held]!.deserialize('', ev.subarray(4 + len));
          const out = held === LEFT ? joiner(value as V, null) : joiner(null, value as VO);
          ctx.forward({ key, value: out, timestamp: ts });
        }
      }, (ctx) => ({
        seq: Math.floor(Math.random() * 0xffffffff),
        keySerde: thisKeySerde ?? (ctx.keySerde() as Serde<K>),
        serdes: [(thisValueSerde ?? ctx.valueSerde()) as Serde<unknown>, (otherValueSerde ?? ctx.valueSerde()) as Serde<unknown>],
      }));
    const thisName = this.builder.newName('KSTREAM-JOINTHIS');
    const otherName = this.builder.newName('KSTREAM-JOINOTHER');
    const mergeName = this.builder.newName('KSTREAM-MERGE');
    this.topology.addProcessor(thisName, side<V, VO>(LEFT, thisStore, otherStore, windows.beforeMs, windows.afterMs, (a, b) => joiner(a, b), kind !== 'inner'), left.name);
    this.topology.addProcessor(otherName, side<VO, V>(RIGHT, otherStore, thisStore, windows.afterMs, windows.beforeMs, (b, a) => joiner(a, b), kind === 'outer'), right.name);
    const stores = outerStore === null ? [thisStore, otherStore] : [thisStore, otherStore, outerStore];
    this.topology.connectProcessorAndStateStores([thisName, otherName], ...stores);
    this.topology.addProcessor(mergeName, fn((ctx, r) => ctx.forward(r)), thisName, otherName);
    return new KStream<K, VR>(this.builder, mergeName, this.keySerde, undefined, false, [...left.sourceTopics, ...right.sourceTopics]);
  }
}

/** Shared-store key of a record waiting for a join partner: [8-byte timestamp][side][4-byte sequence]. */
function heldKey(timestamp: number, side: number, seq: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  b.writeBigInt64BE(BigInt(Math.max(0, timestamp)), 0);
  b[8] = side;
  b.writeUInt32BE(seq, 9);
  return b;
}

interface StreamJoinOptions<V, VO> {
  thisValueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
  storeType?: StoreType;
}

export class BranchedKStream<K, V> {
  private readonly result: Record<string, KStream<K, V>> = {};
  private count = 1;

  constructor(
    private readonly stream: KStream<K, V>,
    private readonly node: string,
    private readonly prefix: string,
    private readonly branches: Array<{ predicate: ((k: K, v: V) => boolean) | null; child: string }>,
  ) {}

  private add(predicate: ((k: K, v: V) => boolean) | null, branched: Branched<K, V>, fallbackName: string): void {
    const name = `${this.prefix}${branched.name ?? fallbackName}`;
    const child = this.stream.childOf(this.node, `${this.node}-${name}`);
    this.branches.push({ predicate, child: child.name });
    const out = branched.withFunction !== undefined ? branched.withFunction(child) : child;
    if (out !== null) this.result[name] = out;
  }

  branch(predicate: (key: K, value: V) => boolean, branched: Branched<K, V> = {}): this {
    this.add(predicate, branched, String(this.count++));
    return this;
  }

  defaultBranch(branched: Branched<K, V> = {}): Record<string, KStream<K, V>> {
    this.add(null, branched, '0');
    return this.result;
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    return this.result;
  }
}

export class KGroupedStream<K, V> {
  constructor(
    private readonly stream: KStream<K, V>,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
    private readonly repartitionName: string | undefined,
  ) {}

  /** The input to aggregate: repartitioned by key when the key changed upstream. */
  private input(storeName: string): KStream<K, V> {
    if (!this.stream.repartitionRequired) return this.stream;
    return this.stream.repartitionAs(this.repartitionName ?? storeName, this.keySerde, this.valueSerde);
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, n) => n + 1, { ...materialized, valueSerde: materialized.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (agg: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    return this.doAggregate<V>('KSTREAM-REDUCE', () => null, (_k, v, agg) => (agg === null ? v : reducer(agg, v)), { ...materialized, valueSerde: materialized.valueSerde ?? this.valueSerde });
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, agg: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<K, VA> {
    return this.doAggregate<VA>('KSTREAM-AGGREGATE', initializer, (k, v, agg) => aggregator(k, v, agg ?? initializer()), materialized);
  }

  private doAggregate<VA>(prefix: string, initializer: () => VA | null, aggregator: (key: K, value: V, agg: VA | null) => VA, materialized: Materialized<K, VA>): KTable<K, VA> {
    const b = this.stream.builder;
    const storeName = materialized.storeName ?? b.newName(`${prefix}-STATE-STORE`);
    const input = this.input(storeName);
    const name = b.newName(prefix);
    b.topology.addProcessor(name, fn<K, V>((ctx, r) => {
      if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
      const store = ctx.getStateStore<KeyValueStore<K, VA>>(storeName);
      const old = store.get(r.key);
      const next = aggregator(r.key, r.value, old ?? initializer());
      store.put(r.key, next);
      ctx.forward(withKV(r, r.key, { newValue: next, oldValue: old }));
    }), input.name);
    const keySerde = materialized.keySerde ?? this.keySerde;
    b.topology.addStateStore(Stores.keyValueStoreBuilder(storeName, keySerde, materialized.valueSerde, storeOpts(materialized)), name);
    return new KTable<K, VA>(b, name, keySerde, materialized.valueSerde, kvGetter<K, VA>(storeName), input.sourceTopics, storeName);
  }

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows | SlidingWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    const grouped = { input: (s: string) => this.input(s), keySerde: this.keySerde, valueSerde: this.valueSerde, builder: this.stream.builder };
    if (windows instanceof SessionWindows) return new SessionWindowedKStream<K, V>(grouped, windows);
    return new TimeWindowedKStream<K, V>(grouped, windows);
  }
}

interface GroupedInput<K, V> {
  input(storeName: string): KStream<K, V>;
  keySerde: Serde<K> | undefined;
  valueSerde: Serde<V> | undefined;
  builder: StreamsBuilder;
}

export class TimeWindowedKStream<K, V> {
  constructor(
    private readonly g: GroupedInput<K, V>,
    private readonly windows: TimeWindows | SlidingWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, n) => n + 1, { ...materialized, valueSerde: materialized.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (agg: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.build<V>('KSTREAM-REDUCE', null, (_k, v, agg) => (agg === null ? v : reducer(agg, v)), { ...materialized, valueSerde: materialized.valueSerde ?? this.g.valueSerde });
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, agg: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<Windowed<K>, VA> {
    return this.build<VA>('KSTREAM-AGGREGATE', initializer, (k, v, agg) => aggregator(k, v, agg ?? initializer()), materialized);
  }

  private build<VA>(prefix: string, initializer: (() => VA) | null, aggregator: (key: K, value: V, agg: VA | null) => VA, materialized: Materialized<K, VA>): KTable<Windowed<K>, VA> {
    const b = this.g.builder;
    const storeName = materialized.storeName ?? b.newName(`${prefix}-STATE-STORE`);
    const input = this.g.input(storeName);
    const name = b.newName(prefix);
    const w = this.windows;
    const sizeMs = w instanceof TimeWindows ? w.sizeMs : w.timeDifferenceMs;
    const graceMs = w.graceMs;
    const keySerde = materialized.keySerde ?? this.g.keySerde;
    b.topology.addProcessor(name, () => {
      let observed = -Infinity;
      let ctx!: ProcessorContext;
      let store!: WindowStore<K, VA>;
      let raw!: WindowStore<K, V>;
      const emit = (r: StreamRecord<K, V>, start: number, end: number, old: VA | null, next: VA | null): void => ctx.forward({ key: { key: r.key, window: { start, end } }, value: { newValue: next, oldValue: old }, timestamp: r.timestamp });
      return {
        init(c) {
          ctx = c;
          store = c.getStateStore(storeName);
          if (!(w instanceof TimeWindows)) raw = c.getStateStore(`${storeName}-raw`);
          observed = c.currentStreamTimeMs(); // restored with the state, so closed windows stay closed
        },
        process(r: StreamRecord<K, V>) {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          if (r.timestamp > observed) observed = r.timestamp;
          const closeTime = observed - graceMs;
          if (w instanceof TimeWindows) {
            for (const win of w.windowsFor(r.timestamp)) {
              if (win.end <= closeTime) continue; // late for this window: dropped, as Kafka
              const old = store.fetch(r.key, win.start);
              const next = aggregator(r.key, r.value, old ?? (initializer === null ? null : initializer()));
              store.put(r.key, next, win.start);
              emit(r, win.start, win.end, old, next);
            }
            return;
          }
          // Sliding windows [s, s + d] (inclusive): one ending at each record, and one starting
          // just after each record that has later records within d. Affected windows are
          // recomputed from the key's raw records (kept in a duplicate-keeping window store).
          const d = w.timeDifferenceMs;
          const t = r.timestamp;
          if (t + d < closeTime) return; // late: every window holding it has closed
          raw.put(r.key, r.value, t);
          const times = [...raw.fetchRange(r.key, t - 2 * d - 1, t + 2 * d + 1)].map((e) => e.windowStart);
          // windows of records earlier than d start at 0 ([0, d]), as Kafka's
          const starts = new Set<number>([Math.max(0, t - d)]);
          for (const x of times) {
            if (x >= t && x <= t + d) starts.add(Math.max(0, x - d)); // later records' windows now hold t
            if (x < t && x >= t - d - 1) starts.add(x + 1); // earlier records' right windows
            if (x > t && x <= t + d + 1) starts.add(t + 1); // this record's right window
          }
          for (const s of [...starts].sort((p, q) => p - q)) {
            if (s + d < closeTime) continue;
            let agg: VA | null = initializer === null ? null : initializer();
            let any = false;
            for (const e of raw.fetchRange(r.key, s, s + d)) {
              agg = aggregator(r.key, e.value, agg);
              any = true;
            }
            if (!any) continue;
            const old = store.fetch(r.key, s);
            store.put(r.key, agg, s);
            emit(r, s, s + d, old, agg);
          }
        },
      };
    }, input.name);
    const retentionMs = Math.max(materialized.retentionMs ?? sizeMs + graceMs, sizeMs + graceMs);
    b.topology.addStateStore(Stores.windowStoreBuilder(storeName, keySerde, materialized.valueSerde, { retentionMs, windowSizeMs: sizeMs, ...storeOpts(materialized) }), name);
    if (!(w instanceof TimeWindows)) {
      b.topology.addStateStore(Stores.windowStoreBuilder(`${storeName}-raw`, keySerde, this.g.valueSerde, { retentionMs: 2 * sizeMs + graceMs + 2, windowSizeMs: 0, retainDuplicates: true, ...storeOpts(materialized) }), name);
    }
    const getter: ValueGetterSupplier<Windowed<K>, VA> = {
      storeNames: [storeName],
      get: (ctx) => {
        const s = ctx.getStateStore<WindowStore<K, VA>>(storeName);
        return (wk) => s.fetch(wk.key, wk.window.start);
      },
    };
    const table = new KTable<Windowed<K>, VA>(b, name, keySerde === undefined ? undefined : timeWindowedSerde(keySerde, sizeMs), materialized.valueSerde, getter, input.sourceTopics, storeName);
    table.graceMs = graceMs;
    return table;
  }
}

export class SessionWindowedKStream<K, V> {
  constructor(
    private readonly g: GroupedInput<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, n) => n + 1, (_k, a, b) => a + b, { ...materialized, valueSerde: materialized.valueSerde ?? Serdes.Long() });
  }

  reduce(reducer: (agg: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.aggregate<V | null>(() => null, (_k, v, agg) => (agg === null ? v : reducer(agg, v)), (_k, a, b) => (a === null ? b : b === null ? a : reducer(a, b)), { ...materialized, valueSerde: materialized.valueSerde ?? this.g.valueSerde } as Materialized<K, V | null>) as KTable<Windowed<K>, V>;
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, agg: VA) => VA, merger: (key: K, a: VA, b: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<Windowed<K>, VA> {
    const b = this.g.builder;
    const storeName = materialized.storeName ?? b.newName('KSTREAM-SESSION-AGGREGATE-STATE-STORE');
    const input = this.g.input(storeName);
    const name = b.newName('KSTREAM-SESSION-AGGREGATE');
    const { inactivityGapMs: gap, graceMs } = this.windows;
    const keySerde = materialized.keySerde ?? this.g.keySerde;
    b.topology.addProcessor(name, () => {
      let ctx!: ProcessorContext;
      let store!: SessionStore<K, VA>;
      let observed = -Infinity;
      return {
        init(c) {
          ctx = c;
          store = c.getStateStore(storeName);
          observed = c.currentStreamTimeMs();
        },
        process(r: StreamRecord<K, V>) {
          if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
          if (r.timestamp > observed) observed = r.timestamp;
          const closeTime = observed - graceMs;
          const t = r.timestamp;
          const overlapping = [...store.findSessions(r.key, t - gap, t + gap)];
          let start = t;
          let end = t;
          let agg = initializer();
          for (const s of overlapping) {
            start = Math.min(start, s.key.window.start);
            end = Math.max(end, s.key.window.end);
            agg = merger(r.key, agg, s.value);
          }
          if (end < closeTime) return; // late: the merged session has closed
          agg = aggregator(r.key, r.value, agg);
          for (const s of overlapping) {
            if (s.key.window.start === start && s.key.window.end === end) continue;
            store.remove(s.key);
            ctx.forward({ key: s.key, value: { newValue: null, oldValue: s.value }, timestamp: r.timestamp });
          }
          const same = overlapping.find((s) => s.key.window.start === start && s.key.window.end === end);
          store.put({ key: r.key, window: { start, end } }, agg);
          ctx.forward({ key: { key: r.key, window: { start, end } }, value: { newValue: agg, oldValue: same?.value ?? null }, timestamp: r.timestamp });
        },
      };
    }, input.name);
    b.topology.addStateStore(Stores.sessionStoreBuilder(storeName, keySerde, materialized.valueSerde, { retentionMs: Math.max(materialized.retentionMs ?? 0, gap + graceMs), ...storeOpts(materialized) }), name);
    const getter: ValueGetterSupplier<Windowed<K>, VA> = {
      storeNames: [storeName],
      get: (ctx) => {
        const s = ctx.getStateStore<SessionStore<K, VA>>(storeName);
        return (wk) => s.fetchSession(wk.key, wk.window.start, wk.window.end);
      },
    };
    const table = new KTable<Windowed<K>, VA>(b, name, keySerde === undefined ? undefined : sessionWindowedSerde(keySerde), materialized.valueSerde, getter, input.sourceTopics, storeName);
    table.graceMs = graceMs + gap;
    table.sessionWindows = true;
    return table;
  }
}

/** Suppressed.untilWindowCloses: a windowed table emits each window's final result once. */
export const Suppressed = {
  untilWindowCloses: (): { kind: 'untilWindowCloses' } => ({ kind: 'untilWindowCloses' }),
};

export class KTable<K, V> {
  /** Windowed tables: the grace (plus gap for sessions) after which a window is closed. */
  graceMs: number | null = null;
  sessionWindows = false;

  constructor(
    readonly builder: StreamsBuilder,
    readonly name: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    readonly valueGetter: ValueGetterSupplier<K, V>,
    readonly sourceTopics: string[],
    /** The store that materializes it (interactive queries), if any. */
    readonly queryableStoreName: string | null,
  ) {}

  private derive<V2>(prefix: string, transform: (key: K, v: V | null) => V2 | null, getter: ValueGetterSupplier<K, V2>, valueSerde?: Serde<V2>): KTable<K, V2> {
    const name = this.builder.newName(prefix);
    this.builder.topology.addProcessor(name, fn<K, Change<V>>((ctx, r) => {
      const newValue = r.value.newValue === null ? null : transform(r.key, r.value.newValue);
      const oldValue = r.value.oldValue === null ? null : transform(r.key, r.value.oldValue);
      if (newValue === null && oldValue === null) return;
      ctx.forward(withKV(r, r.key, { newValue, oldValue }));
    }), this.name);
    const t = new KTable<K, V2>(this.builder, name, this.keySerde, valueSerde, getter, this.sourceTopics, null);
    t.graceMs = this.graceMs;
    t.sessionWindows = this.sessionWindows;
    return t;
  }

  filter(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    const parent = this.valueGetter;
    const keep = (k: K, v: V | null): V | null => (v !== null && predicate(k, v) ? v : null);
    return this.derive('KTABLE-FILTER', keep, { storeNames: parent.storeNames, get: (ctx) => { const g = parent.get(ctx); return (k) => keep(k, g(k)); } }, this.valueSerde);
  }

  filterNot(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    return this.filter((k, v) => !predicate(k, v));
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, materialized: { valueSerde?: Serde<V2> } = {}): KTable<K, V2> {
    const parent = this.valueGetter;
    const map = (k: K, v: V | null): V2 | null => (v === null ? null : mapper(v, k));
    return this.derive('KTABLE-MAPVALUES', map, { storeNames: parent.storeNames, get: (ctx) => { const g = parent.get(ctx); return (k) => map(k, g(k)); } }, materialized.valueSerde);
  }

  /** The table's changelog stream: each update's new value (null for deletes). */
  toStream(): KStream<K, V> {
    const name = this.builder.newName('KTABLE-TOSTREAM');
    this.builder.topology.addProcessor(name, fn<K, Change<V>>((ctx, r) => ctx.forward(withKV(r, r.key, r.value.newValue))), this.name);
    return new KStream<K, V>(this.builder, name, this.keySerde, this.valueSerde, false, this.sourceTopics);
  }

  /** Holds each window's updates until the window closes (stream time past end + grace), then emits the final value. */
  suppress(_s: { kind: 'untilWindowCloses' }): KTable<K, V> {
    if (this.graceMs === null) throw new TopologyException('suppress(untilWindowCloses) needs a windowed table (windowedBy(...).aggregate/count/reduce)');
    const grace = this.graceMs;
    const session = this.sessionWindows;
    const name = this.builder.newName('KTABLE-SUPPRESS');
    const bufferStore = `${name}-store`;
    const tableKeySerde = this.keySerde;
    const tableValueSerde = this.valueSerde;
    this.builder.topology.addProcessor(name, () => {
      let ctx!: ProcessorContext;
      let buffer!: KeyValueStore<Buffer, Buffer>;
      let observed = -Infinity;
      let keySerde!: Serde<Windowed<unknown>>;
      let valueSerde!: Serde<V>;
      return {
        init(c) {
          ctx = c;
          buffer = c.getStateStore(bufferStore);
          observed = c.currentStreamTimeMs();
          keySerde = (tableKeySerde as Serde<Windowed<unknown>> | undefined) ?? (session ? sessionWindowedSerde(c.keySerde()) : timeWindowedSerde(c.keySerde(), 0));
          valueSerde = tableValueSerde ?? (c.valueSerde() as Serde<V>);
        },
        process(r: StreamRecord<Windowed<unknown>, Change<V>>) {
          if (r.timestamp > observed) observed = r.timestamp;
          // buffer key [8-byte window end][windowed key]: time-ordered, so emitting stops at the first open window
          const kb = keySerde.serialize('', r.key)!;
          const bk = Buffer.allocUnsafe(8 + kb.length);
          bk.writeBigInt64BE(BigInt(r.key.window.end), 0);
          kb.copy(bk, 8);
          if (r.value.newValue === null) buffer.delete(bk);
          else {
            const vb = valueSerde.serialize('', r.value.newValue) ?? Buffer.alloc(0);
            const entry = Buffer.allocUnsafe(8 + vb.length);
            entry.writeBigInt64BE(BigInt(r.timestamp), 0);
            vb.copy(entry, 8);
            buffer.put(bk, entry);
          }
          const closeTime = observed - grace;
          const due: Array<[Buffer, Buffer]> = [];
          for (const { key, value } of buffer.all()) {
            if (Number(key.readBigInt64BE(0)) > closeTime) break;
            due.push([key, value]);
          }
          for (const [bkey, entry] of due) {
            buffer.delete(bkey);
            const key = keySerde.deserialize('', bkey.subarray(8))!;
            // the window's key carries its real end (a windowed serde without size reads end = start)
            if (!session) key.window.end = Number(bkey.readBigInt64BE(0));
            ctx.forward({ key, value: { newValue: valueSerde.deserialize('', entry.subarray(8)), oldValue: null }, timestamp: Number(entry.readBigInt64BE(0)) });
          }
        },
      };
    }, this.name);
    this.builder.topology.addStateStore(Stores.keyValueStoreBuilder(bufferStore, Serdes.ByteArray(), Serdes.ByteArray(), { type: 'in_memory' }), name);
    const t = new KTable<K, V>(this.builder, name, this.keySerde, this.valueSerde, this.valueGetter, this.sourceTopics, null);
    t.graceMs = this.graceMs;
    return t;
  }

  /**
   * Re-keys the table for an aggregation: each update becomes a "subtract" of the old value
   * from its old group and an "add" of the new value to its new group (through a repartition topic).
   */
  groupBy<K2, V2>(selector: (key: K, value: V) => [K2, V2], grouped: Grouped<K2, V2> = {}): KGroupedTable<K2, V2> {
    const b = this.builder;
    const name = b.newName('KTABLE-SELECT');
    const valueSerde = grouped.valueSerde;
    // the flag travels with the value: [0 add | 1 subtract][value bytes]
    b.topology.addProcessor(name, fn<K, Change<V>, Serde<V2>>((ctx, r, serde) => {
      const emit = (v: V, subtract: number): void => {
        const [k2, v2] = selector(r.key, v);
        const vb = serde.serialize('', v2) ?? Buffer.alloc(0);
        const out = Buffer.allocUnsafe(1 + vb.length);
        out[0] = subtract;
        vb.copy(out, 1);
        ctx.forward(withKV(r, k2, out));
      };
      if (r.value.oldValue !== null) emit(r.value.oldValue, 1);
      if (r.value.newValue !== null) emit(r.value.newValue, 0);
    }, (ctx) => valueSerde ?? (ctx.valueSerde() as Serde<V2>)), this.name);
    const selected = new KStream<K2, Buffer>(b, name, grouped.keySerde, Serdes.ByteArray(), true, this.sourceTopics);
    return new KGroupedTable<K2, V2>(selected, grouped.keySerde, valueSerde, grouped.name);
  }

  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO) => VR): KTable<K, VR> {
    return this.tableJoin(other, joiner, false, false);
  }

  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, other: VO | null) => VR): KTable<K, VR> {
    return this.tableJoin(other, joiner as (v: V, o: VO) => VR, true, false);
  }

  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, other: VO | null) => VR): KTable<K, VR> {
    return this.tableJoin(other, joiner as (v: V, o: VO) => VR, true, true);
  }

  private tableJoin<VO, VR>(other: KTable<K, VO>, joiner: (v: V, o: VO) => VR, keepLeft: boolean, keepRight: boolean): KTable<K, VR> {
    const b = this.builder;
    b.topology.copartitionGroups.push([...new Set([...this.sourceTopics, ...other.sourceTopics])]);
    const compute = (l: V | null, r: VO | null): VR | null => {
      if (l === null && r === null) return null;
      if (l === null && !keepRight) return null;
      if (r === null && !keepLeft) return null;
      return joiner(l as V, r as VO);
    };
    const storeNames = [...new Set([...this.valueGetter.storeNames, ...other.valueGetter.storeNames])];
    const thisName = b.newName('KTABLE-JOINTHIS');
    const otherName = b.newName('KTABLE-JOINOTHER');
    const mergeName = b.newName('KTABLE-MERGE');
    const side = <A, B>(getter: ValueGetterSupplier<K, B>, combine: (a: A | null, b: B | null) => VR | null) => {
      return fn<K, Change<A>, ValueGetter<K, B>>((ctx, r, get) => {
        if (r.key === null || r.key === undefined) return;
        const o = get(r.key);
        const newValue = combine(r.value.newValue, o);
        const oldValue = combine(r.value.oldValue, o);
        if (newValue === null && oldValue === null) return;
        ctx.forward(withKV(r, r.key, { newValue, oldValue }));
      }, (ctx) => getter.get(ctx));
    };
    b.topology.addProcessor(thisName, side<V, VO>(other.valueGetter, compute), this.name);
    b.topology.addProcessor(otherName, side<VO, V>(this.valueGetter, (o, l) => compute(l, o)), other.name);
    b.topology.connectProcessorAndStateStores([thisName, otherName], ...storeNames);
    b.topology.addProcessor(mergeName, fn((ctx, r) => ctx.forward(r)), thisName, otherName);
    const left = this.valueGetter;
    const right = other.valueGetter;
    return new KTable<K, VR>(b, mergeName, this.keySerde, undefined, {
      storeNames,
      get: (ctx) => {
        const gl = left.get(ctx);
        const gr = right.get(ctx);
        return (k) => compute(gl(k), gr(k));
      },
    }, [...this.sourceTopics, ...other.sourceTopics], null);
  }
}

export class KGroupedTable<K, V> {
  constructor(
    private readonly selected: KStream<K, Buffer>,
    private readonly keySerde: Serde<K> | undefined,
    private readonly valueSerde: Serde<V> | undefined,
    private readonly repartitionName: string | undefined,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, n) => n + 1, (_k, _v, n) => n - 1, { ...materialized, valueSerde: materialized.valueSerde ?? Serdes.Long() });
  }

  reduce(adder: (agg: V, value: V) => V, subtractor: (agg: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    return this.build<V>(null, (_k, v, agg) => (agg === null ? v : adder(agg, v)), (_k, v, agg) => (agg === null ? null : subtractor(agg, v)), { ...materialized, valueSerde: materialized.valueSerde ?? this.valueSerde });
  }

  aggregate<VA>(initializer: () => VA, adder: (key: K, value: V, agg: VA) => VA, subtractor: (key: K, value: V, agg: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<K, VA> {
    return this.build<VA>(initializer, (k, v, agg) => adder(k, v, agg ?? initializer()), (k, v, agg) => subtractor(k, v, agg ?? initializer()), materialized);
  }

  private build<VA>(initializer: (() => VA) | null, add: (key: K, value: V, agg: VA | null) => VA, subtract: (key: K, value: V, agg: VA | null) => VA | null, materialized: Materialized<K, VA>): KTable<K, VA> {
    const b = this.selected.builder;
    const storeName = materialized.storeName ?? b.newName('KTABLE-AGGREGATE-STATE-STORE');
    const input = this.selected.repartitionAs(this.repartitionName ?? storeName, this.keySerde, Serdes.ByteArray());
    const name = b.newName('KTABLE-AGGREGATE');
    const valueSerde = this.valueSerde;
    b.topology.addProcessor(name, fn<K, Buffer, Serde<V>>((ctx, r, serde) => {
      if (r.key === null || r.key === undefined || r.value === null) return;
      const value = serde.deserialize('', r.value.subarray(1)) as V;
      const store = ctx.getStateStore<KeyValueStore<K, VA>>(storeName);
      const old = store.get(r.key);
      const next = r.value[0] === 1 ? subtract(r.key, value, old ?? (initializer === null ? null : initializer())) : add(r.key, value, old);
      store.put(r.key, next);
      ctx.forward(withKV(r, r.key, { newValue: next, oldValue: old }));
    }, (ctx) => valueSerde ?? (ctx.valueSerde() as Serde<V>)), input.name);
    const keySerde = materialized.keySerde ?? this.keySerde;
    b.topology.addStateStore(Stores.keyValueStoreBuilder(storeName, keySerde, materialized.valueSerde, storeOpts(materialized)), name);
    return new KTable<K, VA>(b, name, keySerde, materialized.valueSerde, kvGetter<K, VA>(storeName), input.sourceTopics, storeName);
  }
}
