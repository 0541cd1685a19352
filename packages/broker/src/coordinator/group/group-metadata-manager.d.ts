import { type DescribeGroupsResponse, type GroupMetadataValue, type HeartbeatRequest, type JoinGroupRequest, type JoinGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse, type ListGroupsResponse, type SyncGroupRequest, type SyncGroupResponse } from '@samsa/protocol';
import { type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, ShardContext } from '../runtime.js';
import { ClassicGroup, type ClassicGroupState } from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-config.js';
export interface RequestInfo {
    clientId: string;
    clientHost: string;
    apiVersion: number;
}
type VoidResult = CoordinatorResult<void>;
/** Kafka's appendGroupMetadataErrorToResponseError: what a member sees when persisting failed. */
export declare function appendErrorToResponseError(code: number): number;
export declare class GroupMetadataManager {
    private readonly ctx;
    private readonly config;
    /** Maps a thrown append error to a Kafka code (the broker's mapError). */
    private readonly errorCode;
    readonly groups: Map<string, ClassicGroup>;
    /** Set by the shard: whether a KIP-848 consumer group has this id. */
    isConsumerGroup: (groupId: string) => boolean;
    constructor(ctx: ShardContext, config: GroupCoordinatorConfig, 
    /** Maps a thrown append error to a Kafka code (the broker's mapError). */
    errorCode: (e: unknown) => number);
    private get now();
    join(info: RequestInfo, req: JoinGroupRequest): CoordinatorResult<Promise<JoinGroupResponse>>;
    private joinInner;
    private acceptJoiningMember;
    private joinNewMember;
    private joinExistingMember;
    private generationResponse;
    private addMemberThenRebalanceOrCompleteJoin;
    private updateMemberThenRebalanceOrCompleteJoin;
    private updateStaticMemberThenRebalanceOrCompleteJoin;
    private maybePrepareRebalanceOrCompleteJoin;
    private maybeCompleteJoinPhase;
    /** Starts a rebalance (Kafka's prepareRebalance). Package-visible for tests. */
    prepareRebalance(group: ClassicGroup): VoidResult;
    private maybeCompleteJoinElseSchedule;
    private tryCompleteInitialRebalanceElseSchedule;
    /** Ends the join phase: drops dynamic members that did not rejoin, starts the next generation. */
    private completeJoin;
    private expirePendingSync;
    private removeSyncExpiration;
    private resetAndPropagateAssignmentWithError;
    private propagateAssignment;
    sync(req: SyncGroupRequest): CoordinatorResult<Promise<SyncGroupResponse>>;
    private syncInner;
    private validateSync;
    private removePendingSyncMember;
    heartbeat(req: HeartbeatRequest): number;
    leave(req: LeaveGroupRequest, version: number): CoordinatorResult<LeaveGroupResponse>;
    private rescheduleHeartbeat;
    private expireHeartbeat;
    private removeMemberAndUpdateGroup;
    private isCurrent;
    /** After loading: every loaded member must heartbeat within its session timeout. */
    onLoaded(): void;
    /** The shard is unloaded (shutdown, resignation): parked requests go look for the coordinator again. */
    onUnloaded(): void;
    /** Drops a group (deleted, or all its offsets expired): parked requests are told to find the coordinator again. */
    removeGroup(groupId: string): void;
    groupRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): CoordinatorRecord;
    /** Rebuilds a group from its GroupMetadataValue (load), or deletes it (tombstone). */
    replayGroup(groupId: string, value: GroupMetadataValue | null): void;
    /** A group for offsets committed without group management (Kafka's "simple" group). */
    getOrCreateSimpleGroup(groupId: string): ClassicGroup;
    describe(groupId: string): DescribeGroupsResponse['groups'][number];
    list(statesFilter: readonly string[], typesFilter: readonly string[]): ListGroupsResponse['groups'];
}
export declare function heartbeatKey(groupId: string, memberId: string): string;
export type { ClassicGroupState };
