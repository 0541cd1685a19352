/**
 * OffsetForLeaderEpoch (23). v0-v4. For each partition, where the requested leader epoch ends
 * in this leader's log (KIP-101): the largest epoch <= the requested one and the offset the
 * next epoch starts at (the log end for the current epoch). Followers truncate with it after a
 * leader change (KIP-279); consumers validate their position after one (KIP-320). Only the
 * leader answers, except to the debugging replica id -2; current_leader_epoch (v2+) fences
 * stale callers. Authorization as Kafka: a replica needs CLUSTER_ACTION, a client DESCRIBE on
 * the topic.
 */
import { ApiKey, ErrorCode, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '@samsa/protocol';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../cluster/leader-epoch-cache.js';
import { mapError } from '../server/error-mapping.js';
import { CLUSTER_RESOURCE_NAME } from '../security/acl.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { unhostedPartitionError } from '../server/leadership.js';

type PartitionResult = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

/** Kafka's DEBUGGING_REPLICA_ID: may ask a follower. */
const DEBUGGING_REPLICA_ID = -2;

function answer(broker: BrokerServices, topic: string, p: OffsetForLeaderEpochRequest['topics'][number]['partitions'][number], replicaId: number): PartitionResult {
  const partition = broker.partitions.getPartition(topic, p.partition);
  if (partition === undefined) return { errorCode: unhostedPartitionError(broker, topic, p.partition), partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  try {
    const { leaderEpoch, endOffset } = partition.lastOffsetForLeaderEpoch(p.currentLeaderEpoch ?? -1, p.leaderEpoch, replicaId !== DEBUGGING_REPLICA_ID);
    return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch, endOffset };
  } catch (e) {
    return { errorCode: mapError(e).code, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  }
}

function handle(ctx: RequestContext, req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  const replicaId = req.replicaId ?? -1;
  const replica = replicaId >= 0;
  const clusterAllowed = replica && authorize(ctx, AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = replica ? clusterAllowed : authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic);
      const denied = replica ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      return {
        topic: t.topic,
        partitions: t.partitions.map((p) => (allowed ? answer(ctx.broker, t.topic, p, replicaId)
          : { errorCode: denied, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET })),
      };
    }),
  };
}

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
