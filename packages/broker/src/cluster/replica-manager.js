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
import { TopicConfig } from '../config/topic-config.js';
import { partitionKey } from '../server/purgatory.js';
import { partitionKey as checkpointKey, readCheckpoint, REPLICATION_OFFSET_CHECKPOINT, writeCheckpoint } from '../storage/checkpoint.js';
import { Partition } from './partition.js';
/** Key of a partition's log end in the fetch purgatory (follower fetches wait on it; consumers wait on partitionKey, the HW). */
export function logEndKey(topic, partition) {
    return `${partitionKey(topic, partition)}\u0000leo`;
}
export class ReplicaManager {
    topics = new Map();
    opts;
    listener;
    /** Checkpointed HWs read at startup, per log dir (consumed as partitions open). */
    startupHighWatermarks = new Map();
    checkpointTimer = null;
    /** The producer-state hook every client append goes through (null: no idempotence). */
    appendHook = null;
    constructor(opts) {
        this.opts = opts;
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
                }
                catch (e) {
                    opts.log.warn(`Ignoring unreadable ${REPLICATION_OFFSET_CHECKPOINT} in ${dir}: ${e.message}`);
                }
            }
        }
    }
    topic(name) {
        return this.topics.get(name);
    }
    getPartition(topic, partition) {
        return this.topics.get(topic)?.partitions[partition];
    }
    all() {
        return this.topics.values();
    }
    *allPartitions() {
        for (const t of this.topics.values())
            for (const p of t.partitions)
                if (p !== undefined)
                    yield p;
    }
    /** Applies a metadata delta (this node's MetadataPublisher): logs, configs, then leadership. */
    applyDelta(_image, delta) {
        for (const t of delta.deletedTopics)
            this.removeTopic(t);
        for (const t of delta.createdTopics)
            this.updateTopic(t);
        for (const { after } of delta.changedTopics)
            this.updateTopic(after);
    }
    /**
     * Applies partition states from the metadata layer (Kafka's becomeLeaderOrFollower): this
     * broker leads where `leader` is its id, follows where it is another replica, and stops
     * serving otherwise. Partitions not hosted here are ignored.
     */
    becomeLeaderOrFollower(states) {
        const nowMs = this.opts.clock.now();
        for (const s of states) {
            const p = this.getPartition(s.topic, s.partition);
            if (p === undefined)
                continue;
            const wasLeader = p.isLeader;
            if (s.leader === this.opts.nodeId)
                p.makeLeader(s, nowMs);
            else if (s.replicas.includes(this.opts.nodeId))
                p.makeFollower(s);
            else
                p.makeNone();
            // Waiting produces and fetches on a partition this broker stopped leading answer now.
            if (wasLeader && !p.isLeader)
                this.wake(s.topic, s.partition);
        }
    }
    wake(topic, partition) {
        const key = partitionKey(topic, partition);
        this.opts.fetchPurgatory.notify(key, 0);
        this.opts.producePurgatory.notify(key, 0);
    }
    openPartition(t, p, config) {
        const log = this.opts.storage.openLog(t.name, p.partition, config.toLogConfig());
        const checkpoint = log.dir === null ? undefined : this.startupHighWatermarks.get(dirname(log.dir));
        const key = checkpointKey(t.name, p.partition);
        const hw = checkpoint?.get(key);
        checkpoint?.delete(key);
        return new Partition(log, { localBrokerId: this.opts.nodeId, listener: this.listener, firstUnstableOffset: () => this.appendHook?.firstUnstableOffset?.(log) ?? null, ...(hw !== undefined ? { initialHighWatermark: BigInt(hw) } : {}) });
    }
    updateTopic(t) {
        const cur = this.topics.get(t.name);
        const config = new TopicConfig(this.opts.brokerConfig, t.configs);
        const configChanged = cur !== undefined && !sameMap(cur.image.configs, t.configs);
        const partitions = cur?.partitions ?? [];
        const states = [];
        for (const p of t.partitions) {
            if (!p.replicas.includes(this.opts.nodeId))
                continue;
            const existing = partitions[p.partition];
            if (existing === undefined)
                partitions[p.partition] = this.openPartition(t, p, config);
            else if (configChanged)
                existing.log.updateConfig(config.toLogConfig());
            states.push({ topic: t.name, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr });
        }
        this.topics.set(t.name, { image: t, config, partitions });
        this.becomeLeaderOrFollower(states);
    }
    removeTopic(t) {
        const cur = this.topics.get(t.name);
        this.topics.delete(t.name);
        if (cur === undefined)
            return;
        for (let i = 0; i < cur.partitions.length; i++) {
            const p = cur.partitions[i];
            if (p === undefined)
                continue;
            p.close();
            try {
                this.opts.storage.deleteLog(t.name, i);
            }
            catch (e) {
                this.opts.log.error(`Failed to delete log ${t.name}-${i}`, e);
            }
            // Waiting fetches and produces on a deleted partition answer now (UNKNOWN_TOPIC_OR_PARTITION).
            this.wake(t.name, i);
        }
    }
    /**
     * Topic defaults derive from broker configs: after a dynamic broker config change, rebuilds
     * each hosted topic's effective config (Produce reads it for max.message.bytes and the
     * timestamp bounds) and hands its logs the new LogConfig.
     */
    refreshConfigs() {
        for (const [name, cur] of this.topics) {
            const config = new TopicConfig(this.opts.brokerConfig, cur.image.configs);
            const logConfig = config.toLogConfig();
            for (const p of cur.partitions)
                p?.log.updateConfig(logConfig);
            this.topics.set(name, { image: cur.image, config, partitions: cur.partitions });
        }
    }
    /** Retention pass over every log (log.retention.check.interval.ms). */
    applyRetention(nowMs) {
        for (const p of this.allPartitions()) {
            try {
                p.log.applyRetention(nowMs);
            }
            catch (e) {
                this.opts.log.error(`Retention failed for ${p.name}`, e);
            }
        }
    }
    flushAll() {
        for (const p of this.allPartitions())
            p.log.flush();
    }
    // ---- acks=all ---------------------------------------------------------------------------
    /**
     * Waits until each partition's HW reaches its `requiredOffset` (Kafka's DelayedProduce), or
     * `timeoutMs` passes (REQUEST_TIMED_OUT). Resolves with one error code per entry.
     */
    awaitHighWatermarks(entries, timeoutMs) {
        return new Promise((resolve) => {
            const op = new DelayedProduce(this, entries, resolve);
            if (op.tryComplete())
                return;
            this.opts.producePurgatory.watch(op, entries.map((e) => partitionKey(e.topic, e.partition)), timeoutMs);
        });
    }
    // ---- high watermark checkpoints ---------------------------------------------------------
    /** Starts the periodic HW checkpoint (replica.high.watermark.checkpoint.interval.ms). */
    start() {
        if (this.opts.storage.kind !== 'file')
            return;
        const interval = this.opts.brokerConfig.long('replica.high.watermark.checkpoint.interval.ms');
        const tick = () => {
            this.checkpointTimer = this.opts.clock.setTimeout(() => {
                try {
                    this.checkpointHighWatermarks();
                }
                catch (e) {
                    this.opts.log.error('Error writing the high watermark checkpoint', e);
                }
                tick();
            }, interval);
        };
        tick();
    }
    /** Writes every log dir's replication-offset-checkpoint. */
    checkpointHighWatermarks() {
        if (this.opts.storage.kind !== 'file')
            return;
        const byDir = new Map(this.opts.storage.logDirs.map((d) => [d, new Map()]));
        for (const p of this.allPartitions()) {
            if (p.log.dir === null)
                continue;
            const dir = dirname(p.log.dir);
            let entries = byDir.get(dir);
            if (entries === undefined)
                byDir.set(dir, (entries = new Map()));
            entries.set(checkpointKey(p.topic, p.partition), Number(p.highWatermark));
        }
        for (const [dir, entries] of byDir)
            writeCheckpoint(join(dir, REPLICATION_OFFSET_CHECKPOINT), entries);
    }
    /** Stops the checkpoint timer and writes a last checkpoint (before the logs close). */
    stop() {
        if (this.checkpointTimer !== null)
            this.opts.clock.clearTimeout(this.checkpointTimer);
        this.checkpointTimer = null;
        try {
            this.checkpointHighWatermarks();
        }
        catch (e) {
            this.opts.log.error('Error writing the high watermark checkpoint', e);
        }
        for (const p of this.allPartitions())
            p.close();
    }
}
class DelayedProduce {
    replicas;
    entries;
    resolve;
    codes;
    constructor(replicas, entries, resolve) {
        this.replicas = replicas;
        this.entries = entries;
        this.resolve = resolve;
        this.codes = entries.map(() => null);
    }
    /** Checks now; resolves and returns true when no partition is left waiting. */
    tryComplete() {
        if (!this.onUpdate())
            return false;
        this.complete();
        return true;
    }
    /** Re-checks every partition still waiting; true when none is. */
    onUpdate() {
        let pending = false;
        for (let i = 0; i < this.entries.length; i++) {
            if (this.codes[i] !== null)
                continue;
            const e = this.entries[i];
            const p = this.replicas.getPartition(e.topic, e.partition);
            const code = p === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : p.checkEnoughReplicasReachOffset(e.requiredOffset, e.minInsyncReplicas);
            this.codes[i] = code;
            if (code === null)
                pending = true;
        }
        return !pending;
    }
    complete() {
        this.resolve(this.codes.map((c) => c ?? ErrorCode.REQUEST_TIMED_OUT));
    }
}
function sameMap(a, b) {
    if (a.size !== b.size)
        return false;
    for (const [k, v] of a)
        if (b.get(k) !== v)
            return false;
    return true;
}
//# sourceMappingURL=replica-manager.js.map