/**
 * SyncGroup (14). v0-v5. Followers wait for the leader's assignment; the leader's is written to
 * `__consumer_offsets` before anyone gets an answer. v3+ group.instance.id; v5 protocol type and
 * name, checked against the group's (INCONSISTENT_GROUP_PROTOCOL) and echoed back.
 */
import { ApiKey, type SyncGroupRequest, type SyncGroupResponse } from '@samsa/protocol';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

async function handle(ctx: RequestContext, req: SyncGroupRequest, version: number): Promise<SyncGroupResponse> {
  let res: SyncGroupResponse;
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    res = await groupCoordinator(ctx).coordinator.syncGroup(req);
  } catch (e) {
    res = { errorCode: (e as { code?: number }).code ?? -1, assignment: Buffer.alloc(0) };
  }
  return version >= 5
    ? { throttleTimeMs: 0, errorCode: res.errorCode, protocolType: res.protocolType ?? null, protocolName: res.protocolName ?? null, assignment: res.assignment }
    : { throttleTimeMs: 0, errorCode: res.errorCode, assignment: res.assignment };
}

export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle,
};
