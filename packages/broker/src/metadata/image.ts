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
}

export class MetadataImage {
  readonly topicsById: ReadonlyMap<string, TopicImage>;

  constructor(
    readonly clusterId: string,
    readonly controllerId: number,
    readonly brokers: readonly BrokerImage[],
    readonly topicsByName: ReadonlyMap<string, TopicImage>,
  ) {
    const byId = new Map<string, TopicImage>();
    for (const t of topicsByName.values()) byId.set(t.id, t);
    this.topicsById = byId;
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  withTopic(t: TopicImage): MetadataImage {
    const next = new Map(this.topicsByName);
    next.set(t.name, t);
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next);
  }

  withoutTopic(name: string): MetadataImage {
    const next = new Map(this.topicsByName);
    next.delete(name);
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next);
  }
}

/** What changed between two images: what a publisher (log manager, fetch sessions) reacts to. */
export interface MetadataDelta {
  createdTopics: TopicImage[];
  deletedTopics: TopicImage[];
  /** Topics whose partitions or configs changed. */
  changedTopics: Array<{ before: TopicImage; after: TopicImage }>;
}
