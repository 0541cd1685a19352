/**
 * Heartbeat (12). v0-v4. Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin. v3+ group.instance.id (FENCED_INSTANCE_ID for a replaced static member).
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req) {
    try {
        return { throttleTimeMs: 0, errorCode: groupCoordinator(ctx).coordinator.heartbeat(req) };
    }
    catch (e) {
        return { throttleTimeMs: 0, errorCode: mapError(e).code };
    }
}
export const heartbeatHandler = {
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle,
};
//# sourceMappingURL=heartbeat.js.map