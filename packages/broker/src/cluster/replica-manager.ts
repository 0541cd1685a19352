/**
 * The partitions this broker hosts (Kafka's ReplicaManager): one Partition per hosted replica,
 * kept in step with the metadata image (logs opened for created topics and partitions,
 * reconfigured when configs change, deleted with their topic), leadership applied from the
 * image's partition states, high watermarks checkpointed in each log dir's
 * `replication-offset-checkpoint`, and the waits on partitions: long-poll fetches (woken when a
 * high watermark or log end moves) and acks=all produces (woken when the high watermark passes
 * their last offset).
 */
import { dirname, join } from 'node:path';
import { ErrorCode } from '@samsa/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import { TopicConfig } from '../config/topic-config.js';
import type { PartitionAppendHook } from '../handlers/types.js';
import type { MetadataDelta, MetadataImage, TopicImage } from '../metadata/image.js';
import { partitionKey, type DelayedOperation, type Purgatory } from '../server/purgatory.js';
import { partitionKey as checkpointKey, readCheckpoint, REPLICATION_OFFSET_CHECKPOINT, writeCheckpoint, type OffsetCheckpoint } from '../storage/checkpoint.js';
import { StorageIoError } from '../storage/errors.js';
import { FileStorageEngine } from '../storage/file-engine.js';
import { MovableLog } from '../storage/movable-log.js';
import type { LogConfig, StorageEngine } from '../storage/partition-log.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { ADMIN_SLICE_MS, TimeSlice } from '../util/time-slice.js';
import { LogDirMover } from './log-dir-mover.js';
import { Partition, type PartitionListener, type PartitionState } from './partition.js';

export interface HostedTopic {
  readonly image: TopicImage;
  readonly config: TopicConfig;
  /** Indexed by partition number; undefined where this broker holds no replica. */
  readonly partitions: Partition[];
}

/** A partition's state as the metadata layer hands it over (Kafka's LeaderAndIsr request entry). */
export interface TopicPartitionState extends PartitionState {
  readonly topic: string;
  readonly partition: number;
}

/** Key of a partition's log end in the fetch purgatory (follower fetches wait on it; consumers wait on partitionKey, the HW). */
export function logEndKey(topic: string, partition: number): string {
  return `${partitionKey(topic, partition)}\u0000leo`;
}

export interface ReplicaManagerOptions {
  storage: StorageEngine;
  brokerConfig: BrokerConfig;
  /** Long-poll fetches. */
  fetchPurgatory: Purgatory;
  /** acks=all produces waiting for the HW. */
  producePurgatory: Purgatory;
  nodeId: number;
  clock: Clock;
  log: Logger;
}

export class ReplicaManager {
  private readonly topics = new Map<string, HostedTopic>();
  private readonly opts: ReplicaManagerOptions;
  private readonly listener: PartitionListener;
  /** Partitions created ahead of their topic's record (createLogs), by topic. */
  private readonly prepared = new Map<string, Map<number, Partition>>();
  /** Replicas of recorded topics whose log could not be created or opened (by partitionKey): logged once, not at every retry. */
  private readonly failedReplicas = new Set<string>();
  /** Checkpointed HWs read at startup, per log dir (consumed as partitions open). */
  private readonly startupHighWatermarks = new Map<string, OffsetCheckpoint>();
  private checkpointTimer: TimerHandle | null = null;
  /** The producer-state hook every client append goes through (null: no idempotence). */
  appendHook: PartitionAppendHook | null = null;
  /** AlterReplicaLogDirs (file engine only). */
  readonly logDirMover: LogDirMover | null;

  constructor(opts: ReplicaManagerOptions) {
    this.opts = opts;
    this.logDirMover = opts.storage instanceof FileStorageEngine ? new LogDirMover(opts.storage, opts.brokerConfig, opts.log.child('kafka.server.ReplicaAlterLogDirsManager'), () => this.checkpointHighWatermarks()) : null;
    const fetches = opts.fetchPurgatory;
    const produces = opts.producePurgatory;
    this.listener = {
      onHighWatermarkAdvanced: (p, bytes) => {
        const key = partitionKey(p.topic, p.partition);
        fetches.notify(key, bytes);
        produces.notify(key, bytes);
      },
      onLogEndAdvanced: (p, bytes) => fetches.notify(logEndKey(p.topic, p.partition), bytes),
    };
    if (opts.storage.kind === 'file') {
      for (const dir of opts.storage.logDirs) {
        try {
          this.startupHighWatermarks.set(dir, readCheckpoint(join(dir, REPLICATION_OFFSET_CHECKPOINT)));
        } catch (e) {
          opts.log.warn(`Ignoring unreadable ${REPLICATION_OFFSET_CHECKPOINT} in ${dir}: ${(e as Error).message}`);
        }
      }
    }
  }

