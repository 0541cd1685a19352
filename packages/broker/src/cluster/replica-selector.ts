/**
 * Follower fetching (KIP-392): which replica a consumer should read a partition from, as
 * Kafka's ReplicaManager.findPreferredReadReplica with its RackAwareReplicaSelector. Only the
 * leader decides; candidates are the in-sync followers that hold the fetch offset, and the
 * leader itself. A consumer without a rack, or with no candidate in its rack, stays on the
 * leader, as does one whose rack the leader is in.
 */
import type { MetadataImage } from '../metadata/image.js';
import type { Partition } from './partition.js';

/**
 * The broker id the consumer in `rackId` should fetch `fetchOffset` from, or -1 for this
 * leader (the response then carries no preferred replica and the records as usual).
 */
export function preferredReadReplica(partition: Partition, image: MetadataImage, localBrokerId: number, rackId: string, fetchOffset: bigint): number {
  if (rackId === '' || !partition.isLeader) return -1;
  if (image.broker(localBrokerId)?.rack === rackId) return -1;
  let best = -1;
  let bestEnd = -1n;
  let bestCaughtUp = -1;
  for (const id of partition.isr) {
    if (id === localBrokerId || image.broker(id)?.rack !== rackId) continue;
    const r = partition.remoteReplica(id);
    // A replica that does not have the offset yet (or any more) would only answer out of range.
    if (r === undefined || r.logEndOffset < fetchOffset || r.logStartOffset > fetchOffset) continue;
    // Kafka's ReplicaView comparator: the most caught-up log end, then the latest caught-up time.
    if (r.logEndOffset > bestEnd || (r.logEndOffset === bestEnd && r.lastCaughtUpTimeMs > bestCaughtUp)) {
      best = id;
      bestEnd = r.logEndOffset;
      bestCaughtUp = r.lastCaughtUpTimeMs;
    }
  }
  return best;
}
