/**
 * Replication on one broker, on top of the Partitions of the ReplicaManager, driven by the
 * metadata deltas the way LeaderAndIsr requests drove Kafka's brokers:
 * - a partition led elsewhere is followed: the fetcher manager truncates and fetches it from
 *   its leader (a new leader or epoch restarts that); led here or not hosted, it is not;
 * - on a partition led here, each follower fetch updates the follower's state; a follower
 *   caught up to the high watermark joins the ISR, one that has not caught up for
 *   replica.lag.time.max.ms leaves it (Kafka's maybeExpandIsr / maybeShrinkIsr). Both are
 *   proposed to the metadata store with compare-and-swap on (leader, leader epoch) and take
 *   effect when the new partition state comes back, as Kafka's AlterPartition round trip;
 * - controlled shutdown hands leaderships over before the broker stops.
 */
import { ReplicationThrottle } from './replication-throttle.js';
import { ErrorCode } from '@samsa/protocol';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { Partition } from '../cluster/partition.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataDelta, MetadataImage, TopicImage } from '../metadata/image.js';
import { partitionKey } from '../server/purgatory.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { PartitionStateWriter } from './partition-state-writer.js';
import { ReplicaFetcherManager, type FollowRequest } from './replica-fetcher.js';
import type { InterBrokerChannel } from '../security/inter-broker.js';

export interface ReplicationManagerOptions {
  nodeId: number;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  replicas: ReplicaManager;
  stateWriter: PartitionStateWriter;
  /** The current metadata image (broker endpoints, topic ids). */
  image(): MetadataImage;
  /** How connections to other brokers are made (inter-broker listener, TLS, SASL). */
  interBroker: InterBrokerChannel;
}

/** What this broker last did about a partition: lead, or follow a leader in an epoch. */
interface Applied {
  leader: number;
  leaderEpoch: number;
}

export class ReplicationManager {
  readonly fetchers: ReplicaFetcherManager;
  /** leader.replication.throttled.rate over the throttled partitions this broker leads (Fetch handler). */
  readonly leaderThrottle: ReplicationThrottle;
  private readonly log: Logger;
  private readonly applied = new Map<string, Applied>();
  /** Partitions with an ISR change written and not seen back yet (one at a time, as Kafka). */
  private readonly isrChangeInFlight = new Set<string>();
  /** Partitions handing their leadership over (controlled shutdown): writes are refused. */
  private readonly handingOver = new Set<string>();
  private isrTimer: TimerHandle | null = null;
  private stopped = false;
  /** Brokers already reported as lacking the inter-broker listener (one warning each). */
  private readonly missingEndpointLogged = new Set<number>();
  private shuttingDown = false;

  constructor(private readonly opts: ReplicationManagerOptions) {
    this.log = opts.log.child('kafka.server.ReplicaManager');
    this.leaderThrottle = new ReplicationThrottle('leader', opts.nodeId, opts.config, opts.image, () => opts.clock.now());
    this.fetchers = new ReplicaFetcherManager({
      followerThrottle: new ReplicationThrottle('follower', opts.nodeId, opts.config, opts.image, () => opts.clock.now()),
      nodeId: opts.nodeId,
      config: opts.config,
      clock: opts.clock,
      log: opts.log,
      interBroker: opts.interBroker,
      brokerEndpoint: (id) => {
        const b = this.opts.image().brokers.find((x) => x.nodeId === id);
        if (b === undefined) return undefined;
        const endpoint = opts.interBroker.endpointOf(b);
        if (endpoint !== undefined) this.missingEndpointLogged.delete(id);
        else if (!this.missingEndpointLogged.has(id)) {
          this.missingEndpointLogged.add(id);
          this.log.warn(`Broker ${id} has no endpoint for the inter-broker listener ${opts.interBroker.listenerName} (it registered ${(b.endpoints ?? []).map((e) => e.listener).join(',') || 'none'}): partitions it leads are not replicated here until it does`);
        }
        return endpoint;
      },
    });
  }

