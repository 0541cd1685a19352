/**
 * MirrorSourceConnector / MirrorSourceTask (org.apache.kafka.connect.mirror): replicates the
 * source cluster's topics that pass `topics` / `topics.exclude` (never internal topics, never a
 * topic that came from the target: no cycles) to remote topics on the target named by the
 * replication policy, with the source's partition counts (new partitions follow) and topic
 * configs (`sync.topic.configs.enabled`, filtered by `config.properties.exclude`), and topic
 * ACLs (`sync.topic.acls.enabled`, ALLOW ALL downgraded to READ, WRITE never copied).
 *
 * A task consumes its assigned partitions (`task.assigned.partitions`, dealt round-robin) from
 * the source and hands the records to the worker, which produces them to the same partition of
 * the remote topic with their keys, values, headers and timestamps. The source offset of a
 * record is {"offset": n} under {"cluster","topic","partition"}, so a restarted task resumes
 * after the last offset the worker committed. Once the target acknowledged a record, the task
 * may write an offset sync (upstream n ↔ downstream m) to the offset-syncs topic on the
 * source cluster: always for the first record, when the upstream offsets skip, when the target
 * went back, or when the last sync is `offset.lag.max` records behind; otherwise the sync is
 * kept and written at the next offset commit, so a quiet topic's last record is synced too.
 */
import { type AclBinding, Admin, Consumer, type ConsumedMessage, createAcls, describeAcls, Producer } from '@samsa/client';
import { type ConfigDef, SourceConnector, SourceTask, type TaskClass } from '../api.js';
import { Schemas, type SourceRecord } from '../data.js';
import { ensureCompactedTopic } from '../kafka-log.js';
import { VERSION_STRING } from '../version.js';
import { baseMirrorConfigDef, CONFIG_PROPERTIES_EXCLUDE_DEFAULT, MirrorConnectorConfig, patternList, Scheduler, StopSignal, TOPICS_EXCLUDE_DEFAULT } from './mirror-config.js';
import { OffsetSyncFormat, type OffsetSync } from './mirror-records.js';
import { isHeartbeatsTopic, isInternalTopic } from './replication-policy.js';