  topic(name: string): HostedTopic | undefined {
    return this.topics.get(name);
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** Whether this broker's replica of the partition is offline: its log could not be created (Kafka's HostedPartition.Offline). */
  isOffline(topic: string, partition: number): boolean {
    return this.failedReplicas.has(partitionKey(topic, partition));
  }

  all(): IterableIterator<HostedTopic> {
    return this.topics.values();
  }

  /** Every partition with a log here, those created ahead of their topic's record included. */
  *allPartitions(): Generator<Partition> {
    for (const t of this.topics.values()) for (const p of t.partitions) if (p !== undefined) yield p;
    for (const ready of this.prepared.values()) yield* ready.values();
  }

  /** Applies a metadata delta (this node's MetadataPublisher): logs, configs, then leadership. */
  applyDelta(_image: MetadataImage, delta: MetadataDelta): void {
    for (const t of delta.deletedTopics) this.removeTopic(t);
    for (const t of delta.createdTopics) this.updateTopic(t);
    for (const { after } of delta.changedTopics) this.updateTopic(after);
  }

  /**
   * Applies partition states from the metadata layer (Kafka's becomeLeaderOrFollower): this
   * broker leads where `leader` is its id, follows where it is another replica, and stops
   * serving otherwise. Partitions not hosted here are ignored.
   */
  becomeLeaderOrFollower(states: Iterable<TopicPartitionState>): void {
    const nowMs = this.opts.clock.now();
    for (const s of states) {
      const p = this.getPartition(s.topic, s.partition);
      if (p === undefined) continue;
      const wasLeader = p.isLeader;
      if (s.leader === this.opts.nodeId) p.makeLeader(s, nowMs);
      else if (s.replicas.includes(this.opts.nodeId)) p.makeFollower(s);
      else p.makeNone();
      // Waiting produces and fetches on a partition this broker stopped leading answer now.
      if (wasLeader && !p.isLeader) this.wake(s.topic, s.partition);
    }
  }

  private wake(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    this.opts.fetchPurgatory.notify(key, 0);
    this.opts.producePurgatory.notify(key, 0);
  }

  private openPartition(topic: string, partition: number, logConfig: LogConfig): Partition {
    const prepared = this.prepared.get(topic);
    const ready = prepared?.get(partition);
    if (ready !== undefined) {
      prepared!.delete(partition);
      if (prepared!.size === 0) this.prepared.delete(topic);
      ready.log.updateConfig(logConfig);
      return ready;
    }
    // File engine: a delegate, so that AlterReplicaLogDirs can swap in the partition's log from another dir.
    const opened = this.opts.storage.openLog(topic, partition, logConfig);
    const log = this.logDirMover !== null ? new MovableLog(opened) : opened;
    const checkpoint = log.dir === null ? undefined : this.startupHighWatermarks.get(dirname(log.dir));
    const key = checkpointKey(topic, partition);
    const hw = checkpoint?.get(key);
    checkpoint?.delete(key);
    return new Partition(log, { localBrokerId: this.opts.nodeId, listener: this.listener, firstUnstableOffset: () => this.appendHook?.firstUnstableOffset?.(log) ?? null, ...(hw !== undefined ? { initialHighWatermark: BigInt(hw) } : {}) });
  }

  /**
   * Creates the logs of partitions of a topic that is not recorded yet (or of partitions being
   * added), so that a creation is all-or-nothing on this broker: the caller records the topic
   * only once every log exists. On the first failure every log made here is deleted again and
   * a StorageIoError (KAFKA_STORAGE_ERROR) names the partition and the cause. The logs are held
   * aside, invisible to clients, until the metadata shows them (updateTopic adopts them) or
   * discardLogs(). Long creations yield to the event loop between slices, so other clients keep
   * being served while 10,000 partitions are created.
   */
  async createLogs(topic: string, configs: ReadonlyMap<string, string>, partitions: readonly number[]): Promise<void> {
    const logConfig = new TopicConfig(this.opts.brokerConfig, configs).toLogConfig();
    let ready = this.prepared.get(topic);
    if (ready === undefined) this.prepared.set(topic, (ready = new Map()));
    const slice = new TimeSlice(ADMIN_SLICE_MS);
    for (const p of partitions) {
      await slice.yieldIfExpired();
      try {
        const partition = this.openPartition(topic, p, logConfig);
        ready.set(p, partition);
        // Epoch 0 from offset 0 is what the controller gives a new partition: written now, in
        // this yielding loop, rather than by 10,000 becomeLeader calls in one turn.
        partition.epochCache.assign(0, partition.logEndOffset);
        this.appendHook?.attach?.(partition.log);
      } catch (e) {
        this.discardLogs(topic, partitions);
        const cause = (e as Error).message;
        throw new StorageIoError(`Could not create the log of partition ${topic}-${p}: ${cause}. Topic ${topic} was not changed and no log of it was kept.`, { cause: e });
      }
    }
  }

