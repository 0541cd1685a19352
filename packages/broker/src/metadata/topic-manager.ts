/**
 * Topic lifecycle on top of a MetadataStore: create (validation, assignment to this node,
 * persistence), delete, add partitions, alter configs. Each topic is one key `topics/<name>`;
 * the image is rebuilt from watch events, so whatever writes the store (this node now, a
 * controller elsewhere later) is applied the same way, and publishers get a delta.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import { TopicOperationError } from './errors.js';
import { MetadataImage, type BrokerImage, type MetadataDelta, type PartitionImage, type TopicImage } from './image.js';
import { RevisionMismatchError, type MetadataStore, type WatchEvent } from './metadata-store.js';
import { isInternalTopic, topicNameError, unifyCollisionChars } from './topic-name.js';
import { randomTopicId } from './uuid.js';

const TOPIC_PREFIX = 'topics/';

/** The persisted form of a topic (JSON under topics/<name>). */
interface TopicRecord {
  id: string;
  replicationFactor: number;
  /** Per partition: replicas (preferred leader first), leader epoch, and leader and ISR once they changed. */
  partitions: Array<{ replicas: number[]; leaderEpoch: number; isr?: number[]; leader?: number }>;
  configs: Record<string, string>;
}

export interface CreateTopicRequest {
  name: string;
  /** -1 = num.partitions */
  numPartitions?: number;
  /** -1 = default.replication.factor */
  replicationFactor?: number;
  /** Manual assignment: partition -> broker ids. */
  assignments?: ReadonlyArray<{ partition: number; brokerIds: readonly number[] }>;
  configs?: ReadonlyMap<string, string> | Record<string, string>;
}

export type MetadataListener = (image: MetadataImage, delta: MetadataDelta) => void;

export class TopicManager {
  private current: MetadataImage;
  private listeners: MetadataListener[] = [];
  private unwatch: (() => void) | null = null;
  /** Serialises mutations so check-then-write sequences do not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: MetadataStore,
    private readonly config: BrokerConfig,
    clusterId: string,
    readonly nodeId: number,
    brokers: readonly BrokerImage[],
  ) {
    this.current = new MetadataImage(clusterId, nodeId, brokers, new Map());
  }

  get image(): MetadataImage {
    return this.current;
  }

  /** Replaces the broker list (once listeners are bound and their ports known). */
  setBrokers(brokers: readonly BrokerImage[]): void {
    const c = this.current;
    this.current = new MetadataImage(c.clusterId, c.controllerId, brokers, c.topicsByName);
  }

  /** Loads the persisted topics and starts following store changes. */
  async load(): Promise<void> {
    await this.loadBrokerConfigOverrides();
    const topics = new Map<string, TopicImage>();
    for (const e of await this.store.list(TOPIC_PREFIX)) {
      const t = toImage(e.key.slice(TOPIC_PREFIX.length), JSON.parse(e.value) as TopicRecord, this.nodeId);
      topics.set(t.name, t);
    }
    const before = this.current;
    this.current = new MetadataImage(before.clusterId, before.controllerId, before.brokers, topics);
    this.unwatch = this.store.watch(TOPIC_PREFIX, (e) => this.apply(e));
    this.publish({ createdTopics: [...topics.values()], deletedTopics: [], changedTopics: [] });
  }