interface TopicPartition {
  topic: string;
  partition: number;
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

/** Kafka's TopicPartition.toString / MirrorUtils.decodeTopicPartition. */
export function decodeTopicPartition(s: string): TopicPartition {
  const sep = s.lastIndexOf('-');
  return { topic: s.slice(0, sep), partition: Number(s.slice(sep + 1)) };
}

const STATIC_BROKER_CONFIG = 4;
const ANY_RESOURCE_PATTERN = 1;
const TOPIC_RESOURCE = 2;
const LITERAL_PATTERN = 3;
const OP_ALL = 2;
const OP_READ = 3;
const OP_WRITE = 4;
const PERMISSION_ALLOW = 3;

export class MirrorSourceConfig extends MirrorConnectorConfig {
  get replicationFactor(): number {
    return this.long('replication.factor', 2);
  }
  get offsetLagMax(): number {
    return this.long('offset.lag.max', 100);
  }
  get pollTimeoutMs(): number {
    return this.long('consumer.poll.timeout.ms', 1000);
  }
  get refreshTopicsIntervalMs(): number {
    return this.intervalMs('refresh.topics', true, 600);
  }
  get syncTopicConfigsIntervalMs(): number {
    return this.intervalMs('sync.topic.configs', true, 600);
  }
  get syncTopicAclsIntervalMs(): number {
    return this.intervalMs('sync.topic.acls', true, 600);
  }
  get heartbeatsReplicationEnabled(): boolean {
    return this.bool('heartbeats.replication.enabled', true);
  }
  get offsetSyncsTopicReplicationFactor(): number {
    return this.long('offset-syncs.topic.replication.factor', 3);
  }
  /** DefaultConfigPropertyFilter: which topic config properties are copied, and whether source defaults are. */
  get configPropertyFilter(): { replicate(name: string): boolean; replicateSourceDefault: boolean } {
    const exclude = patternList(this.props['config.properties.exclude'] ?? CONFIG_PROPERTIES_EXCLUDE_DEFAULT);
    return { replicate: (n) => !(exclude !== null && exclude(n)), replicateSourceDefault: (this.props['use.defaults.from'] ?? 'target').trim() === 'source' };
  }
  /** The offset-syncs topic's side: its admin and producer (the source cluster by default). */
  offsetSyncsClient(role: 'admin' | 'producer'): ReturnType<MirrorConnectorConfig['client']> {
    const side = this.offsetSyncsTopicLocation;
    return this.client(side, role, `offset-syncs-${side}-${role}`);
  }
}

export function mirrorSourceConfigDef(): ConfigDef {
  const k = (name: string, type: ConfigDef[number]['type'], defaultValue: string, documentation: string): ConfigDef[number] => ({ name, type, defaultValue, importance: name.startsWith('topics') ? 'HIGH' : 'LOW', documentation });
  return [
    ...baseMirrorConfigDef(),
    k('topics', 'LIST', '.*', 'Topics to replicate. Supports comma-separated topic names and regexes.'),
    k('topics.exclude', 'LIST', TOPICS_EXCLUDE_DEFAULT, 'Excluded topics. Supports comma-separated topic names and regexes. Excludes take precedence over includes.'),
    k('config.properties.exclude', 'LIST', CONFIG_PROPERTIES_EXCLUDE_DEFAULT, 'Topic config properties that should not be replicated. Supports comma-separated property names and regexes.'),
    k('consumer.poll.timeout.ms', 'LONG', '1000', 'Timeout when polling source cluster.'),
    k('refresh.topics.enabled', 'BOOLEAN', 'true', 'Whether to periodically check for new topics and partitions.'),
    k('refresh.topics.interval.seconds', 'LONG', '600', 'Frequency of topic refresh.'),
    k('sync.topic.configs.enabled', 'BOOLEAN', 'true', 'Whether to periodically configure remote topics to match their corresponding upstream topics.'),
    k('sync.topic.configs.interval.seconds', 'LONG', '600', 'Frequency of topic config sync.'),
    k('sync.topic.acls.enabled', 'BOOLEAN', 'true', 'Whether to periodically configure remote topic ACLs to match their corresponding upstream topics.'),
    k('sync.topic.acls.interval.seconds', 'LONG', '600', 'Frequency of topic ACL sync.'),
    k('replication.factor', 'INT', '2', 'Replication factor for newly created remote topics.'),
    k('offset-syncs.topic.replication.factor', 'SHORT', '3', 'Replication factor for offset-syncs topic.'),
    k('offset.lag.max', 'LONG', '100', 'How out-of-sync a remote partition can be before it is resynced.'),
    k('offset-syncs.topic.location', 'STRING', 'source', 'The location (source/target) of the offset-syncs topic.'),
    k('emit.offset-syncs.enabled', 'BOOLEAN', 'true', 'Whether to store the new offset of the replicated records in offset-syncs topic or not.'),
    k('heartbeats.replication.enabled', 'BOOLEAN', 'true', 'Whether to replicate the heartbeats topics even when the topic filter does not include them.'),
  ];
}

export class MirrorSourceConnector extends SourceConnector {
  private cfg!: MirrorSourceConfig;
  private scheduler: Scheduler | null = null;
  private sourceAdmin: Admin | null = null;
  private targetAdmin: Admin | null = null;
  private knownSource: TopicPartition[] = [];
  private knownTarget: TopicPartition[] = [];
  private topicFilter: (t: string) => boolean = () => false;
  private noAclAuthorizer = false;

  version(): string {
    return VERSION_STRING;
  }

  taskClass(): TaskClass<SourceTask> {
    return MirrorSourceTask;
  }

  override config(): ConfigDef {
    return mirrorSourceConfigDef();
  }

  async start(props: Record<string, string>): Promise<void> {
    this.cfg = new MirrorSourceConfig(props);
    if (!this.cfg.enabled) return;
    const c = this.cfg;
    this.topicFilter = c.topicFilter;
    this.sourceAdmin = new Admin(c.client('source', 'admin', 'replication-source-admin'));
    this.targetAdmin = new Admin(c.client('target', 'admin', 'replication-target-admin'));
    const scheduler = (this.scheduler = new Scheduler(c.entityLabel));
    if (c.emitOffsetSyncsEnabled) {
      await scheduler.execute(async () => {
        const admin = new Admin(c.offsetSyncsClient('admin'));
        try {
          await ensureCompactedTopic(admin, c.offsetSyncsTopic, 1, c.offsetSyncsTopicReplicationFactor);
        } finally {
          await admin.close().catch(() => {});
        }
      }, 'creating upstream offset-syncs topic');
    }
    await scheduler.execute(() => this.loadTopicPartitions(), 'loading initial set of topic-partitions');
    await scheduler.execute(() => this.computeAndCreateTopicPartitions(), 'creating downstream topic-partitions');
    await scheduler.execute(async () => {
      this.knownTarget = await this.findTargetTopicPartitions();
    }, 'refreshing known target topics');
    scheduler.repeat(() => this.syncTopicAcls(), c.syncTopicAclsIntervalMs, 'syncing topic ACLs');
    scheduler.repeat(() => this.syncTopicConfigs(), c.syncTopicConfigsIntervalMs, 'syncing topic configs');
    scheduler.repeat(() => this.refreshTopicPartitions(), c.refreshTopicsIntervalMs, 'refreshing topics', true);
    console.log(`Started ${c.connectorName} with ${this.knownSource.length} topic-partitions.`);
  }

