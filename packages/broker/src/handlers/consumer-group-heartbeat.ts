/**
 * ConsumerGroupHeartbeat (68). v0-v1 (KIP-848). Joins (epoch 0), heartbeats and leaves (epoch -1,
 * static -2) a consumer group whose assignment the coordinator computes (assignors "uniform",
 * "range"). v1: the client generates its member id. Regex subscriptions are refused
 * (INVALID_REQUEST).
 */
import { ApiKey, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator, requestInfo } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResponse> {
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    for (const t of req.subscribedTopicNames ?? []) requireAuthorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t);
    return await groupCoordinator(ctx).coordinator.consumerGroupHeartbeat(requestInfo(ctx), req);
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: mapError(e).code, errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  }
}

export const consumerGroupHeartbeatHandler: ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = {
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle,
};
