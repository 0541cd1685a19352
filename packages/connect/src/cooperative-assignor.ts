/**
 * The leader's incremental cooperative assignment (KIP-415, as Kafka's IncrementalCooperativeAssignor):
 * members keep what they run; deleted connectors/tasks are revoked; new ones go to the least loaded
 * members; what a departed member ran ("lost") is held back for scheduled.rebalance.max.delay.ms in
 * case it returns, handed to a newly joined member if one appears, and spread over everyone when the
 * delay expires. When a member joins, overloaded members give up just their excess (revoked in
 * this round, placed in the next, which the revoking members trigger by rejoining at once).
 * The assignor keeps state between rounds, so one instance lives as long as the worker.
 */
import type { TaskRef } from './connect-protocol.js';

export interface MemberAllocation {
  memberId: string;
  connectors: readonly string[];
  tasks: readonly TaskRef[];
}

export interface IncrementalAssignment {
  connectors: string[];
  tasks: TaskRef[];
  revokedConnectors: string[];
  revokedTasks: TaskRef[];
  delay: number;
}

const taskId = (t: TaskRef): string => `${t.connector}-${t.task}`;
const byTask = (a: TaskRef, b: TaskRef): number => (a.connector < b.connector ? -1 : a.connector > b.connector ? 1 : a.task - b.task);

interface Load {
  memberId: string;
  connectors: string[];
  tasks: TaskRef[];
}

export class IncrementalCooperativeAssignor {
  /** memberId → what the last round left each member with (after its revocations). */
  private previous: Map<string, { connectors: Set<string>; tasks: Set<string> }> | null = null;
  private scheduledRebalance = 0;
  private revokedLastRound = false;

  constructor(private readonly maxDelayMs: number, private readonly now: () => number = Date.now) {}

  /** The delay (ms) the last round asked members to wait before rejoining; 0 when none. */
  get pendingDelay(): number {
    return this.scheduledRebalance === 0 ? 0 : Math.max(0, this.scheduledRebalance - this.now());
  }

  assign(members: readonly MemberAllocation[], connectors: readonly string[], tasks: readonly TaskRef[]): Map<string, IncrementalAssignment> {
    const ids = members.map((m) => m.memberId).sort();
    const out = new Map(ids.map((id) => [id, { connectors: [] as string[], tasks: [] as TaskRef[], revokedConnectors: [] as string[], revokedTasks: [] as TaskRef[], delay: 0 }]));
    const configuredConnectors = new Set(connectors);
    const configuredTasks = new Map(tasks.map((t) => [taskId(t), t]));

    // what each member keeps: its allocation minus deleted items and duplicates (first holder wins)
    const loads: Load[] = [];
    const heldConnectors = new Set<string>();
    const heldTasks = new Set<string>();
    let revoking = false;
    for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
      const load: Load = { memberId: m.memberId, connectors: [], tasks: [] };
      const mine = out.get(m.memberId)!;
      for (const c of m.connectors) {
        if (configuredConnectors.has(c) && !heldConnectors.has(c)) {
          heldConnectors.add(c);
          load.connectors.push(c);
        } else {
          mine.revokedConnectors.push(c);
          revoking = true;
        }
      }
      for (const t of m.tasks) {
        const id = taskId(t);
        if (configuredTasks.has(id) && !heldTasks.has(id)) {
          heldTasks.add(id);
          load.tasks.push(t);
        } else {
          mine.revokedTasks.push(t);
          revoking = true;
        }
      }
      loads.push(load);
    }

