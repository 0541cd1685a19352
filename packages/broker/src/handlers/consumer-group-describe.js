/**
 * ConsumerGroupDescribe (69). v0. Epochs, assignor, and each member's current and target
 * assignment of KIP-848 groups; GROUP_ID_NOT_FOUND for other ids.
 */
import { ApiKey } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
function handle(ctx, req) {
    try {
        return { throttleTimeMs: 0, groups: groupCoordinator(ctx).coordinator.consumerGroupDescribe(req.groupIds) };
    }
    catch (e) {
        const code = mapError(e).code;
        return { throttleTimeMs: 0, groups: req.groupIds.map((groupId) => ({ errorCode: code, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 })) };
    }
}
export const consumerGroupDescribeHandler = {
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    handle,
};
//# sourceMappingURL=consumer-group-describe.js.map