/**
 * Classic group membership (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) for a consumer:
 * the leader runs the assignor over ConsumerProtocolSubscription metadata; members get a
 * ConsumerProtocolAssignment. Eager assignors revoke everything before rejoining; with
 * cooperative-sticky (all assignors cooperative) owned partitions are kept across the
 * rebalance and only moved partitions are revoked, then a follow-up rebalance hands them out.
 */
import {
  apiByName,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  KafkaError,
  Reader,
  Writer,
} from '@samsa/protocol';
import { type Cluster, sleep } from '../cluster.js';
import type { Connection } from '@samsa/network';
import { ClosedError, isRetriable } from '../errors.js';
import { type Assignor, type MemberSubscription } from './assignors.js';
import { COORDINATOR_ERRORS, findCoordinator } from './coordinator.js';

export type TopicPartitions = Map<string, number[]>;

export interface MembershipOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: Assignor[];
}

export interface MembershipListener {
  /** Partitions taken away; the consumer commits (if auto commit) and stops fetching them. */
  onRevoked(partitions: TopicPartitions): Promise<void>;
  /** Partitions lost without a chance to commit (fenced, expired). */
  onLost(partitions: TopicPartitions): Promise<void>;
  onAssigned(partitions: TopicPartitions): Promise<void>;
  /** Subscribed topics (read at each join). */
  subscription(): string[];
}

const SUBSCRIPTION_VERSION = 3;
const ASSIGNMENT_VERSION = 3;

export function encodeSubscription(topics: string[], owned: TopicPartitions, generationId: number): Buffer {
  const w = new Writer(128);
  w.int16(SUBSCRIPTION_VERSION);
  encodeConsumerProtocolSubscription(w, SUBSCRIPTION_VERSION, {
    topics,
    userData: null,
    ownedPartitions: [...owned].map(([topic, partitions]) => ({ topic, partitions })),
    generationId,
    rackId: null,
  });
  return w.toBuffer();
}

export function decodeSubscription(buf: Buffer): { topics: string[]; owned: Array<{ topic: string; partitions: number[] }>; generationId: number } {
  const r = new Reader(buf);
  const v = Math.min(r.int16(), SUBSCRIPTION_VERSION);
  const s = decodeConsumerProtocolSubscription(r, v);
  return { topics: s.topics, owned: s.ownedPartitions ?? [], generationId: s.generationId ?? -1 };
}

export function encodeAssignment(a: TopicPartitions): Buffer {
  const w = new Writer(64);
  w.int16(ASSIGNMENT_VERSION);
  encodeConsumerProtocolAssignment(w, ASSIGNMENT_VERSION, { assignedPartitions: [...a].map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((x, y) => x - y) })), userData: null });
  return w.toBuffer();
}

export function decodeAssignment(buf: Buffer): TopicPartitions {
  const out: TopicPartitions = new Map();
  if (buf.length === 0) return out;
  const r = new Reader(buf);
  const v = Math.min(r.int16(), ASSIGNMENT_VERSION);
  for (const tp of decodeConsumerProtocolAssignment(r, v).assignedPartitions) out.set(tp.topic, tp.partitions);
  return out;
}

/** The partitions of `a` that are not in `b` (what a new assignment revokes or adds). */
export function diff(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const [t, ps] of a) {
    const other = new Set(b.get(t) ?? []);
    const rest = ps.filter((p) => !other.has(p));
    if (rest.length > 0) out.set(t, rest);
  }
  return out;
}

const size = (a: TopicPartitions): number => [...a.values()].reduce((n, ps) => n + ps.length, 0);

export class ClassicMembership {
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  assigned: TopicPartitions = new Map();
  private coordinator: Connection | null = null;
  private rejoinNeeded = true;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Bumped when heartbeats stop or restart, so an in-flight beat does not start a second chain. */
  private heartbeatChain = 0;
  private joining: Promise<void> | null = null;
  private closed = false;
  /** Set when the heartbeat finds the member fenced: partitions must be dropped. */
  private lostPending = false;
  /** A join that failed after ensureActiveWithin stopped waiting for it: thrown by the next call. */
  private joinFailure: unknown = null;
  readonly cooperative: boolean;

  constructor(private readonly cluster: Cluster, private readonly opts: MembershipOptions, private readonly listener: MembershipListener) {
    this.cooperative = opts.assignors.length > 0 && opts.assignors.every((a) => a.cooperative);
  }

  get needsRejoin(): boolean {
    return this.rejoinNeeded || this.lostPending;
  }

  requestRejoin(): void {
    this.rejoinNeeded = true;
  }

  /** A rejoin pending or under way (JoinGroup/SyncGroup in flight, possibly past a poll's timeout). */
  get rebalancing(): boolean {
    return this.needsRejoin || this.joining !== null;
  }

  async coordinatorConnection(): Promise<Connection> {
    if (this.coordinator === null) this.coordinator = await findCoordinator(this.cluster, this.opts.groupId);
    return this.coordinator;
  }

