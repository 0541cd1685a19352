/**
 * Which `__consumer_offsets` partition holds a group: `Utils.abs(groupId.hashCode()) % n`,
 * exactly as Kafka computes it, so a group lands on the same partition as on a Kafka broker
 * and tools that read the internal topic find it where they expect.
 */
/** Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s) {
    let h = 0;
    for (let i = 0; i < s.length; i++)
        h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    return h;
}
/** Kafka's Utils.abs: the absolute value, except Integer.MIN_VALUE maps to 0 (not itself). */
export function kafkaAbs(n) {
    return n === -2147483648 ? 0 : Math.abs(n);
}
export function partitionForGroup(groupId, numPartitions) {
    return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
//# sourceMappingURL=partitioner.js.map