import { type ConsumerGroupDescribeResponse, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '@samsa/protocol';
import { type ConsumerGroupRecord, type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, ShardContext } from '../runtime.js';
import { type MemberAssignment } from './assignors.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { RequestInfo } from './group-metadata-manager.js';
/** Kafka's MemberState values (ConsumerGroupCurrentMemberAssignmentValue.state). */
export declare const MemberState: {
    readonly STABLE: 0;
    readonly UNREVOKED_PARTITIONS: 1;
    readonly UNRELEASED_PARTITIONS: 2;
};
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';
/** Topic lookups the assignors need (the broker's metadata image). */
export interface TopicView {
    byName(name: string): {
        id: string;
        numPartitions: number;
    } | undefined;
    nameOf(id: string): string | undefined;
}
export declare const EMPTY_TOPIC_VIEW: TopicView;
export declare class ConsumerGroupMember {
    readonly memberId: string;
    memberEpoch: number;
    previousMemberEpoch: number;
    state: number;
    assigned: MemberAssignment;
    pendingRevocation: MemberAssignment;
    instanceId: string | null;
    rackId: string | null;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    rebalanceTimeoutMs: number;
    serverAssignor: string | null;
    constructor(memberId: string);
}
export declare class ConsumerGroup {
    readonly groupId: string;
    groupEpoch: number;
    assignmentEpoch: number;
    readonly members: Map<string, ConsumerGroupMember>;
    readonly targetAssignment: Map<string, MemberAssignment>;
    /** Subscribed topics as last resolved: name -> id and partition count. */
    subscriptionMetadata: Map<string, {
        id: string;
        numPartitions: number;
    }>;
    dead: boolean;
    constructor(groupId: string);
    get state(): ConsumerGroupState;
    staticMember(instanceId: string): ConsumerGroupMember | undefined;
    /** Topic names any member subscribes to. */
    subscribedTopics(): Set<string>;
    /** Whether another member than `except` holds (or still revokes) a partition. */
    isOwnedByOther(topicId: string, partition: number, except: string): boolean;
}
export declare class ConsumerGroupManager {
    private readonly ctx;
    private readonly config;
    private readonly topics;
    /** Whether a classic group of this id exists with members (then the id is taken). */
    private readonly classicGroupInUse;
    /** Drops an empty classic group of this id (the consumer group takes the id over); returns its tombstone, if any. */
    private readonly takeOverClassicGroup;
    readonly groups: Map<string, ConsumerGroup>;
    constructor(ctx: ShardContext, config: GroupCoordinatorConfig, topics: () => TopicView, 
    /** Whether a classic group of this id exists with members (then the id is taken). */
    classicGroupInUse: (groupId: string) => boolean, 
    /** Drops an empty classic group of this id (the consumer group takes the id over); returns its tombstone, if any. */
    takeOverClassicGroup: (groupId: string) => CoordinatorRecord[]);
    heartbeat(info: RequestInfo, req: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatResponse>;
    private validate;
    private joinOrHeartbeat;
    private leave;
    /** Removes a member and bumps the group epoch (the others get a new assignment on their next heartbeat). */
    private fenceMember;
    private removeMember;
    private resolveSubscriptions;
    private computeTargetAssignment;
    /** The assignor most members ask for (ties: the configured order), else the default. */
    private preferredAssignor;
    /** Kafka's CurrentAssignmentBuilder: one step of a member towards its target assignment. */
    private reconcile;
    private scheduleSessionTimeout;
    private expireSession;
    private expireRevocation;
    private memberMetadataRecord;
    private currentAssignmentRecord;
    /** Tombstones for every record of a group (DeleteGroups, expiry). */
    tombstones(group: ConsumerGroup): CoordinatorRecord[];
    replay(r: ConsumerGroupRecord): void;
    /** After loading: loaded members must heartbeat within the session timeout. */
    onLoaded(): void;
    /** ListGroups entries of the consumer groups. */
    list(statesFilter: readonly string[], typesFilter: readonly string[]): Array<{
        groupId: string;
        protocolType: string;
        groupState: string;
        groupType: string;
    }>;
    describe(groupId: string): ConsumerGroupDescribeResponse['groups'][number];
    /** Offset commits of a consumer group: the member and its epoch must match (STALE_MEMBER_EPOCH otherwise). */
    validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, version: number): number;
}
