/**
 * OffsetFetch (9). v0-v9. v0-v7 one group; v2+ null topics = every committed offset and a
 * group-level error code (v0-v1 put group errors on each partition); v5+ leader epochs; v7+
 * require_stable; v8+ several groups per request, each with its own topics and error.
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function fetchGroup(ctx, groupId, topics, requireStable) {
    try {
        return groupCoordinator(ctx).coordinator.fetchOffsets(groupId, topics, requireStable);
    }
    catch (e) {
        return { errorCode: mapError(e).code, topics: [] };
    }
}
function handle(ctx, req, version) {
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
export const offsetFetchHandler = {
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    handle,
};
//# sourceMappingURL=offset-fetch.js.map