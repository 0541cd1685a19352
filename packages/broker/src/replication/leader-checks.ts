/**
 * The leader checks every partition-addressed request shares (Kafka's
 * Partition.getLocalLog with a current leader epoch): NOT_LEADER_OR_FOLLOWER when this broker
 * does not lead it, FENCED_LEADER_EPOCH when the caller knows an older epoch, and
 * UNKNOWN_LEADER_EPOCH when it knows a newer one than we do (our metadata is behind).
 */
import { ErrorCode } from '@samsa/protocol';
import type { BrokerServices } from '../handlers/types.js';

/** The error for a request's current_leader_epoch against ours (-1 = not given: no check). */
export function leaderEpochError(requested: number, current: number): number {
  if (requested < 0 || requested === current) return ErrorCode.NONE;
  return requested > current ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/**
 * NONE when this broker leads the partition in an epoch the request accepts; otherwise the
 * code to answer. Partitions without replication state (brokers built without a replica
 * manager) only get the epoch check against the metadata.
 */
export function leaderError(broker: BrokerServices, topic: string, partition: number, requestedEpoch: number, forWrite = false): number {
  const replica = broker.replicaManager?.get(topic, partition);
  if (replica === undefined) {
    const epoch = broker.partitions.topic(topic)?.image.partitions[partition]?.leaderEpoch ?? 0;
    return leaderEpochError(requestedEpoch, epoch);
  }
  if (!replica.isLeader) {
    // A caller that already knows a newer epoch than ours should wait for our metadata.
    return requestedEpoch > replica.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }
  // A leader handing over (controlled shutdown) still serves reads but no new writes.
  if (forWrite && replica.handingOver) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return leaderEpochError(requestedEpoch, replica.leaderEpoch);
}
