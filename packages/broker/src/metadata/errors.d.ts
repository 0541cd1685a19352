/**
 * Errors of topic operations, named after the Kafka error they become (the mapping to codes is
 * in server/error-mapping.ts).
 */
export type TopicErrorName = 'TOPIC_ALREADY_EXISTS' | 'INVALID_TOPIC_EXCEPTION' | 'INVALID_PARTITIONS' | 'INVALID_REPLICATION_FACTOR' | 'INVALID_REPLICA_ASSIGNMENT' | 'INVALID_CONFIG' | 'UNKNOWN_TOPIC_OR_PARTITION' | 'UNKNOWN_TOPIC_ID' | 'TOPIC_DELETION_DISABLED' | 'POLICY_VIOLATION' | 'INVALID_REQUEST';
export declare class TopicOperationError extends Error {
    readonly errorName: TopicErrorName;
    readonly name = "TopicOperationError";
    constructor(errorName: TopicErrorName, message: string);
}
