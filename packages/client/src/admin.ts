/**
 * The admin client: topics, partitions, configs, groups and offsets, records, cluster and log
 * dirs. Each method is one Kafka API (Metadata where Kafka's Admin uses it); per-resource
 * errors are thrown as KafkaError naming the resource.
 */
import { apiByName, KafkaError } from '@samsa/protocol';
import { Cluster, type ClusterOptions } from './cluster.js';
import { resolveOptions } from './config.js';
import { throwIfError } from './errors.js';
import { decodeAssignment, decodeSubscription, type TopicPartitions } from './group/classic-membership.js';
import { commitOffsets, fetchOffsets, findCoordinator, type CommittedOffset } from './group/coordinator.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets, MAX_TIMESTAMP, type OffsetAnswer } from './list-offsets.js';

export interface NewTopic {
  topic: string;
  /** -1 = broker default (num.partitions). */
  numPartitions?: number;
  /** -1 = broker default. */
  replicationFactor?: number;
  replicaAssignment?: Array<{ partition: number; replicas: number[] }>;
  configs?: Record<string, string>;
}

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;
/** Kafka's AlterConfigOp.OpType codes. */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: number;
  isSensitive: boolean;
  /** With includeSynonyms: where the value could come from, highest precedence first. */
  synonyms?: Array<{ name: string; value: string | null; source: number }>;
}

export interface TopicDescription {
  name: string;
  topicId: string | undefined;
  isInternal: boolean;
  partitions: Array<{ partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }>;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; subscription: string[] | null; assignment: TopicPartitions | null }>;
}

function checkAll(results: Array<{ errorCode: number; errorMessage?: string | null }>, what: (i: number) => string): void {
  const errors = results.map((r, i) => (r.errorCode !== 0 ? KafkaError.from(r.errorCode, `${what(i)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`) : null)).filter((e): e is KafkaError => e !== null);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}

export class Admin {
  readonly cluster: Cluster;

