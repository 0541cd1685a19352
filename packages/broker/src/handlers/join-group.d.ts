/**
 * JoinGroup (11). v0-v9. The response is parked until the group's join phase ends. v4+: a first
 * join without member id gets MEMBER_ID_REQUIRED and the id to use (KIP-394); v5+ static members
 * (group.instance.id); v7+ protocolType in the response and nullable protocolName; v9
 * skipAssignment for a static leader rejoining a stable group.
 */
import { type JoinGroupRequest, type JoinGroupResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponse>;