  /**
   * Undoes createLogs for a creation that was not recorded: the logs made for it are deleted
   * (only empty ones: a log holding records, left on disk by an operator and adopted by the
   * creation, is closed but kept).
   */
  discardLogs(topic: string, partitions: readonly number[]): void {
    const ready = this.prepared.get(topic);
    for (const p of partitions) {
      const partition = ready?.get(p);
      ready?.delete(p);
      if (this.topics.get(topic)?.partitions[p] !== undefined) continue;
      if (partition !== undefined) {
        partition.makeNone();
        partition.close();
      }
      if (this.logBytes(topic, p) === 0) this.deleteLogQuietly(topic, p);
    }
    if (ready?.size === 0) this.prepared.delete(topic);
  }

  /** A log's bytes of records (0 when it cannot be read: a log just created and already failing). */
  private logBytes(topic: string, partition: number): number {
    try {
      return this.opts.storage.logBytesOnDisk(topic, partition);
    } catch {
      return 0;
    }
  }

  /**
   * The first step of deleting a topic with no free space needed (single broker, local
   * metadata): stops serving its partitions, closes their logs, and renames each log directory
   * to `<topic>-<partition>.<topic id>-delete` with its files removed (their space is free at
   * once). Those directories record the deletion durably before the metadata is written:
   * after a crash, startup finishes the deletion (finishInterruptedDeletions). Yields between
   * slices, as createLogs does.
   */
  async retireTopic(t: TopicImage): Promise<void> {
    const cur = this.topics.get(t.name);
    this.topics.delete(t.name);
    if (cur === undefined) return;
    const uniqueId = t.id.replace(/-/g, '');
    const slice = new TimeSlice(ADMIN_SLICE_MS);
    for (let i = 0; i < cur.partitions.length; i++) {
      const p = cur.partitions[i];
      if (p === undefined) continue;
      await slice.yieldIfExpired();
      // A log dir move of the partition stops and its future log goes (as dropPartition does):
      // left running, the move copied from a closed log, and a future log left on disk is
      // promoted at the next start, bringing the deleted partition's records back.
      this.logDirMover?.cancel(t.name, i);
      p.makeNone();
      p.close();
      this.opts.storage.retireLog(t.name, i, uniqueId);
      this.wake(t.name, i);
    }
    for (const p of t.partitions) this.failedReplicas.delete(partitionKey(t.name, p.partition));
  }

  /** Removes the `-delete` directories of retired logs (once their deletion is in the metadata), in slices. */
  async purgeDeletedLogs(): Promise<void> {
    const slice = new TimeSlice(ADMIN_SLICE_MS);
    while (!this.opts.storage.purgeDeletedLogs(() => slice.expired)) await slice.yieldIfExpired();
  }

  /**
   * At startup on a single broker: logs on disk that no recorded topic claims. A log of a topic
   * whose deletion a crash interrupted goes; so does an empty one (a creation interrupted after
   * its logs were made and before the topic was recorded: it holds nothing). Any other is left
   * in place with a warning (it holds records: an operator's decision).
   */
  removeUnclaimedLogs(image: MetadataImage, deletedTopics: ReadonlySet<string>): void {
    for (const { topic, partition } of this.opts.storage.existingLogs()) {
      if (image.topic(topic)?.partitions[partition]?.replicas.includes(this.opts.nodeId) === true) continue;
      if (this.getPartition(topic, partition) !== undefined) continue;
      let bytes: number;
      try {
        bytes = this.opts.storage.logBytesOnDisk(topic, partition);
      } catch (e) {
        this.opts.log.warn(`Could not inspect the log of ${topic}-${partition}, which no topic claims: ${(e as Error).message}`);
        continue;
      }
      if (deletedTopics.has(topic)) this.opts.log.info(`Deleting the log of ${topic}-${partition}: the deletion of topic ${topic} was interrupted`);
      else if (bytes === 0) this.opts.log.info(`Deleting the empty log of ${topic}-${partition}, which no topic claims (a topic creation that was interrupted)`);
      else {
        this.opts.log.warn(`The log of ${topic}-${partition} (${bytes} bytes) belongs to no topic in the metadata; left in place`);
        continue;
      }
      this.deleteLogQuietly(topic, partition);
    }
  }

