/**
 * ListGroups (16). v0-v5. Every group of the partitions this broker coordinates; v4+ a states
 * filter (and the state in the answer), v5+ a types filter ("classic", "consumer").
 */
import { ApiKey, type ListGroupsRequest, type ListGroupsResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, authorizeCluster, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: ListGroupsRequest, version: number): ListGroupsResponse {
  try {
    const seesAll = authorizeCluster(ctx, AclOperation.DESCRIBE);
    const r = groupCoordinator(ctx).coordinator.listGroups(version >= 4 ? (req.statesFilter ?? []) : [], version >= 5 ? (req.typesFilter ?? []) : []);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      // DESCRIBE on the cluster lists every group; otherwise the groups the principal may describe.
      groups: r.groups.filter((g) => seesAll || authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId, false)).map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        ...(version >= 4 ? { groupState: g.groupState ?? '' } : {}),
        ...(version >= 5 ? { groupType: g.groupType ?? 'classic' } : {}),
      })),
    };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: mapError(e).code, groups: [] };
  }
}

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle,
};