  onChange(listener: MetadataListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  private apply(e: WatchEvent): void {
    const name = e.key.slice(TOPIC_PREFIX.length);
    const before = this.current.topic(name);
    if (e.type === 'delete') {
      if (before === undefined) return;
      this.current = this.current.withoutTopic(name);
      this.publish({ createdTopics: [], deletedTopics: [before], changedTopics: [] });
      return;
    }
    const after = toImage(name, JSON.parse(e.value) as TopicRecord, this.nodeId);
    this.current = this.current.withTopic(after);
    if (before === undefined) this.publish({ createdTopics: [after], deletedTopics: [], changedTopics: [] });
    else if (before.id !== after.id) this.publish({ createdTopics: [after], deletedTopics: [before], changedTopics: [] });
    else this.publish({ createdTopics: [], deletedTopics: [], changedTopics: [{ before, after }] });
  }

  private publish(delta: MetadataDelta): void {
    for (const l of this.listeners) l(this.current, delta);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Checks a create request and returns the record it would write (CreateTopics validateOnly uses this). */
  validateCreate(req: CreateTopicRequest): TopicRecord {
    const nameErr = topicNameError(req.name);
    if (nameErr !== null) throw new TopicOperationError('INVALID_TOPIC_EXCEPTION', nameErr);
    if (this.current.topic(req.name) !== undefined) throw new TopicOperationError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`);
    const unified = unifyCollisionChars(req.name);
    for (const other of this.current.topicsByName.keys()) {
      if (unifyCollisionChars(other) === unified) throw new TopicOperationError('INVALID_TOPIC_EXCEPTION', `Topic '${req.name}' collides with existing topic: ${other}`);
    }
    let configs: Map<string, string>;
    try {
      configs = validateTopicConfigs(req.configs ?? {});
    } catch (e) {
      if (e instanceof ConfigException) throw new TopicOperationError('INVALID_CONFIG', e.message);
      throw e;
    }
    const brokerIds = this.current.brokers.map((b) => b.nodeId);
    const partitions: TopicRecord['partitions'] = [];
    let replicationFactor: number;
    if (req.assignments !== undefined && req.assignments.length > 0) {
      if ((req.numPartitions ?? -1) !== -1 || (req.replicationFactor ?? -1) !== -1) {
        throw new TopicOperationError('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const sorted = [...req.assignments].sort((a, b) => a.partition - b.partition);
      replicationFactor = sorted[0]!.brokerIds.length;
      sorted.forEach((a, i) => {
        if (a.partition !== i) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
        if (a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `Invalid replica assignment for partition ${i}: ${a.brokerIds.join(',')}`);
        for (const id of a.brokerIds) if (!brokerIds.includes(id)) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `Unknown broker ${id} in replica assignment`);
        partitions.push({ replicas: [...a.brokerIds], leaderEpoch: 0 });
      });
    } else {
      const n = req.numPartitions === undefined || req.numPartitions === -1 ? this.config.int('num.partitions') : req.numPartitions;
      replicationFactor = req.replicationFactor === undefined || req.replicationFactor === -1 ? this.config.int('default.replication.factor') : req.replicationFactor;
      if (n <= 0) throw new TopicOperationError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
      if (replicationFactor <= 0) throw new TopicOperationError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
      if (replicationFactor > brokerIds.length) {
        throw new TopicOperationError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokerIds.length} broker(s) are registered.`);
      }
      for (let p = 0; p < n; p++) {
        const replicas: number[] = [];
        for (let r = 0; r < replicationFactor; r++) replicas.push(brokerIds[(p + r) % brokerIds.length]!);
        partitions.push({ replicas, leaderEpoch: 0 });
      }
    }
    return { id: randomTopicId(), replicationFactor, partitions, configs: Object.fromEntries(configs) };
  }

  createTopic(req: CreateTopicRequest, opts: { validateOnly?: boolean } = {}): Promise<TopicImage> {
    return this.serial(async () => {
      const rec = this.validateCreate(req);
      if (opts.validateOnly === true) return toImage(req.name, rec, this.nodeId);
      try {
        await this.store.put(TOPIC_PREFIX + req.name, JSON.stringify(rec), { expectedRevision: 0 });
      } catch (e) {
        if (e instanceof RevisionMismatchError) throw new TopicOperationError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`);
        throw e;
      }
      return this.current.topic(req.name) ?? toImage(req.name, rec, this.nodeId);
    });
  }

  deleteTopic(name: string): Promise<TopicImage> {
    return this.serial(async () => {
      if (!this.config.bool('delete.topic.enable')) throw new TopicOperationError('TOPIC_DELETION_DISABLED', 'Topic deletion is disabled.');
      const t = this.current.topic(name);
      if (t === undefined) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
      await this.store.delete(TOPIC_PREFIX + name);
      return t;
    });
  }

  createPartitions(name: string, totalCount: number, opts: { validateOnly?: boolean } = {}): Promise<TopicImage> {
    return this.serial(async () => {
      const e = await this.store.get(TOPIC_PREFIX + name);
      if (e === null) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
      const rec = JSON.parse(e.value) as TopicRecord;
      const cur = rec.partitions.length;
      if (totalCount < cur) throw new TopicOperationError('INVALID_PARTITIONS', `Topic currently has ${cur} partitions, which is higher than the requested ${totalCount}.`);
      if (totalCount === cur) throw new TopicOperationError('INVALID_PARTITIONS', `Topic already has ${cur} partitions.`);
      const brokerIds = this.current.brokers.map((b) => b.nodeId);
      for (let p = cur; p < totalCount; p++) {
        const replicas: number[] = [];
        for (let r = 0; r < rec.replicationFactor; r++) replicas.push(brokerIds[(p + r) % brokerIds.length]!);
        rec.partitions.push({ replicas, leaderEpoch: 0 });
      }
      if (opts.validateOnly === true) return toImage(name, rec, this.nodeId);
      await this.store.put(TOPIC_PREFIX + name, JSON.stringify(rec), { expectedRevision: e.revision });
      return this.current.topic(name)!;
    });
  }

  /** Replaces the topic's config overrides (already merged by the caller for incremental alters). */
  setTopicConfigs(name: string, configs: ReadonlyMap<string, string>, opts: { validateOnly?: boolean } = {}): Promise<TopicImage> {
    return this.serial(async () => {
      const e = await this.store.get(TOPIC_PREFIX + name);
      if (e === null) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
      let validated: Map<string, string>;
      try {
        validated = validateTopicConfigs(configs);
      } catch (err) {
        if (err instanceof ConfigException) throw new TopicOperationError('INVALID_CONFIG', err.message);
        throw err;
      }
      const rec = JSON.parse(e.value) as TopicRecord;
      rec.configs = Object.fromEntries(validated);
      if (opts.validateOnly === true) return toImage(name, rec, this.nodeId);
      await this.store.put(TOPIC_PREFIX + name, JSON.stringify(rec), { expectedRevision: e.revision });
      return this.current.topic(name)!;
    });
  }

  /**
   * Dynamic broker config overrides as stored: `entity` is a node id, or '' for the
   * cluster-wide default (Kafka's `<default>` entity).
   */
  async brokerConfigOverrides(entity: string): Promise<Map<string, string>> {
    const e = await this.store.get(brokerConfigKey(entity));
    return e === null ? new Map() : new Map(Object.entries(JSON.parse(e.value) as Record<string, string>));
  }

  /** Replaces an entity's dynamic broker config overrides (empty = none) and applies them to this broker's config. */
  setBrokerConfigOverrides(entity: string, configs: ReadonlyMap<string, string>): Promise<void> {
    return this.serial(async () => {
      if (configs.size === 0) await this.store.delete(brokerConfigKey(entity));
      else await this.store.put(brokerConfigKey(entity), JSON.stringify(Object.fromEntries(configs)));
      await this.loadBrokerConfigOverrides();
    });
  }

  /** Applies the stored dynamic broker configs (this node's and the cluster default) to the broker config. */
  async loadBrokerConfigOverrides(): Promise<void> {
    const [defaults, own] = await Promise.all([this.brokerConfigOverrides(''), this.brokerConfigOverrides(String(this.nodeId))]);
    this.config.applyDynamic(defaults, own);
  }
}

const BROKER_CONFIG_PREFIX = 'configs/brokers/';

function brokerConfigKey(entity: string): string {
  return BROKER_CONFIG_PREFIX + (entity === '' ? '<default>' : entity);
}

function toImage(name: string, rec: TopicRecord, _nodeId: number): TopicImage {
  const partitions: PartitionImage[] = rec.partitions.map((p, i) => ({
    partition: i,
    leader: p.leader ?? p.replicas[0] ?? -1,
    leaderEpoch: p.leaderEpoch,
    replicas: p.replicas,
    isr: p.isr ?? p.replicas,
  }));
  return {
    name,
    id: rec.id,
    isInternal: isInternalTopic(name),
    replicationFactor: rec.replicationFactor,
    partitions,
    configs: new Map(Object.entries(rec.configs)),
  };
}
