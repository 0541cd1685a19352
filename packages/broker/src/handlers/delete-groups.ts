/**
 * DeleteGroups (42). v0-v2. Deletes empty groups and their offsets (tombstones in
 * `__consumer_offsets`); NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND otherwise.
 */
import { ApiKey, ErrorCode, type DeleteGroupsRequest, type DeleteGroupsResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  try {
    const allowed = req.groupsNames.filter((g) => authorize(ctx, AclOperation.DELETE, ResourceType.GROUP, g));
    const deleted = await groupCoordinator(ctx).coordinator.deleteGroups(allowed);
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => deleted.find((r) => r.groupId === groupId) ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED }) };
  } catch (e) {
    const code = mapError(e).code;
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: code })) };
  }
}

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle,
};
