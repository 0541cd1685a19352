/**
 * The replication state of one hosted partition (the leadership half of Kafka's Partition):
 * role, leader and leader epoch, ISR, high watermark kept apart from the log end, and on the
 * leader the state of each remote replica as learned from its fetches.
 *
 * High watermark rule (Kafka's Partition.maybeIncrementLeaderHW): the smallest log end offset
 * among the ISR, the leader's own included; it never moves back while this broker leads.
 * A follower's high watermark is min(leader's, own log end), from each fetch response.
 */
import type { LogObserver, PartitionLog } from '../storage/partition-log.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';

export type ReplicaRole = 'leader' | 'follower' | 'offline';

/** What a leader knows about a follower (Kafka's Replica). */
export interface RemoteReplica {
  readonly brokerId: number;
  /** Its log end offset: the offset of its last fetch; -1 until it fetched in this epoch. */
  logEndOffset: bigint;
  /** Last time it had fetched everything the leader had (replica.lag.time.max.ms is measured from here). */
  lastCaughtUpTimeMs: number;
  /** The leader's log end offset and the time of its previous fetch. */
  lastFetchLeaderLogEndOffset: bigint;
  lastFetchTimeMs: number;
}

export class PartitionReplica {
  role: ReplicaRole = 'offline';
  leaderId = -1;
  leaderEpoch = -1;
  isr: readonly number[] = [];
  replicas: readonly number[] = [];
  highWatermark: bigint;
  private readonly remotes = new Map<number, RemoteReplica>();
  readonly epochCache: LeaderEpochCache;
  /** An ISR change written to the metadata store and not yet seen back (one at a time, as Kafka's AlterPartition). */
  isrChangeInFlight = false;
  /** Leadership is being handed over (controlled shutdown): produce is refused, retriably. */
  handingOver = false;

