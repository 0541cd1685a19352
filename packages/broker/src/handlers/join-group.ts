/**
 * JoinGroup (11). v0-v9. The response is parked until the group's join phase ends. v4+: a first
 * join without member id gets MEMBER_ID_REQUIRED and the id to use (KIP-394); v5+ static members
 * (group.instance.id); v7+ protocolType in the response and nullable protocolName; v9
 * skipAssignment for a static leader rejoining a stable group.
 */
import { ApiKey, type JoinGroupRequest, type JoinGroupResponse } from '@samsa/protocol';
import { groupCoordinator, requestInfo } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: JoinGroupRequest, version: number): Promise<JoinGroupResponse> {
  let res: JoinGroupResponse;
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    res = await groupCoordinator(ctx).coordinator.joinGroup(requestInfo(ctx), req);
  } catch (e) {
    res = { errorCode: (e as { code?: number }).code ?? -1, generationId: -1, protocolName: null, leader: '', memberId: req.memberId, members: [] };
  }
  return {
    throttleTimeMs: 0,
    errorCode: res.errorCode,
    generationId: res.generationId,
    protocolType: version >= 7 ? (res.protocolType ?? null) : null,
    protocolName: version >= 7 ? res.protocolName : (res.protocolName ?? ''),
    leader: res.leader,
    skipAssignment: version >= 9 ? (res.skipAssignment ?? false) : false,
    memberId: res.memberId,
    members: res.members,
  };
}

export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle,
};
