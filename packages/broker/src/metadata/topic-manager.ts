/**
 * Topic administration from any broker, the way ZooKeeper-era Kafka's AdminZkClient does it:
 * validate against the current image, write the assignment (/brokers/topics/T) and config
 * (/config/topics/T) keys, queue deletions under /admin/delete_topics, and let the controller
 * give partitions their leaders. Each operation then waits until this broker's image shows the
 * result (it never assumes a watch fired inside the write), up to the operation's timeout.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import { ClusterMetadata, type MetadataListener } from './cluster-metadata.js';
import { TopicOperationError } from './errors.js';
import type { MetadataImage, PartitionImage, TopicImage } from './image.js';
import { decodeConfig, decodeTopic, encodeConfig, encodePartitionState, encodeTopic, Paths } from './kafka-layout.js';
import { LocalMetadataStore, RevisionMismatchError, type MetadataStore, type TxnOp } from './metadata-store.js';
import { assignReplicas } from './replica-assignment.js';
import { isInternalTopic, topicNameError, unifyCollisionChars } from './topic-name.js';
import { randomTopicId } from './uuid.js';

export type { MetadataListener } from './cluster-metadata.js';

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

interface PlannedTopic {
  id: string;
  partitions: number[][];
  configs: Record<string, string>;
}

/**
 * This broker's logs, for the topic changes made all-or-nothing here (implemented by the
 * replica manager): a creation whose every replica is on this broker makes the logs first and
 * records the topic only when all exist; on a single broker a deletion frees the logs first and
 * then writes the metadata, so it works on a full disk.
 */
export interface LocalLogs {
  /** Creates these partitions' logs, all or none (throws KAFKA_STORAGE_ERROR naming the cause). */
  createLogs(topic: string, configs: ReadonlyMap<string, string>, partitions: readonly number[]): Promise<void>;
  /** Undoes createLogs for a creation that was not recorded. */
  discardLogs(topic: string, partitions: readonly number[]): void;
  /** Stops serving the topic and turns its logs into `<topic>-<p>.<topic id>-delete` markers, freeing their space. */
  retireTopic(t: TopicImage): Promise<void>;
  /** Removes the markers once the deletions are in the metadata file. */
  purgeDeletedLogs(): Promise<void>;
}

/** How long an admin operation waits for the controller's result to reach this broker. */
const DEFAULT_PROPAGATION_MS = 30000;

export class TopicManager {
  readonly metadata: ClusterMetadata;
  /** Set by the broker: makes creations (and, on a single broker, deletions) all-or-nothing. */
  localLogs: LocalLogs | null = null;
  /** Topics whose logs are being created before they are recorded. */
  private readonly creating = new Set<string>();

  constructor(
    private readonly store: MetadataStore,
    private readonly config: BrokerConfig,
    clusterId: string,
    readonly nodeId: number,
  ) {
    this.metadata = new ClusterMetadata(store, clusterId);
  }

  get image(): MetadataImage {
    return this.metadata.image;
  }

  /** Loads the stored metadata and starts following store changes. */
  async load(): Promise<void> {
    await this.loadBrokerConfigOverrides();
    await this.metadata.start();
  }

  onChange(listener: MetadataListener): () => void {
    return this.metadata.onChange(listener);
  }

  close(): void {
    this.metadata.stop();
  }

  private liveBrokers(): Array<{ id: number; rack: string | null }> {
    return this.image.brokers.map((b) => ({ id: b.nodeId, rack: b.rack }));
  }