  start(): void {
    this.stopped = false;
    this.scheduleIsrCheck();
  }

  /** After the ReplicaManager applied a delta: starts, moves or stops following partitions. */
  apply(image: MetadataImage, delta: MetadataDelta): void {
    if (this.stopped) return;
    const follow: FollowRequest[] = [];
    const unfollow: string[] = [];
    for (const t of delta.deletedTopics) {
      for (const p of t.partitions) {
        const key = partitionKey(t.name, p.partition);
        if (this.applied.delete(key)) unfollow.push(key);
      }
    }
    // Fencing (store session lost) and its end change every partition's leadership at once.
    const everything = image.fenced || delta.clusterChanged === true;
    const topics: TopicImage[] = everything ? [...image.topicsByName.values()] : [...delta.createdTopics, ...delta.changedTopics.map((c) => c.after)];
    for (const t of topics) {
      for (const p of t.partitions) {
        const key = partitionKey(t.name, p.partition);
        this.isrChangeInFlight.delete(key);
        const partition = this.opts.replicas.getPartition(t.name, p.partition);
        const before = this.applied.get(key);
        if (partition === undefined || partition.role === 'none' || (partition.role === 'follower' && partition.leaderId < 0)) {
          if (before !== undefined) unfollow.push(key);
          this.applied.delete(key);
          continue;
        }
        if (before !== undefined && before.leader === partition.leaderId && before.leaderEpoch === partition.leaderEpoch) continue;
        this.applied.set(key, { leader: partition.leaderId, leaderEpoch: partition.leaderEpoch });
        if (partition.isLeader) {
          this.handingOver.delete(key);
          unfollow.push(key);
          this.log.info(`[Broker id=${this.opts.nodeId}] Leader ${partition.name} with topic id ${t.id} starts at leader epoch ${partition.leaderEpoch} from offset ${partition.logEndOffset} with high watermark ${partition.highWatermark}, ISR [${p.isr.join(',')}], replicas [${p.replicas.join(',')}]`);
        } else {
          this.log.info(`[Broker id=${this.opts.nodeId}] Follower ${partition.name} starts at leader epoch ${partition.leaderEpoch} from offset ${partition.logEndOffset} with high watermark ${partition.highWatermark}; following leader ${partition.leaderId}`);
          follow.push({ replica: partition, topicId: t.id, leaderId: partition.leaderId, leaderEpoch: partition.leaderEpoch });
        }
      }
    }
    if (unfollow.length > 0) this.fetchers.removePartitions(unfollow);
    if (follow.length > 0 && !this.shuttingDown) this.fetchers.addPartitions(follow);
    this.fetchers.brokersChanged();
  }

  /** Whether produce must be refused because leadership is being handed over. */
  isHandingOver(topic: string, partition: number): boolean {
    return this.handingOver.has(partitionKey(topic, partition));
  }

