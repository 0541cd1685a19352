/**
 * DescribeGroups (15). v0-v5. State, protocol and members of each group; member metadata and
 * assignment only for Stable groups (as Kafka). v3+ authorized operations when asked (the
 * principal's READ/DELETE/DESCRIBE on the group; INT32_MIN otherwise), v4+ group.instance.id.
 * Groups the principal may not describe answer GROUP_AUTHORIZATION_FAILED.
 */
import { ApiKey, ErrorCode, type DescribeGroupsRequest, type DescribeGroupsResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, authorizedOperations, ResourceType } from '../security/authorize.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata.js';

/** READ, DELETE, DESCRIBE: what can be done with a group (KIP-430 bits). */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

function handle(ctx: RequestContext, req: DescribeGroupsRequest, version: number): DescribeGroupsResponse {
  let groups: DescribeGroupsResponse['groups'];
  try {
    const allowed = req.groups.filter((g) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g));
    const described = groupCoordinator(ctx).coordinator.describeGroups(allowed);
    groups = req.groups.map((groupId) => described.find((g) => g.groupId === groupId)
      ?? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] });
  } catch (e) {
    const code = mapError(e).code;
    groups = req.groups.map((groupId) => ({ errorCode: code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }));
  }
  return {
    throttleTimeMs: 0,
    groups: groups.map((g) => ({
      ...g,
      authorizedOperations: req.includeAuthorizedOperations === true ? authorizedOperations(ctx, ResourceType.GROUP, g.groupId, ALL_GROUP_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED,
      members: g.members.map((m) => (version >= 4 ? m : { ...m, groupInstanceId: null })),
    })),
  };
}

export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle,
};
