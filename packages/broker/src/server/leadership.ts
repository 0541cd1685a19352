/**
 * The one leader check of the data path (Produce, Fetch, ListOffsets): a partition this broker
 * does not lead right now (another broker leads it, it has no leader, or this broker is fenced
 * after losing its metadata session) answers NOT_LEADER_OR_FOLLOWER, never data, so the client
 * refreshes its metadata and goes to the leader.
 */
import { ErrorCode } from '@samsa/protocol';
import type { MetadataImage } from '../metadata/image.js';

/** NOT_LEADER_OR_FOLLOWER when the topic-partition exists but nodeId may not serve it as leader; null otherwise. */
export function notLeaderError(image: MetadataImage, nodeId: number, topic: string, partition: number): number | null {
  const t = image.topic(topic);
  if (t === undefined || partition < 0 || partition >= t.partitions.length) return null;
  return image.isLeader(nodeId, topic, partition) ? null : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}