  async stop(): Promise<void> {
    if (this.cfg === undefined || !this.cfg.enabled) return;
    await this.scheduler?.close();
    await Promise.all([this.sourceAdmin?.close(), this.targetAdmin?.close()].map((p) => p?.catch(() => {})));
  }

  /** Partitions dealt round-robin over at most `maxTasks` tasks. */
  taskConfigs(maxTasks: number): Array<Record<string, string>> {
    if (!this.cfg.enabled || this.knownSource.length === 0) return [];
    const n = Math.min(maxTasks, this.knownSource.length);
    const byTask: TopicPartition[][] = Array.from({ length: n }, () => []);
    this.knownSource.forEach((tp, i) => byTask[i % n]!.push(tp));
    return byTask.map((tps, i) => ({ ...this.cfg.props, 'task.assigned.partitions': tps.map(tpKey).join(','), 'task.index': String(i) }));
  }

  private formatRemoteTopic(topic: string): string {
    return this.cfg.policy.formatRemoteTopic(this.cfg.sourceClusterAlias, topic);
  }

  /** Whether `topic` is already downstream of the target (following the policy's names upstream). */
  private isCycle(topic: string): boolean {
    const source = this.cfg.policy.topicSource(topic);
    if (source === null) return false;
    if (source === this.cfg.targetClusterAlias) return true;
    const upstream = this.cfg.policy.upstreamTopic(topic);
    if (upstream === null || upstream === topic) return false;
    return this.isCycle(upstream);
  }

  shouldReplicateTopic(topic: string): boolean {
    const p = this.cfg.policy;
    return (this.topicFilter(topic) || (this.cfg.heartbeatsReplicationEnabled && isHeartbeatsTopic(p, topic))) && !isInternalTopic(p, topic) && !this.isCycle(topic);
  }

  private async describePartitions(admin: Admin, topics: string[]): Promise<TopicPartition[]> {
    if (topics.length === 0) return [];
    const desc = await admin.describeTopics({ topics: topics.sort() });
    return desc.flatMap((d) => d.partitions.map((p) => ({ topic: d.name, partition: p.partition })).sort((a, b) => a.partition - b.partition));
  }

  private async findSourceTopicPartitions(): Promise<TopicPartition[]> {
    const topics = (await this.sourceAdmin!.listTopics()).filter((t) => this.shouldReplicateTopic(t));
    return this.describePartitions(this.sourceAdmin!, topics);
  }

  private async findTargetTopicPartitions(): Promise<TopicPartition[]> {
    const c = this.cfg;
    const topics = (await this.targetAdmin!.listTopics()).filter((t) => c.policy.topicSource(t) === c.sourceClusterAlias && t !== c.checkpointsTopic);
    return this.describePartitions(this.targetAdmin!, topics);
  }

  private async loadTopicPartitions(): Promise<void> {
    this.knownSource = await this.findSourceTopicPartitions();
    this.knownTarget = await this.findTargetTopicPartitions();
  }

  /** New or deleted source partitions, or ones missing on the target: create them and deal the tasks again. */
  async refreshTopicPartitions(): Promise<void> {
    const source = await this.findSourceTopicPartitions();
    const target = await this.findTargetTopicPartitions();
    const sourceKeys = new Set(source.map(tpKey));
    const knownKeys = new Set(this.knownSource.map(tpKey));
    const upstreamOfTarget = new Set(target.map((tp) => tpKey({ topic: this.cfg.policy.upstreamTopic(tp.topic) ?? tp.topic, partition: tp.partition })));
    const missingInTarget = source.filter((tp) => !upstreamOfTarget.has(tpKey(tp)));
    this.knownTarget = target;
    const changed = sourceKeys.size !== knownKeys.size || [...sourceKeys].some((k) => !knownKeys.has(k));
    if (changed || missingInTarget.length > 0) {
      console.log(`Found ${[...sourceKeys].filter((k) => !knownKeys.has(k)).length} new topic-partitions on ${this.cfg.sourceClusterAlias}. Found ${[...knownKeys].filter((k) => !sourceKeys.has(k)).length} deleted topic-partitions on ${this.cfg.sourceClusterAlias}. Found ${missingInTarget.length} topic-partitions missing on ${this.cfg.targetClusterAlias}.`);
      this.knownSource = source;
      await this.computeAndCreateTopicPartitions();
      this.context.requestTaskReconfiguration();
    }
  }

