/**
 * The controller (Kafka's ZooKeeper-era KafkaController, reduced to metadata): every broker
 * runs one; the one that creates the ephemeral /controller key leads, bumps /controller_epoch
 * with a CAS and from then on writes partition state only in transactions that check the epoch
 * key's revision, so a controller that lost its seat cannot overwrite its successor's decisions.
 *
 * What it does, each time the cluster image changes (one pass at a time, re-run when more
 * changes arrived meanwhile):
 * - new partitions (a topic written by any broker or by `kafka-topics --zookeeper`) get their
 *   state: the first live replica leads, live replicas form the ISR;
 * - a leader whose registration disappeared is replaced by the first replica (in assignment
 *   order) of the ISR that is alive; dead brokers leave the ISR (never below one member, as
 *   Kafka keeps the last ISR member of a leaderless partition); leader epoch + 1;
 * - a returning replica does not rejoin the ISR here: its leader adds it once it has caught up
 *   (replication/replication-manager.ts); a leaderless partition elects a returning ISR member,
 *   or, with unclean.leader.election.enable, any live replica (data the ISR had may be lost);
 * - topics queued under /admin/delete_topics are deleted (assignment, states, config).
 *
 * Leader elections on request (ElectLeaders, kafka-leader-election) and, with
 * auto.leader.rebalance.enable, a periodic preferred-replica election for brokers whose share of
 * partitions led elsewhere exceeds leader.imbalance.per.broker.percentage (Kafka's
 * checkAndTriggerAutoLeaderRebalance).
 */
import { ErrorCode } from '@samsa/protocol';
import type { Logger } from '../util/log.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { decodePartitionState, decodeTopic, encodeController, encodePartitionState, encodeTopic, Paths, type PartitionState, type TopicAssignment } from './kafka-layout.js';
import { RevisionMismatchError, type MetadataStore, type TxnOp } from './metadata-store.js';

/** ElectLeaders' election types. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** A partition being reassigned: its full replica set (target first, then the replicas leaving). */
export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

export interface AutoLeaderRebalance {
  enabled: boolean;
  /** leader.imbalance.per.broker.percentage */
  imbalancePercentage: number;
  /** leader.imbalance.check.interval.seconds, in ms */
  checkIntervalMs: number;
}


export class Controller {
  private epoch = -1;
  private epochRevision = -1;
  private active = false;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  /** When this broker became controller (ms since epoch), for failover measurements. */
  activeSince = 0;

  constructor(
    private readonly store: MetadataStore,
    private readonly metadata: ClusterMetadata,
    private readonly nodeId: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** unclean.leader.election.enable for a topic (its override, else the broker default). */
    private readonly uncleanLeaderElection: (topic: string) => boolean = () => false,
    private readonly autoRebalance: () => AutoLeaderRebalance = () => ({ enabled: false, imbalancePercentage: 10, checkIntervalMs: 300000 }),
  ) {}
  private rebalanceTimer: NodeJS.Timeout | null = null;

  get isActive(): boolean {
    return this.active;
  }
  get controllerEpoch(): number {
    return this.epoch;
  }

  start(): void {
    this.unsubscribe = this.metadata.onChange(() => this.trigger());
    this.trigger();
    this.scheduleRebalanceCheck();
  }

