/**
 * Kafka's check before OffsetCommit and OffsetDelete reach the group coordinator: partitions of
 * topics that do not exist, or beyond a topic's partition count, are answered
 * UNKNOWN_TOPIC_OR_PARTITION and never written; the rest go on. Results are merged per topic.
 */
import { ErrorCode } from '@samsa/protocol';
/** Splits a request's topics into those whose partitions exist and the errors for the others. */
export function splitUnknownPartitions(topics, image) {
    const known = [];
    const unknown = new Map();
    for (const t of topics) {
        const count = image.topicsByName.get(t.name)?.partitions.length ?? 0;
        const valid = t.partitions.filter((p) => p.partitionIndex >= 0 && p.partitionIndex < count);
        if (valid.length < t.partitions.length) {
            const errors = unknown.get(t.name) ?? [];
            for (const p of t.partitions)
                if (!(p.partitionIndex >= 0 && p.partitionIndex < count))
                    errors.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            unknown.set(t.name, errors);
        }
        if (valid.length > 0)
            known.push({ ...t, partitions: valid });
    }
    return { known, unknown };
}
/** The coordinator's per-topic results with the unknown partitions' errors added (one entry per topic). */
export function withUnknownPartitions(results, unknown, make) {
    const out = [...results];
    for (const [name, errors] of unknown) {
        const existing = out.find((r) => r.name === name);
        if (existing !== undefined)
            existing.partitions.push(...errors);
        else
            out.push(make(name, errors));
    }
    return out;
}
//# sourceMappingURL=known-partitions.js.map