  private counts(tps: TopicPartition[]): Map<string, number> {
    const m = new Map<string, number>();
    for (const tp of tps) m.set(tp.topic, (m.get(tp.topic) ?? 0) + 1);
    return m;
  }

  /** Creates the remote topics that are missing (with the source's partition count and configs) and grows those with fewer partitions. */
  private async computeAndCreateTopicPartitions(): Promise<void> {
    const sourceCounts = this.counts(this.knownSource);
    const targetCounts = this.counts(this.knownTarget);
    const newTopics = [...sourceCounts.keys()].filter((t) => !targetCounts.has(this.formatRemoteTopic(t)));
    if (newTopics.length > 0) {
      const configs = await this.describeTopicConfigs(newTopics);
      for (const t of newTopics) {
        const remote = this.formatRemoteTopic(t);
        const entries = this.targetConfig(configs.get(t) ?? [], false);
        try {
          await this.targetAdmin!.createTopics({ topics: [{ topic: remote, numPartitions: sourceCounts.get(t)!, replicationFactor: this.cfg.replicationFactor, configs: Object.fromEntries(entries.map((e) => [e.name, e.value ?? ''])) }] });
          console.log(`Created remote topic ${remote} with ${sourceCounts.get(t)} partitions.`);
        } catch (err) {
          console.warn(`Could not create topic ${remote}: ${(err as Error).message}`);
        }
      }
    }
    const grow = [...sourceCounts].filter(([t, n]) => targetCounts.has(this.formatRemoteTopic(t)) && n > targetCounts.get(this.formatRemoteTopic(t))!);
    for (const [t, n] of grow) {
      const remote = this.formatRemoteTopic(t);
      try {
        await this.targetAdmin!.createPartitions({ topicPartitions: [{ topic: remote, count: n }] });
        console.log(`Increased size of ${remote} to ${n} partitions.`);
      } catch (err) {
        if ((err as { code?: number }).code !== 37 /* INVALID_PARTITIONS: someone else grew it */) console.warn(`Could not create topic-partitions for ${remote}: ${(err as Error).message}`);
      }
    }
  }

