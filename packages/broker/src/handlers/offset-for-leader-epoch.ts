/**
 * OffsetForLeaderEpoch (23). v0-v4. For each partition, where the requested leader epoch ends
 * in this leader's log (KIP-101): the largest epoch <= the requested one and the offset the
 * next epoch starts at (the log end for the current epoch). Followers truncate with it after a
 * leader change (KIP-279); consumers validate their position after one (KIP-320). Only the
 * leader answers; current_leader_epoch (v2+) fences stale callers.
 */
import { ApiKey, ErrorCode, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '@samsa/protocol';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../replication/leader-epoch-cache.js';
import { leaderEpochError } from '../replication/leader-checks.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';

type PartitionResult = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

function answer(broker: BrokerServices, topic: string, p: OffsetForLeaderEpochRequest['topics'][number]['partitions'][number]): PartitionResult {
  const error = (code: number): PartitionResult => ({ errorCode: code, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
  const replica = broker.replicaManager?.get(topic, p.partition);
  if (replica === undefined) return error(broker.partitions.get(topic, p.partition) === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (!replica.isLeader) return error(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const fenced = leaderEpochError(p.currentLeaderEpoch ?? -1, replica.leaderEpoch);
  if (fenced !== ErrorCode.NONE) return error(fenced);
  const { epoch, endOffset } = replica.epochCache.endOffsetFor(p.leaderEpoch, replica.logEndOffset);
  return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: epoch, endOffset };
}

function handle(ctx: RequestContext, req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => answer(ctx.broker, t.topic, p)) })),
  };
}

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
