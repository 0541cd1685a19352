/**
 * An immutable picture of the cluster metadata (Kafka's MetadataImage, simplified). Readers
 * hold a reference to one image; every change builds a new one.
 */
export interface PartitionImage {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas whose broker is not registered (Metadata's offline_replicas). */
  readonly offlineReplicas: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** Dashed-hex Kafka Uuid. */
  readonly id: string;
  readonly isInternal: boolean;
  readonly replicationFactor: number;
  readonly partitions: readonly PartitionImage[];
  /** Per-topic config overrides (DYNAMIC_TOPIC_CONFIG). */
  readonly configs: ReadonlyMap<string, string>;
}

export interface BrokerImage {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** Every listener's endpoint (Metadata answers with the one of the request's listener). */
  readonly endpoints?: ReadonlyArray<{ listener: string; host: string; port: number }>;
}

export class MetadataImage {
  readonly topicsById: ReadonlyMap<string, TopicImage>;

  constructor(
    readonly clusterId: string,
    readonly controllerId: number,
    readonly brokers: readonly BrokerImage[],
    readonly topicsByName: ReadonlyMap<string, TopicImage>,
    /** This broker lost its store session: it must not act as leader until it rejoins. */
    readonly fenced = false,
  ) {
    const byId = new Map<string, TopicImage>();
    for (const t of topicsByName.values()) byId.set(t.id, t);
    this.topicsById = byId;
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  broker(id: number): BrokerImage | undefined {
    return this.brokers.find((b) => b.nodeId === id);
  }

  /** Whether nodeId may act as the partition's leader now (not fenced, and the image says so). */
  isLeader(nodeId: number, topic: string, partition: number): boolean {
    return !this.fenced && this.topicsByName.get(topic)?.partitions[partition]?.leader === nodeId;
  }

  withTopic(t: TopicImage): MetadataImage {
    const next = new Map(this.topicsByName);
    next.set(t.name, t);
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next, this.fenced);
  }

  withoutTopic(name: string): MetadataImage {
    const next = new Map(this.topicsByName);
    next.delete(name);
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next, this.fenced);
  }
}

/**
 * One partition's leadership after a change, for the layer that owns replicas (the replica
 * manager): become leader, become follower, or stop (deleted).
 */
export interface PartitionStateChange {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** The topic or partition is gone. */
  readonly deleted: boolean;
}

/** What changed between two images: what a publisher (log manager, fetch sessions) reacts to. */
export interface MetadataDelta {
  createdTopics: TopicImage[];
  deletedTopics: TopicImage[];
  /** Topics whose partitions or configs changed. */
  changedTopics: Array<{ before: TopicImage; after: TopicImage }>;
  /** Partitions whose leader, leader epoch, replicas or ISR changed (created and deleted ones included). */
  changedPartitions?: PartitionStateChange[];
  /** The registered brokers or the controller changed. */
  clusterChanged?: boolean;
}