  private async describeTopicConfigs(topics: string[]): Promise<Map<string, Array<{ name: string; value: string | null; readOnly: boolean; isDefault: boolean; source: number; isSensitive: boolean }>>> {
    if (topics.length === 0) return new Map();
    const res = await this.sourceAdmin!.describeConfigs({ resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name })) });
    return new Map(res.map((r) => [r.name, r.configs]));
  }

  /** The source config entries to set on the remote topic (MirrorSourceConnector.targetConfig). */
  private targetConfig<E extends { name: string; readOnly: boolean; isDefault: boolean; source: number; isSensitive: boolean }>(entries: E[], incremental: boolean): E[] {
    const f = this.cfg.configPropertyFilter;
    return entries.filter((e) => (incremental || !e.isDefault || f.replicateSourceDefault) && !e.readOnly && !e.isSensitive && e.source !== STATIC_BROKER_CONFIG && f.replicate(e.name));
  }

  /** The source topics whose remote topic exists. */
  private topicsBeingReplicated(): string[] {
    const target = new Set(this.knownTarget.map((tp) => tp.topic));
    return [...new Set(this.knownSource.map((tp) => tp.topic))].filter((t) => target.has(this.formatRemoteTopic(t)));
  }

  /** Remote topics' configs follow the source's: set what the source sets, delete what it leaves default. */
  async syncTopicConfigs(): Promise<void> {
    const topics = this.topicsBeingReplicated();
    const configs = await this.describeTopicConfigs(topics);
    const replicateDefaults = this.cfg.configPropertyFilter.replicateSourceDefault;
    const resources = [...configs].map(([t, entries]) => ({
      type: TOPIC_RESOURCE,
      name: this.formatRemoteTopic(t),
      configs: this.targetConfig(entries, true).map((e) => (e.isDefault && !replicateDefaults ? { name: e.name, op: 1, value: null } : { name: e.name, op: 0, value: e.value })),
    }));
    for (const r of resources) {
      try {
        await this.targetAdmin!.incrementalAlterConfigs({ resources: [r] });
      } catch (err) {
        console.warn(`Could not alter configuration of topic ${r.name}: ${(err as Error).message}`);
      }
    }
  }

  /** Literal topic ACLs of replicated topics, onto their remote topics (ALLOW ALL becomes READ; ALLOW WRITE is not copied). */
  async syncTopicAcls(): Promise<void> {
    let bindings: AclBinding[];
    try {
      bindings = await describeAcls(this.sourceAdmin!.cluster, { resourceType: TOPIC_RESOURCE, resourceName: null, patternType: ANY_RESOURCE_PATTERN, principal: null, host: null, operation: 1, permissionType: 1 });
    } catch (err) {
      if ((err as { code?: number }).code === 54 /* SECURITY_DISABLED */) {
        if (!this.noAclAuthorizer) console.log(`No ACL authorizer is configured on the source Kafka cluster, so no topic ACL syncing will take place. Consider disabling topic ACL syncing by setting sync.topic.acls.enabled to 'false'.`);
        this.noAclAuthorizer = true;
        return;
      }
      throw err;
    }
    const out = bindings
      .filter((b) => b.resourceType === TOPIC_RESOURCE && b.patternType === LITERAL_PATTERN)
      .filter((b) => !(b.permissionType === PERMISSION_ALLOW && b.operation === OP_WRITE))
      .filter((b) => this.shouldReplicateTopic(b.resourceName))
      .map((b) => ({ ...b, resourceName: this.formatRemoteTopic(b.resourceName), operation: b.permissionType === PERMISSION_ALLOW && b.operation === OP_ALL ? OP_READ : b.operation }));
    if (out.length === 0) return;
    const errors = await createAcls(this.targetAdmin!.cluster, out);
    errors.forEach((e, i) => {
      if (e !== null) console.warn(`Could not sync ACL of topic ${out[i]!.resourceName}: ${e.message}`);
    });
  }
}

/**
 * Queues offset syncs and writes them to the offset-syncs topic, at most 10 in flight (Kafka's
 * OffsetSyncWriter). Where Kafka keeps one pending sync per partition, so that a burst with more
 * than 10 in flight can replace an unsent sync by a later one, the syncs queue here in order and
 * drain as sends complete: no sync that bounds translation is dropped.
 */
export class OffsetSyncWriter {
  private static readonly MAX_OUTSTANDING = 10;
  private readonly delayed = new Map<string, OffsetSync>();
  private readonly pending: OffsetSync[] = [];
  private readonly states = new Map<string, { previousUpstream: number; previousDownstream: number; lastSyncDownstream: number; shouldSync: boolean }>();
  private outstanding = 0;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly producer: Producer | null, private readonly topic: string, readonly maxOffsetLag: number, private readonly onSync?: (s: OffsetSync) => void) {}

  /** Decides whether the sync goes out now or waits for the next commit. */
  maybeQueue(tp: TopicPartition, upstreamOffset: number, downstreamOffset: number): void {
    const key = tpKey(tp);
    let st = this.states.get(key);
    if (st === undefined) this.states.set(key, (st = { previousUpstream: -1, previousDownstream: -1, lastSyncDownstream: -1, shouldSync: false }));
    const sync: OffsetSync = { topic: tp.topic, partition: tp.partition, upstreamOffset, downstreamOffset };
    const first = st.lastSyncDownstream === -1;
    // translation lands one past the last sync, hence the +1
    const stale = downstreamOffset - (st.lastSyncDownstream + 1) >= this.maxOffsetLag;
    const skipped = upstreamOffset - st.previousUpstream !== 1;
    const truncated = downstreamOffset < st.previousDownstream;
    if (first || stale || skipped || truncated) {
      st.lastSyncDownstream = downstreamOffset;
      st.shouldSync = true;
    }
    st.previousUpstream = upstreamOffset;
    st.previousDownstream = downstreamOffset;
    if (st.shouldSync) {
      this.delayed.delete(key);
      this.pending.push(sync);
      st.shouldSync = false;
    } else {
      this.delayed.set(key, sync);
    }
  }

  promoteDelayed(): void {
    this.pending.push(...this.delayed.values());
    this.delayed.clear();
  }

  firePending(): void {
    while (this.pending.length > 0 && this.outstanding < OffsetSyncWriter.MAX_OUTSTANDING && !this.closed) {
      const sync = this.pending.shift()!;
      this.outstanding++;
      this.onSync?.(sync);
      const sent = (this.producer === null ? Promise.resolve() : this.producer.send({ topic: this.topic, messages: [{ partition: 0, key: OffsetSyncFormat.key(sync), value: OffsetSyncFormat.value(sync) }] }).then(() => {}))
        .catch((err: Error) => console.error(`Failure sending offset sync: ${err.message}`))
        .finally(() => {
          this.outstanding--;
          this.inFlight.delete(sent);
          this.firePending();
        });
      this.inFlight.add(sent);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.inFlight);
    await this.producer?.close().catch(() => {});
  }
}

