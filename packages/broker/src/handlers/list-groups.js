/**
 * ListGroups (16). v0-v5. Every group of the partitions this broker coordinates; v4+ a states
 * filter (and the state in the answer), v5+ a types filter ("classic", "consumer").
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req, version) {
    try {
        const r = groupCoordinator(ctx).coordinator.listGroups(version >= 4 ? (req.statesFilter ?? []) : [], version >= 5 ? (req.typesFilter ?? []) : []);
        return {
            throttleTimeMs: 0,
            errorCode: r.errorCode,
            groups: r.groups.map((g) => ({
                groupId: g.groupId,
                protocolType: g.protocolType,
                ...(version >= 4 ? { groupState: g.groupState ?? '' } : {}),
                ...(version >= 5 ? { groupType: g.groupType ?? 'classic' } : {}),
            })),
        };
    }
    catch (e) {
        return { throttleTimeMs: 0, errorCode: mapError(e).code, groups: [] };
    }
}
export const listGroupsHandler = {
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle,
};
//# sourceMappingURL=list-groups.js.map