/**
 * Kafka's client-side partition assignors, run by the group leader: range, roundrobin and
 * cooperative-sticky (names as on the wire, so mixed Java/Samsa groups agree).
 */

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
  /** Partitions the member owns now (cooperative protocol), topic -> partitions. */
  ownedPartitions: Array<{ topic: string; partitions: number[] }>;
  generationId: number;
}

/** memberId -> topic -> partitions */
export type Assignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  readonly name: string;
  /** Supports the cooperative (incremental) rebalance protocol. */
  readonly cooperative: boolean;
  assign(members: MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment;
}

function emptyAssignment(members: MemberSubscription[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function add(a: Assignment, member: string, topic: string, partition: number): void {
  const byTopic = a.get(member)!;
  let l = byTopic.get(topic);
  if (l === undefined) byTopic.set(topic, (l = []));
  l.push(partition);
}

/** Java's MemberInfo order: static members by instance id first, then by member id. */
function memberOrder(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return a.groupInstanceId < b.groupInstanceId ? -1 : a.groupInstanceId > b.groupInstanceId ? 1 : 0;
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

/** Every partition of the topics any member subscribes to, in (topic, partition) order. */
function subscribedPartitions(members: MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Array<[string, number]> {
  const all: Array<[string, number]> = [];
  for (const t of [...new Set(members.flatMap((m) => m.topics))].sort()) {
    const n = partitionsPerTopic.get(t);
    if (n !== undefined) for (let p = 0; p < n; p++) all.push([t, p]);
  }
  return all;
}

/** RangeAssignor: per topic, consecutive ranges; the first P % C members get one extra. */
export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const n = partitionsPerTopic.get(topic);
      if (n === undefined) continue;
      const consumers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
      const per = Math.floor(n / consumers.length);
      const extra = n % consumers.length;
      consumers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const len = per + (i + 1 > extra ? 0 : 1);
        for (let p = start; p < start + len; p++) add(out, m.memberId, topic, p);
      });
    }
    return out;
  },
};

/** RoundRobinAssignor: all partitions (topic, partition order) dealt over members in turn. */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    let i = 0;
    for (const [topic, p] of subscribedPartitions(members, partitionsPerTopic)) {
      // the next member (cyclically) subscribed to this topic
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[i % sorted.length]!;
        i++;
        if (m.topics.includes(topic)) {
          add(out, m.memberId, topic, p);
          break;
        }
      }
    }
    return out;
  },
};

/**
 * CooperativeStickyAssignor: balanced, keeping as many owned partitions as balance allows
 * (Kafka's constrained algorithm: quotas of floor/ceil(P/M), owners keep up to quota, the rest
 * go to members below quota). Partitions claimed by two members (stale generations) go to the
 * one with the higher generation. The leader then withholds partitions that change owner, so
 * they are revoked first and assigned in a follow-up rebalance (done in the membership code).
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    const all = subscribedPartitions(members, partitionsPerTopic);
    const key = (t: string, p: number): string => `${t}\u0000${p}`;
    // previous owner of each partition (highest generation wins)
    const owner = new Map<string, { member: string; gen: number }>();
    for (const m of sorted) {
      for (const tp of m.ownedPartitions) {
        if (!m.topics.includes(tp.topic)) continue;
        for (const p of tp.partitions) {
          const k = key(tp.topic, p);
          const prev = owner.get(k);
          if (prev === undefined || m.generationId > prev.gen) owner.set(k, { member: m.memberId, gen: m.generationId });
        }
      }
    }
    const count = new Map(sorted.map((m) => [m.memberId, 0]));
    const eligible = (m: MemberSubscription, t: string): boolean => m.topics.includes(t);
    const sameSubscriptions = sorted.every((m) => m.topics.slice().sort().join(',') === sorted[0]!.topics.slice().sort().join(','));
    const unassigned: Array<[string, number]> = [];
    if (sameSubscriptions) {
      const minQuota = Math.floor(all.length / sorted.length);
      let withExtra = all.length % sorted.length; // members allowed minQuota + 1
      // owners keep up to their quota
      const keep = new Map<string, Array<[string, number]>>(sorted.map((m) => [m.memberId, []]));
      for (const [t, p] of all) {
        const o = owner.get(key(t, p));
        if (o !== undefined && keep.has(o.member)) keep.get(o.member)!.push([t, p]);
        else unassigned.push([t, p]);
      }
      for (const m of sorted) {
        const mine = keep.get(m.memberId)!;
        let quota = minQuota;
        if (mine.length > minQuota && withExtra > 0) {
          quota = minQuota + 1;
          withExtra--;
        }
        for (const [t, p] of mine.slice(0, quota)) {
          add(out, m.memberId, t, p);
          count.set(m.memberId, count.get(m.memberId)! + 1);
        }
        for (const tp of mine.slice(quota)) unassigned.push(tp);
      }
      unassigned.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      // fill members below minQuota first, then hand out the remaining +1 slots
      for (const [t, p] of unassigned) {
        let best: MemberSubscription | undefined;
        for (const m of sorted) {
          const c = count.get(m.memberId)!;
          if (c < minQuota && (best === undefined || c < count.get(best.memberId)!)) best = m;
        }
        if (best === undefined) {
          for (const m of sorted) {
            const c = count.get(m.memberId)!;
            if (c === minQuota && withExtra > 0) {
              best = m;
              withExtra--;
              break;
            }
          }
        }
        best ??= sorted.reduce((a, b) => (count.get(a.memberId)! <= count.get(b.memberId)! ? a : b));
        add(out, best.memberId, t, p);
        count.set(best.memberId, count.get(best.memberId)! + 1);
      }
      return out;
    }
    // General case: owners keep, the rest go to the least-loaded eligible member, then
    // rebalance by moving partitions from the most to the least loaded eligible member.
    for (const [t, p] of all) {
      const o = owner.get(key(t, p));
      const m = o === undefined ? undefined : sorted.find((x) => x.memberId === o.member);
      if (m !== undefined && eligible(m, t)) {
        add(out, m.memberId, t, p);
        count.set(m.memberId, count.get(m.memberId)! + 1);
      } else unassigned.push([t, p]);
    }
    for (const [t, p] of unassigned) {
      const cands = sorted.filter((m) => eligible(m, t));
      if (cands.length === 0) continue;
      const best = cands.reduce((a, b) => (count.get(a.memberId)! <= count.get(b.memberId)! ? a : b));
      add(out, best.memberId, t, p);
      count.set(best.memberId, count.get(best.memberId)! + 1);
    }
    for (let moved = true, guard = 0; moved && guard < all.length * 2; guard++) {
      moved = false;
      for (const [topic, parts, from] of [...out].flatMap(([m, byT]) => [...byT].map(([t, ps]) => [t, ps, m] as const))) {
        const cands = sorted.filter((m) => eligible(m, topic) && m.memberId !== from);
        const target = cands.find((m) => count.get(m.memberId)! + 1 < count.get(from)!);
        if (target !== undefined && parts.length > 0) {
          const p = parts.pop()!;
          add(out, target.memberId, topic, p);
          count.set(from, count.get(from)! - 1);
          count.set(target.memberId, count.get(target.memberId)! + 1);
          moved = true;
          break;
        }
      }
    }
    return out;
  },
};

export const ASSIGNORS: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};