  constructor(options: ClusterOptions) {
    const opts = resolveOptions(options);
    this.cluster = new Cluster({ ...opts, allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.cluster.ready();
  }

  async close(): Promise<void> {
    this.cluster.close();
  }

  // ---- topics -------------------------------------------------------------------------------

  async createTopics(opts: { topics: NewTopic[]; timeoutMs?: number; validateOnly?: boolean }): Promise<void> {
    await this.connect();
    const conn = await this.cluster.controllerConnection();
    const { response } = await conn.send(apiByName.CreateTopics, (v) => ({
      topics: opts.topics.map((t) => ({
        name: t.topic,
        numPartitions: t.replicaAssignment !== undefined ? -1 : t.numPartitions ?? -1,
        replicationFactor: t.replicaAssignment !== undefined ? -1 : t.replicationFactor ?? -1,
        assignments: (t.replicaAssignment ?? []).map((a) => ({ partitionIndex: a.partition, brokerIds: a.replicas })),
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: opts.timeoutMs ?? 30000,
      ...(v >= 1 ? { validateOnly: opts.validateOnly ?? false } : {}),
    }));
    checkAll(response.topics, (i) => `topic ${response.topics[i]!.name}`);
    await this.cluster.waitForTopics(opts.topics.map((t) => t.topic), opts.timeoutMs ?? 30000).catch(() => {});
  }

  async deleteTopics(opts: { topics: string[]; timeoutMs?: number }): Promise<void> {
    await this.connect();
    const conn = await this.cluster.controllerConnection();
    const { response } = await conn.send(apiByName.DeleteTopics, (v) => (v >= 6 ? { topics: opts.topics.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })), timeoutMs: opts.timeoutMs ?? 30000 } : { topicNames: opts.topics, timeoutMs: opts.timeoutMs ?? 30000 }));
    checkAll(response.responses, (i) => `topic ${response.responses[i]!.name}`);
  }

  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    await this.connect();
    const res = await this.cluster.fetchMetadata(null, false);
    return res.topics.filter((t) => t.name !== null && (opts.includeInternal === true || t.isInternal !== true)).map((t) => t.name!).sort();
  }

  async describeTopics(opts: { topics: string[] }): Promise<TopicDescription[]> {
    await this.connect();
    const res = await this.cluster.fetchMetadata(opts.topics, false);
    return opts.topics.map((name) => {
      const t = res.topics.find((x) => x.name === name);
      if (t === undefined) throw new KafkaError(3, `topic ${name}`);
      throwIfError(t.errorCode, `topic ${name}`);
      return {
        name,
        topicId: t.topicId,
        isInternal: t.isInternal ?? false,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1, replicas: p.replicaNodes, isr: p.isrNodes }))
          .sort((a, b) => a.partition - b.partition),
      };
    });
  }

  /** Grows topics to `count` partitions. */
  async createPartitions(opts: { topicPartitions: Array<{ topic: string; count: number; assignments?: number[][] }>; timeoutMs?: number; validateOnly?: boolean }): Promise<void> {
    await this.connect();
    const conn = await this.cluster.controllerConnection();
    const { response } = await conn.send(apiByName.CreatePartitions, () => ({
      topics: opts.topicPartitions.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments === undefined ? null : t.assignments.map((brokerIds) => ({ brokerIds })) })),
      timeoutMs: opts.timeoutMs ?? 30000,
      validateOnly: opts.validateOnly ?? false,
    }));
    checkAll(response.results, (i) => `topic ${response.results[i]!.name}`);
    await this.cluster.refreshMetadata().catch(() => {});
  }

  // ---- configs ------------------------------------------------------------------------------

  async describeConfigs(opts: { resources: Array<{ type: number; name: string; configNames?: string[] }>; includeSynonyms?: boolean }): Promise<Array<{ type: number; name: string; configs: ConfigEntry[] }>> {
    await this.connect();
    const { version, response } = await this.cluster.sendAny(apiByName.DescribeConfigs, (v) => ({
      resources: opts.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.configNames ?? null })),
      ...(v >= 1 ? { includeSynonyms: opts.includeSynonyms ?? false } : {}),
    }));
    checkAll(response.results, (i) => `resource ${response.results[i]!.resourceName}`);
    return response.results.map((r) => ({
      type: r.resourceType,
      name: r.resourceName,
      configs: r.configs.map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        // v0 has isDefault; v1+ has configSource (5 = DEFAULT_CONFIG)
        isDefault: version === 0 ? c.isDefault ?? false : c.configSource === 5,
        source: c.configSource ?? -1,
        isSensitive: c.isSensitive,
        ...(opts.includeSynonyms === true ? { synonyms: (c.synonyms ?? []).map((x) => ({ name: x.name, value: x.value, source: x.source })) } : {}),
      })),
    }));
  }

  /** AlterConfigs: replaces each resource's whole dynamic config (Kafka's legacy semantics). */
  async alterConfigs(opts: { resources: Array<{ type: number; name: string; configs: Record<string, string | null> }>; validateOnly?: boolean }): Promise<void> {
    await this.connect();
    const { response } = await this.cluster.sendAny(apiByName.AlterConfigs, () => ({
      resources: opts.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
      validateOnly: opts.validateOnly ?? false,
    }));
    checkAll(response.responses, (i) => `resource ${response.responses[i]!.resourceName}`);
  }

  async incrementalAlterConfigs(opts: { resources: Array<{ type: number; name: string; configs: Array<{ name: string; op?: number; value: string | null }> }>; validateOnly?: boolean }): Promise<void> {
    await this.connect();
    const { response } = await this.cluster.sendAny(apiByName.IncrementalAlterConfigs, () => ({
      resources: opts.resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: r.configs.map((c) => ({ name: c.name, configOperation: c.op ?? AlterConfigOp.SET, value: c.value })) })),
      validateOnly: opts.validateOnly ?? false,
    }));
    checkAll(response.responses, (i) => `resource ${response.responses[i]!.resourceName}`);
  }

  // ---- groups -------------------------------------------------------------------------------

  /** ListGroups on every broker (each lists the groups it coordinates). */
  async listGroups(): Promise<Array<{ groupId: string; protocolType: string; state: string | null }>> {
    await this.connect();
    await this.cluster.refreshMetadata();
    const out: Array<{ groupId: string; protocolType: string; state: string | null }> = [];
    for (const b of this.cluster.brokerList()) {
      const { response } = await this.cluster.broker(b.nodeId).send(apiByName.ListGroups, () => ({}));
      throwIfError(response.errorCode, `ListGroups on broker ${b.nodeId}`);
      for (const g of response.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? null });
    }
    return out;
  }

  /** The broker coordinating a group (FindCoordinator). */
  async findGroupCoordinator(groupId: string): Promise<{ nodeId: number; host: string; port: number }> {
    await this.connect();
    const conn = await findCoordinator(this.cluster, groupId);
    return { nodeId: conn.nodeId, host: conn.host, port: conn.port };
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    await this.connect();
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const conn = await findCoordinator(this.cluster, groupId);
      const { response } = await conn.send(apiByName.DescribeGroups, () => ({ groups: [groupId] }));
      const g = response.groups[0]!;
      throwIfError(g.errorCode, `group ${groupId}`);
      out.push({
        groupId: g.groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => {
          let subscription: string[] | null = null;
          let assignment: TopicPartitions | null = null;
          if (g.protocolType === 'consumer') {
            try {
              subscription = m.memberMetadata.length > 0 ? decodeSubscription(m.memberMetadata).topics : [];
              assignment = decodeAssignment(m.memberAssignment);
            } catch {
              // not the consumer protocol's encoding: leave raw fields out
            }
          }
          return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, clientId: m.clientId, clientHost: m.clientHost, subscription, assignment };
        }),
      });
    }
    return out;
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.connect();
    const errors: KafkaError[] = [];
    for (const groupId of groupIds) {
      const conn = await findCoordinator(this.cluster, groupId);
      const { response } = await conn.send(apiByName.DeleteGroups, () => ({ groupsNames: [groupId] }));
      for (const r of response.results) if (r.errorCode !== 0) errors.push(KafkaError.from(r.errorCode, `group ${r.groupId}`));
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  }

  /** OffsetFetch: the group's committed offsets (all partitions, or the given topics). */
  async listConsumerGroupOffsets(groupId: string, topics?: Array<{ topic: string; partitions: number[] }>): Promise<CommittedOffset[]> {
    await this.connect();
    const conn = await findCoordinator(this.cluster, groupId);
    return fetchOffsets(conn, groupId, topics ?? null);
  }

  /** OffsetCommit as a non-member (generation -1): the group must be empty, as in Kafka. */
  async alterConsumerGroupOffsets(groupId: string, offsets: Array<{ topic: string; partition: number; offset: bigint | number; metadata?: string }>): Promise<void> {
    await this.connect();
    const conn = await findCoordinator(this.cluster, groupId);
    await commitOffsets(conn, groupId, offsets.map((o) => ({ ...o, offset: BigInt(o.offset) })));
  }

  async deleteConsumerGroupOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<void> {
    await this.connect();
    const conn = await findCoordinator(this.cluster, groupId);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const { response } = await conn.send(apiByName.OffsetDelete, () => ({
      groupId,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
    }));
    throwIfError(response.errorCode, `group ${groupId}`);
    for (const t of response.topics) for (const p of t.partitions) throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
  }

  // ---- offsets and records ------------------------------------------------------------------

  /** ListOffsets: 'earliest', 'latest', 'max-timestamp' or a timestamp (ms). */
  async listOffsets(queries: Array<{ topic: string; partition: number; spec: 'earliest' | 'latest' | 'max-timestamp' | number | bigint }>, opts: { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {}): Promise<OffsetAnswer[]> {
    await this.connect();
    return listOffsets(
      this.cluster,
      queries.map((q) => ({
        topic: q.topic,
        partition: q.partition,
        timestamp: q.spec === 'earliest' ? EARLIEST_TIMESTAMP : q.spec === 'latest' ? LATEST_TIMESTAMP : q.spec === 'max-timestamp' ? MAX_TIMESTAMP : BigInt(q.spec),
      })),
      opts.isolationLevel === 'read_committed' ? 1 : 0,
    );
  }

  /** Topic offsets (earliest and latest) of every partition. */
  async fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; low: bigint; high: bigint }>> {
    await this.connect();
    const [t] = await this.cluster.waitForTopics([topic], 30000);
    const ps = t!.partitions.map((p) => p.partition);
    const lows = await listOffsets(this.cluster, ps.map((partition) => ({ topic, partition, timestamp: EARLIEST_TIMESTAMP })));
    const highs = await listOffsets(this.cluster, ps.map((partition) => ({ topic, partition, timestamp: LATEST_TIMESTAMP })));
    return ps.map((partition) => ({ partition, low: lows.find((x) => x.partition === partition)!.offset, high: highs.find((x) => x.partition === partition)!.offset }));
  }

  /** DeleteRecords: moves each partition's log start offset up to `offset` (-1 = high watermark). */
  async deleteRecords(records: Array<{ topic: string; partition: number; offset: bigint | number }>, timeoutMs = 30000): Promise<Array<{ topic: string; partition: number; lowWatermark: bigint }>> {
    await this.connect();
    await this.cluster.waitForTopics([...new Set(records.map((r) => r.topic))], timeoutMs);
    const byLeader = new Map<number, typeof records>();
    for (const r of records) {
      const l = this.cluster.leaderOf(r.topic, r.partition);
      byLeader.set(l, [...(byLeader.get(l) ?? []), r]);
    }
    const out: Array<{ topic: string; partition: number; lowWatermark: bigint }> = [];
    for (const [leader, rs] of byLeader) {
      if (leader < 0) throw new KafkaError(5, 'DeleteRecords: no leader');
      const byTopic = new Map<string, typeof rs>();
      for (const r of rs) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      const { response } = await this.cluster.broker(leader).send(apiByName.DeleteRecords, () => ({
        topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: BigInt(p.offset) })) })),
        timeoutMs,
      }));
      for (const t of response.topics) for (const p of t.partitions) {
        throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
        out.push({ topic: t.name, partition: p.partitionIndex, lowWatermark: p.lowWatermark });
      }
    }
    return out;
  }

  // ---- transactions -------------------------------------------------------------------------

  /** ListTransactions on every broker (each lists the transactional ids it coordinates). */
  async listTransactions(opts: { states?: string[]; producerIds?: bigint[]; durationMs?: bigint } = {}): Promise<TransactionListing[]> {
    await this.connect();
    await this.cluster.refreshMetadata();
    const out: TransactionListing[] = [];
    for (const b of this.cluster.brokerList()) {
      const { response } = await this.cluster.broker(b.nodeId).send(apiByName.ListTransactions, () => ({
        stateFilters: opts.states ?? [], producerIdFilters: opts.producerIds ?? [], durationFilter: opts.durationMs ?? -1n,
      }));
      throwIfError(response.errorCode, `ListTransactions on broker ${b.nodeId}`);
      for (const t of response.transactionStates) out.push({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinatorId: b.nodeId });
    }
    return out;
  }

  /** DescribeTransactions at each id's transaction coordinator. */
  async describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    await this.connect();
    const out: TransactionDescription[] = [];
    for (const transactionalId of transactionalIds) {
      const conn = await findCoordinator(this.cluster, transactionalId, 1);
      const { response } = await conn.send(apiByName.DescribeTransactions, () => ({ transactionalIds: [transactionalId] }));
      const t = response.transactionStates[0]!;
      throwIfError(t.errorCode, `transactional id ${transactionalId}`);
      out.push({
        coordinatorId: conn.nodeId, transactionalId, state: t.transactionState, producerId: t.producerId, producerEpoch: t.producerEpoch,
        transactionTimeoutMs: t.transactionTimeoutMs, transactionStartTimeMs: t.transactionStartTimeMs < 0n ? null : t.transactionStartTimeMs,
        topicPartitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
      });
    }
    return out;
  }

  /** DescribeProducers at a partition's leader (or `brokerId`): its active idempotent/transactional producers. */
  async describeProducers(topic: string, partition: number, brokerId?: number): Promise<ProducerStateDescription[]> {
    await this.connect();
    await this.cluster.waitForTopics([topic], 30000);
    const node = brokerId ?? this.cluster.leaderOf(topic, partition);
    if (node < 0) throw new KafkaError(5, `DescribeProducers: no leader for ${topic}-${partition}`);
    const { response } = await this.cluster.broker(node).send(apiByName.DescribeProducers, () => ({ topics: [{ name: topic, partitionIndexes: [partition] }] }));
    const p = response.topics[0]?.partitions[0];
    if (p === undefined) throw new KafkaError(3, `${topic}-${partition}`);
    throwIfError(p.errorCode, p.errorMessage ?? `${topic}-${partition}`);
    return p.activeProducers.map((a) => ({
      producerId: a.producerId, producerEpoch: a.producerEpoch, lastSequence: a.lastSequence, lastTimestamp: a.lastTimestamp,
      coordinatorEpoch: a.coordinatorEpoch < 0 ? null : a.coordinatorEpoch, currentTransactionStartOffset: a.currentTxnStartOffset < 0n ? null : a.currentTxnStartOffset,
    }));
  }

  /** Aborts an open transaction on one partition (Kafka's Admin.abortTransaction): an ABORT marker written by its leader. */
  async abortTransaction(spec: { topic: string; partition: number; producerId: bigint; producerEpoch: number; coordinatorEpoch: number }): Promise<void> {
    await this.connect();
    await this.cluster.waitForTopics([spec.topic], 30000);
    const leader = this.cluster.leaderOf(spec.topic, spec.partition);
    if (leader < 0) throw new KafkaError(5, `no leader for ${spec.topic}-${spec.partition}`);
    const { response } = await this.cluster.broker(leader).send(apiByName.WriteTxnMarkers, () => ({
      markers: [{ producerId: spec.producerId, producerEpoch: spec.producerEpoch, transactionResult: false, coordinatorEpoch: spec.coordinatorEpoch, topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }] }],
    }));
    for (const m of response.markers) for (const t of m.topics) for (const p of t.partitions) throwIfError(p.errorCode, `${t.name}-${p.partitionIndex}`);
  }

  // ---- cluster ------------------------------------------------------------------------------

  /** DescribeCluster if the broker has it, else the same facts from Metadata. */
  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }> }> {
    await this.connect();
    if (await this.cluster.supports(apiByName.DescribeCluster)) {
      const { response } = await this.cluster.sendAny(apiByName.DescribeCluster, () => ({ includeClusterAuthorizedOperations: false }));
      throwIfError(response.errorCode, response.errorMessage);
      return { clusterId: response.clusterId, controllerId: response.controllerId, brokers: response.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })) };
    }
    const res = await this.cluster.fetchMetadata([], false);
    return { clusterId: res.clusterId ?? null, controllerId: res.controllerId ?? -1, brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })) };
  }

  /**
   * UnregisterBroker (KIP-631): removes a broker's registration. Only KRaft clusters serve it;
   * a cluster that does not advertise it (ZooKeeper, etcd and single-node modes, where a stopped
   * broker's registration goes with its session) answers with UnsupportedApiError, as Kafka's
   * admin client throws UnsupportedVersionException.
   */
  async unregisterBroker(brokerId: number): Promise<void> {
    await this.connect();
    const conn = await this.cluster.anyConnection();
    const { response } = await conn.send(apiByName.UnregisterBroker, () => ({ brokerId }));
    throwIfError(response.errorCode, `unregister broker ${brokerId}${response.errorMessage ? `: ${response.errorMessage}` : ''}`);
  }

  /** DescribeLogDirs on every broker (topics null = all). */
  async describeLogDirs(topics: Array<{ topic: string; partitions: number[] }> | null = null): Promise<Array<{ broker: number; logDir: string; totalBytes: bigint; usableBytes: bigint; partitions: Array<{ topic: string; partition: number; size: bigint; offsetLag: bigint; isFuture: boolean }> }>> {
    await this.connect();
    await this.cluster.refreshMetadata();
    const out = [];
    for (const b of this.cluster.brokerList()) {
      const { response } = await this.cluster.broker(b.nodeId).send(apiByName.DescribeLogDirs, () => ({ topics }));
      throwIfError(response.errorCode, `DescribeLogDirs on broker ${b.nodeId}`);
      for (const r of response.results) {
        throwIfError(r.errorCode, `log dir ${r.logDir}`);
        out.push({
          broker: b.nodeId,
          logDir: r.logDir,
          totalBytes: r.totalBytes ?? -1n,
          usableBytes: r.usableBytes ?? -1n,
          partitions: r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
        });
      }
    }
    return out;
  }
}

export function createAdmin(opts: ClusterOptions): Admin {
  return new Admin(opts);
}

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
  coordinatorId: number;
}

export interface TransactionDescription {
  coordinatorId: number;
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint | null;
  topicPartitions: Array<{ topic: string; partition: number }>;
}

export interface ProducerStateDescription {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number | null;
  currentTransactionStartOffset: bigint | null;
}
