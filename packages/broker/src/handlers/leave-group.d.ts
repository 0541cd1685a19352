/**
 * LeaveGroup (13). v0-v5. v0-v2 one member id; v3+ a batch of members by member id or
 * group.instance.id (KIP-345), with an error per member; v5 a reason per member.
 */
import { type LeaveGroupRequest, type LeaveGroupResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponse>;
