/**
 * OffsetDelete (47). v0. Deletes committed offsets of a group for topics it no longer consumes
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for non-consumer groups with members;
 * UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
 */
import { ApiKey, ErrorCode, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import { splitUnknownPartitions, withUnknownPartitions } from './known-partitions.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  try {
    requireAuthorized(ctx, AclOperation.DELETE, ResourceType.GROUP, req.groupId);
  } catch (e) {
    return { errorCode: mapError(e).code, throttleTimeMs: 0, topics: [] };
  }
  // Unreadable topics: TOPIC_AUTHORIZATION_FAILED; partitions that do not exist: UNKNOWN_TOPIC_OR_PARTITION.
  const readable = (name: string): boolean => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, name);
  const { known, unknown } = splitUnknownPartitions(req.topics.filter((t) => readable(t.name)), ctx.broker.metadata);
  for (const t of req.topics) if (!readable(t.name)) unknown.set(t.name, t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })));
  const merge = (r: OffsetDeleteResponse): OffsetDeleteResponse => ({ ...r, topics: withUnknownPartitions(r.topics, unknown, (name, partitions) => ({ name, partitions })) });
  // As Kafka: with nothing left to delete, the group is not consulted.
  if (known.length === 0) return merge({ errorCode: 0, throttleTimeMs: 0, topics: [] });
  try {
    return merge(await groupCoordinator(ctx).coordinator.deleteOffsets({ ...req, topics: known }));
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
