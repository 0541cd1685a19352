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

function add(a: MemberAssignment, topic: string, p: number): void {
  let s = a.get(topic);
  if (s === undefined) a.set(topic, (s = new Set()));
  s.add(p);
}

/**
 * A partition as one number, topic index (in sorted topic id order) * 2^31 + partition, so the
 * assignor works on arrays of numbers, not string keys or tuples: a group over 40,000
 * partitions is assigned in milliseconds, not seconds.
 */
const TOPIC_STRIDE = 2 ** 31;

export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(spec) {
    const members = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const result = new Map<string, MemberAssignment>(members.map((m) => [m.memberId, new Map()]));
    if (members.length === 0) return result;
    const topicIds = [...spec.topics.keys()].sort();
    const topicIndex = new Map(topicIds.map((t, i) => [t, i]));
    // Subscriber indexes per topic (members in id order).
    const subscribers: number[][] = topicIds.map(() => []);
    members.forEach((m, mi) => {
      for (const t of m.subscribedTopicIds) {
        const ti = topicIndex.get(t);
        if (ti !== undefined) subscribers[ti]!.push(mi);
      }
    });
    // owner[ti][p]: index of the member holding the partition, -1 while free; null for topics nobody subscribes to.
    const owner = topicIds.map((t, ti) => (subscribers[ti]!.length > 0 ? new Int32Array(spec.topics.get(t)!).fill(-1) : null));
    // Sticky part: what each member already has and may still have.
    const kept: number[][] = members.map((m, mi) => {
      const mine: number[] = [];
      for (const [t, ps] of m.current) {
        const ti = topicIndex.get(t);
        if (ti === undefined || !m.subscribedTopicIds.has(t)) continue;
        const own = owner[ti]!;
        for (const p of [...ps].sort((a, b) => a - b)) {
          if (p < own.length && own[p] === -1) {
            own[p] = mi;
            mine.push(ti * TOPIC_STRIDE + p);
          }
        }
      }
      return mine;
    });
    const first = members[0]!.subscribedTopicIds;
    const homogeneous = members.every((m) => m.subscribedTopicIds.size === first.size && [...first].every((t) => m.subscribedTopicIds.has(t)));
    if (homogeneous) {
      let total = 0;
      for (const own of owner) total += own?.length ?? 0;
      const base = Math.floor(total / members.length);
      let extra = total % members.length;
      // Members holding more get the extra slots first, so fewer partitions move.
      const byHolding = members.map((_, mi) => mi).sort((a, b) => kept[b]!.length - kept[a]!.length);
      const quota = new Array<number>(members.length);
      for (const mi of byHolding) quota[mi] = base + (extra-- > 0 ? 1 : 0);
      kept.forEach((mine, mi) => {
        for (const packed of mine.splice(quota[mi]!)) owner[Math.floor(packed / TOPIC_STRIDE)]![packed % TOPIC_STRIDE] = -1;
      });
      // Free partitions in topic/partition order fill the members in id order.
      let mi = 0;
      owner.forEach((own, ti) => {
        if (own === null) return;
        for (let p = 0; p < own.length; p++) {
          if (own[p] !== -1) continue;
          while (mi < members.length && kept[mi]!.length >= quota[mi]!) mi++;
          if (mi === members.length) return;
          own[p] = mi;
          kept[mi]!.push(ti * TOPIC_STRIDE + p);
        }
      });
    } else {
      // Heterogeneous subscriptions: each free partition to the least-loaded subscriber, then
      // move partitions from members that have two or more above an eligible subscriber.
      const leastLoaded = (ti: number, except: number): number => {
        let best = -1;
        for (const mi of subscribers[ti]!) if (mi !== except && (best < 0 || kept[mi]!.length < kept[best]!.length)) best = mi;
        return best;
      };
      owner.forEach((own, ti) => {
        if (own === null) return;
        for (let p = 0; p < own.length; p++) {
          if (own[p] !== -1) continue;
          const mi = leastLoaded(ti, -1);
          own[p] = mi;
          kept[mi]!.push(ti * TOPIC_STRIDE + p);
        }
      });
      // A pass moves partitions towards balance; the bound keeps a pathological spec short.
      for (let pass = 0; pass <= members.length; pass++) {
        let moved = false;
        kept.forEach((mineA, a) => {
          // The least-loaded other subscriber per topic, looked up again only after a move.
          const target = new Map<number, number>();
          for (let i = mineA.length - 1; i >= 0; i--) {
            const ti = Math.floor(mineA[i]! / TOPIC_STRIDE);
            let b = target.get(ti);
            if (b === undefined) target.set(ti, (b = leastLoaded(ti, a)));
            if (b < 0 || kept[b]!.length + 1 >= mineA.length) continue;
            const packed = mineA.splice(i, 1)[0]!;
            owner[ti]![packed % TOPIC_STRIDE] = b;
            kept[b]!.push(packed);
            target.clear();
            moved = true;
          }
        });
        if (!moved) break;
      }
    }
    members.forEach((m, mi) => {
      const a = result.get(m.memberId)!;
      for (const packed of kept[mi]!) add(a, topicIds[Math.floor(packed / TOPIC_STRIDE)]!, packed % TOPIC_STRIDE);
    });
    return result;
  },
};

export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(spec) {
    const result = new Map<string, MemberAssignment>(spec.members.map((m) => [m.memberId, new Map()]));
    for (const t of [...spec.topics.keys()].sort()) {
      const n = spec.topics.get(t)!;
      const subs = spec.members.filter((m) => m.subscribedTopicIds.has(t)).map((m) => m.memberId).sort();
      if (subs.length === 0) continue;
      const per = Math.floor(n / subs.length);
      const extra = n % subs.length;
      let next = 0;
      subs.forEach((id, i) => {
        const take = per + (i < extra ? 1 : 0);
        for (let k = 0; k < take; k++) add(result.get(id)!, t, next++);
      });
    }
    return result;
  },
};

export const ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([uniformAssignor, rangeAssignor].map((a) => [a.name, a]));
