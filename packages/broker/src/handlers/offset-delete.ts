/**
 * OffsetDelete (47). v0. Deletes committed offsets of a group for topics it no longer consumes
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for non-consumer groups with members.
 */
import { ApiKey, ErrorCode, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, requireAuthorized, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: OffsetDeleteRequest): OffsetDeleteResponse {
  try {
    requireAuthorized(ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId);
    const denied = req.topics.filter((t) => !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name));
    if (denied.length === 0) return groupCoordinator(ctx).coordinator.deleteOffsets(req);
    const res = groupCoordinator(ctx).coordinator.deleteOffsets({ ...req, topics: req.topics.filter((t) => !denied.includes(t)) });
    const failed = denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { ...res, topics: [...res.topics, ...failed] };
  } catch (e) {
    return { errorCode: mapError(e).code, throttleTimeMs: 0, topics: [] };
  }
}

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle,
};
