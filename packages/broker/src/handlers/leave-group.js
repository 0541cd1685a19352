/**
 * LeaveGroup (13). v0-v5. v0-v2 one member id; v3+ a batch of members by member id or
 * group.instance.id (KIP-345), with an error per member; v5 a reason per member.
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req, version) {
    try {
        const res = groupCoordinator(ctx).coordinator.leaveGroup(req, version);
        return { throttleTimeMs: 0, errorCode: res.errorCode, members: version >= 3 ? (res.members ?? []) : [] };
    }
    catch (e) {
        return { throttleTimeMs: 0, errorCode: mapError(e).code, members: [] };
    }
}
export const leaveGroupHandler = {
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    handle,
};
//# sourceMappingURL=leave-group.js.map