  /** Checks a create request and returns what it would write (CreateTopics validateOnly uses this). */
  validateCreate(req: CreateTopicRequest): PlannedTopic {
    const nameErr = topicNameError(req.name);
    if (nameErr !== null) throw new TopicOperationError('INVALID_TOPIC_EXCEPTION', nameErr);
    if (this.image.topic(req.name) !== undefined || this.creating.has(req.name)) throw new TopicOperationError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`);
    const unified = unifyCollisionChars(req.name);
    for (const other of [...this.image.topicsByName.keys(), ...this.creating]) {
      if (unifyCollisionChars(other) === unified) throw new TopicOperationError('INVALID_TOPIC_EXCEPTION', `Topic '${req.name}' collides with existing topic: ${other}`);
    }
    const configs = this.validConfigs(req.configs ?? {});
    const brokerIds = this.liveBrokers().map((b) => b.id);
    let partitions: number[][];
    if (req.assignments !== undefined && req.assignments.length > 0) {
      if ((req.numPartitions ?? -1) !== -1 || (req.replicationFactor ?? -1) !== -1) {
        throw new TopicOperationError('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const sorted = [...req.assignments].sort((a, b) => a.partition - b.partition);
      partitions = sorted.map((a, i) => {
        if (a.partition !== i) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
        if (a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `Invalid replica assignment for partition ${i}: ${a.brokerIds.join(',')}`);
        for (const id of a.brokerIds) if (!brokerIds.includes(id)) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `Unknown broker ${id} in replica assignment`);
        return [...a.brokerIds];
      });
    } else {
      const n = req.numPartitions === undefined || req.numPartitions === -1 ? this.config.int('num.partitions') : req.numPartitions;
      const rf = req.replicationFactor === undefined || req.replicationFactor === -1 ? this.config.int('default.replication.factor') : req.replicationFactor;
      partitions = assignReplicas(this.liveBrokers(), n, rf);
    }
    return { id: randomTopicId(), partitions, configs };
  }

  private validConfigs(configs: ReadonlyMap<string, string> | Record<string, string>): Record<string, string> {
    try {
      return Object.fromEntries(validateTopicConfigs(configs));
    } catch (e) {
      if (e instanceof ConfigException) throw new TopicOperationError('INVALID_CONFIG', e.message);
      throw e;
    }
  }

  async createTopic(req: CreateTopicRequest, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<TopicImage> {
    const plan = this.validateCreate(req);
    if (opts.validateOnly === true) return planImage(req.name, plan);
    const write = async (): Promise<void> => {
      try {
        // The config first, then the assignment, as Kafka's AdminZkClient writes them; one transaction here.
        await this.store.txn([
          { op: 'put', key: Paths.topicConfig(req.name), value: encodeConfig(plan.configs) },
          { op: 'put', key: Paths.topic(req.name), value: encodeTopic({ id: plan.id, partitions: plan.partitions }), expectedRevision: 0 },
          ...(local === null ? [] : await this.initialStates(req.name, 0, local.length)),
        ]);
      } catch (e) {
        if (e instanceof RevisionMismatchError) throw new TopicOperationError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`);
        throw e;
      }
    };
    const local = this.localPartitions(plan.partitions, 0);
    if (local === null) await write();
    else {
      this.creating.add(req.name);
      try {
        await this.withLocalLogs(req.name, new Map(Object.entries(plan.configs)), local, write);
      } finally {
        this.creating.delete(req.name);
      }
    }
    await this.metadata.waitFor((i) => hasLeaders(i.topic(req.name), plan.partitions.length), opts.timeoutMs ?? DEFAULT_PROPAGATION_MS);
    return this.image.topic(req.name) ?? planImage(req.name, plan);
  }

  /**
   * The partitions (numbered from `first`) when every replica of every one is this broker and
   * the broker's logs are at hand: their creation is then all-or-nothing here. Null otherwise:
   * in a cluster the controller records the topic and each broker creates its replicas, a
   * failure making that replica offline (ReplicaManager.updateTopic), as Kafka does.
   */
  private localPartitions(replicas: readonly (readonly number[])[], first: number): number[] | null {
    if (this.localLogs === null || !replicas.every((r) => r.every((id) => id === this.nodeId))) return null;
    return replicas.map((_, i) => first + i);
  }

  /**
   * The states the controller would give new partitions whose only replica is this broker (it
   * leads, epoch 0), written with the assignment when this broker is the controller: one
   * metadata change instead of two, which matters at 10,000 partitions. Empty otherwise (the
   * controller's next pass writes them).
   */
  private async initialStates(topic: string, first: number, count: number): Promise<TxnOp[]> {
    if (this.image.controllerId !== this.nodeId) return [];
    const epoch = await this.store.get(Paths.controllerEpoch);
    if (epoch === null) return [];
    const value = encodePartitionState({ leader: this.nodeId, leaderEpoch: 0, isr: [this.nodeId], controllerEpoch: Number(epoch.value) });
    return Array.from({ length: count }, (_, i) => ({ op: 'put', key: Paths.partitionState(topic, first + i), value }));
  }

  /** Creates the logs, then runs `record`; a failure of either leaves no log behind. */
  private async withLocalLogs(topic: string, configs: ReadonlyMap<string, string>, partitions: readonly number[], record: () => Promise<void>): Promise<void> {
    const logs = this.localLogs!;
    await logs.createLogs(topic, configs, partitions);
    try {
      await record();
    } catch (e) {
      logs.discardLogs(topic, partitions);
      throw e;
    }
  }

  async deleteTopic(name: string, opts: { timeoutMs?: number } = {}): Promise<TopicImage> {
    if (!this.config.bool('delete.topic.enable')) throw new TopicOperationError('TOPIC_DELETION_DISABLED', 'Topic deletion is disabled.');
    const t = this.image.topic(name);
    if (t === undefined) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
    if (this.localLogs !== null && this.store instanceof LocalMetadataStore && this.store.persistent) {
      // A single broker: free the logs first (their `-delete` markers make the deletion durable),
      // then write the metadata, which then has room even on a disk that was full.
      await this.localLogs.retireTopic(t);
      const { persisted } = await this.store.txnDurableElsewhere(topicDeletionOps(name));
      if (persisted) await this.localLogs.purgeDeletedLogs();
    } else {
      await this.store.put(Paths.deleteTopic(name), '');
    }
    await this.metadata.waitFor((i) => i.topic(name)?.id !== t.id, opts.timeoutMs ?? DEFAULT_PROPAGATION_MS);
    return t;
  }

  /**
   * At startup on a single broker: the deletions a crash interrupted after their logs became
   * `-delete` markers (same topic id) are finished in the metadata. Returns the topics deleted.
   */
  async finishInterruptedDeletions(markers: ReadonlyArray<{ topic: string; uniqueId: string }>): Promise<string[]> {
    if (!(this.store instanceof LocalMetadataStore) || !this.store.persistent) return [];
    const done: string[] = [];
    for (const topic of new Set(markers.map((m) => m.topic))) {
      const e = await this.store.get(Paths.topic(topic));
      if (e === null) continue;
      const id = decodeTopic(e.value).id.replace(/-/g, '');
      if (!markers.some((m) => m.topic === topic && m.uniqueId === id)) continue;
      await this.store.txnDurableElsewhere(topicDeletionOps(topic));
      done.push(topic);
    }
    return done;
  }

  async createPartitions(name: string, totalCount: number, opts: { validateOnly?: boolean; assignments?: ReadonlyArray<readonly number[]> | null; timeoutMs?: number } = {}): Promise<TopicImage> {
    for (;;) {
      const e = await this.store.get(Paths.topic(name));
      if (e === null) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
      const assignment = decodeTopic(e.value);
      const cur = assignment.partitions.length;
      if (totalCount < cur) throw new TopicOperationError('INVALID_PARTITIONS', `Topic currently has ${cur} partitions, which is higher than the requested ${totalCount}.`);
      if (totalCount === cur) throw new TopicOperationError('INVALID_PARTITIONS', `Topic already has ${cur} partitions.`);
      const added = opts.assignments != null && opts.assignments.length > 0
        ? opts.assignments.map((a) => [...a])
        : assignReplicas(this.liveBrokers(), totalCount - cur, assignment.partitions[0]?.length ?? 1, { startPartition: cur });
      const next = { ...assignment, partitions: [...assignment.partitions, ...added] };
      const configs = await this.store.get(Paths.topicConfig(name));
      const configMap = configs === null ? {} : decodeConfig(configs.value);
      if (opts.validateOnly === true) return planImage(name, { ...next, configs: configMap });
      const local = this.localPartitions(added, cur);
      const write = async (): Promise<void> => {
        const states = local === null ? [] : await this.initialStates(name, cur, local.length);
        await this.store.txn([{ op: 'put', key: Paths.topic(name), value: encodeTopic(next), expectedRevision: e.revision }, ...states]);
      };
      try {
        if (local === null) await write();
        else await this.withLocalLogs(name, new Map(Object.entries(configMap)), local, write);
      } catch (err) {
        if (err instanceof RevisionMismatchError) continue;
        throw err;
      }
      // Only the new partitions need leaders, and a topic deleted (or recreated) meanwhile ends
      // the wait: waiting on an older leaderless partition or a topic that is gone never ended.
      await this.metadata.waitFor((i) => {
        const t = i.topic(name);
        return t === undefined || t.id !== assignment.id || hasLeaders(t, totalCount, cur);
      }, opts.timeoutMs ?? DEFAULT_PROPAGATION_MS);
      return this.image.topic(name) ?? planImage(name, { ...next, configs: {} });
    }
  }

  /** Replaces the topic's config overrides (already merged by the caller for incremental alters). */
  async setTopicConfigs(name: string, configs: ReadonlyMap<string, string>, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<TopicImage> {
    const t = this.image.topic(name);
    if (t === undefined || (await this.store.get(Paths.topic(name))) === null) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
    const validated = this.validConfigs(configs);
    if (opts.validateOnly === true) return { ...t, configs: new Map(Object.entries(validated)) };
    await this.store.put(Paths.topicConfig(name), encodeConfig(validated));
    await this.metadata.waitFor((i) => sameConfigs(i.topic(name)?.configs, validated), opts.timeoutMs ?? DEFAULT_PROPAGATION_MS);
    return this.image.topic(name) ?? t;
  }

  /**
   * Dynamic broker config overrides as stored: `entity` is a node id, or '' for the
   * cluster-wide default (Kafka's `<default>` entity).
   */
  async brokerConfigOverrides(entity: string): Promise<Map<string, string>> {
    const e = await this.store.get(Paths.brokerConfig(entity));
    return e === null ? new Map() : new Map(Object.entries(decodeConfig(e.value)));
  }

  /** Replaces an entity's dynamic broker config overrides (empty = none) and applies them to this broker's config. */
  async setBrokerConfigOverrides(entity: string, configs: ReadonlyMap<string, string>): Promise<void> {
    if (configs.size === 0) await this.store.delete(Paths.brokerConfig(entity));
    else await this.store.put(Paths.brokerConfig(entity), encodeConfig(Object.fromEntries(configs)));
    await this.loadBrokerConfigOverrides();
  }

  /** Applies the stored dynamic broker configs (this node's and the cluster default) to the broker config. */
  async loadBrokerConfigOverrides(): Promise<void> {
    const [defaults, own] = await Promise.all([this.brokerConfigOverrides(''), this.brokerConfigOverrides(String(this.nodeId))]);
    this.config.applyDynamic(defaults, own);
  }
}

