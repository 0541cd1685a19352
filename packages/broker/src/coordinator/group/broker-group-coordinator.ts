/**
 * The group coordinator inside a broker: owns the GroupCoordinator, writes through the
 * `__consumer_offsets` partition logs, loads a partition's shard when this broker leads it (at
 * startup, and when the topic is created on the first FindCoordinator) and unloads it when it
 * stops leading it or the topic goes away. Timers run on the broker's clock.
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { TopicManager } from '../../metadata/topic-manager.js';
import { GROUP_METADATA_TOPIC } from '../../metadata/topic-name.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { InternalTopicCoordinatorLoader } from '../internal-topic.js';
import type { BrokerTransactionCoordinator } from '../transaction/broker-transaction-coordinator.js';
import { PartitionLogWriter } from '../runtime.js';
import type { TopicView } from './consumer-group-manager.js';
import { groupConfigFrom } from './group-config.js';
import { GroupCoordinator } from './group-coordinator.js';

export interface GroupCoordinatorHost {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly nodeId: number;
  readonly topics: TopicManager;
  readonly partitions: ReplicaManager;
  /** Verifies transactional offset commits (KIP-890); created after the group coordinator, so read when needed. */
  readonly transactionCoordinator?: BrokerTransactionCoordinator | null;
}

export class BrokerGroupCoordinator {
  readonly coordinator: GroupCoordinator;
  private unsubscribe: (() => void) | null = null;
  private readonly log: Logger;
  private readonly loader: InternalTopicCoordinatorLoader;

  constructor(private readonly host: GroupCoordinatorHost) {
    this.log = host.log.child('org.apache.kafka.coordinator.group.GroupCoordinatorService');
    // TxnOffsetCommit is verified with the transaction coordinator like a transactional produce (KIP-890).
    const verifier = () => (host.config.bool('transaction.partition.verification.enable') ? host.transactionCoordinator ?? null : null);
    const writer = new PartitionLogWriter(host.partitions, GROUP_METADATA_TOPIC, host.clock, verifier);
    const topics: TopicView = {
      byName: (name) => {
        const t = host.topics.image.topic(name);
        return t === undefined ? undefined : { id: t.id, numPartitions: t.partitions.length };
      },
      nameOf: (id) => host.topics.image.topicsById.get(id)?.name,
    };
    this.coordinator = new GroupCoordinator({ clock: host.clock, config: groupConfigFrom(host.config), writer, log: this.log, topics: () => topics });
    const config = host.config;
    this.loader = new InternalTopicCoordinatorLoader(host, this.coordinator, () => ({
      name: GROUP_METADATA_TOPIC,
      numPartitions: config.int('offsets.topic.num.partitions'),
      replicationFactor: config.int('offsets.topic.replication.factor'),
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'producer',
        'segment.bytes': String(config.int('offsets.topic.segment.bytes')),
      },
    }), this.log);
  }

  /** Loads the partitions this broker leads and follows metadata changes. */
  start(): void {
    this.unsubscribe = this.host.topics.onChange((image, delta) => {
      this.loader.reconcile(image);
      this.coordinator.onTopicsDeleted(delta.deletedTopics.map((t) => t.name).filter((n) => n !== GROUP_METADATA_TOPIC));
    });
    this.loader.reconcile(this.host.topics.image);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.coordinator.close();
    this.loader.clear();
  }

  /** Creates `__consumer_offsets` if it does not exist yet (Kafka does it on the first FindCoordinator). */
  ensureTopic(): Promise<number> {
    return this.loader.ensureTopic();
  }

  /** The node leading a group's partition, or null when the topic or partition is not there yet. */
  coordinatorNodeFor(groupId: string): number | null {
    return this.loader.coordinatorNodeFor(groupId);
  }
}
