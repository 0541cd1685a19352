/**
 * Replication on one broker (the replication half of Kafka's ReplicaManager), driven by the
 * metadata deltas the way LeaderAndIsr requests drove Kafka's brokers:
 * - a partition whose leader is this broker becomes leader in the new epoch: it tracks each
 *   follower from its fetches, moves the high watermark over the ISR, grows the ISR when a
 *   follower catches up and shrinks it after replica.lag.time.max.ms (both written to the
 *   metadata store with compare-and-swap), and completes acks=all produces and consumer long
 *   polls as the high watermark moves;
 * - a partition led elsewhere is followed: the fetcher manager truncates and fetches it.
 */
import { ErrorCode } from '@samsa/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataDelta, MetadataImage, PartitionImage, TopicImage } from '../metadata/image.js';
import type { PartitionRegistry } from '../server/partition-registry.js';
import { partitionKey, Purgatory } from '../server/purgatory.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { DelayedProduce, checkPendingAck, type PendingAck } from './delayed-produce.js';
import type { PartitionStateWriter } from './partition-state-writer.js';
import { PartitionReplica } from './partition-replica.js';
import { ReplicaFetcherManager, type FollowRequest } from './replica-fetcher.js';

export interface ReplicaManagerOptions {
  nodeId: number;
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  registry: PartitionRegistry;
  /** The purgatory of long-poll fetches (woken on high-watermark moves). */
  fetchPurgatory: Purgatory;
  stateWriter: PartitionStateWriter;
  /** The current metadata image (broker endpoints, topic ids). */
  image(): MetadataImage;
}

