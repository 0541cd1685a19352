/**
 * Classic group membership (Kafka's GroupMetadataManager, classic half): JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups validation, session and
 * rebalance timers, and the GroupMetadata records that persist each generation.
 *
 * Classic operations change the in-memory group directly (replayRecords = false) and write a
 * GroupMetadataValue when a generation ends (Empty) or an assignment is set; replay of those
 * records is only used when a shard loads, and rebuilds the groups as Empty or Stable.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode, KafkaError,
  type DescribeGroupsResponse, type GroupMetadataValue, type HeartbeatRequest, type JoinGroupRequest, type JoinGroupResponse,
  type LeaveGroupRequest, type LeaveGroupResponse, type ListGroupsResponse, type SyncGroupRequest, type SyncGroupResponse,
} from '@samsa/protocol';
import { groupMetadataRecord, type CoordinatorRecord } from '../records.js';
import { appendErrorToResponseError, type CoordinatorResult, type ShardContext } from '../runtime.js';
import {
  ClassicGroup, ClassicGroupMember, UNKNOWN_MEMBER_ID, joinError, syncError,
  type ClassicGroupState, type Protocol,
} from './classic-group.js';
import type { GroupCoordinatorConfig } from './group-config.js';

export interface RequestInfo {
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

type VoidResult = CoordinatorResult<void>;
const EMPTY: VoidResult = { records: [], response: undefined, replayRecords: false };
const EMPTY_BUFFER = Buffer.alloc(0);

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function merge(a: VoidResult, b: VoidResult): VoidResult {
  if (b.records.length === 0 && b.afterWrite === undefined) return a;
  if (a.records.length === 0 && a.afterWrite === undefined) return b;
  const fa = a.afterWrite;
  const fb = b.afterWrite;
  return {
    records: [...a.records, ...b.records], response: undefined, replayRecords: false,
    afterWrite: (e) => { fa?.(e); fb?.(e); },
  };
}

export class GroupMetadataManager {
  readonly groups = new Map<string, ClassicGroup>();
  /** Set by the shard: whether a KIP-848 consumer group has this id. */
  isConsumerGroup: (groupId: string) => boolean = () => false;

  constructor(
    private readonly ctx: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    /** Maps a thrown append error to a Kafka code (the broker's mapError). */
    private readonly errorCode: (e: unknown) => number,
  ) {}

  private get now(): number {
    return this.ctx.clock.now();
  }

  // ------------------------------------------------------------------------------------------
  // JoinGroup

  join(info: RequestInfo, req: JoinGroupRequest): CoordinatorResult<Promise<JoinGroupResponse>> {
    const { promise, resolve } = deferred<JoinGroupResponse>();
    const res = this.joinInner(info, req, resolve);
    return { ...res, response: promise };
  }

  private joinInner(info: RequestInfo, req: JoinGroupRequest, resolve: (r: JoinGroupResponse) => void): VoidResult {
    const memberId = req.memberId;
    if (req.groupId === '') {
      resolve(joinError(ErrorCode.INVALID_GROUP_ID, memberId));
      return EMPTY;
    }
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, memberId));
      return EMPTY;
    }
    if (this.isConsumerGroup(req.groupId)) {
      // Classic members cannot join a KIP-848 group here (no online migration).
      resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
      return EMPTY;
    }
    const isUnknown = memberId === UNKNOWN_MEMBER_ID;
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (!isUnknown) {
        resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
        return EMPTY;
      }
      group = new ClassicGroup(req.groupId, this.now);
      this.groups.set(req.groupId, group);
    }
    if (!this.acceptJoiningMember(group, memberId)) {
      resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, memberId));
      return EMPTY;
    }
    return isUnknown ? this.joinNewMember(info, req, group, resolve) : this.joinExistingMember(info, req, group, resolve);
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.config.maxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.hasMember(memberId) || group.size < this.config.maxSize;
    }
  }

  private joinNewMember(info: RequestInfo, req: JoinGroupRequest, group: ClassicGroup, resolve: (r: JoinGroupResponse) => void): VoidResult {
    if (group.is('Dead')) {
      resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return EMPTY;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return EMPTY;
    }
    const newMemberId = `${info.clientId}-${randomUUID()}`;
    const instanceId = req.groupInstanceId ?? null;
    if (instanceId !== null) {
      const existing = group.staticMemberId(instanceId);
      if (existing !== undefined) return this.updateStaticMemberThenRebalanceOrCompleteJoin(info, req, group, existing, newMemberId, resolve);
      return this.addMemberThenRebalanceOrCompleteJoin(info, req, group, newMemberId, resolve);
    }
    if (info.apiVersion >= 4) {
      // KIP-394: the member must come back with this id, so a retried join does not leave a ghost member.
      group.pendingMembers.add(newMemberId);
      this.rescheduleHeartbeat(group, newMemberId, req.sessionTimeoutMs);
      resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
      return EMPTY;
    }
    return this.addMemberThenRebalanceOrCompleteJoin(info, req, group, newMemberId, resolve);
  }

  private joinExistingMember(info: RequestInfo, req: JoinGroupRequest, group: ClassicGroup, resolve: (r: JoinGroupResponse) => void): VoidResult {
    const memberId = req.memberId;
    if (group.is('Dead')) {
      resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId));
      return EMPTY;
    }
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
      return EMPTY;
    }
    if (group.pendingMembers.has(memberId)) return this.addMemberThenRebalanceOrCompleteJoin(info, req, group, memberId, resolve);
    try {
      group.validateMember(memberId, req.groupInstanceId);
    } catch (e) {
      resolve(joinError((e as KafkaError).code, memberId));
      return EMPTY;
    }
    const member = group.member(memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, resolve);
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // The member lost the join response: send it again.
          resolve(this.generationResponse(group, memberId, group.isLeader(memberId)));
          return EMPTY;
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, resolve);
      case 'Stable':
        // A leader's JoinGroup forces a rebalance (it may have seen metadata changes no member metadata shows).
        if (group.isLeader(memberId) || !member.matches(req.protocols)) return this.updateMemberThenRebalanceOrCompleteJoin(req, group, member, resolve);
        resolve(this.generationResponse(group, memberId, false));
        return EMPTY;
      default:
        resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
        return EMPTY;
    }
  }

  private generationResponse(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment = false): JoinGroupResponse {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId,
      members: withMembers ? group.currentMembersForLeader() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(info: RequestInfo, req: JoinGroupRequest, group: ClassicGroup, memberId: string, resolve: (r: JoinGroupResponse) => void): VoidResult {
    const member = new ClassicGroupMember(
      memberId, req.groupInstanceId ?? null, info.clientId, info.clientHost,
      rebalanceTimeout(req), req.sessionTimeoutMs, req.protocolType, toProtocols(req.protocols),
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, resolve);
    // New members cannot heartbeat yet; a member that never comes back is dropped after this timeout.
    this.rescheduleHeartbeat(group, memberId, this.config.newMemberJoinTimeoutMs);
    return this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberThenRebalanceOrCompleteJoin(req: JoinGroupRequest, group: ClassicGroup, member: ClassicGroupMember, resolve: (r: JoinGroupResponse) => void): VoidResult {
    group.updateMember(member, toProtocols(req.protocols), rebalanceTimeout(req), req.sessionTimeoutMs, resolve);
    return this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(
    info: RequestInfo, req: JoinGroupRequest, group: ClassicGroup, oldMemberId: string, newMemberId: string, resolve: (r: JoinGroupResponse) => void,
  ): VoidResult {
    const currentLeader = group.leaderId;
    this.ctx.timer.cancel(heartbeatKey(group.groupId, oldMemberId));
    const member = group.replaceStaticMember(req.groupInstanceId!, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, newMemberId, member.sessionTimeoutMs);
    group.updateMember(member, toProtocols(req.protocols), rebalanceTimeout(req), req.sessionTimeoutMs, resolve);
    if (group.is('Stable')) {
      if ((group.protocolName ?? '') === group.selectProtocol()) {
        // Same protocol: persist the new member id and hand back the current generation, no rebalance.
        const record = this.groupRecord(group, group.groupAssignment());
        return {
          records: [record], response: undefined, replayRecords: false,
          afterWrite: (e) => {
            if (e !== null) {
              group.completeJoin(member, { ...this.generationResponse(group, UNKNOWN_MEMBER_ID, false), leader: currentLeader ?? '', errorCode: appendErrorToResponseError(this.errorCode(e)) });
            } else if (info.apiVersion >= 9) {
              const isLeader = group.isLeader(newMemberId);
              group.completeJoin(member, this.generationResponse(group, newMemberId, isLeader, isLeader));
            } else {
              group.completeJoin(member, { ...this.generationResponse(group, newMemberId, false), leader: currentLeader ?? '' });
            }
          },
        };
      }
      return this.maybePrepareRebalanceOrCompleteJoin(group);
    }
    if (group.is('CompletingRebalance')) {
      // The leader may already be assigning with the old member id: rebalance so the new id gets an assignment.
      return this.prepareRebalance(group);
    }
    return this.maybeCompleteJoinPhase(group);
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): VoidResult {
    return group.canRebalance() ? this.prepareRebalance(group) : this.maybeCompleteJoinPhase(group);
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): VoidResult {
    // The first rebalance of an empty group waits for its initial delay, however many have joined.
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') return this.completeJoin(group);
    return EMPTY;
  }

  /** Starts a rebalance (Kafka's prepareRebalance). Package-visible for tests. */
  prepareRebalance(group: ClassicGroup): VoidResult {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const isInitial = group.is('Empty');
    if (isInitial) {
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs - delayMs, 0);
      this.ctx.timer.schedule(joinKey(group.groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance', this.now);
    this.ctx.log?.info(`Preparing to rebalance group ${group.groupId} in state ${group.state} with old generation ${group.generationId}`);
    return isInitial ? EMPTY : this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): VoidResult {
    if (group.hasAllMembersJoined()) return this.completeJoin(group);
    this.ctx.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group));
    return EMPTY;
  }

  private tryCompleteInitialRebalanceElseSchedule(group: ClassicGroup, delayMs: number, remainingMs: number): VoidResult {
    if (!this.isCurrent(group)) return EMPTY;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.ctx.timer.schedule(joinKey(group.groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(group, newDelayMs, newRemainingMs));
      return EMPTY;
    }
    return this.completeJoin(group);
  }

  /** Ends the join phase: drops dynamic members that did not rejoin, starts the next generation. */
  private completeJoin(group: ClassicGroup): VoidResult {
    this.ctx.timer.cancel(joinKey(group.groupId));
    if (!this.isCurrent(group) || !group.is('PreparingRebalance')) return EMPTY;
    for (const m of group.notYetRejoinedMembers()) {
      if (m.isStatic) continue;
      group.remove(m.memberId);
      this.ctx.timer.cancel(heartbeatKey(group.groupId, m.memberId));
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined (only static members left): wait another rebalance timeout for them.
      this.ctx.timer.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => this.completeJoin(group));
      return EMPTY;
    }
    group.initNextGeneration(this.now);
    if (group.is('Empty')) {
      this.ctx.log?.info(`Group ${group.groupId} with generation ${group.generationId} is now empty`);
      return { records: [this.groupRecord(group, new Map())], response: undefined, replayRecords: false, afterWrite: () => {} };
    }
    this.ctx.log?.info(`Stabilized group ${group.groupId} generation ${group.generationId} with ${group.size} members`);
    for (const m of [...group.members.values()]) {
      group.completeJoin(m, this.generationResponse(group, m.memberId, group.isLeader(m.memberId)));
      this.rescheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    const generation = group.generationId;
    this.ctx.timer.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () => this.expirePendingSync(group, generation));
    return EMPTY;
  }

  private expirePendingSync(group: ClassicGroup, generationId: number): VoidResult {
    if (!this.isCurrent(group) || generationId !== group.generationId) return EMPTY;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return EMPTY;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      const m = group.members.get(id);
      if (m !== undefined) group.completeSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      group.remove(id);
      this.ctx.timer.cancel(heartbeatKey(group.groupId, id));
    }
    this.ctx.log?.info(`Group ${group.groupId} removed members who haven't sent their sync requests: ${missing.join(', ')}`);
    return this.prepareRebalance(group);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    this.ctx.timer.cancel(syncKey(group.groupId));
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const sent = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      if (sent) this.rescheduleHeartbeat(group, m.memberId, m.sessionTimeoutMs);
    }
  }

  // ------------------------------------------------------------------------------------------
  // SyncGroup

  sync(req: SyncGroupRequest): CoordinatorResult<Promise<SyncGroupResponse>> {
    const { promise, resolve } = deferred<SyncGroupResponse>();
    const res = this.syncInner(req, resolve);
    return { ...res, response: promise };
  }

  private syncInner(req: SyncGroupRequest, resolve: (r: SyncGroupResponse) => void): VoidResult {
    const group = this.groups.get(req.groupId);
    if (group === undefined) {
      resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      return EMPTY;
    }
    const err = this.validateSync(group, req);
    if (err !== ErrorCode.NONE) {
      resolve(syncError(err));
      return EMPTY;
    }
    const memberId = req.memberId;
    switch (group.state) {
      case 'Empty':
        resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        return EMPTY;
      case 'PreparingRebalance':
        resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        return EMPTY;
      case 'CompletingRebalance': {
        group.member(memberId).awaitingSync = resolve;
        this.removePendingSyncMember(group, memberId);
        if (!group.isLeader(memberId)) return EMPTY;
        const assignment = new Map<string, Buffer>();
        for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
        for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BUFFER);
        const generation = req.generationId;
        return {
          records: [this.groupRecord(group, assignment)], response: undefined, replayRecords: false,
          afterWrite: (e) => {
            // Another member may have joined meanwhile: only the same generation, still completing, gets this assignment.
            if (!group.is('CompletingRebalance') || generation !== group.generationId) return;
            if (e !== null) {
              this.resetAndPropagateAssignmentWithError(group, appendErrorToResponseError(this.errorCode(e)));
              // Nothing is written here, so the follow-up result needs no append.
              this.maybePrepareRebalanceOrCompleteJoin(group);
              return;
            }
            for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BUFFER;
            this.propagateAssignment(group, ErrorCode.NONE);
            group.transitionTo('Stable', this.now);
          },
        };
      }
      case 'Stable': {
        this.removePendingSyncMember(group, memberId);
        const m = group.member(memberId);
        resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
        return EMPTY;
      }
      case 'Dead':
        resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
        return EMPTY;
    }
  }

  private validateSync(group: ClassicGroup, req: SyncGroupRequest): number {
    const code = validateGenerationMember(group, req.memberId, req.groupInstanceId, req.generationId);
    if (code !== ErrorCode.NONE) return code;
    if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return ErrorCode.NONE;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 || !(group.is('CompletingRebalance') || group.is('Stable'))) this.ctx.timer.cancel(syncKey(group.groupId));
  }

  // ------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(req: HeartbeatRequest): number {
    const group = this.groups.get(req.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const code = validateGenerationMember(group, req.memberId, req.groupInstanceId, req.generationId);
    if (code !== ErrorCode.NONE) return code;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, req.memberId, group.member(req.memberId).sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        // Heartbeats may start right after the JoinGroup response (CompletingRebalance): they count.
        this.rescheduleHeartbeat(group, req.memberId, group.member(req.memberId).sessionTimeoutMs);
        return ErrorCode.NONE;
    }
  }

  leave(req: LeaveGroupRequest, version: number): CoordinatorResult<LeaveGroupResponse> {
    const identities = version >= 3 ? (req.members ?? []) : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    const group = this.groups.get(req.groupId);
    if (group === undefined) return { records: [], response: { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] }, replayRecords: false };
    if (group.is('Dead')) return { records: [], response: { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }, replayRecords: false };
    const responses: NonNullable<LeaveGroupResponse['members']> = [];
    const leaving: ClassicGroupMember[] = [];
    let res: VoidResult = EMPTY;
    for (const ident of identities) {
      const instanceId = ident.groupInstanceId ?? null;
      let errorCode: number = ErrorCode.NONE;
      let memberId = ident.memberId;
      if (memberId === UNKNOWN_MEMBER_ID && instanceId !== null) {
        const id = group.staticMemberId(instanceId);
        if (id === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else {
          memberId = id;
          leaving.push(group.member(id));
        }
      } else if (group.pendingMembers.has(memberId)) {
        group.remove(memberId);
        this.ctx.timer.cancel(heartbeatKey(group.groupId, memberId));
        if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') res = merge(res, this.completeJoin(group));
      } else {
        try {
          group.validateMember(memberId, instanceId);
          leaving.push(group.member(memberId));
        } catch (e) {
          errorCode = (e as KafkaError).code;
        }
      }
      responses.push({ memberId: ident.memberId, groupInstanceId: instanceId, errorCode });
    }
    if (leaving.length > 0) {
      for (const m of leaving) {
        group.completeJoin(m, joinError(ErrorCode.UNKNOWN_MEMBER_ID));
        group.completeSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        group.remove(m.memberId);
        this.ctx.timer.cancel(heartbeatKey(group.groupId, m.memberId));
      }
      if (group.is('Stable') || group.is('CompletingRebalance')) res = merge(res, this.prepareRebalance(group));
      else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) res = merge(res, this.completeJoin(group));
    }
    const response: LeaveGroupResponse = version >= 3
      ? { errorCode: ErrorCode.NONE, members: responses }
      : { errorCode: responses[0]?.errorCode ?? ErrorCode.NONE, members: [] };
    return { ...res, response };
  }

  // ------------------------------------------------------------------------------------------
  // Timers

  private rescheduleHeartbeat(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    this.ctx.timer.schedule(heartbeatKey(group.groupId, memberId), timeoutMs, () => this.expireHeartbeat(group, memberId));
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): VoidResult {
    if (!this.isCurrent(group) || group.is('Dead')) return EMPTY;
    if (group.pendingMembers.has(memberId)) {
      this.ctx.log?.info(`Pending member ${memberId} in group ${group.groupId} has been removed after session timeout expiration`);
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') return this.completeJoin(group);
      return EMPTY;
    }
    const member = group.members.get(memberId);
    if (member === undefined || member.hasSatisfiedHeartbeat()) return EMPTY;
    this.ctx.log?.info(`Member ${memberId} in group ${group.groupId} has failed, removing it from the group`);
    return this.removeMemberAndUpdateGroup(group, member);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember): VoidResult {
    // A new member may time out while its JoinGroup is parked: answer it so the client rejoins.
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) return this.maybePrepareRebalanceOrCompleteJoin(group);
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) return this.completeJoin(group);
    return EMPTY;
  }

  private isCurrent(group: ClassicGroup): boolean {
    return this.groups.get(group.groupId) === group;
  }

  /** After loading: every loaded member must heartbeat within its session timeout. */
  onLoaded(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) this.rescheduleHeartbeat(g, m.memberId, m.sessionTimeoutMs);
  }

  /** The shard is unloaded (shutdown, resignation): parked requests go look for the coordinator again. */
  onUnloaded(): void {
    for (const g of this.groups.values()) {
      for (const m of g.members.values()) {
        g.completeJoin(m, joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        g.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  /** Drops a group (deleted, or all its offsets expired): parked requests are told to find the coordinator again. */
  removeGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    this.groups.delete(groupId);
    for (const m of group.members.values()) {
      group.completeJoin(m, joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
      group.completeSync(m, syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      this.ctx.timer.cancel(heartbeatKey(groupId, m.memberId));
    }
    for (const id of group.pendingMembers) this.ctx.timer.cancel(heartbeatKey(groupId, id));
    this.ctx.timer.cancel(joinKey(groupId));
    this.ctx.timer.cancel(syncKey(groupId));
    if (!group.is('Dead')) group.transitionTo('Dead', this.now);
  }

  // ------------------------------------------------------------------------------------------
  // Records

  groupRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): CoordinatorRecord {
    const protocolName = group.protocolName;
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
      members: protocolName === null ? [] : [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(protocolName) ?? EMPTY_BUFFER,
        assignment: assignment.get(m.memberId) ?? EMPTY_BUFFER,
      })),
    };
    return groupMetadataRecord(group.groupId, value);
  }

  /** Rebuilds a group from its GroupMetadataValue (load), or deletes it (tombstone). */
  replayGroup(groupId: string, value: GroupMetadataValue | null): void {
    if (value === null) {
      this.removeGroup(groupId);
      return;
    }
    const ts = value.currentStateTimestamp !== undefined && value.currentStateTimestamp >= 0n ? Number(value.currentStateTimestamp) : null;
    const group = new ClassicGroup(groupId, ts);
    group.generationId = value.generation;
    group.protocolName = value.protocol;
    for (const mm of value.members) {
      const protocols: Protocol[] = value.protocol === null ? [] : [{ name: value.protocol, metadata: mm.subscription }];
      const m = new ClassicGroupMember(mm.memberId, mm.groupInstanceId ?? null, mm.clientId, mm.clientHost, mm.rebalanceTimeout ?? mm.sessionTimeout, mm.sessionTimeout, value.protocolType, protocols);
      m.assignment = mm.assignment;
      group.add(m);
    }
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    group.leaderId = value.leader;
    group.state = value.members.length === 0 ? 'Empty' : 'Stable';
    group.currentStateTimestamp = ts;
    group.refreshSubscribedTopics();
    const previous = this.groups.get(groupId);
    if (previous !== undefined && previous !== group) this.removeGroup(groupId);
    this.groups.set(groupId, group);
  }

  /** A group for offsets committed without group management (Kafka's "simple" group). */
  getOrCreateSimpleGroup(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = new ClassicGroup(groupId, null);
      this.groups.set(groupId, g);
    }
    return g;
  }

  // ------------------------------------------------------------------------------------------
  // Describe, list

  describe(groupId: string): DescribeGroupsResponse['groups'][number] {
    const group = this.groups.get(groupId);
    if (group === undefined || group.is('Dead')) {
      return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 };
    }
    const stable = group.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable && group.protocolName !== null ? (m.metadata(group.protocolName) ?? EMPTY_BUFFER) : EMPTY_BUFFER,
        memberAssignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
      authorizedOperations: -2147483648,
    };
  }

  list(statesFilter: readonly string[], typesFilter: readonly string[]): ListGroupsResponse['groups'] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has('classic')) return [];
    const out: ListGroupsResponse['groups'] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return out;
  }
}

/** The checks SyncGroup and Heartbeat share: a live group, a known member, the current generation. */
function validateGenerationMember(group: ClassicGroup, memberId: string, instanceId: string | null | undefined, generationId: number): number {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  try {
    group.validateMember(memberId, instanceId);
  } catch (e) {
    return (e as KafkaError).code;
  }
  return generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.NONE;
}

function inconsistent(requested: string | null | undefined, current: string | null): boolean {
  return requested !== null && requested !== undefined && requested !== current;
}

function rebalanceTimeout(req: JoinGroupRequest): number {
  // v0 has no rebalance timeout: Kafka uses the session timeout.
  return req.rebalanceTimeoutMs === undefined || req.rebalanceTimeoutMs === -1 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
}

function toProtocols(protocols: JoinGroupRequest['protocols']): Protocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: p.metadata }));
}

export function heartbeatKey(groupId: string, memberId: string): string {
  return `heartbeat-${groupId}-${memberId}`;
}
function joinKey(groupId: string): string {
  return `join-${groupId}`;
}
function syncKey(groupId: string): string {
  return `sync-${groupId}`;
}

export type { ClassicGroupState };
