/**
 * MirrorHeartbeatConnector / MirrorHeartbeatTask (org.apache.kafka.connect.mirror): every
 * `emit.heartbeats.interval.seconds` (default 1) one heartbeat record {source alias, target
 * alias, timestamp} goes to the target's compacted `heartbeats` topic. Replicated onwards by
 * MirrorSourceConnector (as `A.heartbeats` ...), heartbeats show that a flow is alive and let
 * tools trace the replication topology.
 */
import { Admin } from '@samsa/client';
import { type ConfigDef, SourceConnector, SourceTask, type TaskClass } from '../api.js';
import { Schemas, type SourceRecord } from '../data.js';
import { ensureCompactedTopic } from '../kafka-log.js';
import { VERSION_STRING } from '../version.js';
import { baseMirrorConfigDef, MirrorConnectorConfig, StopSignal } from './mirror-config.js';
import { HeartbeatFormat } from './mirror-records.js';

class MirrorHeartbeatConfig extends MirrorConnectorConfig {
  get emitHeartbeatsIntervalMs(): number {
    return this.intervalMs('emit.heartbeats', true, 1);
  }
  get heartbeatsTopicReplicationFactor(): number {
    return this.long('heartbeats.topic.replication.factor', 3);
  }
}

export class MirrorHeartbeatConnector extends SourceConnector {
  private cfg!: MirrorHeartbeatConfig;

  version(): string {
    return VERSION_STRING;
  }

  taskClass(): TaskClass<SourceTask> {
    return MirrorHeartbeatTask;
  }

  override config(): ConfigDef {
    return [
      ...baseMirrorConfigDef(),
      { name: 'emit.heartbeats.enabled', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', documentation: 'Whether to emit heartbeats to target cluster.' },
      { name: 'emit.heartbeats.interval.seconds', type: 'LONG', defaultValue: '1', importance: 'LOW', documentation: 'Frequency of heartbeats.' },
      { name: 'heartbeats.topic.replication.factor', type: 'SHORT', defaultValue: '3', importance: 'LOW', documentation: 'Replication factor for heartbeats topic.' },
    ];
  }

  async start(props: Record<string, string>): Promise<void> {
    this.cfg = new MirrorHeartbeatConfig(props);
    const admin = new Admin(this.cfg.client('target', 'admin', 'heartbeats-target-admin'));
    try {
      await ensureCompactedTopic(admin, this.cfg.policy.heartbeatsTopic(), 1, this.cfg.heartbeatsTopicReplicationFactor);
    } catch (err) {
      console.error(`${this.cfg.entityLabel} caught exception in scheduled task: creating internal topics: ${(err as Error).message}`);
    } finally {
      await admin.close().catch(() => {});
    }
  }

  stop(): void {}

  taskConfigs(): Array<Record<string, string>> {
    return this.cfg.emitHeartbeatsIntervalMs < 0 ? [] : [{ ...this.cfg.props }];
  }
}

export class MirrorHeartbeatTask extends SourceTask {
  private config!: MirrorHeartbeatConfig;
  private readonly stopSignal = new StopSignal();

  version(): string {
    return VERSION_STRING;
  }

  start(props: Record<string, string>): void {
    this.config = new MirrorHeartbeatConfig(props);
  }

  async poll(): Promise<SourceRecord[] | null> {
    await this.stopSignal.sleep(this.config.emitHeartbeatsIntervalMs);
    if (this.stopSignal.stopped) return null;
    const heartbeat = { sourceClusterAlias: this.config.sourceClusterAlias, targetClusterAlias: this.config.targetClusterAlias, timestamp: Date.now() };
    return [
      {
        sourcePartition: { sourceClusterAlias: heartbeat.sourceClusterAlias, targetClusterAlias: heartbeat.targetClusterAlias },
        sourceOffset: { offset: 0 },
        topic: this.config.policy.heartbeatsTopic(),
        kafkaPartition: 0,
        keySchema: Schemas.BYTES,
        key: HeartbeatFormat.key(heartbeat),
        valueSchema: Schemas.BYTES,
        value: HeartbeatFormat.value(heartbeat),
        timestamp: heartbeat.timestamp,
        headers: [],
      },
    ];
  }

  stop(): void {
    this.stopSignal.stop();
  }
}