/** What deleting a topic removes: its assignment and partition states, its config, a queued deletion. */
function topicDeletionOps(name: string): TxnOp[] {
  return [
    { op: 'delete', key: Paths.topic(name), recursive: true },
    { op: 'delete', key: Paths.topicConfig(name) },
    { op: 'delete', key: Paths.deleteTopic(name) },
  ];
}

/** The topic has `partitions` partitions, and those from `from` on have leaders. */
export function hasLeaders(t: TopicImage | undefined, partitions: number, from = 0): boolean {
  if (t === undefined || t.partitions.length < partitions) return false;
  for (let p = from; p < t.partitions.length; p++) if (t.partitions[p]!.leader < 0) return false;
  return true;
}

function sameConfigs(a: ReadonlyMap<string, string> | undefined, b: Record<string, string>): boolean {
  if (a === undefined) return false;
  const keys = Object.keys(b);
  return a.size === keys.length && keys.every((k) => a.get(k) === b[k]);
}

/** The image a plan would produce once the controller gives each partition its first replica as leader. */
function planImage(name: string, plan: PlannedTopic): TopicImage {
  const partitions: PartitionImage[] = plan.partitions.map((replicas, i) => ({ partition: i, leader: replicas[0] ?? -1, leaderEpoch: 0, replicas, isr: replicas, offlineReplicas: [] }));
  return { name, id: plan.id, isInternal: isInternalTopic(name), replicationFactor: plan.partitions[0]?.length ?? 0, partitions, configs: new Map(Object.entries(plan.configs)) };
}
