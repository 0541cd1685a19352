/**
 * DescribeGroups (15). v0-v5. State, protocol and members of each group; member metadata and
 * assignment only for Stable groups (as Kafka). v3+ authorized operations (not computed:
 * INT32_MIN, "not requested"), v4+ group.instance.id.
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req, version) {
    let groups;
    try {
        groups = groupCoordinator(ctx).coordinator.describeGroups(req.groups);
    }
    catch (e) {
        const code = mapError(e).code;
        groups = req.groups.map((groupId) => ({ errorCode: code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }));
    }
    return {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
            ...g,
            authorizedOperations: -2147483648,
            members: g.members.map((m) => (version >= 4 ? m : { ...m, groupInstanceId: null })),
        })),
    };
}
export const describeGroupsHandler = {
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle,
};
//# sourceMappingURL=describe-groups.js.map