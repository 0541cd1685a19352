/**
 * Committed offsets (Kafka's OffsetMetadataManager): OffsetCommit validation against the group's
 * generation, OffsetFetch, OffsetDelete, the offsets part of DeleteGroups, and expiry after
 * offsets.retention.minutes. The map of offsets changes only by replaying OffsetCommit records
 * (after they are written), so the log and the memory agree by construction.
 */
import { type OffsetCommitRequest, type OffsetCommitResponse, type OffsetCommitValue } from '@samsa/protocol';
import { type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, ShardContext } from '../runtime.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { ConsumerGroupManager } from './consumer-group-manager.js';
import type { GroupMetadataManager } from './group-metadata-manager.js';
export interface OffsetAndMetadata {
    offset: bigint;
    leaderEpoch: number;
    metadata: string;
    commitTimestampMs: number;
    /** Only from OffsetCommit v2-v4 with a retention time; -1 otherwise. */
    expireTimestampMs: number;
}
export interface FetchedOffset {
    partitionIndex: number;
    committedOffset: bigint;
    committedLeaderEpoch: number;
    metadata: string;
    errorCode: number;
}
type Offsets = Map<string, Map<number, OffsetAndMetadata>>;
export declare class OffsetMetadataManager {
    private readonly ctx;
    private readonly config;
    private readonly groups;
    private readonly consumerGroups;
    /** group -> topic -> partition -> offset */
    readonly offsets: Map<string, Offsets>;
    constructor(ctx: ShardContext, config: GroupCoordinatorConfig, groups: GroupMetadataManager, consumerGroups: ConsumerGroupManager);
    commit(req: OffsetCommitRequest, version: number): CoordinatorResult<OffsetCommitResponse>;
    /** Offsets of a group: for the listed topics/partitions, or all of them when topics is null. */
    fetch(groupId: string, topics: ReadonlyArray<{
        name: string;
        partitionIndexes: readonly number[];
    }> | null): Array<{
        name: string;
        partitions: FetchedOffset[];
    }>;
    hasOffsets(groupId: string): boolean;
    /** OffsetDelete: tombstones for the partitions the group does not consume from. */
    deleteOffsets(groupId: string, topics: ReadonlyArray<{
        name: string;
        partitions: ReadonlyArray<{
            partitionIndex: number;
        }>;
    }>): CoordinatorResult<{
        errorCode: number;
        topics: Array<{
            name: string;
            partitions: Array<{
                partitionIndex: number;
                errorCode: number;
            }>;
        }>;
    }>;
    /** Tombstones for every offset of a group (DeleteGroups). */
    tombstones(groupId: string): CoordinatorRecord[];
    /** Tombstones for every offset, of any group, of deleted topics (Kafka's onPartitionsDeleted). */
    tombstonesForTopics(topics: ReadonlySet<string>): CoordinatorRecord[];
    /**
     * Expired offsets (Kafka's cleanupGroupMetadata): those of empty groups, counted from when the
     * group became empty (or from the commit, for groups that never had members); of consumer
     * groups, those of topics no member subscribes to any more; any with an expired explicit
     * expire timestamp. A group left empty with no offsets is deleted (tombstone).
     */
    expire(): CoordinatorRecord[];
    replayOffset(groupId: string, topic: string, partition: number, value: OffsetCommitValue | null): void;
    removeGroupOffsets(groupId: string): void;
}
export {};
