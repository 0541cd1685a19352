/**
 * DeleteGroups (42). v0-v2. Deletes empty groups and their offsets (tombstones in
 * `__consumer_offsets`); NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND otherwise.
 */
import { type DeleteGroupsRequest, type DeleteGroupsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse>;