  private deleteLogQuietly(topic: string, partition: number): void {
    try {
      this.opts.storage.deleteLog(topic, partition);
    } catch (e) {
      this.opts.log.error(`Failed to delete log ${topic}-${partition}`, e);
    }
  }

  private updateTopic(t: TopicImage): void {
    const cur = this.topics.get(t.name);
    const config = new TopicConfig(this.opts.brokerConfig, t.configs);
    const configChanged = cur !== undefined && !sameMap(cur.image.configs, t.configs);
    const partitions = cur?.partitions ?? [];
    const states: TopicPartitionState[] = [];
    for (const p of t.partitions) {
      if (!p.replicas.includes(this.opts.nodeId)) {
        // Reassigned away from this broker: stop serving and delete the replica (StopReplica with delete).
        const removed = partitions[p.partition];
        if (removed !== undefined) {
          delete partitions[p.partition];
          this.dropPartition(t.name, p.partition, removed);
        }
        continue;
      }
      const existing = partitions[p.partition];
      const failureKey = partitionKey(t.name, p.partition);
      if (existing === undefined) {
        try {
          const opened = this.openPartition(t.name, p.partition, config.toLogConfig());
          partitions[p.partition] = opened;
          this.failedReplicas.delete(failureKey);
          this.logDirMover?.partitionOpened(opened, () => this.logConfigOf(t.name, config));
        } catch (e) {
          // Kafka marks such a replica offline (KAFKA_STORAGE_ERROR): the topic is recorded by the
          // controller, this broker reports the failure and tries again at the next change.
          if (!this.failedReplicas.has(failureKey)) this.opts.log.error(`[ReplicaManager broker=${this.opts.nodeId}] Error while creating log for ${t.name}-${p.partition}: the replica is offline on this broker (KAFKA_STORAGE_ERROR) until it can be created: ${(e as Error).message}`);
          this.failedReplicas.add(failureKey);
          continue;
        }
      } else if (configChanged) existing.log.updateConfig(config.toLogConfig());
      states.push({ topic: t.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr });
    }
    this.topics.set(t.name, { image: t, config, partitions });
    this.becomeLeaderOrFollower(states);
  }

  private removeTopic(t: TopicImage): void {
    const cur = this.topics.get(t.name);
    this.topics.delete(t.name);
    for (const p of t.partitions) this.failedReplicas.delete(partitionKey(t.name, p.partition));
    if (cur === undefined) return;
    for (let i = 0; i < cur.partitions.length; i++) {
      const p = cur.partitions[i];
      if (p !== undefined) this.dropPartition(t.name, i, p);
    }
  }

  /** Closes and deletes a replica this broker no longer hosts (topic deleted, or reassigned away). */
  private dropPartition(topic: string, partition: number, p: Partition): void {
    this.logDirMover?.cancel(topic, partition);
    p.makeNone();
    p.close();
    try {
      this.opts.storage.deleteLog(topic, partition);
    } catch (e) {
      this.opts.log.error(`Failed to delete log ${topic}-${partition}`, e);
    }
    // Waiting fetches and produces on a deleted partition answer now (UNKNOWN_TOPIC_OR_PARTITION).
    this.wake(topic, partition);
  }

  /**
   * Topic defaults derive from broker configs: after a dynamic broker config change, rebuilds
   * each hosted topic's effective config (Produce reads it for max.message.bytes and the
   * timestamp bounds) and hands its logs the new LogConfig.
   */
  refreshConfigs(): void {
    for (const [name, cur] of this.topics) {
      const config = new TopicConfig(this.opts.brokerConfig, cur.image.configs);
      const logConfig = config.toLogConfig();
      for (const p of cur.partitions) p?.log.updateConfig(logConfig);
      this.topics.set(name, { image: cur.image, config, partitions: cur.partitions });
    }
  }

