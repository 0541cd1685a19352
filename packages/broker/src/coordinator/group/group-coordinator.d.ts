/**
 * The group coordinator as the broker's handlers use it (Kafka's GroupCoordinatorService): routes
 * each group to its `__consumer_offsets` partition, runs the operation on that shard through the
 * coordinator runtime, and turns NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / write failures
 * into each API's error shape.
 */
import { type DeleteGroupsResponse, type DescribeGroupsResponse, type HeartbeatRequest, type JoinGroupRequest, type JoinGroupResponse, type ConsumerGroupDescribeResponse, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse, type LeaveGroupRequest, type LeaveGroupResponse, type ListGroupsResponse, type OffsetCommitRequest, type OffsetCommitResponse, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse, type OffsetDeleteRequest, type OffsetDeleteResponse, type SyncGroupRequest, type SyncGroupResponse } from '@samsa/protocol';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { CoordinatorRuntime, type CoordinatorPartitionWriter } from '../runtime.js';
import type { TopicView } from './consumer-group-manager.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { GroupCoordinatorShard } from './group-coordinator-shard.js';
import { type RequestInfo } from './group-metadata-manager.js';
import type { FetchedOffset } from './offset-metadata-manager.js';
export interface GroupCoordinatorOptions {
    clock: Clock;
    config: GroupCoordinatorConfig;
    writer: CoordinatorPartitionWriter;
    log?: Logger;
    /** Topic names, ids and partition counts (KIP-848 assignments); none by default. */
    topics?: () => TopicView;
}
export interface FetchOffsetsResult {
    errorCode: number;
    topics: Array<{
        name: string;
        partitions: FetchedOffset[];
    }>;
}
export declare class GroupCoordinator {
    readonly runtime: CoordinatorRuntime<GroupCoordinatorShard>;
    readonly config: GroupCoordinatorConfig;
    private readonly clock;
    constructor(opts: GroupCoordinatorOptions);
    /** Partitions of `__consumer_offsets`: the config, or the existing topic's count once known. */
    numPartitions: number;
    partitionFor(groupId: string): number;
    /** Becomes coordinator of a partition (replays it). */
    loadPartition(partition: number, epoch?: number): Promise<void>;
    unloadPartition(partition: number): void;
    close(): void;
    /** NONE when this broker serves the group now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
    groupStatus(groupId: string): number;
    joinGroup(info: RequestInfo, req: JoinGroupRequest): Promise<JoinGroupResponse>;
    syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse>;
    heartbeat(req: HeartbeatRequest): number;
    leaveGroup(req: LeaveGroupRequest, version: number): LeaveGroupResponse;
    commitOffsets(req: OffsetCommitRequest, version: number): OffsetCommitResponse;
    /**
     * Transactional offsets per `__consumer_offsets` partition and producer id, waiting for the
     * transaction's marker: written as ordinary offset commits on COMMIT, dropped on ABORT (Kafka
     * keeps them in the log as a transactional batch; here they are held in memory until the
     * marker, so a coordinator restart before the marker loses them and the transaction commits
     * without its offsets).
     */
    private readonly pendingTxnOffsets;
    /** TxnOffsetCommit: offsets that become visible when the producer's transaction commits. */
    txnCommitOffsets(req: TxnOffsetCommitRequest): TxnOffsetCommitResponse['topics'];
    /** A transaction marker reached a `__consumer_offsets` partition: its pending offsets commit or vanish. */
    completeTransaction(partition: number, producerId: bigint, commit: boolean): void;
    /** Whether a group has transactional offsets waiting for a marker (OffsetFetch requireStable). */
    private hasPendingTxnOffsets;
    /**
     * Committed offsets of a group (null topics = all). With requireStable, a group with
     * transactional offsets still pending answers UNSTABLE_OFFSET_COMMIT (retriable), as Kafka.
     */
    fetchOffsets(groupId: string, topics: ReadonlyArray<{
        name: string;
        partitionIndexes: readonly number[];
    }> | null, requireStable?: boolean): FetchOffsetsResult;
    deleteOffsets(req: OffsetDeleteRequest): OffsetDeleteResponse;
    deleteGroups(groupIds: readonly string[]): DeleteGroupsResponse['results'];
    describeGroups(groupIds: readonly string[]): DescribeGroupsResponse['groups'];
    /** Groups of every loaded partition; COORDINATOR_LOAD_IN_PROGRESS while any partition loads (as Kafka). */
    listGroups(statesFilter?: readonly string[], typesFilter?: readonly string[]): {
        errorCode: number;
        groups: ListGroupsResponse['groups'];
    };
    /** KIP-848 heartbeat: join, reconcile, leave. */
    consumerGroupHeartbeat(info: RequestInfo, req: ConsumerGroupHeartbeatRequest): ConsumerGroupHeartbeatResponse;
    consumerGroupDescribe(groupIds: readonly string[]): ConsumerGroupDescribeResponse['groups'];
    /** Deletes the committed offsets of deleted topics in every loaded partition. */
    onTopicsDeleted(topics: readonly string[]): void;
    /** Runs the offset/group expiry of every loaded partition now (tests, admin). */
    expireNow(): void;
}
