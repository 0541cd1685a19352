/**
 * MirrorCheckpointConnector / MirrorCheckpointTask (org.apache.kafka.connect.mirror): for the
 * source cluster's consumer groups that pass `groups` / `groups.exclude` and have offsets for
 * replicated topics, every `emit.checkpoints.interval.seconds` a task reads the groups'
 * committed offsets on the source, translates them through the offset syncs (OffsetSyncStore:
 * the latest sync at or before the committed offset, never ahead) and writes checkpoint
 * records to `<source>.checkpoints.internal` on the target, keyed by group and remote topic
 * partition. Checkpoints only move forward unless the upstream group rewound. With
 * `sync.group.offsets.enabled`, every `sync.group.offsets.interval.seconds` the translated
 * offsets are committed on the target for groups that have no active members there (Empty or
 * unknown), never moving a target group's offset backwards.
 */
import { Admin } from '@samsa/client';
import { type ConfigDef, SourceConnector, SourceTask, type TaskClass } from '../api.js';
import { Schemas, type SourceRecord } from '../data.js';
import { ensureCompactedTopic, KafkaBasedLog } from '../kafka-log.js';
import { VERSION_STRING } from '../version.js';
import { baseMirrorConfigDef, GROUPS_EXCLUDE_DEFAULT, MirrorConnectorConfig, Scheduler, StopSignal, TOPICS_EXCLUDE_DEFAULT } from './mirror-config.js';
import { type Checkpoint, CheckpointFormat } from './mirror-records.js';
import { OffsetSyncStore } from './offset-sync-store.js';
import { originalTopic } from './replication-policy.js';

export class MirrorCheckpointConfig extends MirrorConnectorConfig {
  get emitCheckpointsIntervalMs(): number {
    return this.intervalMs('emit.checkpoints', true, 60);
  }
  get syncGroupOffsetsIntervalMs(): number {
    return this.intervalMs('sync.group.offsets', false, 60);
  }
  get refreshGroupsIntervalMs(): number {
    return this.intervalMs('refresh.groups', true, 600);
  }
  get checkpointsTopicReplicationFactor(): number {
    return this.long('checkpoints.topic.replication.factor', 3);
  }
  get pollTimeoutMs(): number {
    return this.long('consumer.poll.timeout.ms', 1000);
  }
}

