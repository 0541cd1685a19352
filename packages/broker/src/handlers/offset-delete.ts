/**
 * OffsetDelete (47). v0. Deletes committed offsets of a group for topics it no longer consumes
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for non-consumer groups with members.
 */
import { ApiKey, type OffsetDeleteRequest, type OffsetDeleteResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';

function handle(ctx: RequestContext, req: OffsetDeleteRequest): OffsetDeleteResponse {
  try {
    return groupCoordinator(ctx).coordinator.deleteOffsets(req);
  } catch (e) {
    return { errorCode: mapError(e).code, throttleTimeMs: 0, topics: [] };
  }
}

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle,
};
