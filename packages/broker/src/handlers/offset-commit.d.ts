/**
 * OffsetCommit (8). v0-v9. Group commits carry the generation and member id (v1+) and are
 * checked against the group; generation -1 commits into a group without members. v2-v4 carry a
 * retention time (an explicit expire timestamp, OffsetCommitValue v1); v6+ the leader epoch;
 * v7+ group.instance.id; v9 returns GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for a
 * missing group. Every accepted offset is an OffsetCommit record in `__consumer_offsets`;
 * partitions that do not exist are answered UNKNOWN_TOPIC_OR_PARTITION and not committed.
 */
import { type OffsetCommitRequest, type OffsetCommitResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse>;