export function mirrorCheckpointConfigDef(): ConfigDef {
  const k = (name: string, type: ConfigDef[number]['type'], defaultValue: string, documentation: string): ConfigDef[number] => ({ name, type, defaultValue, importance: name.startsWith('groups') ? 'HIGH' : 'LOW', documentation });
  return [
    ...baseMirrorConfigDef(),
    k('consumer.poll.timeout.ms', 'LONG', '1000', 'Timeout when polling source cluster.'),
    k('groups', 'LIST', '.*', 'Consumer groups to replicate. Supports comma-separated group IDs and regexes.'),
    k('groups.exclude', 'LIST', GROUPS_EXCLUDE_DEFAULT, 'Exclude groups. Supports comma-separated group IDs and regexes. Excludes take precedence over includes.'),
    k('refresh.groups.enabled', 'BOOLEAN', 'true', 'Whether to periodically check for new consumer groups.'),
    k('refresh.groups.interval.seconds', 'LONG', '600', 'Frequency of group refresh.'),
    { name: 'emit.checkpoints.enabled', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', documentation: 'Whether to replicate consumer offsets to target cluster.', validator: (v) => (v?.trim().toLowerCase() === 'false' ? "MirrorCheckpointConnector can't run with emit.checkpoints.enabled set to false" : null) },
    k('emit.checkpoints.interval.seconds', 'LONG', '60', 'Frequency of checkpoints.'),
    k('sync.group.offsets.enabled', 'BOOLEAN', 'false', 'Whether to periodically write the translated offsets to __consumer_offsets topic in target cluster, as long as no active consumers in that group are connected to the target cluster'),
    k('sync.group.offsets.interval.seconds', 'LONG', '60', 'Frequency of consumer group offset sync.'),
    k('checkpoints.topic.replication.factor', 'SHORT', '3', 'Replication factor for checkpoints topic.'),
    k('offset-syncs.topic.location', 'STRING', 'source', 'The location (source/target) of the offset-syncs topic.'),
    k('topics', 'LIST', '.*', 'Topics to replicate. Supports comma-separated topic names and regexes.'),
    k('topics.exclude', 'LIST', TOPICS_EXCLUDE_DEFAULT, 'Excluded topics. Supports comma-separated topic names and regexes. Excludes take precedence over includes.'),
    { name: 'emit.offset-syncs.enabled', type: 'BOOLEAN', defaultValue: 'true', importance: 'LOW', documentation: 'Whether to store the new offset of the replicated records in offset-syncs topic or not.', validator: (v) => (v?.trim().toLowerCase() === 'false' ? "MirrorCheckpointConnector can't run without offset syncs" : null) },
  ];
}

export class MirrorCheckpointConnector extends SourceConnector {
  private cfg!: MirrorCheckpointConfig;
  private scheduler: Scheduler | null = null;
  private sourceAdmin: Admin | null = null;
  private targetAdmin: Admin | null = null;
  private knownGroups: string[] = [];

  version(): string {
    return VERSION_STRING;
  }

  taskClass(): TaskClass<SourceTask> {
    return MirrorCheckpointTask;
  }

  override config(): ConfigDef {
    return mirrorCheckpointConfigDef();
  }

  async start(props: Record<string, string>): Promise<void> {
    this.cfg = new MirrorCheckpointConfig(props);
    if (!this.cfg.enabled) return;
    const c = this.cfg;
    this.sourceAdmin = new Admin(c.client('source', 'admin', 'checkpoint-source-admin'));
    this.targetAdmin = new Admin(c.client('target', 'admin', 'checkpoint-target-admin'));
    const scheduler = (this.scheduler = new Scheduler(c.entityLabel));
    await scheduler.execute(() => ensureCompactedTopic(this.targetAdmin!, c.checkpointsTopic, 1, c.checkpointsTopicReplicationFactor), 'creating internal topics');
    await scheduler.execute(async () => {
      this.knownGroups = await this.findConsumerGroups();
      console.log(`Started ${c.connectorName} with ${this.knownGroups.length} consumer groups.`);
    }, 'loading initial consumer groups');
    scheduler.repeat(() => this.refreshConsumerGroups(), c.refreshGroupsIntervalMs, 'refreshing consumer groups', true);
  }

  async stop(): Promise<void> {
    if (this.cfg === undefined || !this.cfg.enabled) return;
    await this.scheduler?.close();
    await Promise.all([this.sourceAdmin?.close(), this.targetAdmin?.close()].map((p) => p?.catch(() => {})));
  }

  /** Groups dealt over at most `maxTasks` tasks in contiguous runs (ConnectorUtils.groupPartitions). */
  taskConfigs(maxTasks: number): Array<Record<string, string>> {
    const c = this.cfg;
    if (!c.enabled || this.knownGroups.length === 0 || c.emitCheckpointsIntervalMs < 0) return [];
    const n = Math.min(maxTasks, this.knownGroups.length);
    const per = Math.floor(this.knownGroups.length / n);
    const extra = this.knownGroups.length % n;
    const out: Array<Record<string, string>> = [];
    for (let i = 0, at = 0; i < n; i++) {
      const size = per + (i < extra ? 1 : 0);
      out.push({ ...c.props, 'task.assigned.groups': this.knownGroups.slice(at, at + size).join(','), 'task.index': String(i) });
      at += size;
    }
    return out;
  }

  /** Source groups passing the group filter with committed offsets for topics passing the topic filter. */
  async findConsumerGroups(): Promise<string[]> {
    const groupFilter = this.cfg.groupFilter;
    const topicFilter = this.cfg.topicFilter;
    const groups = (await this.sourceAdmin!.listGroups()).filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId).filter(groupFilter);
    const out: string[] = [];
    for (const g of groups.sort()) {
      const offsets = await this.sourceAdmin!.listConsumerGroupOffsets(g);
      if (offsets.some((o) => topicFilter(o.topic))) out.push(g);
    }
    return out;
  }

  private async refreshConsumerGroups(): Promise<void> {
    const groups = await this.findConsumerGroups();
    const known = new Set(this.knownGroups);
    if (groups.length !== known.size || groups.some((g) => !known.has(g))) {
      console.log(`Found ${groups.length} consumer groups for ${this.cfg.sourceClusterAlias}->${this.cfg.targetClusterAlias}. ${groups.filter((g) => !known.has(g)).length} are new. ${[...known].filter((g) => !groups.includes(g)).length} were removed. Previously had ${known.size}.`);
      this.knownGroups = groups;
      this.context.requestTaskReconfiguration();
    }
  }
}

const cpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The last checkpoint per group and remote partition, first read back from the checkpoints topic. */
class CheckpointStore {
  readonly byGroup = new Map<string, Map<string, Checkpoint>>();
  initialized = false;

  constructor(private readonly groups: Set<string>) {}

