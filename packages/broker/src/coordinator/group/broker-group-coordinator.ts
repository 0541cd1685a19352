/**
 * The group coordinator inside a broker: owns the GroupCoordinator, writes through the
 * `__consumer_offsets` partition logs, loads a partition's shard when this broker leads it (at
 * startup, and when the topic is created on the first FindCoordinator) and unloads it when it
 * stops leading it or the topic goes away. Timers run on the broker's clock.
 */
import { ErrorCode } from '@samsa/protocol';
import type { BrokerConfig } from '../../config/broker-config.js';
import { TopicOperationError } from '../../metadata/errors.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { TopicManager } from '../../metadata/topic-manager.js';
import { GROUP_METADATA_TOPIC } from '../../metadata/topic-name.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
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
}

export class BrokerGroupCoordinator {
  readonly coordinator: GroupCoordinator;
  private unsubscribe: (() => void) | null = null;
  private creating: Promise<number> | null = null;
  private readonly log: Logger;
  /** Leader epoch each loaded partition was loaded at. */
  private readonly loadedEpochs = new Map<number, number>();

  constructor(private readonly host: GroupCoordinatorHost) {
    this.log = host.log.child('org.apache.kafka.coordinator.group.GroupCoordinatorService');
    const writer = new PartitionLogWriter((p) => host.partitions.getPartition(GROUP_METADATA_TOPIC, p), host.clock);
    const topics: TopicView = {
      byName: (name) => {
        const t = host.topics.image.topic(name);
        return t === undefined ? undefined : { id: t.id, numPartitions: t.partitions.length };
      },
      nameOf: (id) => host.topics.image.topicsById.get(id)?.name,
    };
    this.coordinator = new GroupCoordinator({ clock: host.clock, config: groupConfigFrom(host.config), writer, log: this.log, topics: () => topics });
  }

  /** Loads the partitions this broker leads and follows metadata changes. */
  start(): void {
    this.unsubscribe = this.host.topics.onChange((image, delta) => {
      this.reconcile(image);
      this.coordinator.onTopicsDeleted(delta.deletedTopics.map((t) => t.name).filter((n) => n !== GROUP_METADATA_TOPIC));
    });
    this.reconcile(this.host.topics.image);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.coordinator.close();
    this.loadedEpochs.clear();
  }

  private reconcile(image: MetadataImage): void {
    const topic = image.topic(GROUP_METADATA_TOPIC);
    const led = new Map<number, number>();
    if (topic !== undefined) {
      // An existing topic decides the partition count (it may predate a config change), as in Kafka.
      this.coordinator.numPartitions = topic.partitions.length;
      for (const p of topic.partitions) {
        if (p.leader === this.host.nodeId && this.host.partitions.getPartition(GROUP_METADATA_TOPIC, p.partition)?.isLeader === true) led.set(p.partition, p.leaderEpoch);
      }
    }
    for (const p of [...this.loadedEpochs.keys()]) {
      if (!led.has(p)) {
        this.coordinator.unloadPartition(p);
        this.loadedEpochs.delete(p);
      }
    }
    for (const [p, epoch] of led) {
      if (this.loadedEpochs.get(p) === epoch) continue;
      this.loadedEpochs.set(p, epoch);
      this.coordinator.loadPartition(p, epoch).catch((e: unknown) => this.log.error(`Failed to load ${GROUP_METADATA_TOPIC}-${p}`, e));
    }
  }

  /**
   * Creates `__consumer_offsets` if it does not exist yet (Kafka does it on the first
   * FindCoordinator). Returns NONE, or COORDINATOR_NOT_AVAILABLE when it cannot be created
   * (e.g. offsets.topic.replication.factor larger than the number of brokers, as in Kafka).
   */
  ensureTopic(): Promise<number> {
    if (this.host.topics.image.topic(GROUP_METADATA_TOPIC) !== undefined) return Promise.resolve(ErrorCode.NONE);
    if (this.creating !== null) return this.creating;
    const config = this.host.config;
    this.creating = this.host.topics.createTopic({
      name: GROUP_METADATA_TOPIC,
      numPartitions: config.int('offsets.topic.num.partitions'),
      replicationFactor: config.int('offsets.topic.replication.factor'),
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'producer',
        'segment.bytes': String(config.int('offsets.topic.segment.bytes')),
      },
    }).then(
      (t) => {
        this.log.info(`Created internal topic ${GROUP_METADATA_TOPIC} with ${t.partitions.length} partitions`);
        return ErrorCode.NONE;
      },
      (e: unknown) => {
        if (e instanceof TopicOperationError && e.errorName === 'TOPIC_ALREADY_EXISTS') return ErrorCode.NONE;
        this.log.warn(`Cannot create ${GROUP_METADATA_TOPIC}: ${(e as Error).message}`);
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      },
    ).finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  /** The node leading a group's partition, or null when the topic or partition is not there yet. */
  coordinatorNodeFor(groupId: string): number | null {
    const topic = this.host.topics.image.topic(GROUP_METADATA_TOPIC);
    const p = topic?.partitions[this.coordinator.partitionFor(groupId)];
    return p === undefined || p.leader < 0 ? null : p.leader;
  }
}
