/**
 * A classic (JoinGroup/SyncGroup) group and its members, after Kafka's ClassicGroup and
 * ClassicGroupMember. The state machine:
 *
 *   Empty -> PreparingRebalance            a member joins
 *   PreparingRebalance -> CompletingRebalance   the join phase completes with members
 *   PreparingRebalance -> Empty             the join phase completes with no members left
 *   CompletingRebalance -> Stable           the leader's assignment is written
 *   CompletingRebalance/Stable -> PreparingRebalance   join, leave, expiry, missing sync
 *   Empty/PreparingRebalance/CompletingRebalance/Stable -> Dead   group deleted or offsets expired
 *
 * Responses to JoinGroup and SyncGroup wait here (the awaiting futures) until the phase ends.
 */
import { ErrorCode, KafkaError, Reader, decodeConsumerProtocolSubscription, type JoinGroupResponse, type SyncGroupResponse } from '@samsa/protocol';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<ClassicGroupState, readonly ClassicGroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export const UNKNOWN_MEMBER_ID = '';
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const EMPTY_BUFFER = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

type Waiter<T> = (response: T) => void;

export class ClassicGroupMember {
  assignment: Buffer = EMPTY_BUFFER;
  awaitingJoin: Waiter<JoinGroupResponse> | null = null;
  awaitingSync: Waiter<SyncGroupResponse> | null = null;
  /** Joined for the first time in the current rebalance (may be expired while awaiting join). */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** Kafka's hasSatisfiedHeartbeat: members waiting in a rebalance count as alive, except new ones. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  metadata(protocolName: string): Buffer | undefined {
    return this.protocols.find((p) => p.name === protocolName)?.metadata;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The first of this member's protocols (in its preference order) among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (p === undefined) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return p.name;
  }
}

export class ClassicGroup {
  state: ClassicGroupState = 'Empty';
  previousState: ClassicGroupState = 'Empty';
  /** When the state last changed (ms); GroupMetadataValue.currentStateTimestamp. */
  currentStateTimestamp: number | null;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, ClassicGroupMember>();
  readonly staticMembers = new Map<string, string>();
  /** Members given an id by MEMBER_ID_REQUIRED that have not joined with it yet. */
  readonly pendingMembers = new Set<string>();
  /** Members that got the join response of this generation but have not sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** For the initial rebalance delay: a member joined since the last delay started. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol), null when unknown. */
  subscribedTopics: Set<string> | null = null;
  private numMembersAwaitingJoin = 0;

  constructor(readonly groupId: string, nowMs: number | null) {
    this.currentStateTimestamp = nowMs;
  }

