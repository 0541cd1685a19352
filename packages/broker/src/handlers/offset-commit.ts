/**
 * OffsetCommit (8). v0-v9. Group commits carry the generation and member id (v1+) and are
 * checked against the group; generation -1 commits into a group without members. v2-v4 carry a
 * retention time (an explicit expire timestamp, OffsetCommitValue v1); v6+ the leader epoch;
 * v7+ group.instance.id; v9 returns GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for a
 * missing group. Every accepted offset is an OffsetCommit record in `__consumer_offsets`;
 * partitions that do not exist are answered UNKNOWN_TOPIC_OR_PARTITION and not committed.
 */
import { ApiKey, ErrorCode, type OffsetCommitRequest, type OffsetCommitResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import { splitUnknownPartitions, withUnknownPartitions } from './known-partitions.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: OffsetCommitRequest, version: number): Promise<OffsetCommitResponse> {
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
  } catch (e) {
    const code = mapError(e).code;
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
  }
  // Topics the principal may not read are answered TOPIC_AUTHORIZATION_FAILED before existence is
  // checked; partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION, as in Kafka; neither is committed.
  const readable = (name: string): boolean => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, name);
  const { known, unknown } = splitUnknownPartitions(req.topics.filter((t) => readable(t.name)), ctx.broker.metadata);
  for (const t of req.topics) if (!readable(t.name)) unknown.set(t.name, t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })));
  const merge = (topics: OffsetCommitResponse['topics']): OffsetCommitResponse => ({ throttleTimeMs: 0, topics: withUnknownPartitions(topics, unknown, (name, partitions) => ({ name, partitions })) });
  if (known.length === 0) return merge([]);
  try {
    return merge((await groupCoordinator(ctx).coordinator.commitOffsets({ ...req, topics: known }, version)).topics);
  } catch (e) {
    const code = mapError(e).code;
    return merge(known.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })));
  }
}

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  handle,
};
