/**
 * The error for a partition request (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * DescribeProducers) on a partition this broker holds no replica of, as Kafka's
 * ReplicaManager.getPartitionOrError answers: KAFKA_STORAGE_ERROR when its replica here is
 * offline (its log could not be created), NOT_LEADER_OR_FOLLOWER when the cluster has that
 * partition (the client refreshes metadata and goes to the leader), else
 * UNKNOWN_TOPIC_OR_PARTITION. Leadership of hosted partitions is checked by the Partition.
 */
import { ErrorCode } from '@samsa/protocol';
import type { MetadataImage } from '../metadata/image.js';

export interface ReplicaHosting {
  readonly metadata: MetadataImage;
  readonly partitions: { isOffline(topic: string, partition: number): boolean };
}

export function unhostedPartitionError(broker: ReplicaHosting, topic: string, partition: number): number {
  if (broker.partitions.isOffline(topic, partition)) return ErrorCode.KAFKA_STORAGE_ERROR;
  const t = broker.metadata.topic(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions.length ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}
