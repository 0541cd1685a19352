/**
 * Server-side assignors for KIP-848 consumer groups (group.consumer.assignors): "uniform"
 * (balanced and sticky: members keep what they have up to their fair share) and "range"
 * (per topic, contiguous ranges over the members sorted by id), as Kafka's UniformAssignor and
 * RangeAssignor do. Both are pure and deterministic.
 */
/** topic id -> partitions */
export type MemberAssignment = Map<string, Set<number>>;
export interface AssignmentMemberSpec {
    memberId: string;
    /** Topic ids the member subscribes to (that exist). */
    subscribedTopicIds: ReadonlySet<string>;
    /** The member's current target assignment (stickiness). */
    current: MemberAssignment;
}
export interface AssignmentSpec {
    members: readonly AssignmentMemberSpec[];
    /** topic id -> number of partitions */
    topics: ReadonlyMap<string, number>;
}
export interface ServerAssignor {
    readonly name: string;
    assign(spec: AssignmentSpec): Map<string, MemberAssignment>;
}
export declare const uniformAssignor: ServerAssignor;
export declare const rangeAssignor: ServerAssignor;
export declare const ASSIGNORS: ReadonlyMap<string, ServerAssignor>;
