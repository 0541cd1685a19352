/**
 * LeaveGroup (13). v0-v5. v0-v2 one member id; v3+ a batch of members by member id or
 * group.instance.id (KIP-345), with an error per member; v5 a reason per member.
 */
import { ApiKey, type LeaveGroupRequest, type LeaveGroupResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: LeaveGroupRequest, version: number): Promise<LeaveGroupResponse> {
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    const res = await groupCoordinator(ctx).coordinator.leaveGroup(req, version);
    return { throttleTimeMs: 0, errorCode: res.errorCode, members: version >= 3 ? (res.members ?? []) : [] };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: mapError(e).code, members: [] };
  }
}

export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle,
};