  is(state: ClassicGroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: ClassicGroupState, nowMs: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`Group ${this.groupId} should be in one of ${VALID_PREVIOUS[state].join(', ')} before moving to ${state}, but is ${this.state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestamp = nowMs;
  }

  get size(): number {
    return this.members.size;
  }

  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  member(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    if (m === undefined) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    return m;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  add(member: ClassicGroupMember, awaitingJoin: Waiter<JoinGroupResponse> | null = null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
    if (awaitingJoin !== null) {
      member.awaitingJoin = awaitingJoin;
      this.numMembersAwaitingJoin++;
    }
    this.refreshSubscribedTopics();
  }

  /** Removes a member (or pending member); elects another leader if it led. */
  remove(memberId: string): void {
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    const m = this.members.get(memberId);
    if (m === undefined) return;
    this.members.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    if (m.isAwaitingJoin) this.numMembersAwaitingJoin--;
    m.awaitingJoin = null;
    if (this.isLeader(memberId)) {
      const next = [...this.members.values()].find((x) => x.isAwaitingJoin) ?? this.members.values().next().value;
      this.leaderId = next?.memberId ?? null;
    }
    this.refreshSubscribedTopics();
  }

  /** Changes a member's protocols and timeouts and (re)parks its JoinGroup. */
  updateMember(member: ClassicGroupMember, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, awaitingJoin: Waiter<JoinGroupResponse> | null): void {
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (awaitingJoin === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = awaitingJoin;
    this.refreshSubscribedTopics();
  }

  /** Static member rejoining with a new member id: the old id is fenced (its waiters get FENCED_INSTANCE_ID). */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicGroupMember {
    const old = this.members.get(oldMemberId);
    if (old === undefined) throw new Error(`static member ${groupInstanceId} (${oldMemberId}) is not in group ${this.groupId}`);
    this.members.delete(oldMemberId);
    if (old.awaitingJoin !== null) {
      const w = old.awaitingJoin;
      old.awaitingJoin = null;
      this.numMembersAwaitingJoin--;
      w(joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    }
    if (old.awaitingSync !== null) {
      const w = old.awaitingSync;
      old.awaitingSync = null;
      w(syncError(ErrorCode.FENCED_INSTANCE_ID));
    }
    old.memberId = newMemberId;
    this.members.set(newMemberId, old);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return old;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The largest rebalance timeout of the members: how long the join phase may take. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  /** If the leader has not rejoined, the first member that did becomes leader. False when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    const joined = [...this.members.values()].find((m) => m.isAwaitingJoin);
    if (joined === undefined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  /** Protocols every member supports, by name. */
  candidateProtocols(): Set<string> {
    let out: Set<string> | null = null;
    for (const m of this.members.values()) {
      const names = new Set<string>(m.protocols.map((p) => p.name));
      if (out === null) out = names;
      else for (const n of [...out]) if (!names.has(n)) out.delete(n);
    }
    return out ?? new Set<string>();
  }

  /** Whether a joining member's protocols are compatible with the group's. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Kafka's selectProtocol: each member votes for its most preferred candidate; most votes wins. */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) if (n > bestVotes) [best, bestVotes] = [name, n];
    return best!;
  }

  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.refreshSubscribedTopics();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** Validates a member's identity (Kafka's validateMember): UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID. */
  validateMember(memberId: string, groupInstanceId: string | null | undefined): void {
    if (groupInstanceId !== null && groupInstanceId !== undefined) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `static member ${groupInstanceId} is unknown`);
      if (existing !== memberId) throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID, `static member ${groupInstanceId} has member id ${existing}, not ${memberId}`);
    } else if (!this.members.has(memberId)) {
      throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is unknown`);
    }
  }

  /**
   * Whether a member may commit offsets (Kafka's ClassicGroup.validateOffsetCommit), for
   * OffsetCommit and, `transactional`, TxnOffsetCommit (KIP-447): UNKNOWN_MEMBER_ID,
   * FENCED_INSTANCE_ID, ILLEGAL_GENERATION. A transactional commit is not refused for the group's
   * state (no REBALANCE_IN_PROGRESS), nor without a member id and generation (TxnOffsetCommit
   * v0-v2 carry none) while the group has members.
   */
  validateOffsetCommit(memberId: string, groupInstanceId: string | null, generationId: number, transactional: boolean): void {
    if (this.is('Dead')) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Commits without a generation into an empty group: admin tools, manual assignment.
    if (generationId < 0 && this.is('Empty')) return;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      this.validateMember(memberId, groupInstanceId);
      if (generationId !== this.generationId) throw new KafkaError(ErrorCode.ILLEGAL_GENERATION, `generation ${generationId} is not the group's generation ${this.generationId}`);
    } else if (!transactional && !this.is('Empty')) {
      // Without member id and generation, plain commits are only accepted while the group has no members.
      throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    // The member has this generation's JoinGroup response but not its assignment yet.
    if (!transactional && this.is('CompletingRebalance')) throw new KafkaError(ErrorCode.REBALANCE_IN_PROGRESS);
  }

  /** Members as the leader sees them in the JoinGroup response. */
  currentMembersForLeader(): JoinGroupResponse['members'] {
    if (this.protocolName === null) return [];
    const name = this.protocolName;
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(name) ?? EMPTY_BUFFER }));
  }

  groupAssignment(): Map<string, Buffer> {
    return new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
  }

  completeJoin(member: ClassicGroupMember, response: JoinGroupResponse): boolean {
    const w = member.awaitingJoin;
    if (w === null) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    w(response);
    return true;
  }

  completeSync(member: ClassicGroupMember, response: SyncGroupResponse): boolean {
    const w = member.awaitingSync;
    if (w === null) return false;
    member.awaitingSync = null;
    w(response);
    return true;
  }

  /**
   * The consumer-protocol topics subscribed by the members (Kafka's computeSubscribedTopics),
   * decoded from ConsumerProtocolSubscription; null when the group does not use that protocol
   * or a subscription cannot be read.
   */
  refreshSubscribedTopics(): void {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null || this.members.size === 0) {
      this.subscribedTopics = this.members.size === 0 && this.protocolType === CONSUMER_PROTOCOL_TYPE ? new Set() : null;
      return;
    }
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const md = m.metadata(this.protocolName);
      if (md === undefined) continue;
      const sub = decodeSubscription(md);
      if (sub === null) {
        this.subscribedTopics = null;
        return;
      }
      for (const t of sub) topics.add(t);
    }
    this.subscribedTopics = topics;
  }

  /** Whether offsets of `topic` are in use by the group's members (OffsetDelete, expiry). */
  isSubscribedTo(topic: string): boolean {
    if (this.is('Empty') || this.is('Dead')) return false;
    // Unknown subscriptions (other protocols, unreadable metadata) are treated as subscribed to everything.
    return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
  }
}

/** Topics of an embedded ConsumerProtocolSubscription, null when it cannot be decoded. */
export function decodeSubscription(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    return decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics;
  } catch {
    return null;
  }
}

export function joinError(errorCode: number, memberId = UNKNOWN_MEMBER_ID): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}
