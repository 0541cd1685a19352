/**
 * KIP-848 consumer groups (Kafka's GroupMetadataManager, consumer half): ConsumerGroupHeartbeat
 * and ConsumerGroupDescribe. The coordinator owns the assignment: each membership or
 * subscription change bumps the group epoch, a server-side assignor computes the target
 * assignment, and every member reconciles towards it one heartbeat at a time: it first revokes
 * what it must give up (UNREVOKED_PARTITIONS), then gets the new epoch and the partitions that
 * nobody else still holds (UNRELEASED_PARTITIONS until all are free), then is STABLE.
 *
 * State changes are made in memory and persisted as the consumer-group records (types 3-8);
 * replay of those records rebuilds the groups when a shard loads.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type ConsumerGroupDescribeResponse, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse,
} from '@samsa/protocol';
import { consumerGroupRecord, type ConsumerGroupRecord, type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, ShardContext } from '../runtime.js';
import { ASSIGNORS, type MemberAssignment } from './assignors.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import type { RequestInfo } from './group-metadata-manager.js';

/** Kafka's MemberState values (ConsumerGroupCurrentMemberAssignmentValue.state). */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 } as const;
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** Groups over at least this many subscribed partitions get their target assignment computed off the heartbeat path. */
export const DEFERRED_ASSIGNMENT_PARTITIONS = 10_000;

const LEAVE_GROUP_MEMBER_EPOCH = -1;
const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/** Topic lookups the assignors need (the broker's metadata image). */
export interface TopicView {
  byName(name: string): { id: string; numPartitions: number } | undefined;
  nameOf(id: string): string | undefined;
}

export const EMPTY_TOPIC_VIEW: TopicView = { byName: () => undefined, nameOf: () => undefined };

export class ConsumerGroupMember {
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: number = MemberState.STABLE;
  assigned: MemberAssignment = new Map();
  pendingRevocation: MemberAssignment = new Map();
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = '';
  clientHost = '';
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  rebalanceTimeoutMs = -1;
  serverAssignor: string | null = null;

  constructor(readonly memberId: string) {}
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly targetAssignment = new Map<string, MemberAssignment>();
  /** Subscribed topics as last resolved: name -> id and partition count. */
  subscriptionMetadata = new Map<string, { id: string; numPartitions: number }>();
  dead = false;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    return 'Stable';
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m;
    return undefined;
  }

  /** Topic names any member subscribes to. */
  subscribedTopics(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopicNames) out.add(t);
    return out;
  }

  /** Whether another member than `except` holds (or still revokes) a partition. */
  isOwnedByOther(topicId: string, partition: number, except: string): boolean {
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      if (m.assigned.get(topicId)?.has(partition) === true || m.pendingRevocation.get(topicId)?.has(partition) === true) return true;
    }
    return false;
  }
}

function copy(a: MemberAssignment): MemberAssignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}

/** Same partitions (a topic with an empty set counts as absent). */
function sameAssignment(a: MemberAssignment, b: MemberAssignment): boolean {
  const contains = (x: MemberAssignment, y: MemberAssignment): boolean => {
    for (const [t, ps] of x) {
      if (ps.size === 0) continue;
      const other = y.get(t);
      if (other === undefined || other.size !== ps.size) return false;
      for (const p of ps) if (!other.has(p)) return false;
    }
    return true;
  };
  return contains(a, b) && contains(b, a);
}

function toWire(a: MemberAssignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a].filter(([, s]) => s.size > 0).sort(([x], [y]) => (x < y ? -1 : 1)).map(([topicId, s]) => ({ topicId, partitions: [...s].sort((p, q) => p - q) }));
}

function fromWire(tps: ReadonlyArray<{ topicId: string; partitions: readonly number[] }>): MemberAssignment {
  return new Map(tps.map((t) => [t.topicId, new Set(t.partitions)]));
}

class RequestError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class ConsumerGroupManager {
  readonly groups = new Map<string, ConsumerGroup>();

