/**
 * Heartbeat (12). v0-v4. Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin. v3+ group.instance.id (FENCED_INSTANCE_ID for a replaced static member).
 */
import { ApiKey, type HeartbeatRequest, type HeartbeatResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, requireAuthorized, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: HeartbeatRequest): HeartbeatResponse {
  try {
    requireAuthorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    return { throttleTimeMs: 0, errorCode: groupCoordinator(ctx).coordinator.heartbeat(req) };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: mapError(e).code };
  }
}

export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