    // lost: placed by the previous round, configured, now held by nobody
    const lostConnectors = new Set<string>();
    const lostTasks = new Set<string>();
    if (this.previous !== null) {
      for (const p of this.previous.values()) {
        for (const c of p.connectors) if (configuredConnectors.has(c) && !heldConnectors.has(c)) lostConnectors.add(c);
        for (const t of p.tasks) if (configuredTasks.has(t) && !heldTasks.has(t)) lostTasks.add(t);
      }
    }
    let withhold = false;
    let delay = 0;
    if (lostConnectors.size + lostTasks.size === 0) this.scheduledRebalance = 0;
    else if (this.maxDelayMs > 0) {
      const newcomers = loads.filter((l) => l.connectors.length + l.tasks.length === 0 && !(this.previous?.has(l.memberId) ?? false));
      if (this.scheduledRebalance !== 0 && this.now() >= this.scheduledRebalance) this.scheduledRebalance = 0;
      else if (newcomers.length > 0) {
        // a (re)joined member takes the lost work at once, as Kafka hands it to candidate workers
        this.scheduledRebalance = 0;
      } else {
        if (this.scheduledRebalance === 0) this.scheduledRebalance = this.now() + this.maxDelayMs;
        delay = this.scheduledRebalance - this.now();
        withhold = true;
        console.log(`Delaying reassignment of lost connectors ${JSON.stringify([...lostConnectors])} and tasks ${JSON.stringify([...lostTasks])} for ${delay} ms`);
      }
    }

    // new and (no longer withheld) lost work goes to the least loaded members
    const place = <T>(items: T[], count: (l: Load) => number, add: (l: Load, x: T) => void, record: (id: string, x: T) => void): void => {
      for (const x of items) {
        const target = [...loads].sort((a, b) => count(a) - count(b) || count2(a) - count2(b) || (a.memberId < b.memberId ? -1 : 1))[0];
        if (target === undefined) return;
        add(target, x);
        record(target.memberId, x);
      }
    };
    const count2 = (l: Load): number => l.connectors.length + l.tasks.length;
    const newConnectors = [...configuredConnectors].filter((c) => !heldConnectors.has(c) && !(withhold && lostConnectors.has(c))).sort();
    const newTasks = [...configuredTasks.values()].filter((t) => !heldTasks.has(taskId(t)) && !(withhold && lostTasks.has(taskId(t)))).sort(byTask);
    place(newConnectors, (l) => l.connectors.length, (l, c) => l.connectors.push(c), (id, c) => out.get(id)!.connectors.push(c));
    place(newTasks, (l) => l.tasks.length, (l, t) => l.tasks.push(t), (id, t) => out.get(id)!.tasks.push(t));

    // balance: with no delay pending and no revocation just done, members over the fair share give up their excess
    if (!withhold && !revoking && !this.revokedLastRound && loads.length > 0) {
      const maxConnectors = Math.ceil(configuredConnectors.size / loads.length);
      const maxTasks = Math.ceil(configuredTasks.size / loads.length);
      for (const l of loads) {
        const mine = out.get(l.memberId)!;
        const newlyMine = new Set(mine.tasks.map(taskId));
        while (l.connectors.length > maxConnectors) {
          const c = l.connectors.pop()!;
          if (mine.connectors.includes(c)) mine.connectors.splice(mine.connectors.indexOf(c), 1);
          else mine.revokedConnectors.push(c);
          revoking = true;
        }
        const kept = [...l.tasks].sort(byTask);
        while (kept.length > maxTasks) {
          const t = kept.pop()!;
          if (newlyMine.has(taskId(t))) mine.tasks.splice(mine.tasks.findIndex((x) => taskId(x) === taskId(t)), 1);
          else mine.revokedTasks.push(t);
          revoking = true;
        }
        l.tasks = kept;
      }
    }
    this.revokedLastRound = revoking;

    this.previous = new Map(loads.map((l) => [l.memberId, { connectors: new Set(l.connectors), tasks: new Set(l.tasks.map(taskId)) }]));
    if (withhold) {
      // keep lost work in the books, so the next round still knows it is lost rather than new
      this.previous.set('', { connectors: lostConnectors, tasks: lostTasks });
    }
    for (const a of out.values()) a.delay = delay;
    return out;
  }
}
