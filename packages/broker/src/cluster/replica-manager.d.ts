import type { BrokerConfig } from '../config/broker-config.js';
import { TopicConfig } from '../config/topic-config.js';
import type { PartitionAppendHook } from '../handlers/types.js';
import type { MetadataDelta, MetadataImage, TopicImage } from '../metadata/image.js';
import { type Purgatory } from '../server/purgatory.js';
import type { StorageEngine } from '../storage/partition-log.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { Partition, type PartitionState } from './partition.js';
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
export declare function logEndKey(topic: string, partition: number): string;
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
export declare class ReplicaManager {
    private readonly topics;
    private readonly opts;
    private readonly listener;
    /** Checkpointed HWs read at startup, per log dir (consumed as partitions open). */
    private readonly startupHighWatermarks;
    private checkpointTimer;
    /** The producer-state hook every client append goes through (null: no idempotence). */
    appendHook: PartitionAppendHook | null;
    constructor(opts: ReplicaManagerOptions);
    topic(name: string): HostedTopic | undefined;
    getPartition(topic: string, partition: number): Partition | undefined;
    all(): IterableIterator<HostedTopic>;
    allPartitions(): Generator<Partition>;
    /** Applies a metadata delta (this node's MetadataPublisher): logs, configs, then leadership. */
    applyDelta(_image: MetadataImage, delta: MetadataDelta): void;
    /**
     * Applies partition states from the metadata layer (Kafka's becomeLeaderOrFollower): this
     * broker leads where `leader` is its id, follows where it is another replica, and stops
     * serving otherwise. Partitions not hosted here are ignored.
     */
    becomeLeaderOrFollower(states: Iterable<TopicPartitionState>): void;
    private wake;
    private openPartition;
    private updateTopic;
    private removeTopic;
    /**
     * Topic defaults derive from broker configs: after a dynamic broker config change, rebuilds
     * each hosted topic's effective config (Produce reads it for max.message.bytes and the
     * timestamp bounds) and hands its logs the new LogConfig.
     */
    refreshConfigs(): void;
    /** Retention pass over every log (log.retention.check.interval.ms). */
    applyRetention(nowMs: number): void;
    flushAll(): void;
    /**
     * Waits until each partition's HW reaches its `requiredOffset` (Kafka's DelayedProduce), or
     * `timeoutMs` passes (REQUEST_TIMED_OUT). Resolves with one error code per entry.
     */
    awaitHighWatermarks(entries: readonly ProduceWait[], timeoutMs: number): Promise<number[]>;
    /** Starts the periodic HW checkpoint (replica.high.watermark.checkpoint.interval.ms). */
    start(): void;
    /** Writes every log dir's replication-offset-checkpoint. */
    checkpointHighWatermarks(): void;
    /** Stops the checkpoint timer and writes a last checkpoint (before the logs close). */
    stop(): void;
}
/** One partition of an acks=all produce: its HW must reach `requiredOffset` (last offset + 1). */
export interface ProduceWait {
    readonly topic: string;
    readonly partition: number;
    readonly requiredOffset: bigint;
    readonly minInsyncReplicas: number;
}
