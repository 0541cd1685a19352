/**
 * How a leader records an ISR change in the metadata store: a compare-and-swap that succeeds
 * only while the partition still has this leader in this leader epoch (as Kafka's leaders did
 * with a conditional update on the znode version in ZooKeeper mode), so a deposed leader can
 * never shrink or grow an ISR it no longer owns.
 */
import { RevisionMismatchError, type MetadataStore } from '../metadata/metadata-store.js';

export interface IsrWriter {
  /** Writes `isr` if (leader, leaderEpoch) is still current; false when the partition moved on. */
  alterIsr(topic: string, partition: number, expected: { leader: number; leaderEpoch: number }, isr: readonly number[]): Promise<boolean>;
}

const TOPIC_PREFIX = 'topics/';
const MAX_ATTEMPTS = 5;

interface StoredTopic {
  partitions: Array<{ replicas: number[]; leaderEpoch: number; isr?: number[]; leader?: number }>;
}

/** ISR changes on the topic record (`topics/<name>`) of the metadata store. */
export class TopicRecordIsrWriter implements IsrWriter {
  constructor(private readonly store: MetadataStore) {}

  async alterIsr(topic: string, partition: number, expected: { leader: number; leaderEpoch: number }, isr: readonly number[]): Promise<boolean> {
    const key = TOPIC_PREFIX + topic;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const cur = await this.store.get(key);
      if (cur === null) return false;
      const rec = JSON.parse(cur.value) as StoredTopic;
      const p = rec.partitions[partition];
      if (p === undefined) return false;
      const leader = p.leader ?? p.replicas[0] ?? -1;
      if (leader !== expected.leader || p.leaderEpoch !== expected.leaderEpoch) return false;
      p.isr = [...isr];
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
