/**
 * A classic (JoinGroup/SyncGroup) group and its members, after Kafka's ClassicGroup and
 * ClassicGroupMember. The state machine:
 *
 *   Empty -> PreparingRebalance            a member joins
 *   PreparingRebalance -> CompletingRebalance   the join phase completes with members
 *   PreparingRebalance -> Empty             the join phase completes with no members left
 *   CompletingRebalance -> Stable           the leader's assignment is written
 *   CompletingRebalance/Stable -> PreparingRebalance   join, leave, expiry, missing sync
 *   Empty/PreparingRebalance/CompletingRebalance/Stable -> Dead   group deleted or offsets expired
 *
 * Responses to JoinGroup and SyncGroup wait here (the awaiting futures) until the phase ends.
 */
import { type JoinGroupResponse, type SyncGroupResponse } from '@samsa/protocol';
export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';
export declare const UNKNOWN_MEMBER_ID = "";
export declare const CONSUMER_PROTOCOL_TYPE = "consumer";
export interface Protocol {
    name: string;
    metadata: Buffer;
}
type Waiter<T> = (response: T) => void;
export declare class ClassicGroupMember {
    memberId: string;
    readonly groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    readonly protocolType: string;
    protocols: Protocol[];
    assignment: Buffer;
    awaitingJoin: Waiter<JoinGroupResponse> | null;
    awaitingSync: Waiter<SyncGroupResponse> | null;
    /** Joined for the first time in the current rebalance (may be expired while awaiting join). */
    isNew: boolean;
    constructor(memberId: string, groupInstanceId: string | null, clientId: string, clientHost: string, rebalanceTimeoutMs: number, sessionTimeoutMs: number, protocolType: string, protocols: Protocol[]);
    get isStatic(): boolean;
    get isAwaitingJoin(): boolean;
    get isAwaitingSync(): boolean;
    /** Kafka's hasSatisfiedHeartbeat: members waiting in a rebalance count as alive, except new ones. */
    hasSatisfiedHeartbeat(): boolean;
    metadata(protocolName: string): Buffer | undefined;
    /** Same protocols, same order, same metadata bytes. */
    matches(protocols: readonly Protocol[]): boolean;
    /** The first of this member's protocols (in its preference order) among the candidates. */
    vote(candidates: ReadonlySet<string>): string;
}
export declare class ClassicGroup {
    readonly groupId: string;
    state: ClassicGroupState;
    previousState: ClassicGroupState;
    /** When the state last changed (ms); GroupMetadataValue.currentStateTimestamp. */
    currentStateTimestamp: number | null;
    generationId: number;
    protocolType: string | null;
    protocolName: string | null;
    leaderId: string | null;
    readonly members: Map<string, ClassicGroupMember>;
    readonly staticMembers: Map<string, string>;
    /** Members given an id by MEMBER_ID_REQUIRED that have not joined with it yet. */
    readonly pendingMembers: Set<string>;
    /** Members that got the join response of this generation but have not sent SyncGroup. */
    readonly pendingSyncMembers: Set<string>;
    /** For the initial rebalance delay: a member joined since the last delay started. */
    newMemberAdded: boolean;
    /** Topics the members subscribe to (consumer protocol), null when unknown. */
    subscribedTopics: Set<string> | null;
    private numMembersAwaitingJoin;
    constructor(groupId: string, nowMs: number | null);
    is(state: ClassicGroupState): boolean;
    transitionTo(state: ClassicGroupState, nowMs: number): void;
    get size(): number;
    get numAwaitingJoin(): number;
    isLeader(memberId: string): boolean;
    hasMember(memberId: string): boolean;
    member(memberId: string): ClassicGroupMember;
    staticMemberId(groupInstanceId: string): string | undefined;
    add(member: ClassicGroupMember, awaitingJoin?: Waiter<JoinGroupResponse> | null): void;
    /** Removes a member (or pending member); elects another leader if it led. */
    remove(memberId: string): void;
    /** Changes a member's protocols and timeouts and (re)parks its JoinGroup. */
    updateMember(member: ClassicGroupMember, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, awaitingJoin: Waiter<JoinGroupResponse> | null): void;
    /** Static member rejoining with a new member id: the old id is fenced (its waiters get FENCED_INSTANCE_ID). */
    replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember;
    hasAllMembersJoined(): boolean;
    notYetRejoinedMembers(): ClassicGroupMember[];
    /** The largest rebalance timeout of the members: how long the join phase may take. */
    get rebalanceTimeoutMs(): number;
    canRebalance(): boolean;
    /** If the leader has not rejoined, the first member that did becomes leader. False when none did. */
    maybeElectNewJoinedLeader(): boolean;
    /** Protocols every member supports, by name. */
    candidateProtocols(): Set<string>;
    /** Whether a joining member's protocols are compatible with the group's. */
    supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean;
    /** Kafka's selectProtocol: each member votes for its most preferred candidate; most votes wins. */
    selectProtocol(): string;
    initNextGeneration(nowMs: number): void;
    /** Validates a member's identity (Kafka's validateMember): UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID. */
    validateMember(memberId: string, groupInstanceId: string | null | undefined): void;
    /** Members as the leader sees them in the JoinGroup response. */
    currentMembersForLeader(): JoinGroupResponse['members'];
    groupAssignment(): Map<string, Buffer>;
    completeJoin(member: ClassicGroupMember, response: JoinGroupResponse): boolean;
    completeSync(member: ClassicGroupMember, response: SyncGroupResponse): boolean;
    /**
     * The consumer-protocol topics subscribed by the members (Kafka's computeSubscribedTopics),
     * decoded from ConsumerProtocolSubscription; null when the group does not use that protocol
     * or a subscription cannot be read.
     */
    refreshSubscribedTopics(): void;
    /** Whether offsets of `topic` are in use by the group's members (OffsetDelete, expiry). */
    isSubscribedTo(topic: string): boolean;
}
/** Topics of an embedded ConsumerProtocolSubscription, null when it cannot be decoded. */
export declare function decodeSubscription(metadata: Buffer): string[] | null;
export declare function joinError(errorCode: number, memberId?: string): JoinGroupResponse;
export declare function syncError(errorCode: number): SyncGroupResponse;
export {};
