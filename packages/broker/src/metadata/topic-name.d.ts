/** Kafka's topic name rules (org.apache.kafka.common.internals.Topic). */
export declare const MAX_TOPIC_NAME_LENGTH = 249;
export declare const GROUP_METADATA_TOPIC = "__consumer_offsets";
export declare const TRANSACTION_STATE_TOPIC = "__transaction_state";
export declare function isInternalTopic(name: string): boolean;
/** Returns why a topic name is invalid (Kafka's wording), or null when it is legal. */
export declare function topicNameError(name: string): string | null;
/** Kafka warns when names collide once '.' and '_' are treated alike (metric names). */
export declare function unifyCollisionChars(name: string): string;
