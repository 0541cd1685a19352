/**
 * The error for a data-path request (Produce, Fetch, ListOffsets) on a partition this broker
 * holds no replica of: NOT_LEADER_OR_FOLLOWER when the cluster has that partition (the client
 * refreshes metadata and goes to the leader, as Kafka's ReplicaManager answers), else
 * UNKNOWN_TOPIC_OR_PARTITION. Leadership of hosted partitions is checked by the Partition.
 */
import { ErrorCode } from '@samsa/protocol';
import type { MetadataImage } from '../metadata/image.js';

export function unhostedPartitionError(image: MetadataImage, topic: string, partition: number): number {
  const t = image.topic(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions.length ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}
