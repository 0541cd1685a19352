/**
 * How a leader records partition-state changes in the metadata store: a compare-and-swap on
 * the partition's state key (`/brokers/topics/T/partitions/P/state`, on its revision) that
 * succeeds only while the partition still has this leader in this leader epoch, as Kafka's
 * leaders did with a conditional update on the znode version in ZooKeeper mode. A deposed
 * leader can never change an ISR or a leadership it no longer owns, and a concurrent
 * controller decision makes the CAS fail instead of being overwritten.
 */
import { decodePartitionState, encodePartitionState, Paths, type PartitionState } from '../metadata/kafka-layout.js';
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

const MAX_ATTEMPTS = 5;

/** Partition states in Kafka's ZooKeeper layout (every store engine uses it). */
export class StorePartitionStateWriter implements PartitionStateWriter {
  constructor(private readonly store: MetadataStore) {}

  alterIsr(topic: string, partition: number, expected: ExpectedLeader, isr: readonly number[]): Promise<boolean> {
    return this.update(topic, partition, expected, (s) => ({ ...s, isr: [...isr] }));
  }

  transferLeadership(topic: string, partition: number, expected: ExpectedLeader, leader: number, isr: readonly number[]): Promise<boolean> {
    return this.update(topic, partition, expected, (s) => ({ ...s, leader, leaderEpoch: s.leaderEpoch + 1, isr: [...isr] }));
  }

  private async update(topic: string, partition: number, expected: ExpectedLeader, change: (s: PartitionState) => PartitionState): Promise<boolean> {
    const key = Paths.partitionState(topic, partition);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cur = await this.store.get(key);
      if (cur === null) return false;
      const state = decodePartitionState(cur.value);
      if (state.leader !== expected.leader || state.leaderEpoch !== expected.leaderEpoch) return false;
      try {
        await this.store.put(key, encodePartitionState(change(state)), { expectedRevision: cur.revision });
        return true;
      } catch (e) {
        // The state changed between the read and the write: read it again and re-check.
        if (!(e instanceof RevisionMismatchError)) throw e;
      }
    }
    return false;
  }
}
