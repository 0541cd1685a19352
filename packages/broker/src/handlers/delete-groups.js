/**
 * DeleteGroups (42). v0-v2. Deletes empty groups and their offsets (tombstones in
 * `__consumer_offsets`); NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND otherwise.
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req) {
    try {
        return { throttleTimeMs: 0, results: groupCoordinator(ctx).coordinator.deleteGroups(req.groupsNames) };
    }
    catch (e) {
        const code = mapError(e).code;
        return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: code })) };
    }
}
export const deleteGroupsHandler = {
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    handle,
};
//# sourceMappingURL=delete-groups.js.map