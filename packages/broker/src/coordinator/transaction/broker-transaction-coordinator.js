/**
 * The transaction coordinator inside a broker: writes through the `__transaction_state`
 * partition logs, loads the partitions this broker leads (and follows leadership through
 * metadata changes), creates the topic on the first FindCoordinator for a transactional id, and
 * writes transaction markers.
 *
 * Markers go to each partition's leader. Partitions led here are written in-process (the
 * WriteTxnMarkers handler uses the same path for markers sent by other coordinators); the
 * `__consumer_offsets` partitions additionally complete the group coordinator's pending
 * transactional offsets. Partitions led by another broker are retried until this broker leads
 * them (no broker-to-broker client on main yet; see the README's transactions section).
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { ControlRecordType, createEndTxnMarkerBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from '../../metadata/topic-name.js';
import { InternalTopicCoordinatorLoader } from '../internal-topic.js';
import { PartitionLogWriter } from '../runtime.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
/**
 * Writes one marker to a partition led here (Kafka's ReplicaManager.appendRecords with origin
 * Coordinator): a control batch in the log, then the group coordinator's pending offsets for
 * `__consumer_offsets`. Throws a KafkaError (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION).
 */
export function writeLocalMarker(host, tp, m) {
    const partition = host.partitions.getPartition(tp.topic, tp.partition);
    if (partition === undefined)
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${tp.topic}-${tp.partition} is not hosted here`);
    const nowMs = host.clock.now();
    const batch = encodeRecordBatch(createEndTxnMarkerBatch({
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        type: m.commit ? ControlRecordType.Commit : ControlRecordType.Abort,
        coordinatorEpoch: m.coordinatorEpoch,
        timestamp: BigInt(nowMs),
    }));
    // No producer-state checks: the coordinator is the authority here; the state learns the marker from the log.
    partition.appendRecordsAsLeader(batch, { requiredAcks: 1, minInsyncReplicas: 1, nowMs, hook: null });
    if (tp.topic === GROUP_METADATA_TOPIC)
        host.groupCoordinator?.coordinator.completeTransaction(tp.partition, m.producerId, m.commit);
}
export class BrokerTransactionCoordinator {
    host;
    coordinator;
    unsubscribe = null;
    log;
    loader;
    constructor(host) {
        this.host = host;
        this.log = host.log.child('kafka.coordinator.transaction.TransactionCoordinator');
        const c = host.config;
        const producers = host.producers;
        this.coordinator = new TransactionCoordinator({
            clock: host.clock,
            log: this.log,
            writer: new PartitionLogWriter((p) => host.partitions.getPartition(TRANSACTION_STATE_TOPIC, p), host.clock),
            config: {
                numPartitions: c.int('transaction.state.log.num.partitions'),
                maxTimeoutMs: c.int('transaction.max.timeout.ms'),
                idExpirationMs: c.int('transactional.id.expiration.ms'),
                abortTimedOutIntervalMs: c.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
                removeExpiredIntervalMs: c.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
            },
            generateProducerId: () => {
                if (producers === null)
                    return Promise.reject(new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no producer id manager'));
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
    /** Marker fan-out: local leaders now; the rest come back as pending (retried by the coordinator). */
    writeMarkers(m) {
        const pending = [];
        for (const tp of m.partitions) {
            const topic = this.host.topics.image.topic(tp.topic);
            if (topic === undefined || topic.partitions[tp.partition] === undefined) {
                this.log.info(`Dropping the transaction marker for ${tp.topic}-${tp.partition}: the partition no longer exists`);
                continue;
            }
            try {
                writeLocalMarker(this.host, tp, m);
            }
            catch (e) {
                if (!(e instanceof KafkaError))
                    this.log.warn(`Writing a transaction marker to ${tp.topic}-${tp.partition} failed`, e);
                pending.push(tp);
            }
        }
        return pending;
    }
    start() {
        this.unsubscribe = this.host.topics.onChange((image) => this.loader.reconcile(image));
        this.loader.reconcile(this.host.topics.image);
    }
    stop() {
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.coordinator.close();
        this.loader.clear();
    }
    /** Creates `__transaction_state` on first use, as Kafka does; NONE or COORDINATOR_NOT_AVAILABLE. */
    ensureTopic() {
        return this.loader.ensureTopic();
    }
    /** The node leading a transactional id's partition, or null when not known yet. */
    coordinatorNodeFor(transactionalId) {
        return this.loader.coordinatorNodeFor(transactionalId);
    }
}
//# sourceMappingURL=broker-transaction-coordinator.js.map