export class MirrorSourceTask extends SourceTask {
  private consumer: Consumer | null = null;
  private config!: MirrorSourceConfig;
  private sourceAlias = '';
  private writer: OffsetSyncWriter | null = null;
  private readonly stopSignal = new StopSignal();
  private polling: Promise<unknown> = Promise.resolve();

  version(): string {
    return VERSION_STRING;
  }

  start(props: Record<string, string>): void {
    this.config = new MirrorSourceConfig(props);
    this.sourceAlias = this.config.sourceClusterAlias;
    if (this.config.emitOffsetSyncsEnabled) this.writer = new OffsetSyncWriter(new Producer(this.config.offsetSyncsClient('producer')), this.config.offsetSyncsTopic, this.config.offsetLagMax);
    const consumer = (this.consumer = new Consumer(this.config.client('source', 'consumer', 'replication-consumer')));
    const partitions = (props['task.assigned.partitions'] ?? '').split(',').filter((s) => s !== '').map(decodeTopicPartition);
    consumer.assign(partitions);
    for (const tp of partitions) {
      const stored = this.context.offsetStorageReader.offset({ cluster: this.sourceAlias, partition: tp.partition, topic: tp.topic });
      const offset = typeof stored?.offset === 'number' ? stored.offset : -1;
      if (offset >= 0) consumer.seek({ ...tp, offset: offset + 1 });
    }
    console.log(`${this.config.entityLabel} replicating ${partitions.length} topic-partitions ${this.sourceAlias}->${this.config.targetClusterAlias}: [${partitions.map(tpKey).join(', ')}].`);
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.stopSignal.stopped || this.consumer === null) return null;
    let batches;
    const p = this.consumer.poll(this.config.pollTimeoutMs);
    this.polling = p.catch(() => {});
    try {
      batches = await p;
    } catch (err) {
      if (this.stopSignal.stopped) return null;
      console.warn(`Failure during poll: ${(err as Error).message}`);
      await this.stopSignal.sleep(100);
      return null;
    }
    const records: SourceRecord[] = [];
    for (const b of batches) for (const m of b.messages) records.push(this.convertRecord(m));
    return records.length === 0 ? null : records;
  }

  convertRecord(m: ConsumedMessage): SourceRecord {
    return {
      sourcePartition: { cluster: this.sourceAlias, partition: m.partition, topic: m.topic },
      sourceOffset: { offset: Number(m.offset) },
      topic: this.config.policy.formatRemoteTopic(this.sourceAlias, m.topic),
      kafkaPartition: m.partition,
      keySchema: Schemas.OPTIONAL_BYTES,
      key: m.key,
      valueSchema: Schemas.BYTES,
      value: m.value,
      timestamp: m.timestamp < 0n ? null : Number(m.timestamp),
      headers: m.headers.map((h) => ({ key: h.key, schema: Schemas.BYTES, value: h.value })),
    };
  }

  override commitRecord(record: SourceRecord, metadata: { topic: string; partition: number; offset: number } | null): void {
    if (this.stopSignal.stopped || metadata === null || this.writer === null) return;
    const sp = record.sourcePartition as { topic: string; partition: number };
    this.writer.maybeQueue({ topic: sp.topic, partition: sp.partition }, (record.sourceOffset as { offset: number }).offset, metadata.offset);
    this.writer.firePending();
  }

  override commit(): void {
    // syncs held back by offset.lag.max go out now, so a quiet topic's end is synced too
    this.writer?.promoteDelayed();
    this.writer?.firePending();
  }

  async stop(): Promise<void> {
    if (this.stopSignal.stopped) return;
    this.stopSignal.stop();
    await this.consumer?.stop();
    await this.polling;
    await this.consumer?.close().catch(() => {});
    await this.writer?.close();
  }
}
