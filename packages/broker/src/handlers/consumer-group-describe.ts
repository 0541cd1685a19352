/**
 * ConsumerGroupDescribe (69). v0. Epochs, assignor, and each member's current and target
 * assignment of KIP-848 groups; GROUP_ID_NOT_FOUND for other ids.
 */
import { ApiKey, ErrorCode, type ConsumerGroupDescribeRequest, type ConsumerGroupDescribeResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: ConsumerGroupDescribeRequest): ConsumerGroupDescribeResponse {
  try {
    const allowed = req.groupIds.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g));
    const described = groupCoordinator(ctx).coordinator.consumerGroupDescribe(allowed);
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => described.find((g) => g.groupId === groupId)
        ?? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 }),
    };
  } catch (e) {
    const code = mapError(e).code;
    return { throttleTimeMs: 0, groups: req.groupIds.map((groupId) => ({ errorCode: code, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 })) };
  }
}

export const consumerGroupDescribeHandler: ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = {
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  handle,
};
