/**
 * OffsetCommit (8). v0-v9. Group commits carry the generation and member id (v1+) and are
 * checked against the group; generation -1 commits into a group without members. v2-v4 carry a
 * retention time (an explicit expire timestamp, OffsetCommitValue v1); v6+ the leader epoch;
 * v7+ group.instance.id; v9 returns GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for a
 * missing group. Every accepted offset is an OffsetCommit record in `__consumer_offsets`.
 */
import { ApiKey, ErrorCode, type OffsetCommitRequest, type OffsetCommitResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, requireAuthorized, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: OffsetCommitRequest, version: number): OffsetCommitResponse {
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    const denied = req.topics.filter((t) => !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name));
    if (denied.length === 0) return { throttleTimeMs: 0, ...groupCoordinator(ctx).coordinator.commitOffsets(req, version) };
    const res = groupCoordinator(ctx).coordinator.commitOffsets({ ...req, topics: req.topics.filter((t) => !denied.includes(t)) }, version);
    const failed = denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { throttleTimeMs: 0, ...res, topics: [...res.topics, ...failed] };
  } catch (e) {
    const code = mapError(e).code;
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
  }
}

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  handle,
};
