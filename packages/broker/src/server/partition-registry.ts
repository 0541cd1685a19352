/**
 * The partition logs this broker hosts, kept in step with the metadata image: logs are opened
 * for created topics and partitions, reconfigured when topic configs change and deleted with
 * their topic. Long polls are woken by the replica manager (appends and high-watermark moves).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { TopicConfig } from '../config/topic-config.js';
import type { MetadataDelta, MetadataImage, TopicImage } from '../metadata/image.js';
import type { PartitionLog, StorageEngine } from '../storage/partition-log.js';
import type { Logger } from '../util/log.js';
import { partitionKey, type Purgatory } from './purgatory.js';

export interface HostedTopic {
  readonly image: TopicImage;
  readonly config: TopicConfig;
  readonly logs: PartitionLog[];
}

export class PartitionRegistry {
  private readonly topics = new Map<string, HostedTopic>();

  constructor(
    private readonly storage: StorageEngine,
    private readonly brokerConfig: BrokerConfig,
    private readonly purgatory: Purgatory,
    private readonly nodeId: number,
    private readonly log: Logger,
  ) {}

  topic(name: string): HostedTopic | undefined {
    return this.topics.get(name);
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.logs[partition];
  }

  all(): IterableIterator<HostedTopic> {
    return this.topics.values();
  }

  /** Applies a metadata delta: the MetadataPublisher of this node's logs. */
  apply(_image: MetadataImage, delta: MetadataDelta): void {
    for (const t of delta.deletedTopics) this.removeTopic(t);
    for (const t of delta.createdTopics) this.openTopic(t);
    for (const { after } of delta.changedTopics) this.updateTopic(after);
  }

  private openTopic(t: TopicImage): void {
    const config = new TopicConfig(this.brokerConfig, t.configs);
    const logConfig = config.toLogConfig();
    const logs: PartitionLog[] = [];
    for (const p of t.partitions) {
      if (!p.replicas.includes(this.nodeId)) continue;
      logs[p.partition] = this.storage.openLog(t.name, p.partition, logConfig);
    }
    this.topics.set(t.name, { image: t, config, logs });
  }

  private updateTopic(t: TopicImage): void {
    const cur = this.topics.get(t.name);
    if (cur === undefined) {
      this.openTopic(t);
      return;
    }
    const config = new TopicConfig(this.brokerConfig, t.configs);
    const logConfig = config.toLogConfig();
    const configChanged = !sameMap(cur.image.configs, t.configs);
    const logs = cur.logs;
    for (const p of t.partitions) {
      if (!p.replicas.includes(this.nodeId)) continue;
      const existing = logs[p.partition];
      if (existing === undefined) {
        logs[p.partition] = this.storage.openLog(t.name, p.partition, logConfig);
      } else if (configChanged) {
        existing.updateConfig(logConfig);
      }
    }
    this.topics.set(t.name, { image: t, config, logs });
  }

  private removeTopic(t: TopicImage): void {
    const cur = this.topics.get(t.name);
    this.topics.delete(t.name);
    if (cur === undefined) return;
    for (let p = 0; p < cur.logs.length; p++) {
      if (cur.logs[p] === undefined) continue;
      try {
        this.storage.deleteLog(t.name, p);
      } catch (e) {
        this.log.error(`Failed to delete log ${t.name}-${p}`, e);
      }
      // Waiting fetches on a deleted partition answer now (with UNKNOWN_TOPIC_OR_PARTITION).
      this.purgatory.notify(partitionKey(t.name, p), 0);
    }
  }

  /**
   * Topic defaults derive from broker configs: after a dynamic broker config change, rebuilds
   * each hosted topic's effective config (Produce reads it for max.message.bytes and the
   * timestamp bounds) and hands its logs the new LogConfig.
   */
  refreshConfigs(): void {
    for (const [name, cur] of this.topics) {
      const config = new TopicConfig(this.brokerConfig, cur.image.configs);
      const logConfig = config.toLogConfig();
      for (const log of cur.logs) log?.updateConfig(logConfig);
      this.topics.set(name, { image: cur.image, config, logs: cur.logs });
    }
  }

  /** Retention pass over every log (log.retention.check.interval.ms). */
  applyRetention(nowMs: number): void {
    for (const t of this.topics.values()) {
      for (const log of t.logs) {
        if (log === undefined) continue;
        try {
          log.applyRetention(nowMs);
        } catch (e) {
          this.log.error(`Retention failed for ${log.topic}-${log.partition}`, e);
        }
      }
    }
  }

  flushAll(): void {
    for (const t of this.topics.values()) for (const log of t.logs) log?.flush();
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
