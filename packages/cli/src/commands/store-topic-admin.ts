/**
 * `kafka-topics --zookeeper host:2181[/chroot]`: the topic operations of the admin client done
 * directly on the cluster's metadata store, as ZooKeeper-era Kafka's TopicCommand did
 * (assignment and config znodes written here, deletions queued under /admin/delete_topics, the
 * controller doing the rest). Same shape as the Admin methods kafka-topics uses, so one command
 * implementation serves --bootstrap-server and --zookeeper.
 */
import { BrokerConfig, mapError, TopicManager, type MetadataStore } from '@samsa/broker';
import { ConfigResourceType, KafkaError, type Admin, type ConfigEntry, type NewTopic, type TopicDescription } from '@samsa/client';
import { connectZooKeeperStore } from '../tool-zookeeper.js';

export type TopicAdmin = Pick<Admin, 'listTopics' | 'describeTopics' | 'describeConfigs' | 'describeCluster' | 'createTopics' | 'createPartitions' | 'deleteTopics' | 'close'>;

/** Old kafka-topics did not wait for the controller; a short wait lets --describe right after show leaders. */
const SETTLE_MS = 5000;

export class StoreTopicAdmin implements TopicAdmin {
  private constructor(private readonly store: MetadataStore, private readonly topics: TopicManager) {}

  static async connect(zookeeperConnect: string): Promise<StoreTopicAdmin> {
    const store = await connectZooKeeperStore(zookeeperConnect);
    const topics = new TopicManager(store, new BrokerConfig({}), '', -1);
    await topics.load();
    return new StoreTopicAdmin(store, topics);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const m = mapError(e);
      throw new KafkaError(m.code, m.message ?? undefined);
    }
  }

  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    return [...this.topics.image.topicsByName.values()].filter((t) => opts.includeInternal !== false || !t.isInternal).map((t) => t.name).sort();
  }

  async describeTopics(opts: { topics: string[] }): Promise<TopicDescription[]> {
    const out: TopicDescription[] = [];
    for (const name of opts.topics) {
      const t = this.topics.image.topic(name);
      if (t === undefined) continue;
      out.push({ name, topicId: t.id, isInternal: t.isInternal, partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: [...p.replicas], isr: [...p.isr] })) });
    }
    return out;
  }

  /** The overrides stored for each topic (what the old tool printed as Configs). */
  async describeConfigs(opts: { resources: Array<{ type: number; name: string }> }): Promise<Array<{ type: number; name: string; configs: ConfigEntry[] }>> {
    return opts.resources.filter((r) => r.type === ConfigResourceType.TOPIC).map((r) => ({
      type: r.type,
      name: r.name,
      configs: [...(this.topics.image.topic(r.name)?.configs ?? new Map<string, string>())].map(([name, value]) => ({ name, value, readOnly: false, isDefault: false, source: 1, isSensitive: false })),
    }));
  }

  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }> }> {
    const i = this.topics.image;
    return { clusterId: null, controllerId: i.controllerId, brokers: i.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })) };
  }

  async createTopics(opts: { topics: NewTopic[] }): Promise<void> {
    for (const t of opts.topics) {
      await this.call(() => this.topics.createTopic({
        name: t.topic,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        ...(t.replicaAssignment !== undefined ? { assignments: t.replicaAssignment.map((a) => ({ partition: a.partition, brokerIds: a.replicas })) } : {}),
        configs: t.configs ?? {},
      }, { timeoutMs: SETTLE_MS }));
    }
  }

  async createPartitions(opts: { topicPartitions: Array<{ topic: string; count: number; assignments?: number[][] }> }): Promise<void> {
    for (const p of opts.topicPartitions) await this.call(() => this.topics.createPartitions(p.topic, p.count, { assignments: p.assignments ?? null, timeoutMs: SETTLE_MS }));
  }

  async deleteTopics(opts: { topics: string[] }): Promise<void> {
    for (const t of opts.topics) await this.call(() => this.topics.deleteTopic(t, { timeoutMs: SETTLE_MS }));
  }

  async close(): Promise<void> {
    this.topics.close();
    await this.store.close();
  }
}
