/**
 * How a leader records partition-state changes in the metadata store: compare-and-swap writes
 * that succeed only while the partition still has this leader in this leader epoch (as Kafka's
 * leaders did with a conditional update on the znode version in ZooKeeper mode), so a deposed
 * leader can never change an ISR or a leadership it no longer owns.
 */
import { RevisionMismatchError, type MetadataStore } from '../metadata/metadata-store.js';

export interface ExpectedLeader {
  leader: number;
  leaderEpoch: number;
}

export interface PartitionStateWriter {
  /** Writes `isr` if (leader, leaderEpoch) is still current; false when the partition moved on. */
  alterIsr(topic: string, partition: number, expected: ExpectedLeader, isr: readonly number[]): Promise<boolean>;
  /**
   * Hands leadership to `leader` in the next leader epoch with `isr` (controlled shutdown of
   * the current leader); false when the partition moved on.
   */
  transferLeadership(topic: string, partition: number, expected: ExpectedLeader, leader: number, isr: readonly number[]): Promise<boolean>;
}

const TOPIC_PREFIX = 'topics/';
const MAX_ATTEMPTS = 5;

interface StoredPartition {
  replicas: number[];
  leaderEpoch: number;
  isr?: number[];
  leader?: number;
}

/** Partition state on the topic record (`topics/<name>`) of the metadata store. */
export class TopicRecordStateWriter implements PartitionStateWriter {
  constructor(private readonly store: MetadataStore) {}

  alterIsr(topic: string, partition: number, expected: ExpectedLeader, isr: readonly number[]): Promise<boolean> {
    return this.update(topic, partition, expected, (p) => {
      p.isr = [...isr];
    });
  }

  transferLeadership(topic: string, partition: number, expected: ExpectedLeader, leader: number, isr: readonly number[]): Promise<boolean> {
    return this.update(topic, partition, expected, (p) => {
      p.leader = leader;
      p.leaderEpoch += 1;
      p.isr = [...isr];
    });
  }

  private async update(topic: string, partition: number, expected: ExpectedLeader, change: (p: StoredPartition) => void): Promise<boolean> {
    const key = TOPIC_PREFIX + topic;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cur = await this.store.get(key);
      if (cur === null) return false;
      const rec = JSON.parse(cur.value) as { partitions: StoredPartition[] };
      const p = rec.partitions[partition];
      if (p === undefined) return false;
      const leader = p.leader ?? p.replicas[0] ?? -1;
      if (leader !== expected.leader || p.leaderEpoch !== expected.leaderEpoch) return false;
      change(p);
      try {
        await this.store.put(key, JSON.stringify(rec), { expectedRevision: cur.revision });
        return true;
      } catch (e) {
        // Another partition of the topic changed meanwhile: re-read and try again.
        if (!(e instanceof RevisionMismatchError)) throw e;
      }
    }
    return false;
  }
}
