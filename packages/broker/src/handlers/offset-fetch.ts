/**
 * OffsetFetch (9). v0-v9. v0-v7 one group; v2+ null topics = every committed offset and a
 * group-level error code (v0-v1 put group errors on each partition); v5+ leader epochs; v7+
 * require_stable; v8+ several groups per request, each with its own topics and error.
 */
import { ApiKey, ErrorCode, type OffsetFetchRequest, type OffsetFetchResponse } from '@samsa/protocol';
import type { FetchOffsetsResult } from '../coordinator/group/group-coordinator.js';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, requireAuthorized, ResourceType } from '../security/authorize.js';

function fetchGroup(ctx: RequestContext, groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null, requireStable: boolean): FetchOffsetsResult {
  try {
    requireAuthorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId);
    const describable = (name: string): boolean => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
    const res = groupCoordinator(ctx).coordinator.fetchOffsets(groupId, topics === null ? null : topics.filter((t) => describable(t.name)), requireStable);
    // Requested topics the principal may not describe answer TOPIC_AUTHORIZATION_FAILED; unrequested ones are left out.
    const denied = (topics ?? []).filter((t) => !describable(t.name)).map((t) => ({
      name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
    }));
    return { ...res, topics: [...res.topics.filter((t) => describable(t.name)), ...denied] };
  } catch (e) {
    return { errorCode: mapError(e).code, topics: [] };
  }
}

function handle(ctx: RequestContext, req: OffsetFetchRequest, version: number): OffsetFetchResponse {
  const requireStable = req.requireStable ?? false;
  if (version >= 8) {
    return {
      throttleTimeMs: 0,
      groups: (req.groups ?? []).map((g) => {
        const r = fetchGroup(ctx, g.groupId, g.topics, requireStable);
        return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
      }),
    };
  }
  const topics = version < 2 && (req.topics === null || req.topics === undefined) ? [] : (req.topics ?? null);
  const r = fetchGroup(ctx, req.groupId ?? '', topics, requireStable);
  if (version < 2 && r.errorCode !== ErrorCode.NONE) {
    // No group-level error field before v2: every requested partition carries it.
    return {
      topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: '', errorCode: r.errorCode })) })),
    };
  }
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: version >= 5 ? p.committedLeaderEpoch : -1 })) })),
  };
}

export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle,
};
