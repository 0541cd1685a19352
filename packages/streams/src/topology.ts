/**
 * Topology (the Processor API): sources read topics, processors transform, sinks write topics,
 * state stores are attached to processors. Nodes connected by parent links or by a shared store
 * form a sub-topology; a sub-topology runs as one task per partition of its source topics.
 * Internal topics (repartition) are named without the application.id prefix here and resolved
 * as `<application.id>-<name>` by the runtime.
 */
import type { ProcessorSupplier } from './processor.js';
import type { Serde } from './serdes.js';
import type { StateStore, StoreBuilder } from './state/stores.js';

export class TopologyException extends Error {
  override readonly name = 'TopologyException';
  constructor(message: string) {
    super(`Invalid topology: ${message}`);
  }
}

export interface SourceNode {
  kind: 'source';
  name: string;
  topics: string[];
  keySerde: Serde<unknown> | undefined;
  valueSerde: Serde<unknown> | undefined;
}

export interface ProcessorNode {
  kind: 'processor';
  name: string;
  supplier: ProcessorSupplier<unknown, unknown>;
  parents: string[];
  stores: Set<string>;
}

export type StreamPartitioner = (topic: string, key: unknown, value: unknown, numPartitions: number) => number | undefined;

/** Picks a sink's topic per record (Kafka's TopicNameExtractor). */
export type TopicNameExtractor = (key: unknown, value: unknown, context: { topic: string | null; partition: number; offset: bigint | null }) => string;

export interface SinkNode {
  kind: 'sink';
  name: string;
  topic: string | TopicNameExtractor;
  parents: string[];
  keySerde: Serde<unknown> | undefined;
  valueSerde: Serde<unknown> | undefined;
  partitioner: StreamPartitioner | undefined;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export interface Subtopology {
  id: number;
  nodes: TopologyNode[];
  sourceTopics: string[];
  sinkTopics: string[];
  stores: string[];
}

export interface SerdeOptions<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
}

export class Topology {
  readonly nodes = new Map<string, TopologyNode>();
  readonly children = new Map<string, string[]>();
  readonly storeBuilders = new Map<string, StoreBuilder<StateStore>>();
  /** Repartition topics (unprefixed name -> partition count, or undefined for "as upstream"). */
  readonly internalTopics = new Map<string, number | undefined>();
  /** Topics that must have the same partition count (joins). */
  readonly copartitionGroups: string[][] = [];
  private readonly topicOwner = new Map<string, string>();

  private addNode(node: TopologyNode): void {
    if (this.nodes.has(node.name)) throw new TopologyException(`Processor ${node.name} is already added.`);
    this.nodes.set(node.name, node);
    this.children.set(node.name, []);
    if (node.kind !== 'source') {
      if (node.parents.length === 0) throw new TopologyException(`${node.name} must have at least one parent`);
      for (const p of node.parents) {
        const parent = this.nodes.get(p);
        if (parent === undefined || p === node.name) throw new TopologyException(`Parent node ${p} is not added yet (for ${node.name}).`);
        if (parent.kind === 'sink') throw new TopologyException(`Sink ${p} cannot be used as a parent.`);
        this.children.get(p)!.push(node.name);
      }
    }
  }

  addSource<K = unknown, V = unknown>(name: string, topics: string | string[], serdes: SerdeOptions<K, V> = {}): this {
    const list = Array.isArray(topics) ? topics : [topics];
    if (list.length === 0) throw new TopologyException(`source ${name} needs at least one topic`);
    for (const t of list) {
      const owner = this.topicOwner.get(t);
      if (owner !== undefined) throw new TopologyException(`Topic ${t} has already been registered by another source (${owner}).`);
      this.topicOwner.set(t, name);
    }
    this.addNode({ kind: 'source', name, topics: list, keySerde: serdes.keySerde as Serde<unknown> | undefined, valueSerde: serdes.valueSerde as Serde<unknown> | undefined });
    return this;
  }

  addProcessor<KIn, VIn>(name: string, supplier: ProcessorSupplier<KIn, VIn>, ...parentNames: string[]): this {
    this.addNode({ kind: 'processor', name, supplier: supplier as ProcessorSupplier<unknown, unknown>, parents: parentNames, stores: new Set() });
    return this;
  }

