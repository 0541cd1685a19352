/**
 * Which `__consumer_offsets` partition holds a group: `Utils.abs(groupId.hashCode()) % n`,
 * exactly as Kafka computes it, so a group lands on the same partition as on a Kafka broker
 * and tools that read the internal topic find it where they expect.
 */
/** Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, in int32 arithmetic. */
export declare function javaStringHashCode(s: string): number;
/** Kafka's Utils.abs: the absolute value, except Integer.MIN_VALUE maps to 0 (not itself). */
export declare function kafkaAbs(n: number): number;
export declare function partitionForGroup(groupId: string, numPartitions: number): number;
