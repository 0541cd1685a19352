/**
 * SyncGroup (14). v0-v5. Followers wait for the leader's assignment; the leader's is written to
 * `__consumer_offsets` before anyone gets an answer. v3+ group.instance.id; v5 protocol type and
 * name, checked against the group's (INCONSISTENT_GROUP_PROTOCOL) and echoed back.
 */
import { ApiKey } from '@samsa/protocol';
import { groupCoordinator } from './group-coordinator-access.js';
async function handle(ctx, req, version) {
    let res;
    try {
        res = await groupCoordinator(ctx).coordinator.syncGroup(req);
    }
    catch (e) {
        res = { errorCode: e.code ?? -1, assignment: Buffer.alloc(0) };
    }
    return version >= 5
        ? { throttleTimeMs: 0, errorCode: res.errorCode, protocolType: res.protocolType ?? null, protocolName: res.protocolName ?? null, assignment: res.assignment }
        : { throttleTimeMs: 0, errorCode: res.errorCode, assignment: res.assignment };
}
export const syncGroupHandler = {
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    handle,
};
//# sourceMappingURL=sync-group.js.map