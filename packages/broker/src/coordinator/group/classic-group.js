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
import { ErrorCode, KafkaError, Reader, decodeConsumerProtocolSubscription } from '@samsa/protocol';
const VALID_PREVIOUS = {
    Empty: ['PreparingRebalance'],
    PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
    CompletingRebalance: ['PreparingRebalance'],
    Stable: ['CompletingRebalance'],
    Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};
export const UNKNOWN_MEMBER_ID = '';
export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const EMPTY_BUFFER = Buffer.alloc(0);
export class ClassicGroupMember {
    memberId;
    groupInstanceId;
    clientId;
    clientHost;
    rebalanceTimeoutMs;
    sessionTimeoutMs;
    protocolType;
    protocols;
    assignment = EMPTY_BUFFER;
    awaitingJoin = null;
    awaitingSync = null;
    /** Joined for the first time in the current rebalance (may be expired while awaiting join). */
    isNew = false;
    constructor(memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs, protocolType, protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocolType = protocolType;
        this.protocols = protocols;
    }
    get isStatic() {
        return this.groupInstanceId !== null;
    }
    get isAwaitingJoin() {
        return this.awaitingJoin !== null;
    }
    get isAwaitingSync() {
        return this.awaitingSync !== null;
    }
    /** Kafka's hasSatisfiedHeartbeat: members waiting in a rebalance count as alive, except new ones. */
    hasSatisfiedHeartbeat() {
        if (this.isNew)
            return false;
        return this.isAwaitingJoin || this.isAwaitingSync;
    }
    metadata(protocolName) {
        return this.protocols.find((p) => p.name === protocolName)?.metadata;
    }
    /** Same protocols, same order, same metadata bytes. */
    matches(protocols) {
        if (protocols.length !== this.protocols.length)
            return false;
        return protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
    }
    /** The first of this member's protocols (in its preference order) among the candidates. */
    vote(candidates) {
        const p = this.protocols.find((x) => candidates.has(x.name));
        if (p === undefined)
            throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
        return p.name;
    }
}
export class ClassicGroup {
    groupId;
    state = 'Empty';
    previousState = 'Empty';
    /** When the state last changed (ms); GroupMetadataValue.currentStateTimestamp. */
    currentStateTimestamp;
    generationId = 0;
    protocolType = null;
    protocolName = null;
    leaderId = null;
    members = new Map();
    staticMembers = new Map();
    /** Members given an id by MEMBER_ID_REQUIRED that have not joined with it yet. */
    pendingMembers = new Set();
    /** Members that got the join response of this generation but have not sent SyncGroup. */
    pendingSyncMembers = new Set();
    /** For the initial rebalance delay: a member joined since the last delay started. */
    newMemberAdded = false;
    /** Topics the members subscribe to (consumer protocol), null when unknown. */
    subscribedTopics = null;
    numMembersAwaitingJoin = 0;
    constructor(groupId, nowMs) {
        this.groupId = groupId;
        this.currentStateTimestamp = nowMs;
    }
    is(state) {
        return this.state === state;
    }
    transitionTo(state, nowMs) {
        if (!VALID_PREVIOUS[state].includes(this.state)) {
            throw new Error(`Group ${this.groupId} should be in one of ${VALID_PREVIOUS[state].join(', ')} before moving to ${state}, but is ${this.state}`);
        }
        this.previousState = this.state;
        this.state = state;
        this.currentStateTimestamp = nowMs;
    }
    get size() {
        return this.members.size;
    }
    get numAwaitingJoin() {
        return this.numMembersAwaitingJoin;
    }
    isLeader(memberId) {
        return this.leaderId === memberId;
    }
    hasMember(memberId) {
        return this.members.has(memberId);
    }
    member(memberId) {
        const m = this.members.get(memberId);
        if (m === undefined)
            throw new Error(`member ${memberId} is not in group ${this.groupId}`);
        return m;
    }
    staticMemberId(groupInstanceId) {
        return this.staticMembers.get(groupInstanceId);
    }
    add(member, awaitingJoin = null) {
        if (this.members.size === 0)
            this.protocolType = member.protocolType;
        if (this.leaderId === null)
            this.leaderId = member.memberId;
        this.members.set(member.memberId, member);
        if (member.groupInstanceId !== null)
            this.staticMembers.set(member.groupInstanceId, member.memberId);
        this.pendingMembers.delete(member.memberId);
        if (awaitingJoin !== null) {
            member.awaitingJoin = awaitingJoin;
            this.numMembersAwaitingJoin++;
        }
        this.refreshSubscribedTopics();
    }
    /** Removes a member (or pending member); elects another leader if it led. */
    remove(memberId) {
        this.pendingMembers.delete(memberId);
        this.pendingSyncMembers.delete(memberId);
        const m = this.members.get(memberId);
        if (m === undefined)
            return;
        this.members.delete(memberId);
        if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId)
            this.staticMembers.delete(m.groupInstanceId);
        if (m.isAwaitingJoin)
            this.numMembersAwaitingJoin--;
        m.awaitingJoin = null;
        if (this.isLeader(memberId)) {
            const next = [...this.members.values()].find((x) => x.isAwaitingJoin) ?? this.members.values().next().value;
            this.leaderId = next?.memberId ?? null;
        }
        this.refreshSubscribedTopics();
    }
    /** Changes a member's protocols and timeouts and (re)parks its JoinGroup. */
    updateMember(member, protocols, rebalanceTimeoutMs, sessionTimeoutMs, awaitingJoin) {
        member.protocols = protocols;
        member.rebalanceTimeoutMs = rebalanceTimeoutMs;
        member.sessionTimeoutMs = sessionTimeoutMs;
        if (awaitingJoin !== null && !member.isAwaitingJoin)
            this.numMembersAwaitingJoin++;
        else if (awaitingJoin === null && member.isAwaitingJoin)
            this.numMembersAwaitingJoin--;
        member.awaitingJoin = awaitingJoin;
        this.refreshSubscribedTopics();
    }
    /** Static member rejoining with a new member id: the old id is fenced (its waiters get FENCED_INSTANCE_ID). */
    replaceStaticMember(groupInstanceId, oldMemberId, newMemberId) {
        const old = this.members.get(oldMemberId);
        if (old === undefined)
            throw new Error(`static member ${groupInstanceId} (${oldMemberId}) is not in group ${this.groupId}`);
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
        if (this.isLeader(oldMemberId))
            this.leaderId = newMemberId;
        this.staticMembers.set(groupInstanceId, newMemberId);
        if (this.pendingSyncMembers.delete(oldMemberId))
            this.pendingSyncMembers.add(newMemberId);
        return old;
    }
    hasAllMembersJoined() {
        return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
    }
    notYetRejoinedMembers() {
        return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
    }
    /** The largest rebalance timeout of the members: how long the join phase may take. */
    get rebalanceTimeoutMs() {
        let t = 0;
        for (const m of this.members.values())
            t = Math.max(t, m.rebalanceTimeoutMs);
        return t;
    }
    canRebalance() {
        return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
    }
    /** If the leader has not rejoined, the first member that did becomes leader. False when none did. */
    maybeElectNewJoinedLeader() {
        if (this.leaderId === null)
            return false;
        const leader = this.members.get(this.leaderId);
        if (leader !== undefined && leader.isAwaitingJoin)
            return true;
        const joined = [...this.members.values()].find((m) => m.isAwaitingJoin);
        if (joined === undefined)
            return false;
        this.leaderId = joined.memberId;
        return true;
    }
    /** Protocols every member supports, by name. */
    candidateProtocols() {
        let out = null;
        for (const m of this.members.values()) {
            const names = new Set(m.protocols.map((p) => p.name));
            if (out === null)
                out = names;
            else
                for (const n of [...out])
                    if (!names.has(n))
                        out.delete(n);
        }
        return out ?? new Set();
    }
    /** Whether a joining member's protocols are compatible with the group's. */
    supportsProtocols(protocolType, protocols) {
        if (this.is('Empty'))
            return protocolType.length > 0 && protocols.length > 0;
        if (this.protocolType !== protocolType)
            return false;
        const candidates = this.candidateProtocols();
        return protocols.some((p) => candidates.has(p.name));
    }
    /** Kafka's selectProtocol: each member votes for its most preferred candidate; most votes wins. */
    selectProtocol() {
        if (this.members.size === 0)
            throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
        const candidates = this.candidateProtocols();
        const votes = new Map();
        for (const m of this.members.values()) {
            const v = m.vote(candidates);
            votes.set(v, (votes.get(v) ?? 0) + 1);
        }
        let best = null;
        let bestVotes = -1;
        for (const [name, n] of votes)
            if (n > bestVotes)
                [best, bestVotes] = [name, n];
        return best;
    }
    initNextGeneration(nowMs) {
        this.generationId++;
        if (this.members.size > 0) {
            this.protocolName = this.selectProtocol();
            this.refreshSubscribedTopics();
            this.transitionTo('CompletingRebalance', nowMs);
        }
        else {
            this.protocolName = null;
            this.transitionTo('Empty', nowMs);
        }
        this.pendingSyncMembers.clear();
    }
    /** Validates a member's identity (Kafka's validateMember): UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID. */
    validateMember(memberId, groupInstanceId) {
        if (groupInstanceId !== null && groupInstanceId !== undefined) {
            const existing = this.staticMembers.get(groupInstanceId);
            if (existing === undefined)
                throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `static member ${groupInstanceId} is unknown`);
            if (existing !== memberId)
                throw new KafkaError(ErrorCode.FENCED_INSTANCE_ID, `static member ${groupInstanceId} has member id ${existing}, not ${memberId}`);
        }
        else if (!this.members.has(memberId)) {
            throw new KafkaError(ErrorCode.UNKNOWN_MEMBER_ID, `member ${memberId} is unknown`);
        }
    }
    /** Members as the leader sees them in the JoinGroup response. */
    currentMembersForLeader() {
        if (this.protocolName === null)
            return [];
        const name = this.protocolName;
        return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(name) ?? EMPTY_BUFFER }));
    }
    groupAssignment() {
        return new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
    }
    completeJoin(member, response) {
        const w = member.awaitingJoin;
        if (w === null)
            return false;
        member.awaitingJoin = null;
        this.numMembersAwaitingJoin--;
        w(response);
        return true;
    }
    completeSync(member, response) {
        const w = member.awaitingSync;
        if (w === null)
            return false;
        member.awaitingSync = null;
        w(response);
        return true;
    }
    /**
     * The consumer-protocol topics subscribed by the members (Kafka's computeSubscribedTopics),
     * decoded from ConsumerProtocolSubscription; null when the group does not use that protocol
     * or a subscription cannot be read.
     */
    refreshSubscribedTopics() {
        if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null || this.members.size === 0) {
            this.subscribedTopics = this.members.size === 0 && this.protocolType === CONSUMER_PROTOCOL_TYPE ? new Set() : null;
            return;
        }
        const topics = new Set();
        for (const m of this.members.values()) {
            const md = m.metadata(this.protocolName);
            if (md === undefined)
                continue;
            const sub = decodeSubscription(md);
            if (sub === null) {
                this.subscribedTopics = null;
                return;
            }
            for (const t of sub)
                topics.add(t);
        }
        this.subscribedTopics = topics;
    }
    /** Whether offsets of `topic` are in use by the group's members (OffsetDelete, expiry). */
    isSubscribedTo(topic) {
        if (this.is('Empty') || this.is('Dead'))
            return false;
        // Unknown subscriptions (other protocols, unreadable metadata) are treated as subscribed to everything.
        return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
    }
}
/** Topics of an embedded ConsumerProtocolSubscription, null when it cannot be decoded. */
export function decodeSubscription(metadata) {
    try {
        const r = new Reader(metadata);
        const version = r.int16();
        if (version < 0)
            return null;
        return decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics;
    }
    catch {
        return null;
    }
}
export function joinError(errorCode, memberId = UNKNOWN_MEMBER_ID) {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}
export function syncError(errorCode) {
    return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}
//# sourceMappingURL=classic-group.js.map