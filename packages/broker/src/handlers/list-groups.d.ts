/**
 * ListGroups (16). v0-v5. Every group of the partitions this broker coordinates; v4+ a states
 * filter (and the state in the answer), v5+ a types filter ("classic", "consumer").
 */
import { type ListGroupsRequest, type ListGroupsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse>;