  private scheduleRebalanceCheck(): void {
    if (this.stopped) return;
    this.rebalanceTimer = setTimeout(() => {
      void this.checkLeaderImbalance()
        .catch((e) => this.log.warn(`[Controller id=${this.nodeId}] leader imbalance check failed: ${(e as Error).message}`))
        .finally(() => this.scheduleRebalanceCheck());
    }, Math.max(100, this.autoRebalance().checkIntervalMs));
    this.rebalanceTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.rebalanceTimer !== null) clearTimeout(this.rebalanceTimer);
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.active = false;
  }

  /** The session is gone: so is our seat (the ephemeral /controller key). */
  resign(): void {
    if (this.active) this.log.info(`[Controller id=${this.nodeId}] Resigning: the metadata store session was lost`);
    this.active = false;
  }

  /** Runs a pass now, or once more after the running one. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (e) {
          if (e instanceof RevisionMismatchError) {
            this.again = true;
            await new Promise((r) => setTimeout(r, 50));
          } else if (!this.stopped) {
            this.log.warn(`[Controller id=${this.nodeId}] pass failed: ${(e as Error).message}`);
            await new Promise((r) => setTimeout(r, 500));
            this.again = true;
          }
        }
      } while (this.again && !this.stopped);
      this.running = null;
    })();
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async pass(): Promise<void> {
    if (this.stopped || this.metadata.image.fenced) return;
    if (!this.active) {
      if (this.metadata.image.controllerId !== -1 && this.metadata.image.controllerId !== this.nodeId) return;
      if (!(await this.elect())) return;
    } else if (this.metadata.image.controllerId !== -1 && this.metadata.image.controllerId !== this.nodeId) {
      this.log.info(`[Controller id=${this.nodeId}] Broker ${this.metadata.image.controllerId} is the controller now; resigning`);
      this.active = false;
      return;
    }
    await this.reconcile();
  }

  private async elect(): Promise<boolean> {
    try {
      await this.store.put(Paths.controller, encodeController(this.nodeId, this.now()), { expectedRevision: 0, ephemeral: true });
    } catch (e) {
      if (e instanceof RevisionMismatchError) return false;
      throw e;
    }
    // Won the seat: take the next epoch with a CAS so two winners in a row cannot share one.
    for (;;) {
      const cur = await this.store.get(Paths.controllerEpoch);
      const next = cur === null ? 1 : Number(cur.value) + 1;
      try {
        this.epochRevision = await this.store.put(Paths.controllerEpoch, String(next), { expectedRevision: cur?.revision ?? 0 });
        this.epoch = next;
        break;
      } catch (e) {
        if (!(e instanceof RevisionMismatchError)) throw e;
      }
    }
    this.active = true;
    this.activeSince = this.now();
    this.log.info(`[Controller id=${this.nodeId}] ${this.nodeId} successfully elected as the controller. Epoch incremented to ${this.epoch} and epoch zk version is now ${this.epochRevision}`);
    return true;
  }

  /** A write the controller makes: fenced by the epoch key's revision. */
  private async write(ops: TxnOp[]): Promise<void> {
    try {
      await this.store.txn([{ op: 'check', key: Paths.controllerEpoch, revision: this.epochRevision }, ...ops]);
    } catch (e) {
      if (e instanceof RevisionMismatchError) {
        const cur = await this.store.get(Paths.controllerEpoch);
        if (cur === null || cur.revision !== this.epochRevision) {
          this.log.warn(`[Controller id=${this.nodeId}] Controller epoch moved on (${cur?.value ?? 'gone'}): this broker is no longer the controller`);
          this.active = false;
          return;
        }
      }
      throw e;
    }
  }

  private async reconcile(): Promise<void> {
    const live = new Set(this.metadata.image.brokers.map((b) => b.nodeId));
    for (const d of await this.store.list(Paths.deleteTopics)) {
      if (!this.active) return;
      const topic = d.key.slice(Paths.deleteTopics.length + 1);
      await this.write([
        { op: 'delete', key: Paths.topic(topic), recursive: true },
        { op: 'delete', key: Paths.topicConfig(topic) },
        { op: 'delete', key: d.key },
      ]);
      this.log.info(`[Controller id=${this.nodeId}] Deleted topic ${topic}`);
    }
    await this.reassignFromZnode();
    const entries = await this.store.list(Paths.topics);
    const byKey = new Map(entries.map((e) => [e.key, e]));
    for (const e of entries) {
      if (!this.active) return;
      const parts = e.key.split('/');
      if (parts.length !== 4) continue;
      const topic = parts[3]!;
      const assignment = decodeTopic(e.value);
      const ops: TxnOp[] = [];
      let reassigned: TopicAssignment | null = null;
      assignment.partitions.forEach((replicas, p) => {
        const key = Paths.partitionState(topic, p);
        const cur = byKey.get(key);
        const state = cur === undefined ? null : decodePartitionState(cur.value);
        let next = this.decide(replicas, state, live, topic);
        const completed = this.completeReassignment(reassigned ?? assignment, p, next ?? state, live, topic);
        if (completed !== null) {
          reassigned = completed.assignment;
          next = completed.state;
        }
        if (next === null) return;
        ops.push({ op: 'put', key, value: encodePartitionState(next), expectedRevision: cur?.revision ?? 0 });
        this.log.info(`[Controller id=${this.nodeId}] Partition ${topic}-${p}: leader ${next.leader}, leader epoch ${next.leaderEpoch}, isr [${next.isr.join(',')}]`);
      });
      if (reassigned !== null) ops.push({ op: 'put', key: e.key, value: encodeTopic(reassigned), expectedRevision: e.revision });
      if (ops.length > 0) await this.write(ops);
    }
  }

  /**
   * The last step of a reassignment (Kafka's onPartitionReassignment once the target replicas
   * are all in the ISR): leadership moves to a target replica if the leader is leaving, the
   * replicas leaving drop out of the replica set and the ISR, and the leader epoch goes up so
   * the removed replicas are fenced. Null while the targets are still catching up.
   */
  private completeReassignment(a: TopicAssignment, p: number, state: PartitionState | null, live: ReadonlySet<number>, topic: string): { assignment: TopicAssignment; state: PartitionState } | null {
    const adding = a.adding?.get(p) ?? [];
    const removing = a.removing?.get(p) ?? [];
    if ((adding.length === 0 && removing.length === 0) || state === null) return null;
    const target = a.partitions[p]!.filter((r) => !removing.includes(r));
    if (!target.every((r) => state.isr.includes(r))) return null;
    const leader = target.includes(state.leader) && live.has(state.leader) ? state.leader : target.find((r) => live.has(r) && state.isr.includes(r));
    if (leader === undefined) return null;
    const partitions = a.partitions.map((r, i) => (i === p ? target : r));
    const without = (m: ReadonlyMap<number, number[]> | undefined) => new Map([...(m ?? [])].filter(([k]) => k !== p));
    this.log.info(`[Controller id=${this.nodeId}] Reassignment of ${topic}-${p} completed: replicas [${target.join(',')}] (removed [${removing.join(',')}])`);
    return {
      assignment: { ...a, partitions, adding: without(a.adding), removing: without(a.removing) },
      state: { leader, leaderEpoch: state.leaderEpoch + 1, isr: state.isr.filter((r) => target.includes(r)), controllerEpoch: this.epoch },
    };
  }

  /**
   * AlterPartitionReassignments: a target replica list starts (or replaces) a reassignment: the
   * replica set becomes target + original, the new replicas start fetching, and the
   * reconcile pass finishes it once they are in the ISR. A null target cancels: the original
   * replicas come back (leadership moves to one of them if needed).
   */
  async alterReassignments(items: ReadonlyArray<{ topic: string; partition: number; replicas: number[] | null }>): Promise<ElectionResult[]> {
    // One read and one write of each topic's znode for all its partitions in the request: per
    // partition, a request over thousands of partitions rewrote the whole topic thousands of
    // times (seconds of work, quadratic in the partition count).
    const byTopic = new Map<string, number[]>();
    items.forEach((item, i) => {
      const list = byTopic.get(item.topic);
      if (list === undefined) byTopic.set(item.topic, [i]);
      else list.push(i);
    });
    const outcome = new Array<[number, string | null]>(items.length);
    for (const [topic, indexes] of byTopic) {
      const group = indexes.map((i) => items[i]!);
      let results: Array<[number, string | null]>;
      if (!this.active) results = group.map(() => [ErrorCode.NOT_CONTROLLER, 'This is not the correct controller for this cluster.']);
      else {
        for (let attempt = 0; ; attempt++) {
          try {
            results = await this.alterTopicReassignments(topic, group);
            break;
          } catch (e) {
            if (e instanceof RevisionMismatchError && attempt < 5 && this.active) continue;
            results = group.map(() => [ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message]);
            break;
          }
        }
      }
      indexes.forEach((i, k) => (outcome[i] = results[k]!));
    }
    this.trigger();
    return items.map((item, i) => ({ topic: item.topic, partition: item.partition, errorCode: outcome[i]![0], errorMessage: outcome[i]![1] }));
  }

  private async alterOne(item: { topic: string; partition: number; replicas: number[] | null }): Promise<[number, string | null]> {
    return (await this.alterTopicReassignments(item.topic, [item]))[0]!;
  }

  /** Reassignment changes to partitions of one topic, applied in order, written at once. */
  private async alterTopicReassignments(topic: string, items: ReadonlyArray<{ partition: number; replicas: number[] | null }>): Promise<Array<[number, string | null]>> {
    const entry = await this.store.get(Paths.topic(topic));
    if (entry === null) return items.map(() => [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.']);
    const a = decodeTopic(entry.value);
    const partitions = a.partitions.slice();
    const nextAdd = new Map(a.adding ?? []);
    const nextRemove = new Map(a.removing ?? []);
    const live = new Set(this.metadata.image.brokers.map((b) => b.nodeId));
    const results: Array<[number, string | null]> = [];
    /** Partitions whose replicas lost members without the usual completion, with what they had before this request. */
    const droppedFrom = new Map<number, number[]>();
    const changes: string[] = [];
    for (const item of items) {
      const p = item.partition;
      const current = partitions[p];
      if (current === undefined || !Number.isInteger(p) || p < 0) {
        results.push([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.']);
        continue;
      }
      const adding = nextAdd.get(p) ?? [];
      const removing = nextRemove.get(p) ?? [];
      const original = current.filter((r) => !adding.includes(r));
      const target = item.replicas ?? original;
      if (item.replicas === null && adding.length === 0 && removing.length === 0) {
        results.push([ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No reassignment is in progress for topic ${topic} partition ${p}`]);
        continue;
      }
      if (target.length === 0) {
        results.push([ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Empty replica list specified in partition reassignment.`]);
        continue;
      }
      if (new Set(target).size !== target.length) {
        results.push([ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate replica ids in partition reassignment replica list: [${target.join(', ')}]`]);
        continue;
      }
      if (item.replicas !== null && !target.every((r) => live.has(r))) {
        results.push([ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment has brokers that are not alive. Replica list: [${target.join(', ')}], live broker list: [${[...live].sort((x, y) => x - y).join(', ')}]`]);
        continue;
      }
      const replicaSet = [...new Set([...target, ...original])];
      const nextAdding = target.filter((r) => !original.includes(r));
      const nextRemoving = original.filter((r) => !target.includes(r));
      nextAdd.delete(p);
      nextRemove.delete(p);
      const moving = nextAdding.length > 0 || nextRemoving.length > 0;
      if (moving) {
        nextAdd.set(p, nextAdding);
        nextRemove.set(p, nextRemoving);
      }
      if (!droppedFrom.has(p)) droppedFrom.set(p, current);
      partitions[p] = moving ? replicaSet : target;
      changes.push(`${item.replicas === null ? 'Cancelled reassignment of' : 'Reassigning'} ${topic}-${p}: replicas [${partitions[p]!.join(',')}], adding [${nextAdding.join(',')}], removing [${nextRemoving.join(',')}]`);
      results.push([ErrorCode.NONE, null]);
    }
    if (changes.length === 0) return results;
    const next: TopicAssignment = { ...a, partitions, adding: nextAdd, removing: nextRemove };
    const ops: TxnOp[] = [{ op: 'put', key: Paths.topic(topic), value: encodeTopic(next), expectedRevision: entry.revision }];
    // Replicas dropped without the usual completion (a cancel, or a target that drops replicas
    // being added) leave the partition state now: the leader moves if it was one of them.
    for (const [p, before] of droppedFrom) {
      const kept = partitions[p]!;
      if (before.every((r) => kept.includes(r))) continue;
      const stateEntry = await this.store.get(Paths.partitionState(topic, p));
      if (stateEntry === null) continue;
      const state = decodePartitionState(stateEntry.value);
      const isr = state.isr.filter((r) => kept.includes(r));
      const leader = kept.includes(state.leader) ? state.leader : kept.find((r) => live.has(r) && isr.includes(r)) ?? -1;
      ops.push({ op: 'put', key: Paths.partitionState(topic, p), value: encodePartitionState({ leader, leaderEpoch: state.leaderEpoch + 1, isr: isr.length > 0 ? isr : [kept[0]!], controllerEpoch: this.epoch }), expectedRevision: stateEntry.revision });
    }
    await this.write(ops);
    if (!this.active) return results.map(([code, message]) => (code === ErrorCode.NONE ? [ErrorCode.NOT_CONTROLLER, 'This is not the correct controller for this cluster.'] : [code, message]));
    for (const change of changes) this.log.info(`[Controller id=${this.nodeId}] ${change}`);
    return results;
  }

  /**
   * The ZooKeeper-era way to reassign (kafka-reassign-partitions --zookeeper, or a znode written
   * by hand): each listed partition not yet on its way to its replicas starts moving; the znode
   * is deleted once none of them is still reassigning, as Kafka's controller does.
   */
  private async reassignFromZnode(): Promise<void> {
    const entry = await this.store.get(Paths.reassignPartitions);
    if (entry === null || !this.active) return;
    let wanted: Array<{ topic: string; partition: number; replicas: number[] }>;
    try {
      const js = JSON.parse(entry.value) as { partitions?: Array<{ topic: string; partition: number; replicas: number[] }> };
      wanted = (js.partitions ?? []).filter((p) => typeof p.topic === 'string' && Number.isInteger(p.partition) && Array.isArray(p.replicas));
    } catch {
      this.log.warn(`[Controller id=${this.nodeId}] Ignoring ${Paths.reassignPartitions}: not valid JSON`);
      await this.write([{ op: 'delete', key: Paths.reassignPartitions, expectedRevision: entry.revision }]);
      return;
    }
    const ongoing = await this.listReassignments(null);
    let pending = 0;
    for (const w of wanted) {
      const cur = ongoing.find((o) => o.topic === w.topic && o.partition === w.partition);
      const assigned = this.metadata.image.topic(w.topic)?.partitions[w.partition]?.replicas;
      if (cur !== undefined) {
        const target = cur.replicas.filter((r) => !cur.removing.includes(r));
        if (target.join(',') === w.replicas.join(',')) {
          pending++;
          continue;
        }
      } else if (assigned === undefined || assigned.join(',') === w.replicas.join(',')) {
        continue; // unknown partition, or already there
      }
      const [code, message] = await this.alterOne({ ...w, replicas: w.replicas });
      if (code === ErrorCode.NONE) pending++;
      else this.log.warn(`[Controller id=${this.nodeId}] Reassignment of ${w.topic}-${w.partition} from ${Paths.reassignPartitions} refused: ${message}`);
    }
    if (pending === 0) await this.write([{ op: 'delete', key: Paths.reassignPartitions, expectedRevision: entry.revision }]);
  }

  /** ListPartitionReassignments: the ongoing ones (all, or those of the given partitions). */
  async listReassignments(filter: ReadonlyArray<{ topic: string; partition: number }> | null): Promise<OngoingReassignment[]> {
    const out: OngoingReassignment[] = [];
    for (const e of await this.store.list(Paths.topics)) {
      const parts = e.key.split('/');
      if (parts.length !== 4) continue;
      const topic = parts[3]!;
      const a = decodeTopic(e.value);
      a.partitions.forEach((replicas, p) => {
        const adding = a.adding?.get(p) ?? [];
        const removing = a.removing?.get(p) ?? [];
        if (adding.length === 0 && removing.length === 0) return;
        if (filter !== null && !filter.some((f) => f.topic === topic && f.partition === p)) return;
        out.push({ topic, partition: p, replicas, adding, removing });
      });
    }
    return out.sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1));
  }

  /**
   * Elects leaders (ElectLeaders): PREFERRED moves leadership to the first replica when it is
   * alive and in the ISR; UNCLEAN elects a live replica for a partition without a leader (an
   * ISR member first, else any live replica: data only the ISR had may be lost). partitions
   * null = every partition (then partitions needing no election are left out, as Kafka does).
   */
  async electLeaders(electionType: number, partitions: Array<{ topic: string; partition: number }> | null): Promise<ElectionResult[]> {
    const all = partitions === null;
    const image = this.metadata.image;
    const wanted = partitions ?? [...image.topicsByName.values()].flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition })));
    if (!this.active) return wanted.map((p) => ({ ...p, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This is not the correct controller for this cluster.' }));
    const results: ElectionResult[] = [];
    // Each topic's assignment read and decoded once per request: per partition, a request over
    // thousands of partitions of a big topic decoded it thousands of times (a loop stalled for seconds).
    const assignments = new Map<string, Promise<ReadonlyArray<readonly number[]> | null>>();
    const replicasOf = (topic: string): Promise<ReadonlyArray<readonly number[]> | null> => {
      let a = assignments.get(topic);
      if (a === undefined) assignments.set(topic, (a = this.store.get(Paths.topic(topic)).then((e) => (e === null ? null : decodeTopic(e.value).partitions))));
      return a;
    };
    for (const [i, { topic, partition }] of wanted.entries()) {
      // An election over tens of thousands of partitions lets other connections in now and then.
      if (i % 1000 === 999) await new Promise<void>((resolve) => setImmediate(resolve));
      const result = await this.electOne(electionType, topic, partition, replicasOf);
      if (all && result.errorCode === ErrorCode.ELECTION_NOT_NEEDED) continue;
      results.push(result);
    }
    return results;
  }

  private async electOne(electionType: number, topic: string, partition: number, replicasOf: (topic: string) => Promise<ReadonlyArray<readonly number[]> | null>): Promise<ElectionResult> {
    const done = (errorCode: number, errorMessage: string | null): ElectionResult => ({ topic, partition, errorCode, errorMessage });
    for (let attempt = 0; ; attempt++) {
      // A retry (the partition state changed under us) reads the assignment afresh.
      const assignment = attempt === 0 ? await replicasOf(topic) : await this.store.get(Paths.topic(topic)).then((e) => (e === null ? null : decodeTopic(e.value).partitions));
      const replicas = assignment === null || !Number.isInteger(partition) || partition < 0 ? undefined : assignment[partition];
      const cur = await this.store.get(Paths.partitionState(topic, partition));
      if (replicas === undefined || cur === null) return done(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      const state = decodePartitionState(cur.value);
      const live = new Set(this.metadata.image.brokers.map((b) => b.nodeId));
      let leader: number;
      let isr = state.isr;
      if (electionType === ElectionType.PREFERRED) {
        const preferred = replicas[0]!;
        if (state.leader === preferred) return done(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
        if (!live.has(preferred) || !state.isr.includes(preferred)) {
          return done(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`);
        }
        leader = preferred;
      } else if (electionType === ElectionType.UNCLEAN) {
        if (state.leader >= 0 && live.has(state.leader)) return done(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.');
        const candidate = replicas.find((r) => live.has(r) && state.isr.includes(r)) ?? replicas.find((r) => live.has(r));
        if (candidate === undefined) return done(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanLeaderElectionStrategy`);
        leader = candidate;
        if (!state.isr.includes(candidate)) {
          isr = [candidate];
          this.log.warn(`[Controller id=${this.nodeId}] Unclean leader election for ${topic}-${partition}: broker ${candidate} (not in the ISR) becomes leader; data may be lost`);
        }
      } else {
        return done(ErrorCode.INVALID_REQUEST, `Unknown election type ${electionType}`);
      }
      const next: PartitionState = { leader, leaderEpoch: state.leaderEpoch + 1, isr, controllerEpoch: this.epoch };
      try {
        await this.write([{ op: 'put', key: Paths.partitionState(topic, partition), value: encodePartitionState(next), expectedRevision: cur.revision }]);
      } catch (e) {
        // The partition changed under us (an ISR update): decide again on the new state.
        if (e instanceof RevisionMismatchError && attempt < 5 && this.active) continue;
        throw e;
      }
      if (!this.active) return done(ErrorCode.NOT_CONTROLLER, 'This is not the correct controller for this cluster.');
      this.log.info(`[Controller id=${this.nodeId}] Partition ${topic}-${partition}: leader ${leader} (${electionType === ElectionType.PREFERRED ? 'preferred' : 'unclean'} election), leader epoch ${next.leaderEpoch}, isr [${isr.join(',')}]`);
      return done(ErrorCode.NONE, null);
    }
  }

  /**
   * Kafka's checkAndTriggerAutoLeaderRebalance: for each broker, the share of the partitions it
   * is the preferred replica of that another broker leads; above the percentage, preferred
   * elections for those partitions whose preferred replica is alive and in the ISR.
   */
  async checkLeaderImbalance(): Promise<void> {
    const cfg = this.autoRebalance();
    if (!cfg.enabled || !this.active || this.stopped) return;
    const image = this.metadata.image;
    const live = new Set(image.brokers.map((b) => b.nodeId));
    const byPreferred = new Map<number, Array<{ topic: string; partition: number; imbalanced: boolean; electable: boolean }>>();
    for (const t of image.topicsByName.values()) {
      for (const p of t.partitions) {
        const preferred = p.replicas[0];
        if (preferred === undefined) continue;
        const list = byPreferred.get(preferred) ?? [];
        list.push({ topic: t.name, partition: p.partition, imbalanced: p.leader !== preferred, electable: live.has(preferred) && p.isr.includes(preferred) });
        byPreferred.set(preferred, list);
      }
    }
    for (const [broker, list] of byPreferred) {
      if (!live.has(broker)) continue;
      const imbalanced = list.filter((x) => x.imbalanced);
      const ratio = imbalanced.length / list.length;
      if (ratio * 100 <= cfg.imbalancePercentage) continue;
      const electable = imbalanced.filter((x) => x.electable);
      if (electable.length === 0) continue;
      this.log.info(`[Controller id=${this.nodeId}] Leader imbalance ratio for broker ${broker} is ${ratio}; starting preferred replica leader election for ${electable.map((x) => `${x.topic}-${x.partition}`).join(', ')}`);
      await this.electLeaders(ElectionType.PREFERRED, electable.map(({ topic, partition }) => ({ topic, partition })));
    }
  }

  /** The partition's next state, or null when it needs no change. */
  private decide(replicas: readonly number[], state: PartitionState | null, live: ReadonlySet<number>, topic: string): PartitionState | null {
    const liveReplicas = replicas.filter((r) => live.has(r));
    if (state === null) {
      return { leader: liveReplicas[0] ?? -1, leaderEpoch: 0, isr: liveReplicas.length > 0 ? liveReplicas : [...replicas], controllerEpoch: this.epoch };
    }
    const liveIsr = state.isr.filter((r) => live.has(r));
    const leaderAlive = state.leader >= 0 && live.has(state.leader);
    let leader = leaderAlive ? state.leader : replicas.find((r) => liveIsr.includes(r)) ?? -1;
    let isr = liveIsr;
    if (leader < 0 && liveReplicas.length > 0 && this.uncleanLeaderElection(topic)) {
      // Unclean election: a replica outside the ISR leads; what only the ISR had is lost.
      leader = liveReplicas[0]!;
      isr = [leader];
      this.log.warn(`[Controller id=${this.nodeId}] Unclean leader election for ${topic}: broker ${leader} (not in the ISR) becomes leader; data may be lost`);
    }
    // Returning replicas are added to the ISR by the leader once caught up; a leaderless
    // partition waits for an ISR member (unless unclean election is enabled).
    // A leaderless partition keeps its last ISR member on record, as Kafka does.
    const nextIsr = isr.length > 0 ? isr : state.leader >= 0 ? [state.leader] : state.isr;
    const changed = leader !== state.leader || !sameSet(nextIsr, state.isr);
    if (!changed) return null;
    return { leader, leaderEpoch: leader !== state.leader ? state.leaderEpoch + 1 : state.leaderEpoch, isr: nextIsr, controllerEpoch: this.epoch };
  }
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export type { PartitionState };