  constructor(
    private readonly ctx: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    private readonly topics: () => TopicView,
    /** Whether a classic group of this id exists with members (then the id is taken). */
    private readonly classicGroupInUse: (groupId: string) => boolean,
    /** Drops an empty classic group of this id (the consumer group takes the id over); returns its tombstone, if any. */
    private readonly takeOverClassicGroup: (groupId: string) => CoordinatorRecord[],
  ) {}

  // ------------------------------------------------------------------------------------------
  // ConsumerGroupHeartbeat

  heartbeat(info: RequestInfo, req: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatResponse> {
    const fail = (code: number, message: string | null = null): CoordinatorResult<ConsumerGroupHeartbeatResponse> => ({
      records: [], replayRecords: false,
      response: { throttleTimeMs: 0, errorCode: code, errorMessage: message, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null },
    });
    try {
      this.validate(req, info.apiVersion);
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req);
      return this.joinOrHeartbeat(info, req);
    } catch (e) {
      if (e instanceof RequestError) return fail(e.code, e.message);
      throw e;
    }
  }

  private validate(req: ConsumerGroupHeartbeatRequest, version: number): void {
    const invalid = (m: string): never => {
      throw new RequestError(ErrorCode.INVALID_REQUEST, m);
    };
    if (req.groupId === '') invalid('GroupId can\'t be empty.');
    if (req.instanceId === '') invalid('InstanceId can\'t be empty.');
    if (req.rackId === '') invalid('RackId can\'t be empty.');
    if (version >= 1 && req.memberId === '') invalid('MemberId can\'t be empty.');
    if (req.memberEpoch > 0 && req.memberId === '') invalid('MemberId can\'t be empty.');
    if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) invalid('MemberEpoch is invalid.');
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH && req.instanceId === null) invalid('InstanceId can\'t be null.');
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) invalid('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) invalid('TopicPartitions must be empty when (re-)joining.');
      const hasRegex = req.subscribedTopicRegex !== undefined && req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '';
      if (!hasRegex && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0)) invalid('SubscribedTopicNames must be set in first request.');
    }
    if (req.subscribedTopicRegex !== undefined && req.subscribedTopicRegex !== null) {
      throw new RequestError(ErrorCode.INVALID_REQUEST, 'SubscribedTopicRegex is not supported by this coordinator.');
    }
    if (req.serverAssignor !== null && !this.config.consumerAssignors.includes(req.serverAssignor)) {
      throw new RequestError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.config.consumerAssignors.join(', ')}.`);
    }
  }

  private joinOrHeartbeat(info: RequestInfo, req: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatResponse> {
    const records: ConsumerGroupRecord[] = [];
    const extra: CoordinatorRecord[] = [];
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (req.memberEpoch !== 0) throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
      if (this.classicGroupInUse(req.groupId)) throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
      extra.push(...this.takeOverClassicGroup(req.groupId));
      group = new ConsumerGroup(req.groupId);
      this.groups.set(req.groupId, group);
    }
    let member: ConsumerGroupMember;
    let isNew = false;
    if (req.memberEpoch === 0) {
      const memberId = req.memberId !== '' ? req.memberId : randomUUID();
      // Kafka's throwIfConsumerGroupIsFull: a full group takes no new member (a rejoin, or a
      // static member replacing its previous incarnation, is fine).
      const replaces = group.members.has(memberId) || (req.instanceId !== null && group.staticMember(req.instanceId) !== undefined);
      if (group.members.size >= this.config.consumerMaxSize && !replaces) {
        throw new RequestError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.consumerMaxSize} members.`);
      }
      if (req.instanceId !== null) {
        const previous = group.staticMember(req.instanceId);
        if (previous !== undefined && previous.memberId !== memberId) {
          // The instance came back with a new member id: the old one is fenced and its partitions freed.
          this.removeMember(group, previous, records);
        }
      }
      const existing = group.members.get(memberId);
      if (existing !== undefined) this.removeMember(group, existing, records);
      member = new ConsumerGroupMember(memberId);
      group.members.set(memberId, member);
      isNew = true;
    } else {
      const m = group.members.get(req.memberId);
      if (m === undefined) throw new RequestError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.memberEpoch !== m.memberEpoch) {
        // A member that missed our last response heartbeats with the previous epoch: fine as long
        // as it owns nothing it should not.
        const owned = req.topicPartitions === null ? null : fromWire(req.topicPartitions);
        const ownsOnlyAssigned = owned === null || [...owned].every(([t, ps]) => [...ps].every((p) => m.assigned.get(t)?.has(p) === true));
        if (!(req.memberEpoch === m.previousMemberEpoch && ownsOnlyAssigned)) {
          throw new RequestError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}).`);
        }
      }
      member = m;
    }

    // Member metadata; a changed subscription or assignor bumps the group epoch.
    let bump = isNew;
    let metadataChanged = isNew;
    const set = <K extends keyof ConsumerGroupMember>(k: K, v: ConsumerGroupMember[K], bumps: boolean): void => {
      if (JSON.stringify(member[k]) === JSON.stringify(v)) return;
      member[k] = v;
      metadataChanged = true;
      if (bumps) bump = true;
    };
    set('clientId', info.clientId, false);
    set('clientHost', info.clientHost, false);
    if (req.instanceId !== null) set('instanceId', req.instanceId, false);
    if (req.rackId !== null) set('rackId', req.rackId, false);
    if (req.rebalanceTimeoutMs !== -1) set('rebalanceTimeoutMs', req.rebalanceTimeoutMs, false);
    if (req.subscribedTopicNames !== null) set('subscribedTopicNames', [...req.subscribedTopicNames].sort(), true);
    if (req.serverAssignor !== null) set('serverAssignor', req.serverAssignor, true);
    if (metadataChanged) records.push(this.memberMetadataRecord(group, member));

    // The topics behind the subscriptions: new partitions or topics also mean a new assignment.
    const metadata = this.resolveSubscriptions(group);
    if (!sameMetadata(metadata, group.subscriptionMetadata)) {
      group.subscriptionMetadata = metadata;
      records.push({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: [...metadata].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions, partitionMetadata: [] })) } });
      bump = true;
    }
    if (bump) {
      group.groupEpoch++;
      records.push({ type: 'cg-metadata', groupId: group.groupId, value: { epoch: group.groupEpoch } });
    }
    if (group.groupEpoch > group.assignmentEpoch) this.updateTargetAssignment(group, records);

    const before = { epoch: member.memberEpoch, assigned: copy(member.assigned) };
    const owned = req.topicPartitions === null ? null : fromWire(req.topicPartitions);
    this.reconcile(group, member, owned, records);
    this.scheduleSessionTimeout(group, member);

    const assignmentChanged = !sameAssignment(before.assigned, member.assigned) || before.epoch !== member.memberEpoch;
    const sendAssignment = req.memberEpoch === 0 || assignmentChanged || (owned !== null && !sameAssignment(owned, member.assigned));
    return {
      records: [...extra, ...records.map(consumerGroupRecord)],
      replayRecords: false,
      response: {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        heartbeatIntervalMs: this.config.consumerHeartbeatIntervalMs,
        assignment: sendAssignment ? { topicPartitions: toWire(member.assigned) } : null,
      },
    };
  }

  private leave(req: ConsumerGroupHeartbeatRequest): CoordinatorResult<ConsumerGroupHeartbeatResponse> {
    const group = this.groups.get(req.groupId);
    if (group === undefined) throw new RequestError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
    const member = req.memberId !== '' ? group.members.get(req.memberId) : (req.instanceId !== null ? group.staticMember(req.instanceId) : undefined);
    if (member === undefined) throw new RequestError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    const records: ConsumerGroupRecord[] = [];
    this.fenceMember(group, member, records);
    return {
      records: records.map(consumerGroupRecord),
      replayRecords: false,
      response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null },
    };
  }

  /** Removes a member and bumps the group epoch (the others get a new assignment on their next heartbeat). */
  private fenceMember(group: ConsumerGroup, member: ConsumerGroupMember, records: ConsumerGroupRecord[]): void {
    this.removeMember(group, member, records);
    group.groupEpoch++;
    records.push({ type: 'cg-metadata', groupId: group.groupId, value: { epoch: group.groupEpoch } });
    const metadata = this.resolveSubscriptions(group);
    if (!sameMetadata(metadata, group.subscriptionMetadata)) {
      group.subscriptionMetadata = metadata;
      records.push({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: [...metadata].map(([topicName, t]) => ({ topicId: t.id, topicName, numPartitions: t.numPartitions, partitionMetadata: [] })) } });
    }
  }

  private removeMember(group: ConsumerGroup, member: ConsumerGroupMember, records: ConsumerGroupRecord[]): void {
    group.members.delete(member.memberId);
    group.targetAssignment.delete(member.memberId);
    this.ctx.timer.cancel(sessionKey(group.groupId, member.memberId));
    this.ctx.timer.cancel(revocationKey(group.groupId, member.memberId));
    records.push(
      { type: 'cg-current-member', groupId: group.groupId, memberId: member.memberId, value: null },
      { type: 'cg-target-member', groupId: group.groupId, memberId: member.memberId, value: null },
      { type: 'cg-member-metadata', groupId: group.groupId, memberId: member.memberId, value: null },
    );
  }

  private resolveSubscriptions(group: ConsumerGroup): Map<string, { id: string; numPartitions: number }> {
    const view = this.topics();
    const out = new Map<string, { id: string; numPartitions: number }>();
    for (const name of [...group.subscribedTopics()].sort()) {
      const t = view.byName(name);
      if (t !== undefined) out.set(name, t);
    }
    return out;
  }

  /**
   * A new target assignment for a group whose epoch moved. Over few partitions it is computed
   * at once, so a joining member gets its partitions in the response. Over many (a burst of
   * joins to a group over tens of thousands of partitions) it is computed off the heartbeat
   * path, once for all the epoch bumps of the burst, in a coordinator timer of its own, so the
   * joins are answered at once and other connections are served between them (Kafka 4.3 batches
   * and offloads assignments the same way); the members get their partitions on their next
   * heartbeat.
   */
  private updateTargetAssignment(group: ConsumerGroup, records: ConsumerGroupRecord[]): void {
    let partitions = 0;
    for (const t of group.subscriptionMetadata.values()) partitions += t.numPartitions;
    if (partitions < DEFERRED_ASSIGNMENT_PARTITIONS) {
      this.computeTargetAssignment(group, records);
      return;
    }
    const key = assignmentKey(group.groupId);
    if (this.ctx.timer.isScheduled(key)) return;
    this.ctx.timer.schedule(key, 0, () => {
      const out: ConsumerGroupRecord[] = [];
      if (this.groups.get(group.groupId) === group && group.groupEpoch > group.assignmentEpoch) this.computeTargetAssignment(group, out);
      return { records: out.map(consumerGroupRecord), response: undefined, replayRecords: false };
    });
  }

  private computeTargetAssignment(group: ConsumerGroup, records: ConsumerGroupRecord[]): void {
    const assignor = ASSIGNORS.get(this.preferredAssignor(group))!;
    const topics = new Map([...group.subscriptionMetadata.values()].map((t) => [t.id, t.numPartitions]));
    const members = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      subscribedTopicIds: new Set(m.subscribedTopicNames.map((n) => group.subscriptionMetadata.get(n)?.id).filter((x): x is string => x !== undefined)),
      current: group.targetAssignment.get(m.memberId) ?? new Map(),
    }));
    const target = assignor.assign({ members, topics });
    for (const [memberId, a] of target) {
      const prev = group.targetAssignment.get(memberId);
      if (prev !== undefined && sameAssignment(prev, a)) continue;
      group.targetAssignment.set(memberId, a);
      records.push({ type: 'cg-target-member', groupId: group.groupId, memberId, value: { topicPartitions: toWire(a) } });
    }
    group.assignmentEpoch = group.groupEpoch;
    records.push({ type: 'cg-target-metadata', groupId: group.groupId, value: { assignmentEpoch: group.assignmentEpoch } });
  }

  /** The assignor most members ask for (ties: the configured order), else the default. */
  private preferredAssignor(group: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = this.config.consumerAssignors[0]!;
    let bestVotes = 0;
    for (const name of this.config.consumerAssignors) {
      const v = votes.get(name) ?? 0;
      if (v > bestVotes) [best, bestVotes] = [name, v];
    }
    return best;
  }

  /** Kafka's CurrentAssignmentBuilder: one step of a member towards its target assignment. */
  private reconcile(group: ConsumerGroup, member: ConsumerGroupMember, owned: MemberAssignment | null, records: ConsumerGroupRecord[]): void {
    const before = { epoch: member.memberEpoch, previousEpoch: member.previousMemberEpoch, state: member.state, assigned: member.assigned, pendingRevocation: member.pendingRevocation };
    if (member.state === MemberState.UNREVOKED_PARTITIONS) {
      const stillOwnsRevoked = owned === null || [...member.pendingRevocation].some(([t, ps]) => [...ps].some((p) => owned.get(t)?.has(p) === true));
      if (!stillOwnsRevoked) {
        member.pendingRevocation = new Map();
        member.state = MemberState.STABLE;
        this.ctx.timer.cancel(revocationKey(group.groupId, member.memberId));
      }
    }
    if (member.state !== MemberState.UNREVOKED_PARTITIONS && (member.memberEpoch !== group.assignmentEpoch || member.state === MemberState.UNRELEASED_PARTITIONS)) {
      const target = group.targetAssignment.get(member.memberId) ?? new Map<string, Set<number>>();
      const keep: MemberAssignment = new Map();
      const revoke: MemberAssignment = new Map();
      for (const [t, ps] of member.assigned) {
        for (const p of ps) {
          const dst = target.get(t)?.has(p) === true ? keep : revoke;
          let s = dst.get(t);
          if (s === undefined) dst.set(t, (s = new Set()));
          s.add(p);
        }
      }
      if ([...revoke.values()].some((s) => s.size > 0)) {
        member.assigned = keep;
        member.pendingRevocation = revoke;
        member.state = MemberState.UNREVOKED_PARTITIONS;
        const timeout = member.rebalanceTimeoutMs > 0 ? member.rebalanceTimeoutMs : this.config.consumerSessionTimeoutMs;
        this.ctx.timer.schedule(revocationKey(group.groupId, member.memberId), timeout, () => this.expireRevocation(group, member.memberId));
      } else {
        let unreleased = false;
        const next = copy(keep);
        for (const [t, ps] of target) {
          for (const p of ps) {
            if (next.get(t)?.has(p) === true) continue;
            if (group.isOwnedByOther(t, p, member.memberId)) {
              unreleased = true;
              continue;
            }
            let s = next.get(t);
            if (s === undefined) next.set(t, (s = new Set()));
            s.add(p);
          }
        }
        if (member.memberEpoch !== group.assignmentEpoch) {
          member.previousMemberEpoch = member.memberEpoch;
          member.memberEpoch = group.assignmentEpoch;
        }
        member.assigned = next;
        member.state = unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
      }
    }
    const changed = before.epoch !== member.memberEpoch || before.previousEpoch !== member.previousMemberEpoch || before.state !== member.state
      || !sameAssignment(before.assigned, member.assigned) || !sameAssignment(before.pendingRevocation, member.pendingRevocation);
    if (changed) records.push(this.currentAssignmentRecord(group, member));
  }

  private scheduleSessionTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.ctx.timer.schedule(sessionKey(group.groupId, member.memberId), this.config.consumerSessionTimeoutMs, () => this.expireSession(group, member.memberId));
  }

  private expireSession(group: ConsumerGroup, memberId: string): CoordinatorResult<void> {
    const member = group.members.get(memberId);
    if (this.groups.get(group.groupId) !== group || member === undefined) return { records: [], response: undefined };
    this.ctx.log?.info(`[GroupId ${group.groupId}] Member ${memberId} fenced from the group because its session expired.`);
    const records: ConsumerGroupRecord[] = [];
    this.fenceMember(group, member, records);
    return { records: records.map(consumerGroupRecord), response: undefined, replayRecords: false };
  }

  private expireRevocation(group: ConsumerGroup, memberId: string): CoordinatorResult<void> {
    const member = group.members.get(memberId);
    if (this.groups.get(group.groupId) !== group || member === undefined || member.state !== MemberState.UNREVOKED_PARTITIONS) return { records: [], response: undefined };
    this.ctx.log?.info(`[GroupId ${group.groupId}] Member ${memberId} fenced from the group because it failed to revoke partitions within its rebalance timeout.`);
    const records: ConsumerGroupRecord[] = [];
    this.fenceMember(group, member, records);
    return { records: records.map(consumerGroupRecord), response: undefined, replayRecords: false };
  }

  // ------------------------------------------------------------------------------------------
  // Records

  private memberMetadataRecord(group: ConsumerGroup, m: ConsumerGroupMember): ConsumerGroupRecord {
    return {
      type: 'cg-member-metadata', groupId: group.groupId, memberId: m.memberId,
      value: {
        instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classicMemberMetadata: null,
      },
    };
  }

  private currentAssignmentRecord(group: ConsumerGroup, m: ConsumerGroupMember): ConsumerGroupRecord {
    return {
      type: 'cg-current-member', groupId: group.groupId, memberId: m.memberId,
      value: { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state, assignedPartitions: toWire(m.assigned), partitionsPendingRevocation: toWire(m.pendingRevocation) },
    };
  }

  /** Tombstones for every record of a group (DeleteGroups, expiry). */
  tombstones(group: ConsumerGroup): CoordinatorRecord[] {
    const out: ConsumerGroupRecord[] = [];
    for (const id of new Set([...group.members.keys(), ...group.targetAssignment.keys()])) {
      out.push({ type: 'cg-current-member', groupId: group.groupId, memberId: id, value: null });
      out.push({ type: 'cg-target-member', groupId: group.groupId, memberId: id, value: null });
      out.push({ type: 'cg-member-metadata', groupId: group.groupId, memberId: id, value: null });
    }
    out.push(
      { type: 'cg-target-metadata', groupId: group.groupId, value: null },
      { type: 'cg-partition-metadata', groupId: group.groupId, value: null },
      { type: 'cg-metadata', groupId: group.groupId, value: null },
    );
    return out.map(consumerGroupRecord);
  }

  replay(r: ConsumerGroupRecord): void {
    let group = this.groups.get(r.groupId);
    if (group === undefined) {
      if (r.value === null) return;
      group = new ConsumerGroup(r.groupId);
      this.groups.set(r.groupId, group);
    }
    const memberOf = (id: string): ConsumerGroupMember => {
      let m = group.members.get(id);
      if (m === undefined) group.members.set(id, (m = new ConsumerGroupMember(id)));
      return m;
    };
    switch (r.type) {
      case 'cg-metadata':
        if (r.value === null) {
          group.dead = true;
          this.groups.delete(r.groupId);
        } else group.groupEpoch = r.value.epoch;
        break;
      case 'cg-partition-metadata':
        group.subscriptionMetadata = new Map((r.value?.topics ?? []).map((t) => [t.topicName, { id: t.topicId, numPartitions: t.numPartitions }]));
        break;
      case 'cg-member-metadata':
        if (r.value === null) group.members.delete(r.memberId);
        else {
          const m = memberOf(r.memberId);
          const v = r.value;
          Object.assign(m, { instanceId: v.instanceId, rackId: v.rackId, clientId: v.clientId, clientHost: v.clientHost, subscribedTopicNames: v.subscribedTopicNames, subscribedTopicRegex: v.subscribedTopicRegex, rebalanceTimeoutMs: v.rebalanceTimeoutMs, serverAssignor: v.serverAssignor });
        }
        break;
      case 'cg-target-metadata':
        group.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        break;
      case 'cg-target-member':
        if (r.value === null) group.targetAssignment.delete(r.memberId);
        else group.targetAssignment.set(r.memberId, fromWire(r.value.topicPartitions));
        break;
      case 'cg-current-member': {
        // Its tombstone comes with the member metadata tombstone, which removes the member.
        if (r.value === null) break;
        const m = memberOf(r.memberId);
        m.memberEpoch = r.value.memberEpoch;
        m.previousMemberEpoch = r.value.previousMemberEpoch;
        m.state = r.value.state;
        m.assigned = fromWire(r.value.assignedPartitions);
        m.pendingRevocation = fromWire(r.value.partitionsPendingRevocation);
        break;
      }
    }
  }

  /** After loading: loaded members must heartbeat within the session timeout. */
  onLoaded(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) this.scheduleSessionTimeout(g, m);
  }

  // ------------------------------------------------------------------------------------------
  // Describe

  /** ListGroups entries of the consumer groups. */
  list(statesFilter: readonly string[], typesFilter: readonly string[]): Array<{ groupId: string; protocolType: string; groupState: string; groupType: string }> {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has('consumer')) return [];
    const out: Array<{ groupId: string; protocolType: string; groupState: string; groupType: string }> = [];
    for (const g of this.groups.values()) {
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: 'consumer', groupState: g.state, groupType: 'consumer' });
    }
    return out;
  }

  describe(groupId: string): ConsumerGroupDescribeResponse['groups'][number] {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: 'Dead', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 };
    }
    const view = this.topics();
    const describeAssignment = (a: MemberAssignment) => ({
      topicPartitions: toWire(a).map((t) => ({ topicId: t.topicId, topicName: view.nameOf(t.topicId) ?? '', partitions: t.partitions })),
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: this.preferredAssignor(group),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: describeAssignment(m.assigned),
        targetAssignment: describeAssignment(group.targetAssignment.get(m.memberId) ?? new Map()),
      })),
      authorizedOperations: -2147483648,
    };
  }

  /**
   * Whether a member may commit offsets of a consumer group (Kafka's ConsumerGroup.validateOffsetCommit):
   * without an epoch only while the group is empty, except a TxnOffsetCommit that names no member
   * at all (v0-v2 carry none); else the member must be known (UNKNOWN_MEMBER_ID) and at its
   * current epoch: STALE_MEMBER_EPOCH for OffsetCommit v9+, ILLEGAL_GENERATION for older versions
   * and for TxnOffsetCommit (KIP-447; Kafka's commitTransactionalOffset converts it).
   */
  validateOffsetCommit(group: ConsumerGroup, memberId: string, groupInstanceId: string | null, memberEpoch: number, version: number, transactional: boolean): number {
    if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
    if (transactional && memberEpoch === -1 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE;
    const m = group.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return version >= 9 && !transactional ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }
}

function sameMetadata(a: ReadonlyMap<string, { id: string; numPartitions: number }>, b: ReadonlyMap<string, { id: string; numPartitions: number }>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.id !== v.id || w.numPartitions !== v.numPartitions) return false;
  }
  return true;
}

function assignmentKey(groupId: string): string {
  return `consumer-assignment-${groupId}`;
}
function sessionKey(groupId: string, memberId: string): string {
  return `consumer-session-${groupId}-${memberId}`;
}
function revocationKey(groupId: string, memberId: string): string {
  return `consumer-revocation-${groupId}-${memberId}`;
}
