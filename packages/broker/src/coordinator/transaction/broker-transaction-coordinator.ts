/**
 * The transaction coordinator inside a broker: writes through the `__transaction_state`
 * partition logs, loads the partitions this broker leads (and follows leadership through
 * metadata changes), creates the topic on the first FindCoordinator for a transactional id, and
 * writes transaction markers.
 *
 * Markers go to each partition's leader. Partitions led here are written in-process (the
 * WriteTxnMarkers handler uses the same path for markers sent by other coordinators); the
 * `__consumer_offsets` partitions additionally complete the group coordinator's pending
 * transactional offsets. Partitions led by another broker get a WriteTxnMarkers request over
 * @samsa/network (one connection per broker); failures are retried by the coordinator.
 */
import { ApiKey, apiByName, ErrorCode, KafkaError } from '@samsa/protocol';
import type { Connection } from '@samsa/network';
import { ControlRecordType, createEndTxnMarkerBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { NO_VERIFICATION_GUARD, type Partition } from '../../cluster/partition.js';
import type { ReplicaManager } from '../../cluster/replica-manager.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { TopicManager } from '../../metadata/topic-manager.js';
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from '../../metadata/topic-name.js';
import type { ProducerManager } from '../../producer/producer-manager.js';
import type { InterBrokerChannel } from '../../security/inter-broker.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { BrokerGroupCoordinator } from '../group/broker-group-coordinator.js';
import { InternalTopicCoordinatorLoader } from '../internal-topic.js';
import { PartitionLogWriter } from '../runtime.js';
import { TransactionCoordinator, type TopicPartitionRef } from './transaction-coordinator.js';
import type { AppendVerification } from './verification.js';

export interface TxnCoordinatorHost {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly nodeId: number;
  readonly topics: TopicManager;
  readonly partitions: ReplicaManager;
  readonly producers: ProducerManager | null;
  readonly groupCoordinator: BrokerGroupCoordinator | null;
  /** How connections to other brokers are made (inter-broker listener, TLS, SASL). */
  readonly interBroker: InterBrokerChannel;
}

export interface MarkerEntry {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

/**
 * Writes one marker to a partition led here (Kafka's ReplicaManager.appendRecords with origin
 * Coordinator and requiredAcks -1): a control batch in the log, answered once the in-sync
 * replicas have it (min.insync.replicas checked first; REQUEST_TIMED_OUT after `timeoutMs`). A
 * `__consumer_offsets` partition takes the marker through its group coordinator, which commits
 * or drops the transaction's offsets in log order. Rejects with a KafkaError
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, ...).
 */
export async function writeLocalMarker(host: Pick<TxnCoordinatorHost, 'partitions' | 'clock' | 'groupCoordinator'>, tp: TopicPartitionRef, m: MarkerEntry, timeoutMs: number): Promise<void> {
  if (tp.topic === GROUP_METADATA_TOPIC) {
    const gc = host.groupCoordinator;
    if (gc === null) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no group coordinator');
    return gc.coordinator.completeTransaction(tp.partition, m.producerId, m.producerEpoch, m.coordinatorEpoch, m.commit);
  }
  const hosted = host.partitions.topic(tp.topic);
  const partition = hosted?.partitions[tp.partition];
  if (partition === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${tp.topic}-${tp.partition} is not hosted here`);
  const nowMs = host.clock.now();
  const batch = encodeRecordBatch(createEndTxnMarkerBatch({
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    type: m.commit ? ControlRecordType.Commit : ControlRecordType.Abort,
    coordinatorEpoch: m.coordinatorEpoch,
    timestamp: BigInt(nowMs),
  }));
  const minInsyncReplicas = hosted!.config.num('min.insync.replicas');
  // No producer-state checks: the coordinator is the authority here; the state learns the marker from the log.
  const info = partition.appendRecordsAsLeader(batch, { requiredAcks: -1, minInsyncReplicas, nowMs, hook: null });
  const [code] = await host.partitions.awaitHighWatermarks([{ topic: tp.topic, partition: tp.partition, requiredOffset: info.lastOffset + 1n, minInsyncReplicas }], timeoutMs);
  if (code !== undefined && code !== ErrorCode.NONE) throw new KafkaError(code, `transaction marker for ${tp.topic}-${tp.partition} not acknowledged by the in-sync replicas`);
}

interface PendingVerification {
  producerId: bigint;
  producerEpoch: number;
  partitions: TopicPartitionRef[];
  callbacks: Array<(codes: Map<string, number>) => void>;
}

/** A coordinator's answer to a verification, as the leader uses it (producers expect INVALID_PRODUCER_EPOCH when fenced, as in Kafka). */
function verificationError(code: number): number {
  return code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

export class BrokerTransactionCoordinator {
  readonly coordinator: TransactionCoordinator;
  private unsubscribe: (() => void) | null = null;
  private readonly log: Logger;
  private readonly loader: InternalTopicCoordinatorLoader;

  constructor(private readonly host: TxnCoordinatorHost) {
    this.log = host.log.child('kafka.coordinator.transaction.TransactionCoordinator');
    const c = host.config;
    const producers = host.producers;
    this.coordinator = new TransactionCoordinator({
      clock: host.clock,
      log: this.log,
      writer: new PartitionLogWriter(host.partitions, TRANSACTION_STATE_TOPIC, host.clock),
      config: {
        numPartitions: c.int('transaction.state.log.num.partitions'),
        maxTimeoutMs: c.int('transaction.max.timeout.ms'),
        idExpirationMs: c.int('transactional.id.expiration.ms'),
        abortTimedOutIntervalMs: c.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        removeExpiredIntervalMs: c.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
        writeTimeoutMs: c.int('request.timeout.ms'),
      },
      generateProducerId: () => {
        if (producers === null) return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no producer id manager'));
        return producers.producerIds.generateProducerId();
      },
      markers: { writeMarkers: async (m) => this.writeMarkers(m) },
    });
    this.loader = new InternalTopicCoordinatorLoader(host, this.coordinator, () => ({
      name: TRANSACTION_STATE_TOPIC,
      numPartitions: c.int('transaction.state.log.num.partitions'),
      replicationFactor: c.int('transaction.state.log.replication.factor'),
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'producer',
        'min.insync.replicas': String(c.int('transaction.state.log.min.isr')),
        'segment.bytes': String(c.int('transaction.state.log.segment.bytes')),
        'unclean.leader.election.enable': 'false',
      },
    }), this.log);
  }

  /**
   * Marker fan-out: partitions led here are written in-process, the others go to their leaders
   * in one WriteTxnMarkers request per broker; what failed comes back as pending (retried by the
   * coordinator).
   */
  private async writeMarkers(m: MarkerEntry & { partitions: TopicPartitionRef[] }): Promise<TopicPartitionRef[]> {
    const pending: TopicPartitionRef[] = [];
    const remote = new Map<number, TopicPartitionRef[]>();
    const local: Array<Promise<void>> = [];
    const image = this.host.topics.image;
    const timeoutMs = this.host.config.int('request.timeout.ms');
    for (const tp of m.partitions) {
      const topic = image.topic(tp.topic);
      const p = topic?.partitions[tp.partition];
      if (p === undefined) {
        this.log.info(`Dropping the transaction marker for ${tp.topic}-${tp.partition}: the partition no longer exists`);
        continue;
      }
      if (p.leader !== this.host.nodeId) {
        if (p.leader < 0) pending.push(tp);
        else remote.set(p.leader, [...(remote.get(p.leader) ?? []), tp]);
        continue;
      }
      local.push(writeLocalMarker(this.host, tp, m, timeoutMs).catch((e: unknown) => {
        if (!(e instanceof KafkaError)) this.log.warn(`Writing a transaction marker to ${tp.topic}-${tp.partition} failed`, e);
        pending.push(tp);
      }));
    }
    await Promise.all([...local, ...[...remote].map(async ([leader, tps]) => {
      try {
        const byTopic = new Map<string, number[]>();
        for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        const { response } = await this.connectionTo(leader).send(apiByName.WriteTxnMarkers, () => ({
          markers: [{ producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.commit, coordinatorEpoch: m.coordinatorEpoch, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
        }));
        for (const t of response.markers[0]?.topics ?? []) {
          for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) pending.push({ topic: t.name, partition: p.partitionIndex });
        }
      } catch (e) {
        this.log.warn(`Sending transaction markers to broker ${leader} failed; retrying`, e);
        pending.push(...tps);
      }
    })]);
    return pending;
  }

  /**
   * KIP-890 part 1 before appending a producer's transactional batches to partitions led here
   * (Kafka's ReplicaManager.maybeStartTransactionVerificationForPartitions): a partition where the
   * producer's transaction is open needs no asking (NO_VERIFICATION_GUARD, which holds while that
   * transaction stays open); each other one starts a guard, and the transaction coordinator is
   * asked about all of them at once. The appends then check their guard
   * (Partition.checkVerificationGuard), so a transaction that ended meanwhile is not reopened.
   */
  async verifyAppends(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly Partition[]): Promise<AppendVerification> {
    const out: AppendVerification = { failed: new Map(), guards: new Map() };
    const hook = this.host.partitions.appendHook;
    const ask: TopicPartitionRef[] = [];
    for (const p of partitions) {
      const key = `${p.topic}:${p.partition}`;
      if (hook?.hasOngoingTransaction?.(p.log, producerId) === true) out.guards.set(key, NO_VERIFICATION_GUARD);
      else {
        out.guards.set(key, p.startTransactionVerification(producerId));
        ask.push({ topic: p.topic, partition: p.partition });
      }
    }
    if (ask.length === 0) return out;
    for (const [key, code] of await this.verifyPartitions(transactionalId, producerId, producerEpoch, ask)) {
      out.failed.set(key, code);
      out.guards.delete(key);
    }
    return out;
  }

  /** Verifications waiting to be sent to a remote transaction coordinator, by its node id (one request per node and tick). */
  private readonly verifications = new Map<number, Map<string, PendingVerification>>();

  /**
   * KIP-890 part 1 (Kafka's AddPartitionsToTxnManager): asks the transaction coordinator whether
   * these partitions are in the producer's ongoing transaction (AddPartitionsToTxn v4,
   * verifyOnly). Resolves with the error code of each partition that is not verified (by
   * `topic:partition`); an empty map means all are. Requests for one coordinator node made in
   * the same tick go in one request.
   */
  async verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartitionRef[]): Promise<Map<string, number>> {
    const all = (code: number): Map<string, number> => new Map(partitions.map((tp) => [`${tp.topic}:${tp.partition}`, code]));
    const node = this.coordinatorNodeFor(transactionalId);
    if (node === null) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (node === this.host.nodeId) {
      const code = await this.coordinator.addPartitions(transactionalId, producerId, producerEpoch, partitions, true);
      return code === ErrorCode.NONE ? new Map() : all(verificationError(code));
    }
    return new Promise((resolve) => {
      let byId = this.verifications.get(node);
      if (byId === undefined) {
        this.verifications.set(node, (byId = new Map()));
        setImmediate(() => void this.sendVerifications(node));
      }
      const existing = byId.get(transactionalId);
      const entry: PendingVerification = { producerId, producerEpoch, partitions: [...partitions], callbacks: [(codes) => {
        const failed = new Map<string, number>();
        for (const tp of partitions) {
          const key = `${tp.topic}:${tp.partition}`;
          const code = codes.get(key);
          if (code !== undefined && code !== ErrorCode.NONE) failed.set(key, code);
        }
        resolve(failed);
      }] };
      if (existing !== undefined) {
        if (existing.producerId === producerId && existing.producerEpoch === producerEpoch) {
          existing.partitions.push(...partitions);
          existing.callbacks.push(...entry.callbacks);
          return;
        }
        // As Kafka: the older epoch is fenced, the newer one is verified.
        const [fenced, kept] = existing.producerEpoch < producerEpoch ? [existing, entry] : [entry, existing];
        const codes = new Map(fenced.partitions.map((tp) => [`${tp.topic}:${tp.partition}`, ErrorCode.INVALID_PRODUCER_EPOCH as number]));
        for (const cb of fenced.callbacks) cb(codes);
        byId.set(transactionalId, kept);
        return;
      }
      byId.set(transactionalId, entry);
    });
  }

  private async sendVerifications(node: number): Promise<void> {
    const byId = this.verifications.get(node);
    this.verifications.delete(node);
    if (byId === undefined || byId.size === 0) return;
    const answerAll = (code: number): void => {
      for (const v of byId.values()) {
        const codes = new Map(v.partitions.map((tp) => [`${tp.topic}:${tp.partition}`, code]));
        for (const cb of v.callbacks) cb(codes);
      }
    };
    try {
      const transactions = [...byId].map(([transactionalId, v]) => {
        const byTopic = new Map<string, Set<number>>();
        for (const tp of v.partitions) {
          let set = byTopic.get(tp.topic);
          if (set === undefined) byTopic.set(tp.topic, (set = new Set()));
          set.add(tp.partition);
        }
        return { transactionalId, producerId: v.producerId, producerEpoch: v.producerEpoch, verifyOnly: true, topics: [...byTopic].map(([name, ps]) => ({ name, partitions: [...ps] })) };
      });
      const { response } = await this.connectionTo(node).send(apiByName.AddPartitionsToTxn, () => ({ transactions }));
      if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) {
        // The client must not see CLUSTER_AUTHORIZATION_FAILED: the verification just did not complete (as Kafka).
        answerAll(verificationError(response.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? ErrorCode.INVALID_TXN_STATE : response.errorCode));
        return;
      }
      for (const t of response.resultsByTransaction ?? []) {
        const v = byId.get(t.transactionalId);
        if (v === undefined) continue;
        byId.delete(t.transactionalId);
        const codes = new Map<string, number>();
        for (const r of t.topicResults) for (const p of r.resultsByPartition) codes.set(`${r.name}:${p.partitionIndex}`, verificationError(p.partitionErrorCode));
        for (const cb of v.callbacks) cb(codes);
      }
      answerAll(ErrorCode.NETWORK_EXCEPTION); // transactions the response left out
    } catch (e) {
      this.log.warn(`Verifying transactions with broker ${node} failed`, e);
      answerAll(ErrorCode.NETWORK_EXCEPTION);
    }
  }

  /** One connection per remote leader (Kafka's TransactionMarkerChannelManager keeps one per broker). */
  private readonly connections = new Map<number, Connection>();

  private connectionTo(brokerId: number): Connection {
    const b = this.host.topics.image.brokers.find((x) => x.nodeId === brokerId);
    if (b === undefined) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${brokerId} is not registered`);
    const endpoint = this.host.interBroker.endpointOf(b);
    if (endpoint === undefined) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${brokerId} has no endpoint for the inter-broker listener ${this.host.interBroker.listenerName}`);
    let c = this.connections.get(brokerId);
    if (c !== undefined && (c.host !== endpoint.host || c.port !== endpoint.port)) {
      c.close();
      c = undefined;
    }
    if (c === undefined) {
      c = this.host.interBroker.connect(brokerId, endpoint, {
        clientId: `broker-${this.host.nodeId}-txn-marker-sender`,
        requestTimeoutMs: this.host.config.int('request.timeout.ms'),
        maxVersions: new Map([[ApiKey.ApiVersions, 3], [ApiKey.WriteTxnMarkers, 1], [ApiKey.AddPartitionsToTxn, 4]]),
      });
      this.connections.set(brokerId, c);
    }
    return c;
  }

  start(): void {
    this.unsubscribe = this.host.topics.onChange((image) => this.loader.reconcile(image));
    this.loader.reconcile(this.host.topics.image);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.coordinator.close();
    this.loader.clear();
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  /** Creates `__transaction_state` on first use, as Kafka does; NONE or COORDINATOR_NOT_AVAILABLE. */
  ensureTopic(): Promise<number> {
    return this.loader.ensureTopic();
  }

  /** The node leading a transactional id's partition, or null when not known yet. */
  coordinatorNodeFor(transactionalId: string): number | null {
    return this.loader.coordinatorNodeFor(transactionalId);
  }
}