export class ReplicaManager {
  private readonly replicas = new Map<string, PartitionReplica>();
  /** acks=all produces waiting for the high watermark. */
  readonly producePurgatory: Purgatory;
  readonly fetchers: ReplicaFetcherManager;
  private readonly log: Logger;
  private isrTimer: TimerHandle | null = null;
  private stopped = false;
  /** Controlled shutdown in progress: no new followers, no ISR growth. */
  private shuttingDown = false;

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.log = opts.log.child('kafka.server.ReplicaManager');
    this.producePurgatory = new Purgatory(opts.clock);
    this.fetchers = new ReplicaFetcherManager({
      nodeId: opts.nodeId,
      config: opts.config,
      clock: opts.clock,
      log: opts.log,
      brokerEndpoint: (id) => {
        const b = this.opts.image().brokers.find((x) => x.nodeId === id);
        return b === undefined ? undefined : { host: b.host, port: b.port };
      },
    });
  }

  start(): void {
    this.stopped = false;
    this.scheduleIsrCheck();
  }

  /** The replication state of a hosted partition. */
  get(topic: string, partition: number): PartitionReplica | undefined {
    return this.replicas.get(partitionKey(topic, partition));
  }

  all(): IterableIterator<PartitionReplica> {
    return this.replicas.values();
  }

  /** Applies a metadata delta: becomes leader or follower where the leader or epoch changed. */
  apply(image: MetadataImage, delta: MetadataDelta): void {
    if (this.stopped) return;
    for (const t of delta.deletedTopics) {
      const keys: string[] = [];
      for (const p of t.partitions) {
        const key = partitionKey(t.name, p.partition);
        const r = this.replicas.get(key);
        if (r === undefined) continue;
        keys.push(key);
        this.replicas.delete(key);
        r.makeFollower(-1, p.leaderEpoch, [], []);
        r.close();
        this.wakeWaiters(r);
      }
      this.fetchers.removePartitions(keys);
    }
    const nowMs = this.opts.clock.now();
    const follow: FollowRequest[] = [];
    const unfollow: string[] = [];
    const topics: TopicImage[] = [...delta.createdTopics, ...delta.changedTopics.map((c) => c.after)];
    for (const t of topics) {
      for (const p of t.partitions) {
        const key = partitionKey(t.name, p.partition);
        if (!p.replicas.includes(this.opts.nodeId)) {
          // Reassigned away from this broker.
          const r = this.replicas.get(key);
          if (r !== undefined) {
            this.replicas.delete(key);
            unfollow.push(key);
            r.makeFollower(-1, p.leaderEpoch, [], []);
            r.close();
            this.wakeWaiters(r);
          }
          continue;
        }
        const r = this.replicaFor(t, p);
        if (r === undefined) continue;
        if (p.leader === this.opts.nodeId) {
          if (!r.isLeader || r.leaderEpoch !== p.leaderEpoch) {
            unfollow.push(key);
            r.makeLeader(p.leaderEpoch, p.isr, p.replicas, nowMs);
            this.log.info(`[Broker id=${this.opts.nodeId}] Leader ${t.name}-${p.partition} with topic id ${t.id} starts at leader epoch ${p.leaderEpoch} from offset ${r.logEndOffset} with partition epoch ${p.leaderEpoch}, high watermark ${r.highWatermark}, ISR [${p.isr.join(',')}], replicas [${p.replicas.join(',')}]`);
            this.wakeWaiters(r);
          } else if (!sameIds(r.isr, p.isr)) {
            r.isr = p.isr;
            r.isrChangeInFlight = false;
          }
          if (r.maybeIncrementHighWatermark()) this.highWatermarkMoved(r);
        } else if (r.role !== 'follower' || r.leaderEpoch !== p.leaderEpoch || r.leaderId !== p.leader) {
          const wasLeader = r.isLeader;
          r.makeFollower(p.leader, p.leaderEpoch, p.isr, p.replicas);
          if (wasLeader) this.wakeWaiters(r);
          if (p.leader >= 0) {
            this.log.info(`[Broker id=${this.opts.nodeId}] Follower ${t.name}-${p.partition} starts at leader epoch ${p.leaderEpoch} from offset ${r.logEndOffset} with high watermark ${r.highWatermark}; following leader ${p.leader}`);
            follow.push({ replica: r, topicId: t.id, leaderId: p.leader, leaderEpoch: p.leaderEpoch });
          } else {
            unfollow.push(key);
          }
        } else {
          r.isr = p.isr;
          r.replicas = p.replicas;
        }
      }
    }
    if (unfollow.length > 0) this.fetchers.removePartitions(unfollow);
    if (follow.length > 0 && !this.shuttingDown) this.fetchers.addPartitions(follow);
    void image;
    this.fetchers.brokersChanged();
  }

  private replicaFor(t: TopicImage, p: PartitionImage): PartitionReplica | undefined {
    const key = partitionKey(t.name, p.partition);
    const log = this.opts.registry.get(t.name, p.partition);
    let r = this.replicas.get(key);
    if (r !== undefined && r.log === log) return r;
    if (r !== undefined) r.close();
    if (log === undefined) {
      this.replicas.delete(key);
      return undefined;
    }
    r = new PartitionReplica(t.name, p.partition, log, this.opts.nodeId, p.replicas.length, (appended, bytes, moved) => this.appended(appended, bytes, moved));
    this.replicas.set(key, r);
    return r;
  }

  /** Leader: the high watermark to serve consumers; the log end when no replication state exists. */
  highWatermark(topic: string, partition: number): bigint | undefined {
    return this.get(topic, partition)?.highWatermark;
  }

  /**
   * Leader: a follower fetched at `fetchOffset` (Kafka's updateFollowerFetchState). Returns an
   * error code when this broker does not lead the partition or the follower is not a replica.
   */
  recordFollowerFetch(topic: string, partition: number, replicaId: number, fetchOffset: bigint): number {
    const r = this.get(topic, partition);
    if (r === undefined || !r.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const remote = r.recordFollowerFetch(replicaId, fetchOffset, this.opts.clock.now());
    if (remote === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    this.maybeExpandIsr(r);
    if (r.maybeIncrementHighWatermark()) this.highWatermarkMoved(r);
    return ErrorCode.NONE;
  }

  /**
   * acks=all: resolves when every pending partition is decided (high watermark passed, leader
   * lost, or timeout). Decides at once when it can, without entering the purgatory.
   */
  waitForAcks(pending: PendingAck[], timeoutMs: number): Promise<void> | null {
    for (const p of pending) checkPendingAck(p);
    if (pending.every((p) => p.errorCode !== null)) return null;
    return new Promise((resolve) => {
      const op = new DelayedProduce(pending, () => resolve());
      const keys = pending.map((p) => partitionKey(p.replica.topic, p.replica.partition));
      this.producePurgatory.watch(op, keys, timeoutMs);
      // The high watermark may have moved between the check and the watch.
      if (op.tryComplete()) for (const k of keys) this.producePurgatory.notify(k, 1);
    });
  }

  /**
   * After the high watermark was updated (so a woken consumer sees the new records): follower
   * long polls wait for appended bytes, acks=all waits for the high watermark.
   */
  private appended(r: PartitionReplica, bytes: number, highWatermarkMoved: boolean): void {
    const key = partitionKey(r.topic, r.partition);
    this.opts.fetchPurgatory.notify(key, bytes);
    if (highWatermarkMoved) this.producePurgatory.notify(key, 1);
  }

  private highWatermarkMoved(r: PartitionReplica): void {
    const key = partitionKey(r.topic, r.partition);
    this.producePurgatory.notify(key, 1);
    this.opts.fetchPurgatory.notify(key, 1);
  }

  /** Leadership moved: waiting produces fail over, waiting fetches answer with the new state. */
  private wakeWaiters(r: PartitionReplica): void {
    const key = partitionKey(r.topic, r.partition);
    this.producePurgatory.notify(key, 1);
    this.opts.fetchPurgatory.notify(key, 0);
  }

  private maybeExpandIsr(r: PartitionReplica): void {
    if (r.isrChangeInFlight || r.handingOver) return;
    const add = r.followersToAdd();
    if (add.length === 0) return;
    const isr = [...r.isr, ...add].sort((a, b) => a - b);
    this.log.info(`[Partition ${r.topic}-${r.partition} broker=${this.opts.nodeId}] ISR updated to ${isr.join(',')} (expanding with ${add.join(',')})`);
    this.writeIsr(r, isr);
  }

  private maybeShrinkIsr(r: PartitionReplica, nowMs: number): void {
    if (r.isrChangeInFlight || !r.isLeader || r.handingOver) return;
    const lagging = r.laggingFollowers(nowMs, this.opts.config.long('replica.lag.time.max.ms'));
    if (lagging.length === 0) return;
    const isr = r.isr.filter((id) => !lagging.includes(id));
    this.log.info(`[Partition ${r.topic}-${r.partition} broker=${this.opts.nodeId}] Shrinking ISR from ${r.isr.join(',')} to ${isr.join(',')}. Leader: (highWatermark: ${r.highWatermark}, endOffset: ${r.logEndOffset}). Out of sync replicas: ${lagging.join(',')}.`);
    this.writeIsr(r, isr);
  }

  /**
   * Writes the new ISR with compare-and-swap on (leader, epoch). The high watermark uses the
   * new ISR only once it is stored: a shrink that never committed must not let the high
   * watermark pass records that a replica of the stored ISR lacks.
   */
  private writeIsr(r: PartitionReplica, isr: number[]): void {
    r.isrChangeInFlight = true;
    const epoch = r.leaderEpoch;
    this.opts.stateWriter.alterIsr(r.topic, r.partition, { leader: this.opts.nodeId, leaderEpoch: epoch }, isr).then(
      (ok) => {
        if (!r.isLeader || r.leaderEpoch !== epoch) return;
        r.isrChangeInFlight = false;
        if (!ok) {
          this.log.info(`[Partition ${r.topic}-${r.partition} broker=${this.opts.nodeId}] ISR change to ${isr.join(',')} was rejected: the partition state moved on`);
          return;
        }
        r.isr = isr;
        if (r.maybeIncrementHighWatermark()) this.highWatermarkMoved(r);
        // Completes waiting acks=all produces that now fail min.insync.replicas, too.
        this.producePurgatory.notify(partitionKey(r.topic, r.partition), 1);
      },
      (e: unknown) => {
        r.isrChangeInFlight = false;
        this.log.warn(`[Partition ${r.topic}-${r.partition} broker=${this.opts.nodeId}] Failed to write ISR ${isr.join(',')}`, e);
      },
    );
  }

  private scheduleIsrCheck(): void {
    const interval = Math.max(1, Math.floor(this.opts.config.long('replica.lag.time.max.ms') / 2));
    this.isrTimer = this.opts.clock.setTimeout(() => {
      this.isrTimer = null;
      if (this.stopped) return;
      const now = this.opts.clock.now();
      for (const r of this.replicas.values()) if (r.isLeader) this.maybeShrinkIsr(r, now);
      this.scheduleIsrCheck();
    }, interval);
  }

  /** Runs the ISR shrink check now (tests with a fake clock). */
  checkIsr(): void {
    const now = this.opts.clock.now();
    for (const r of this.replicas.values()) if (r.isLeader) this.maybeShrinkIsr(r, now);
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
    const retries = c.int('controlled.shutdown.max.retries');
    const backoffMs = Math.min(c.long('controlled.shutdown.retry.backoff.ms'), 1000);
    const catchUpMs = c.int('replica.fetch.wait.max.ms') + 1000;
    let remaining = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const writes: Array<Promise<unknown>> = [];
      const handed: PartitionReplica[] = [];
      for (const r of this.replicas.values()) {
        if (r.isLeader) {
          if (r.isr.every((id) => id === this.opts.nodeId)) continue; // nobody to take over
          r.handingOver = true;
          handed.push(r);
        } else if (r.role === 'follower' && r.isr.includes(this.opts.nodeId)) {
          const isr = r.isr.filter((id) => id !== this.opts.nodeId);
          writes.push(this.opts.stateWriter.alterIsr(r.topic, r.partition, { leader: r.leaderId, leaderEpoch: r.leaderEpoch }, isr).catch(() => false));
        }
      }
      await Promise.all(handed.map((r) => this.waitForSuccessor(r, catchUpMs)));
      for (const r of handed) {
        if (!r.isLeader) continue;
        const successor = r.mostCaughtUpFollower();
        if (successor === undefined) continue;
        const isr = r.isr.filter((id) => id !== this.opts.nodeId);
        this.log.info(`[Broker id=${this.opts.nodeId}] Controlled shutdown: moving leadership of ${r.topic}-${r.partition} to ${successor.brokerId} (its log end ${successor.logEndOffset}, ours ${r.logEndOffset}), ISR [${isr.join(',')}]`);
        writes.push(this.opts.stateWriter.transferLeadership(r.topic, r.partition, { leader: this.opts.nodeId, leaderEpoch: r.leaderEpoch }, successor.brokerId, isr).catch(() => false));
      }
      await Promise.all(writes);
      // The new state comes back through the metadata store: wait until it has been applied here.
      const deadline = this.opts.clock.now() + backoffMs + 2000;
      remaining = this.ledWithOthersInIsr();
      while (remaining > 0 && this.opts.clock.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        remaining = this.ledWithOthersInIsr();
      }
      if (remaining === 0) break;
      this.log.warn(`[Broker id=${this.opts.nodeId}] Controlled shutdown: ${remaining} partition(s) still led here; retrying`);
      await new Promise((r) => setTimeout(r, backoffMs));
    }
    return remaining;
  }

  private ledWithOthersInIsr(): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.isLeader && r.isr.some((id) => id !== this.opts.nodeId)) n++;
    return n;
  }

  /** Waits (bounded) until the best follower has fetched everything this leader has. */
  private async waitForSuccessor(r: PartitionReplica, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (r.isLeader && Date.now() < deadline) {
      const best = r.mostCaughtUpFollower();
      if (best !== undefined && best.logEndOffset >= r.logEndOffset) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.isrTimer !== null) this.opts.clock.clearTimeout(this.isrTimer);
    this.isrTimer = null;
    this.fetchers.shutdown();
    this.producePurgatory.shutdown();
    for (const r of this.replicas.values()) r.close();
    this.replicas.clear();
  }
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