  private markCoordinatorDead(): void {
    this.coordinator = null;
  }

  /** Joins (or rejoins) if needed; resolves once the member has an assignment. */
  ensureActive(): Promise<void> {
    if (!this.needsRejoin) return Promise.resolve();
    if (this.joining === null) {
      this.joining = this.joinLoop().finally(() => {
        this.joining = null;
      });
    }
    return this.joining;
  }

  /**
   * As ensureActive, waiting at most `timeoutMs` (Kafka's poll(timeout) semantics): the join
   * goes on in the background. A consumer whose poll waited for the whole rebalance would not
   * poll again meanwhile, and in a loop polling several consumers in turn a parked JoinGroup
   * would keep the others from ever rejoining. True once the member has its assignment.
   */
  async ensureActiveWithin(timeoutMs: number): Promise<boolean> {
    if (this.joinFailure !== null) {
      const err = this.joinFailure;
      this.joinFailure = null;
      throw err;
    }
    if (!this.needsRejoin) return true;
    const joining = this.ensureActive();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve(false);
      }, Math.max(0, timeoutMs));
    });
    joining.catch((err: unknown) => {
      if (timedOut && !(err instanceof ClosedError)) this.joinFailure = err;
    });
    try {
      return await Promise.race([joining.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The member is no longer in the group (expired, fenced, generation gone): another member
   * may own its partitions already, so they are lost, not revoked (no commit), and are not
   * claimed in ownedPartitions of the next JoinGroup (KIP-429).
   */
  private async dropLost(): Promise<void> {
    this.lostPending = false;
    const lost = this.assigned;
    this.assigned = new Map();
    if (size(lost) > 0) await this.listener.onLost(lost);
  }

  private async joinLoop(): Promise<void> {
    this.stopHeartbeat();
    if (this.lostPending) await this.dropLost();
    if (!this.cooperative && size(this.assigned) > 0) {
      const revoked = this.assigned;
      this.assigned = new Map();
      await this.listener.onRevoked(revoked);
    }
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new ClosedError('consumer');
      try {
        this.rejoinNeeded = false;
        await this.joinAndSync();
        return;
      } catch (err) {
        this.rejoinNeeded = true;
        const code = err instanceof KafkaError ? err.code : null;
        if (code !== null && COORDINATOR_ERRORS.has(code)) this.markCoordinatorDead();
        if (code === 25 /* UNKNOWN_MEMBER_ID */ || code === 22 /* ILLEGAL_GENERATION */ || code === 82 /* FENCED_INSTANCE_ID */) {
          this.memberId = code === 25 ? '' : this.memberId;
          this.generationId = -1;
          await this.dropLost();
          if (code === 82) throw err; // another instance took this static member's place: fatal, as Kafka
          continue;
        }
        if (code === 27 /* REBALANCE_IN_PROGRESS */ || code === 79 /* MEMBER_ID_REQUIRED */) continue;
        if (!isRetriable(err) || attempt > 50) throw err;
        if (code === null) this.markCoordinatorDead();
        await sleep(this.cluster.retryBackoffMs);
      }
    }
  }

  private async joinAndSync(): Promise<void> {
    const conn = await this.coordinatorConnection();
    const topics = this.listener.subscription();
    const metadata = encodeSubscription(topics, this.cooperative ? this.assigned : new Map(), this.generationId);
    const { response: join } = await conn.send(
      apiByName.JoinGroup,
      (v) => ({
        groupId: this.opts.groupId,
        sessionTimeoutMs: this.opts.sessionTimeoutMs,
        ...(v >= 1 ? { rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs } : {}),
        memberId: this.memberId,
        ...(v >= 5 ? { groupInstanceId: this.opts.groupInstanceId } : {}),
        protocolType: 'consumer',
        protocols: this.opts.assignors.map((a) => ({ name: a.name, metadata })),
      }),
      { extraTimeoutMs: this.opts.rebalanceTimeoutMs },
    );
    if (join.errorCode === 79) {
      // KIP-394: the broker hands out the member id and wants a second join with it.
      this.memberId = join.memberId;
      throw KafkaError.from(79);
    }
    if (join.errorCode !== 0) throw KafkaError.from(join.errorCode, `JoinGroup ${this.opts.groupId}`);
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.protocolName = join.protocolName;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (join.leader === join.memberId && join.skipAssignment !== true) {
      assignments = await this.computeAssignments(join.protocolName ?? '', join.members);
    }
    const { response: sync } = await conn.send(
      apiByName.SyncGroup,
      (v) => ({
        groupId: this.opts.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        ...(v >= 3 ? { groupInstanceId: this.opts.groupInstanceId } : {}),
        ...(v >= 5 ? { protocolType: 'consumer', protocolName: join.protocolName } : {}),
        assignments,
      }),
      { extraTimeoutMs: this.opts.rebalanceTimeoutMs },
    );
    if (sync.errorCode !== 0) throw KafkaError.from(sync.errorCode, `SyncGroup ${this.opts.groupId}`);
    const next = decodeAssignment(sync.assignment);
    const old = this.assigned;
    this.assigned = next;
    this.startHeartbeat();
    if (this.cooperative) {
      const revoked = diff(old, next);
      const added = diff(next, old);
      if (size(revoked) > 0) {
        await this.listener.onRevoked(revoked);
        // partitions we gave up may now be handed to others: another round (KIP-429)
        this.rejoinNeeded = true;
      }
      if (size(added) > 0) await this.listener.onAssigned(added);
    } else {
      await this.listener.onAssigned(next);
    }
  }

  private async computeAssignments(protocol: string, members: Array<{ memberId: string; groupInstanceId?: string | null; metadata: Buffer }>): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.opts.assignors.find((a) => a.name === protocol);
    if (assignor === undefined) throw new KafkaError(23, `assignor ${protocol} not configured`); // INCONSISTENT_GROUP_PROTOCOL
    const subs: MemberSubscription[] = members.map((m) => {
      const s = decodeSubscription(m.metadata);
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, topics: s.topics, ownedPartitions: s.owned, generationId: s.generationId };
    });
    const topics = [...new Set(subs.flatMap((s) => s.topics))];
    this.cluster.track(topics);
    await this.cluster.refreshMetadata().catch(() => {});
    const counts = new Map<string, number>();
    for (const t of topics) {
      const n = this.cluster.partitionCount(t);
      if (n > 0) counts.set(t, n);
    }
    const result = assignor.assign(subs, counts);
    if (assignor.cooperative) {
      // A partition moving from one member to another is withheld this round: its owner
      // revokes it first. Every member listing it in ownedPartitions counts as an owner (even
      // with a stale generation), so a partition is never handed to one member while another
      // may still hold it.
      const ownersOf = new Map<string, Set<string>>();
      for (const s of subs) {
        for (const tp of s.ownedPartitions) {
          for (const p of tp.partitions) {
            const k = `${tp.topic}\u0000${p}`;
            let owners = ownersOf.get(k);
            if (owners === undefined) ownersOf.set(k, (owners = new Set()));
            owners.add(s.memberId);
          }
        }
      }
      for (const [member, byTopic] of result) {
        for (const [t, ps] of byTopic) {
          byTopic.set(t, ps.filter((p) => {
            const owners = ownersOf.get(`${t}\u0000${p}`);
            return owners === undefined || (owners.size === 1 && owners.has(member));
          }));
        }
      }
    }
    return subs.map((s) => ({ memberId: s.memberId, assignment: encodeAssignment(result.get(s.memberId) ?? new Map()) }));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const chain = ++this.heartbeatChain;
    const beat = async (): Promise<void> => {
      // Beats go on while a rejoin is pending but not yet sent (as Kafka's heartbeat thread):
      // the coordinator waits for the JoinGroup and must not expire the member meanwhile.
      if (this.closed || this.lostPending || this.joining !== null) return;
      const generation = this.generationId;
      try {
        const conn = await this.coordinatorConnection();
        const { response } = await conn.send(apiByName.Heartbeat, (v) => ({
          groupId: this.opts.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          ...(v >= 3 ? { groupInstanceId: this.opts.groupInstanceId } : {}),
        }));
        const code = response.errorCode;
        // An answer for a generation we already left (a rebalance ran meanwhile) says nothing.
        const stale = generation !== this.generationId || this.joining !== null;
        if (stale) {
          // no-op: the group moved on while this heartbeat was in flight
        } else if (code === 27) this.rejoinNeeded = true;
        else if (code === 25 || code === 22 || code === 82) {
          if (code === 25) this.memberId = '';
          this.generationId = -1;
          this.lostPending = true;
        } else if (COORDINATOR_ERRORS.has(code)) {
          this.markCoordinatorDead();
        }
      } catch {
        this.markCoordinatorDead();
      }
      if (!this.closed && chain === this.heartbeatChain) this.heartbeatTimer = setTimeout(() => void beat(), this.opts.heartbeatIntervalMs);
    };
    this.heartbeatTimer = setTimeout(() => void beat(), this.opts.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    this.heartbeatChain++;
    if (this.heartbeatTimer !== null) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Leaves the group (dynamic members only, as Kafka: static members keep their slot). */
  async leave(reason = 'the consumer is being closed'): Promise<void> {
    this.closed = true;
    this.stopHeartbeat();
    if (this.memberId === '' || this.opts.groupInstanceId !== null || this.coordinator === null) return;
    try {
      await this.coordinator.send(apiByName.LeaveGroup, (v) =>
        v >= 3
          ? { groupId: this.opts.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId, ...(v >= 5 ? { reason } : {}) }] }
          : { groupId: this.opts.groupId, memberId: this.memberId },
      );
    } catch {
      // the session timeout removes us anyway
    }
    this.memberId = '';
    this.generationId = -1;
  }
}