  addSink<K = unknown, V = unknown>(name: string, topic: string | TopicNameExtractor, serdes: SerdeOptions<K, V> & { partitioner?: StreamPartitioner } = {}, ...parentNames: string[]): this {
    this.addNode({ kind: 'sink', name, topic, parents: parentNames, keySerde: serdes.keySerde as Serde<unknown> | undefined, valueSerde: serdes.valueSerde as Serde<unknown> | undefined, partitioner: serdes.partitioner });
    return this;
  }

  addStateStore(builder: StoreBuilder<StateStore>, ...processorNames: string[]): this {
    if (this.storeBuilders.has(builder.name)) throw new TopologyException(`StateStore ${builder.name} is already added.`);
    this.storeBuilders.set(builder.name, builder);
    this.connectProcessorAndStateStores(processorNames, builder.name);
    return this;
  }

  connectProcessorAndStateStores(processorNames: string[], ...storeNames: string[]): this {
    for (const p of processorNames) {
      const node = this.nodes.get(p);
      if (node === undefined || node.kind !== 'processor') throw new TopologyException(`Processor ${p} is not added yet.`);
      for (const s of storeNames) {
        if (!this.storeBuilders.has(s)) throw new TopologyException(`StateStore ${s} is not added yet.`);
        node.stores.add(s);
      }
    }
    return this;
  }

  /** Declares an internal repartition topic (written by a sink, read by a source). */
  addInternalTopic(name: string, partitions?: number): this {
    this.internalTopics.set(name, partitions);
    return this;
  }

  /** Sub-topologies: connected components over parent links and shared stores. */
  subtopologies(): Subtopology[] {
    const names = [...this.nodes.keys()];
    const parent = new Map(names.map((n) => [n, n]));
    const find = (n: string): string => {
      let r = n;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(n, r);
      return r;
    };
    const union = (a: string, b: string): void => {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(ra, rb);
    };
    const storeUser = new Map<string, string>();
    for (const node of this.nodes.values()) {
      if (node.kind !== 'source') for (const p of node.parents) union(node.name, p);
      if (node.kind === 'processor') {
        for (const s of node.stores) {
          const other = storeUser.get(s);
          if (other === undefined) storeUser.set(s, node.name);
          else union(node.name, other);
        }
      }
    }
    const groups = new Map<string, TopologyNode[]>();
    for (const n of names) {
      const r = find(n);
      let g = groups.get(r);
      if (g === undefined) groups.set(r, (g = []));
      g.push(this.nodes.get(n)!);
    }
    // ordered by first node added, as Kafka numbers them
    return [...groups.values()].map((nodes, id) => ({
      id,
      nodes,
      sourceTopics: nodes.flatMap((n) => (n.kind === 'source' ? n.topics : [])),
      sinkTopics: nodes.flatMap((n) => (n.kind === 'sink' && typeof n.topic === 'string' ? [n.topic] : [])),
      stores: [...new Set(nodes.flatMap((n) => (n.kind === 'processor' ? [...n.stores] : [])))],
    }));
  }

  /** A TopologyDescription-like text, as Kafka's Topology#describe prints. */
  describe(): string {
    const lines = ['Topologies:'];
    for (const st of this.subtopologies()) {
      lines.push(`   Sub-topology: ${st.id}`);
      for (const n of st.nodes) {
        const kids = this.children.get(n.name)!;
        const head = n.kind === 'source' ? `Source: ${n.name} (topics: [${n.topics.join(', ')}])` : n.kind === 'sink' ? `Sink: ${n.name} (${typeof n.topic === 'string' ? `topic: ${n.topic}` : 'extractor'})` : `Processor: ${n.name} (stores: [${[...n.stores].join(', ')}])`;
        lines.push(`    ${head}`);
        if (n.kind !== 'sink') lines.push(`      --> ${kids.length > 0 ? kids.join(', ') : 'none'}`);
        if (n.kind !== 'source') lines.push(`      <-- ${n.parents.join(', ')}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
