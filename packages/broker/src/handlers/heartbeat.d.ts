/**
 * Heartbeat (12). v0-v4. Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin. v3+ group.instance.id (FENCED_INSTANCE_ID for a replaced static member).
 */
import { type HeartbeatRequest, type HeartbeatResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponse>;
