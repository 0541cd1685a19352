/**
 * Server-side assignors for KIP-848 consumer groups (group.consumer.assignors): "uniform"
 * (balanced and sticky: members keep what they have up to their fair share) and "range"
 * (per topic, contiguous ranges over the members sorted by id), as Kafka's UniformAssignor and
 * RangeAssignor do. Both are pure and deterministic.
 */
const key = (t, p) => `${t}:${p}`;
function add(a, topic, p) {
    let s = a.get(topic);
    if (s === undefined)
        a.set(topic, (s = new Set()));
    s.add(p);
}
function sortedTopicPartitions(topics, wanted) {
    const out = [];
    for (const t of [...topics.keys()].sort())
        if (wanted(t))
            for (let p = 0; p < topics.get(t); p++)
                out.push([t, p]);
    return out;
}
export const uniformAssignor = {
    name: 'uniform',
    assign(spec) {
        const members = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
        const result = new Map(members.map((m) => [m.memberId, new Map()]));
        if (members.length === 0)
            return result;
        const subscribed = (t) => members.some((m) => m.subscribedTopicIds.has(t));
        const all = sortedTopicPartitions(spec.topics, subscribed);
        const taken = new Set();
        const first = members[0].subscribedTopicIds;
        const homogeneous = members.every((m) => m.subscribedTopicIds.size === first.size && [...first].every((t) => m.subscribedTopicIds.has(t)));
        // Sticky part: what each member already has and may still have.
        const kept = new Map();
        for (const m of members) {
            const mine = [];
            for (const [t, ps] of m.current) {
                const n = spec.topics.get(t);
                if (n === undefined || !m.subscribedTopicIds.has(t))
                    continue;
                for (const p of [...ps].sort((a, b) => a - b))
                    if (p < n && !taken.has(key(t, p))) {
                        mine.push([t, p]);
                        taken.add(key(t, p));
                    }
            }
            kept.set(m.memberId, mine);
        }
        if (homogeneous) {
            const base = Math.floor(all.length / members.length);
            let extra = all.length % members.length;
            // Members holding more get the extra slots first, so fewer partitions move.
            const byHolding = [...members].sort((a, b) => kept.get(b.memberId).length - kept.get(a.memberId).length);
            const quota = new Map();
            for (const m of byHolding)
                quota.set(m.memberId, base + (extra-- > 0 ? 1 : 0));
            for (const m of members) {
                const mine = kept.get(m.memberId);
                const q = quota.get(m.memberId);
                for (const [t, p] of mine.splice(q))
                    taken.delete(key(t, p));
            }
            const free = all.filter(([t, p]) => !taken.has(key(t, p)));
            for (const m of members) {
                const mine = kept.get(m.memberId);
                while (mine.length < quota.get(m.memberId) && free.length > 0)
                    mine.push(free.shift());
            }
        }
        else {
            // Heterogeneous subscriptions: each free partition to the least-loaded subscriber, then
            // move partitions from members that have two or more above an eligible one.
            for (const [t, p] of all) {
                if (taken.has(key(t, p)))
                    continue;
                let best;
                for (const m of members)
                    if (m.subscribedTopicIds.has(t) && (best === undefined || kept.get(m.memberId).length < kept.get(best.memberId).length))
                        best = m;
                if (best === undefined)
                    continue;
                kept.get(best.memberId).push([t, p]);
                taken.add(key(t, p));
            }
            for (let round = 0; round < all.length; round++) {
                let moved = false;
                for (const a of members) {
                    const mineA = kept.get(a.memberId);
                    for (let i = mineA.length - 1; i >= 0; i--) {
                        const [t] = mineA[i];
                        const b = members.find((x) => x !== a && x.subscribedTopicIds.has(t) && kept.get(x.memberId).length + 1 < mineA.length);
                        if (b === undefined)
                            continue;
                        kept.get(b.memberId).push(mineA.splice(i, 1)[0]);
                        moved = true;
                    }
                }
                if (!moved)
                    break;
            }
        }
        for (const m of members)
            for (const [t, p] of kept.get(m.memberId))
                add(result.get(m.memberId), t, p);
        return result;
    },
};
export const rangeAssignor = {
    name: 'range',
    assign(spec) {
        const result = new Map(spec.members.map((m) => [m.memberId, new Map()]));
        for (const t of [...spec.topics.keys()].sort()) {
            const n = spec.topics.get(t);
            const subs = spec.members.filter((m) => m.subscribedTopicIds.has(t)).map((m) => m.memberId).sort();
            if (subs.length === 0)
                continue;
            const per = Math.floor(n / subs.length);
            const extra = n % subs.length;
            let next = 0;
            subs.forEach((id, i) => {
                const take = per + (i < extra ? 1 : 0);
                for (let k = 0; k < take; k++)
                    add(result.get(id), t, next++);
            });
        }
        return result;
    },
};
export const ASSIGNORS = new Map([uniformAssignor, rangeAssignor].map((a) => [a.name, a]));
//# sourceMappingURL=assignors.js.map