  /** Reads the checkpoints topic once; false if it could not be read. */
  async load(topic: string, config: MirrorCheckpointConfig): Promise<boolean> {
    const admin = new Admin(config.client('target', 'admin', 'checkpoint-target-admin'));
    const log = new KafkaBasedLog(topic, config.client('target', 'consumer', 'checkpoints-target-consumer'), admin, null, (m) => {
      try {
        const cp = CheckpointFormat.decode(m.key, m.value);
        if (this.groups.has(cp.group)) this.update(cp.group, [cp]);
      } catch (err) {
        console.warn(`Ignored invalid checkpoint record at offset ${m.offset}: ${(err as Error).message}`);
      }
    }, (p) => p === 0);
    try {
      await log.start();
      return true;
    } catch (err) {
      console.log(`Exception encountered loading checkpoints topic ${topic} - this may degrade offset translation as only checkpoints for offsets which were mirrored after the task started will be emitted: ${(err as Error).message}`);
      this.byGroup.clear();
      return false;
    } finally {
      await log.stop();
      await admin.close().catch(() => {});
      this.initialized = true;
    }
  }

  update(group: string, checkpoints: Checkpoint[]): void {
    let m = this.byGroup.get(group);
    if (m === undefined) this.byGroup.set(group, (m = new Map()));
    for (const cp of checkpoints) m.set(cpKey(cp.topic, cp.partition), cp);
  }

  get(group: string, topic: string, partition: number): Checkpoint | undefined {
    return this.byGroup.get(group)?.get(cpKey(topic, partition));
  }
}

export class MirrorCheckpointTask extends SourceTask {
  private config!: MirrorCheckpointConfig;
  private groups: string[] = [];
  private sourceAdmin: Admin | null = null;
  private targetAdmin: Admin | null = null;
  private readonly offsetSyncs = new OffsetSyncStore();
  private checkpoints!: CheckpointStore;
  private scheduler: Scheduler | null = null;
  private readonly stopSignal = new StopSignal();
  private starting: Promise<void> = Promise.resolve();
  /** Target-side offsets of the groups that are Empty there, from the last refresh. */
  private idleGroupOffsets = new Map<string, Map<string, { topic: string; partition: number; offset: number }>>();

  version(): string {
    return VERSION_STRING;
  }

  start(props: Record<string, string>): void {
    const c = (this.config = new MirrorCheckpointConfig(props));
    this.groups = (props['task.assigned.groups'] ?? '').split(',').filter((g) => g !== '');
    this.sourceAdmin = new Admin(c.client('source', 'admin', 'checkpoint-source-admin'));
    this.targetAdmin = new Admin(c.client('target', 'admin', 'checkpoint-target-admin'));
    this.checkpoints = new CheckpointStore(new Set(this.groups));
    const scheduler = (this.scheduler = new Scheduler(c.entityLabel));
    // loading the stores can take a while: in the background, so the task can be stopped meanwhile
    this.starting = scheduler.execute(async () => {
      const loaded = await this.checkpoints.load(c.checkpointsTopic, c);
      const side = c.offsetSyncsTopicLocation;
      const admin = new Admin(c.client(side, 'admin', `offset-syncs-${side}-admin`));
      // the source connector creates the offset-syncs topic; wait for it
      for (;;) {
        if (this.stopSignal.stopped) return;
        try {
          await this.offsetSyncs.start(c.offsetSyncsTopic, c.client(side, 'consumer', `offset-syncs-${side}-consumer`), admin, !loaded);
          break;
        } catch (err) {
          console.log(`Waiting for ${c.offsetSyncsTopic}: ${(err as Error).message}`);
          await this.stopSignal.sleep(1000);
        }
      }
      scheduler.repeat(() => this.refreshIdleConsumerGroupOffsets(), c.syncGroupOffsetsIntervalMs, 'refreshing idle consumers group offsets at target cluster');
      scheduler.repeat(() => this.syncGroupOffsets(), c.syncGroupOffsetsIntervalMs, 'sync idle consumer group offset from source to target', true);
    }, 'starting checkpoint and offset sync stores');
    console.log(`${c.entityLabel} checkpointing ${this.groups.length} consumer groups ${c.sourceClusterAlias}->${c.targetClusterAlias}: [${this.groups.join(', ')}].`);
  }

  async poll(): Promise<SourceRecord[] | null> {
    await this.stopSignal.sleep(this.config.emitCheckpointsIntervalMs);
    if (this.stopSignal.stopped || !this.checkpoints.initialized) return null;
    const records: SourceRecord[] = [];
    for (const group of this.groups) {
      try {
        records.push(...(await this.recordsForGroup(group)));
      } catch (err) {
        console.error(`Error querying offsets for consumer group ${group} on cluster ${this.config.sourceClusterAlias}: ${(err as Error).message}`);
      }
    }
    return records.length === 0 ? null : records;
  }