  /**
   * Leader: a follower fetched at `fetchOffset` (its log end). Updates its state (the high
   * watermark may move) and proposes it for the ISR once caught up. Returns an error code for
   * a fetch that must be refused.
   */
  recordFollowerFetch(partition: Partition, replicaId: number, fetchOffset: bigint, logStartOffset: bigint): number {
    if (!partition.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (partition.remoteReplica(replicaId) === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    partition.updateFollowerFetchState(replicaId, { logEndOffset: fetchOffset, logStartOffset, nowMs: this.opts.clock.now() });
    this.maybeExpandIsr(partition, replicaId);
    return ErrorCode.NONE;
  }

  /**
   * Kafka's maybeExpandIsr(followerReplica): only the replica that just fetched may join, once
   * at or past the HW and in this epoch, and only while it is a registered broker. Judging every
   * replica outside the ISR at each fetch re-added a dead broker from the state it left behind
   * (its last fetch had been caught up), so acks=all waited on it until the controller dropped
   * it again, and again.
   */
  private maybeExpandIsr(p: Partition, replicaId: number): void {
    const key = partitionKey(p.topic, p.partition);
    if (p.isr.includes(replicaId) || this.isrChangeInFlight.has(key) || this.handingOver.has(key) || this.shuttingDown) return;
    const r = p.remoteReplica(replicaId);
    const epochStart = p.epochCache.epochEntries.at(-1)?.startOffset ?? 0n;
    if (r === undefined || r.logEndOffset < p.highWatermark || r.logEndOffset < epochStart) return;
    if (!this.opts.image().brokers.some((b) => b.nodeId === replicaId)) return;
    const isr = [...p.isr, replicaId].sort((a, b) => a - b);
    this.log.info(`[Partition ${p.name} broker=${this.opts.nodeId}] ISR updated to ${isr.join(',')} (expanding with ${replicaId})`);
    this.writeIsr(p, isr);
  }

  private maybeShrinkIsr(p: Partition, nowMs: number): void {
    const key = partitionKey(p.topic, p.partition);
    if (!p.isLeader || this.isrChangeInFlight.has(key) || this.handingOver.has(key)) return;
    const lagMs = this.opts.config.long('replica.lag.time.max.ms');
    const lagging = p.isr.filter((id) => {
      if (id === this.opts.nodeId) return false;
      const r = p.remoteReplica(id);
      return r === undefined || nowMs - r.lastCaughtUpTimeMs > lagMs;
    });
    if (lagging.length === 0) return;
    const isr = p.isr.filter((id) => !lagging.includes(id));
    this.log.info(`[Partition ${p.name} broker=${this.opts.nodeId}] Shrinking ISR from ${p.isr.join(',')} to ${isr.join(',')}. Leader: (highWatermark: ${p.highWatermark}, endOffset: ${p.logEndOffset}). Out of sync replicas: ${lagging.join(',')}.`);
    this.writeIsr(p, isr);
  }

  /**
   * Proposes the new ISR with compare-and-swap on (leader, epoch). It takes effect only when
   * the partition state comes back from the store: a shrink that never committed must not let
   * the high watermark pass records that a replica of the stored ISR lacks.
   */
  private writeIsr(p: Partition, isr: number[]): void {
    const key = partitionKey(p.topic, p.partition);
    this.isrChangeInFlight.add(key);
    this.opts.stateWriter.alterIsr(p.topic, p.partition, { leader: this.opts.nodeId, leaderEpoch: p.leaderEpoch }, isr).then(
      (ok) => {
        if (!ok) {
          this.isrChangeInFlight.delete(key);
          this.log.info(`[Partition ${p.name} broker=${this.opts.nodeId}] ISR change to ${isr.join(',')} was rejected: the partition state moved on`);
        }
      },
      (e: unknown) => {
        this.isrChangeInFlight.delete(key);
        this.log.warn(`[Partition ${p.name} broker=${this.opts.nodeId}] Failed to write ISR ${isr.join(',')}`, e);
      },
    );
  }

  private scheduleIsrCheck(): void {
    const interval = Math.max(1, Math.floor(this.opts.config.long('replica.lag.time.max.ms') / 2));
    this.isrTimer = this.opts.clock.setTimeout(() => {
      this.isrTimer = null;
      if (this.stopped) return;
      this.checkIsr();
      this.scheduleIsrCheck();
    }, interval);
  }

  /** Runs the ISR shrink check now (also what the periodic check runs). */
  checkIsr(): void {
    const now = this.opts.clock.now();
    for (const p of this.opts.replicas.allPartitions()) if (p.isLeader) this.maybeShrinkIsr(p, now);
  }

  /**
   * Controlled shutdown (controlled.shutdown.enable), before the broker stops serving: every
   * partition led here stops taking writes (NOT_LEADER_OR_FOLLOWER, retriable), lets its most
   * caught-up ISR follower fetch the tail, and hands it leadership in the next epoch; this
   * broker also leaves the ISR of the partitions it follows, so acks=all never waits for a
   * replica that is going away. Retries controlled.shutdown.max.retries times. Returns the
   * partitions still led here that others could have taken (0 = a clean handover).
   */
  async controlledShutdown(): Promise<number> {
    this.shuttingDown = true;
    const c = this.opts.config;
    const self = this.opts.nodeId;
    const retries = c.int('controlled.shutdown.max.retries');
    const backoffMs = Math.min(c.long('controlled.shutdown.retry.backoff.ms'), 1000);
    const catchUpMs = c.int('replica.fetch.wait.max.ms') + 1000;
    let remaining = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const writes: Array<Promise<unknown>> = [];
      const handed: Partition[] = [];
      for (const p of this.opts.replicas.allPartitions()) {
        if (p.isLeader) {
          if (p.isr.every((id) => id === self)) continue; // nobody to take over
          this.handingOver.add(partitionKey(p.topic, p.partition));
          handed.push(p);
        } else if (p.role === 'follower' && p.isr.includes(self)) {
          const isr = p.isr.filter((id) => id !== self);
          writes.push(this.opts.stateWriter.alterIsr(p.topic, p.partition, { leader: p.leaderId, leaderEpoch: p.leaderEpoch }, isr).catch(() => false));
        }
      }
      await Promise.all(handed.map((p) => this.waitForSuccessor(p, catchUpMs)));
      for (const p of handed) {
        if (!p.isLeader) continue;
        const successor = mostCaughtUpFollower(p, self);
        if (successor === undefined) continue;
        const isr = p.isr.filter((id) => id !== self);
        this.log.info(`[Broker id=${self}] Controlled shutdown: moving leadership of ${p.name} to ${successor.brokerId} (its log end ${successor.logEndOffset}, ours ${p.logEndOffset}), ISR [${isr.join(',')}]`);
        writes.push(this.opts.stateWriter.transferLeadership(p.topic, p.partition, { leader: self, leaderEpoch: p.leaderEpoch }, successor.brokerId, isr).catch(() => false));
      }
      await Promise.all(writes);
      // The new states come back through the metadata store: wait until they were applied here.
      const deadline = Date.now() + backoffMs + 2000;
      remaining = this.ledWithOthersInIsr();
      while (remaining > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        remaining = this.ledWithOthersInIsr();
      }
      if (remaining === 0) break;
      this.log.warn(`[Broker id=${self}] Controlled shutdown: ${remaining} partition(s) still led here; retrying`);
      await new Promise((r) => setTimeout(r, backoffMs));
    }
    return remaining;
  }

  private ledWithOthersInIsr(): number {
    let n = 0;
    for (const p of this.opts.replicas.allPartitions()) if (p.isLeader && p.isr.some((id) => id !== this.opts.nodeId)) n++;
    return n;
  }

  /** Waits (bounded) until the best follower has fetched everything this leader has. */
  private async waitForSuccessor(p: Partition, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (p.isLeader && Date.now() < deadline) {
      const best = mostCaughtUpFollower(p, this.opts.nodeId);
      if (best !== undefined && best.logEndOffset >= p.logEndOffset) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.isrTimer !== null) this.opts.clock.clearTimeout(this.isrTimer);
    this.isrTimer = null;
    this.fetchers.shutdown();
    this.applied.clear();
  }
}

/** The other ISR member with the longest log: the successor in a controlled shutdown. */
function mostCaughtUpFollower(p: Partition, self: number): { brokerId: number; logEndOffset: bigint } | undefined {
  let best: { brokerId: number; logEndOffset: bigint } | undefined;
  for (const id of p.isr) {
    if (id === self) continue;
    const r = p.remoteReplica(id);
    if (r !== undefined && (best === undefined || r.logEndOffset > best.logEndOffset)) best = r;
  }
  return best;
}