  /** Appends wake long polls; a leader's may commit at once when the ISR is just the leader. */
  private readonly appendObserver: LogObserver;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: PartitionLog,
    readonly nodeId: number,
    replicationFactor: number,
    onAppend: (r: PartitionReplica, bytes: number, highWatermarkMoved: boolean) => void,
  ) {
    this.epochCache = new LeaderEpochCache(log);
    this.appendObserver = { onAppend: (batches) => onAppend(this, batches.length, this.maybeIncrementHighWatermark()) };
    log.addObserver(this.appendObserver);
    // Without a high-watermark checkpoint, a replicated partition starts at 0 and learns its
    // high watermark from the ISR; a single replica's log end is committed by definition.
    this.highWatermark = replicationFactor > 1 ? 0n : log.logEndOffset;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  /** Becomes leader in `epoch`: the epoch starts at the log end; followers are unknown until they fetch. */
  makeLeader(epoch: number, isr: readonly number[], replicas: readonly number[], nowMs: number): void {
    this.role = 'leader';
    this.leaderId = this.nodeId;
    this.leaderEpoch = epoch;
    this.isr = isr;
    this.replicas = replicas;
    this.isrChangeInFlight = false;
    this.handingOver = false;
    this.epochCache.assign(epoch, this.log.logEndOffset);
    this.remotes.clear();
    const leo = this.log.logEndOffset;
    for (const r of replicas) {
      if (r === this.nodeId) continue;
      // ISR members get a fresh lag allowance (Kafka resets lastCaughtUpTime on leader change).
      this.remotes.set(r, { brokerId: r, logEndOffset: -1n, lastCaughtUpTimeMs: isr.includes(r) ? nowMs : 0, lastFetchLeaderLogEndOffset: leo, lastFetchTimeMs: nowMs });
    }
    if (this.highWatermark > leo) this.highWatermark = leo;
  }

  makeFollower(leaderId: number, epoch: number, isr: readonly number[], replicas: readonly number[]): void {
    this.role = leaderId >= 0 ? 'follower' : 'offline';
    this.leaderId = leaderId;
    this.leaderEpoch = epoch;
    this.isr = isr;
    this.replicas = replicas;
    this.isrChangeInFlight = false;
    this.handingOver = false;
    this.remotes.clear();
  }

  /**
   * A follower fetched at `fetchOffset` (its log end): Kafka's updateFollowerFetchState. It is
   * caught up when it asked for everything the leader had, now or at its previous fetch.
   */
  recordFollowerFetch(replicaId: number, fetchOffset: bigint, nowMs: number): RemoteReplica | undefined {
    const r = this.remotes.get(replicaId);
    if (r === undefined) return undefined;
    const leo = this.log.logEndOffset;
    if (fetchOffset >= leo) r.lastCaughtUpTimeMs = Math.max(r.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= r.lastFetchLeaderLogEndOffset) r.lastCaughtUpTimeMs = Math.max(r.lastCaughtUpTimeMs, r.lastFetchTimeMs);
    r.logEndOffset = fetchOffset;
    r.lastFetchLeaderLogEndOffset = leo;
    r.lastFetchTimeMs = nowMs;
    return r;
  }

  /** Leader: recomputes the high watermark over the ISR; returns whether it moved. */
  maybeIncrementHighWatermark(): boolean {
    if (this.role !== 'leader') return false;
    let hw = this.log.logEndOffset;
    for (const id of this.isr) {
      if (id === this.nodeId) continue;
      const r = this.remotes.get(id);
      // An ISR member that has not fetched in this epoch holds the high watermark where it is.
      const leo = r === undefined || r.logEndOffset < 0n ? this.highWatermark : r.logEndOffset;
      if (leo < hw) hw = leo;
    }
    if (hw <= this.highWatermark) return false;
    this.highWatermark = hw;
    return true;
  }

  /** Follower: the leader's high watermark, capped at what this replica has. */
  updateHighWatermarkAsFollower(leaderHighWatermark: bigint): boolean {
    const leo = this.log.logEndOffset;
    const hw = leaderHighWatermark < leo ? leaderHighWatermark : leo;
    if (hw === this.highWatermark) return false;
    this.highWatermark = hw;
    return true;
  }

  /** The other ISR member with the longest log: the successor in a controlled shutdown. */
  mostCaughtUpFollower(): RemoteReplica | undefined {
    let best: RemoteReplica | undefined;
    for (const id of this.isr) {
      const r = this.remotes.get(id);
      if (r !== undefined && (best === undefined || r.logEndOffset > best.logEndOffset)) best = r;
    }
    return best;
  }

  /** The leader's view of a remote replica (undefined when not a replica or not leader). */
  remoteReplica(brokerId: number): RemoteReplica | undefined {
    return this.remotes.get(brokerId);
  }

  /** A follower's append of what it fetched: offsets and leader epochs kept byte for byte. */
  appendRecordsAsFollower(batches: Buffer, nowMs: number): void {
    if (batches.length === 0) return;
    this.log.append(batches, { leaderEpoch: this.leaderEpoch, nowMs, origin: 'replication' });
  }

  /** Removes everything from `offset` on (a follower diverging from its leader); epochs follow the log. */
  truncateTo(offset: bigint): void {
    this.log.truncateTo(offset);
    if (this.highWatermark > this.log.logEndOffset) this.highWatermark = this.log.logEndOffset;
  }

  /** Empties the log and restarts it at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.log.truncateFullyAndStartAt(offset);
    this.highWatermark = offset;
  }

  /** Followers that should join the ISR: caught up to the high watermark in this epoch (Kafka's isFollowerInSync). */
  followersToAdd(): number[] {
    const out: number[] = [];
    for (const r of this.remotes.values()) {
      if (this.isr.includes(r.brokerId)) continue;
      const epochStart = this.epochCache.epochEntries.at(-1)?.startOffset ?? 0n;
      if (r.logEndOffset >= this.highWatermark && r.logEndOffset >= epochStart) out.push(r.brokerId);
    }
    return out;
  }

  /** ISR followers that have not caught up for longer than `lagTimeMaxMs` (Kafka's getOutOfSyncReplicas). */
  laggingFollowers(nowMs: number, lagTimeMaxMs: number): number[] {
    const out: number[] = [];
    for (const id of this.isr) {
      if (id === this.nodeId) continue;
      const r = this.remotes.get(id);
      if (r === undefined || nowMs - r.lastCaughtUpTimeMs > lagTimeMaxMs) out.push(id);
    }
    return out;
  }

  close(): void {
    this.log.removeObserver(this.appendObserver);
    this.epochCache.detach();
  }
}
