/**
 * What the group and transaction coordinators share about their internal topic
 * (`__consumer_offsets`, `__transaction_state`): loading the partitions this broker leads and
 * unloading the others as metadata changes (Kafka's onElection / onResignation), creating the
 * topic on its first FindCoordinator, and finding the node that coordinates a key.
 */
import { ErrorCode } from '@samsa/protocol';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import { TopicOperationError } from '../metadata/errors.js';
import type { MetadataImage } from '../metadata/image.js';
import type { TopicManager } from '../metadata/topic-manager.js';
import type { Logger } from '../util/log.js';

export interface InternalTopicHost {
  readonly nodeId: number;
  readonly topics: TopicManager;
  readonly partitions: ReplicaManager;
}

export interface InternalTopicCoordinator {
  numPartitions: number;
  partitionFor(key: string): number;
  loadPartition(partition: number, epoch: number): Promise<void>;
  unloadPartition(partition: number): void;
}

export interface InternalTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export class InternalTopicCoordinatorLoader {
  /** Leader epoch each loaded partition was loaded at. */
  private readonly loadedEpochs = new Map<number, number>();
  private creating: Promise<number> | null = null;

  constructor(
    private readonly host: InternalTopicHost,
    private readonly coordinator: InternalTopicCoordinator,
    private readonly spec: () => InternalTopicSpec,
    private readonly log: Logger,
  ) {}

  private get topic(): string {
    return this.spec().name;
  }

  /** Loads the partitions led here (at their leader epoch) and unloads those no longer led. */
  reconcile(image: MetadataImage): void {
    const name = this.topic;
    const topic = image.topic(name);
    const led = new Map<number, number>();
    if (topic !== undefined) {
      // An existing topic decides the partition count (it may predate a config change), as in Kafka.
      this.coordinator.numPartitions = topic.partitions.length;
      for (const p of topic.partitions) {
        if (p.leader === this.host.nodeId && this.host.partitions.getPartition(name, p.partition)?.isLeader === true) led.set(p.partition, p.leaderEpoch);
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
      this.coordinator.loadPartition(p, epoch).catch((e: unknown) => this.log.error(`Failed to load ${name}-${p}`, e));
    }
  }

  clear(): void {
    this.loadedEpochs.clear();
  }

  /**
   * Creates the topic if it does not exist yet. Returns NONE, or COORDINATOR_NOT_AVAILABLE when
   * it cannot be created (e.g. a replication factor larger than the number of brokers, as in Kafka).
   */
  ensureTopic(): Promise<number> {
    const spec = this.spec();
    if (this.host.topics.image.topic(spec.name) !== undefined) return Promise.resolve(ErrorCode.NONE);
    if (this.creating !== null) return this.creating;
    this.creating = this.host.topics.createTopic(spec).then(
      (t) => {
        this.log.info(`Created internal topic ${spec.name} with ${t.partitions.length} partitions`);
        return ErrorCode.NONE;
      },
      (e: unknown) => {
        if (e instanceof TopicOperationError && e.errorName === 'TOPIC_ALREADY_EXISTS') return ErrorCode.NONE;
        this.log.warn(`Cannot create ${spec.name}: ${(e as Error).message}`);
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      },
    ).finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  /** The node leading a key's partition, or null when the topic or partition is not there yet. */
  coordinatorNodeFor(key: string): number | null {
    const topic = this.host.topics.image.topic(this.topic);
    const p = topic?.partitions[this.coordinator.partitionFor(key)];
    return p === undefined || p.leader < 0 ? null : p.leader;
  }
}