  /** The group's new checkpoints: translatable, for replicated topics, and newer than the last one. */
  async recordsForGroup(group: string): Promise<SourceRecord[]> {
    const now = Date.now();
    const committed = await this.sourceAdmin!.listConsumerGroupOffsets(group);
    const topicFilter = this.config.topicFilter;
    const fresh: Checkpoint[] = [];
    for (const o of committed) {
      if (o.offset < 0n || !topicFilter(o.topic)) continue;
      const cp = this.checkpoint(group, o.topic, o.partition, Number(o.offset), o.metadata ?? '');
      if (cp !== null && cp.downstreamOffset >= 0 && this.isMoreRecent(cp)) fresh.push(cp);
    }
    this.checkpoints.update(group, fresh);
    return fresh.map((cp) => ({
      sourcePartition: { group: cp.group, partition: cp.partition, topic: cp.topic },
      sourceOffset: { offset: 0 },
      topic: this.config.checkpointsTopic,
      kafkaPartition: 0,
      keySchema: Schemas.BYTES,
      key: CheckpointFormat.key(cp),
      valueSchema: Schemas.BYTES,
      value: CheckpointFormat.value(cp),
      timestamp: now,
      headers: [],
    }));
  }

  checkpoint(group: string, topic: string, partition: number, upstreamOffset: number, metadata: string): Checkpoint | null {
    const downstream = this.offsetSyncs.translateDownstream(topic, partition, upstreamOffset);
    if (downstream === null) return null;
    return { group, topic: this.renameTopic(topic), partition, upstreamOffset, downstreamOffset: downstream, metadata };
  }

  /** A topic that came from the target gets its original name back; others get the remote name. */
  private renameTopic(topic: string): string {
    const p = this.config.policy;
    return this.config.targetClusterAlias === p.topicSource(topic) ? originalTopic(p, topic) : p.formatRemoteTopic(this.config.sourceClusterAlias, topic);
  }

  private isMoreRecent(cp: Checkpoint): boolean {
    const last = this.checkpoints.get(cp.group, cp.topic, cp.partition);
    if (last === undefined) return true;
    // after a rewind upstream checkpoints may go back; otherwise they only move forward
    return cp.upstreamOffset < last.upstreamOffset || cp.downstreamOffset > last.downstreamOffset;
  }

  private async refreshIdleConsumerGroupOffsets(): Promise<void> {
    const described = await this.targetAdmin!.describeGroups(this.groups);
    for (const d of described) {
      if (d.state !== 'Empty') continue;
      const offsets = await this.targetAdmin!.listConsumerGroupOffsets(d.groupId);
      this.idleGroupOffsets.set(d.groupId, new Map(offsets.map((o) => [cpKey(o.topic, o.partition), { topic: o.topic, partition: o.partition, offset: Number(o.offset) }])));
    }
  }

  /** Commits the checkpoints on the target for groups idle there (new groups included), never backwards. */
  async syncGroupOffsets(): Promise<void> {
    for (const [group, cps] of this.checkpoints.byGroup) {
      const target = this.idleGroupOffsets.get(group);
      const toSync = [...cps.values()].filter((cp) => {
        if (target === undefined) return true;
        const t = target.get(cpKey(cp.topic, cp.partition));
        return t === undefined || t.offset < 0 || t.offset < cp.downstreamOffset;
      });
      // a group absent from the idle list and not new may be active on the target: its commit is refused there
      if (toSync.length === 0) continue;
      try {
        await this.targetAdmin!.alterConsumerGroupOffsets(group, toSync.map((cp) => ({ topic: cp.topic, partition: cp.partition, offset: cp.downstreamOffset, metadata: cp.metadata })));
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 25 || code === 22 || code === 27) console.warn(`Unable to sync offsets for consumer group ${group}. This is likely caused by consumers currently using this group in the target cluster.`);
        else console.error(`Unable to sync offsets for consumer group ${group}: ${(err as Error).message}`);
      }
    }
    this.idleGroupOffsets = new Map();
  }

  async stop(): Promise<void> {
    this.stopSignal.stop();
    await this.starting.catch(() => {});
    await this.scheduler?.close();
    await this.offsetSyncs.stop();
    await Promise.all([this.sourceAdmin?.close(), this.targetAdmin?.close()].map((p) => p?.catch(() => {})));
  }
}
