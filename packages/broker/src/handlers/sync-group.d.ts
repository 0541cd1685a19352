/**
 * SyncGroup (14). v0-v5. Followers wait for the leader's assignment; the leader's is written to
 * `__consumer_offsets` before anyone gets an answer. v3+ group.instance.id; v5 protocol type and
 * name, checked against the group's (INCONSISTENT_GROUP_PROTOCOL) and echoed back.
 */
import { type SyncGroupRequest, type SyncGroupResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponse>;
