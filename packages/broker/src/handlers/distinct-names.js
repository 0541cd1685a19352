/**
 * CreateTopics and CreatePartitions treat a topic named twice in one request alike: every copy
 * is refused with one INVALID_REQUEST result, and the other topics are handled in request order.
 */
/**
 * One result per distinct name, in request order: `duplicate` for a name given more than once,
 * else `each`. Sequential, so a later topic sees what the earlier ones changed.
 */
export async function perDistinctName(items, duplicate, each) {
    const counts = new Map();
    for (const t of items)
        counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = [];
    const seen = new Set();
    for (const t of items) {
        if (seen.has(t.name))
            continue;
        seen.add(t.name);
        results.push(counts.get(t.name) > 1 ? duplicate(t.name) : await each(t));
    }
    return results;
}
//# sourceMappingURL=distinct-names.js.map