  /** A hosted topic's current log config (it follows config changes), for its future logs. */
  logConfigOf(topic: string, fallback: TopicConfig): LogConfig {
    return (this.topics.get(topic)?.config ?? fallback).toLogConfig();
  }

  /** Retention pass over every log (log.retention.check.interval.ms). */
  applyRetention(nowMs: number): void {
    for (const p of this.allPartitions()) {
      try {
        p.log.applyRetention(nowMs);
      } catch (e) {
        this.opts.log.error(`Retention failed for ${p.name}`, e);
      }
    }
  }

  flushAll(): void {
    for (const p of this.allPartitions()) p.log.flush();
  }

  // ---- acks=all ---------------------------------------------------------------------------

  /**
   * Waits until each partition's HW reaches its `requiredOffset` (Kafka's DelayedProduce), or
   * `timeoutMs` passes (REQUEST_TIMED_OUT). Resolves with one error code per entry.
   */
  awaitHighWatermarks(entries: readonly ProduceWait[], timeoutMs: number): Promise<number[]> {
    return new Promise((resolve) => {
      const op = new DelayedProduce(this, entries, resolve);
      if (op.tryComplete()) return;
      this.opts.producePurgatory.watch(op, entries.map((e) => partitionKey(e.topic, e.partition)), timeoutMs);
    });
  }

  // ---- high watermark checkpoints ---------------------------------------------------------

  /** Starts the periodic HW checkpoint (replica.high.watermark.checkpoint.interval.ms). */
  start(): void {
    if (this.opts.storage.kind !== 'file') return;
    const interval = this.opts.brokerConfig.long('replica.high.watermark.checkpoint.interval.ms');
    const tick = (): void => {
      this.checkpointTimer = this.opts.clock.setTimeout(() => {
        try {
          this.checkpointHighWatermarks();
        } catch (e) {
          this.opts.log.error('Error writing the high watermark checkpoint', e);
        }
        tick();
      }, interval);
    };
    tick();
  }

  /** Writes every log dir's replication-offset-checkpoint. */
  checkpointHighWatermarks(): void {
    if (this.opts.storage.kind !== 'file') return;
    const byDir = new Map<string, OffsetCheckpoint>(this.opts.storage.logDirs.map((d) => [d, new Map()]));
    for (const p of this.allPartitions()) {
      if (p.log.dir === null) continue;
      const dir = dirname(p.log.dir);
      let entries = byDir.get(dir);
      if (entries === undefined) byDir.set(dir, (entries = new Map()));
      entries.set(checkpointKey(p.topic, p.partition), Number(p.highWatermark));
    }
    for (const [dir, entries] of byDir) writeCheckpoint(join(dir, REPLICATION_OFFSET_CHECKPOINT), entries);
  }

  /** Stops the checkpoint timer and writes a last checkpoint (before the logs close). */
  stop(): void {
    if (this.checkpointTimer !== null) this.opts.clock.clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    try {
      this.checkpointHighWatermarks();
    } catch (e) {
      this.opts.log.error('Error writing the high watermark checkpoint', e);
    }
    this.logDirMover?.close();
    for (const p of this.allPartitions()) p.close();
  }
}

/** One partition of an acks=all produce: its HW must reach `requiredOffset` (last offset + 1). */
export interface ProduceWait {
  readonly topic: string;
  readonly partition: number;
  readonly requiredOffset: bigint;
  readonly minInsyncReplicas: number;
}

class DelayedProduce implements DelayedOperation {
  private readonly codes: Array<number | null>;

  constructor(
    private readonly replicas: ReplicaManager,
    private readonly entries: readonly ProduceWait[],
    private readonly resolve: (codes: number[]) => void,
  ) {
    this.codes = entries.map(() => null);
  }

  /** Checks now; resolves and returns true when no partition is left waiting. */
  tryComplete(): boolean {
    if (!this.onUpdate()) return false;
    this.complete();
    return true;
  }

  /** Re-checks every partition still waiting; true when none is. */
  onUpdate(): boolean {
    let pending = false;
    for (let i = 0; i < this.entries.length; i++) {
      if (this.codes[i] !== null) continue;
      const e = this.entries[i]!;
      const p = this.replicas.getPartition(e.topic, e.partition);
      const code = p === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : p.checkEnoughReplicasReachOffset(e.requiredOffset, e.minInsyncReplicas);
      this.codes[i] = code;
      if (code === null) pending = true;
    }
    return !pending;
  }

  complete(): void {
    this.resolve(this.codes.map((c) => c ?? ErrorCode.REQUEST_TIMED_OUT));
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
