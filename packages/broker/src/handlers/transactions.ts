/**
 * The transaction APIs (Kafka's KafkaApis handlers for them): AddPartitionsToTxn (24, v0-v5),
 * AddOffsetsToTxn (25, v0-v4), EndTxn (26, v0-v4), WriteTxnMarkers (27, v0-v1), TxnOffsetCommit
 * (28, v0-v4), DescribeTransactions (65, v0), ListTransactions (66, v0-v1). The work is the
 * transaction coordinator's (coordinator/transaction); these translate requests and responses.
 *
 * EndTxn v5 (transaction protocol version 2, an epoch bump per transaction) is not advertised;
 * clients then use the version-1 protocol, as they do against a Kafka without transaction.version 2.
 */
import {
  ApiKey, ErrorCode, KafkaError,
  type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse,
  type DescribeTransactionsRequest, type DescribeTransactionsResponse, type EndTxnRequest, type EndTxnResponse,
  type ListTransactionsRequest, type ListTransactionsResponse, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse,
  type WriteTxnMarkersRequest, type WriteTxnMarkersResponse,
} from '@samsa/protocol';
import type { BrokerTransactionCoordinator } from '../coordinator/transaction/broker-transaction-coordinator.js';
import { writeLocalMarker } from '../coordinator/transaction/broker-transaction-coordinator.js';
import { fencedCodeFor, type TopicPartitionRef } from '../coordinator/transaction/transaction-coordinator.js';
import { TXN_STATE_NAMES, TxnState } from '../coordinator/transaction/txn-records.js';
import { GROUP_METADATA_TOPIC } from '../metadata/topic-name.js';
import { mapError } from '../server/error-mapping.js';
import { AclOperation, authorize, authorizeCluster, ResourceType } from '../security/authorize.js';
import { everyPartition } from '../coordinator/group/offset-metadata-manager.js';
import { groupCoordinator } from './group-coordinator-access.js';
import type { ApiHandler, RequestContext } from './types.js';

export function transactionCoordinator(ctx: RequestContext): BrokerTransactionCoordinator {
  const c = ctx.broker.transactionCoordinator;
  if (c === null || c === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no transaction coordinator');
  return c;
}

const codeOf = (e: unknown): number => (e instanceof KafkaError ? e.code : mapError(e).code);

// ---- AddPartitionsToTxn ------------------------------------------------------------------------

type AddPartitionsTopic = { name: string; partitions: number[] };
type TopicResult = NonNullable<AddPartitionsToTxnResponse['resultsByTopicV3AndBelow']>[number];

/**
 * One transaction's partitions: unknown topics/partitions fail alone and the others get
 * OPERATION_NOT_ATTEMPTED, as Kafka; otherwise the coordinator's one code for all.
 */
async function addPartitionsFor(ctx: RequestContext, transactionalId: string, producerId: bigint, producerEpoch: number, topics: AddPartitionsTopic[], verifyOnly: boolean): Promise<TopicResult[]> {
  const image = ctx.broker.metadata;
  if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
    return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })) }));
  }
  // Per partition: a denied topic, then an unknown one; the others are not attempted (as Kafka).
  const unknown = new Map<string, number>();
  for (const t of topics) {
    const topic = image.topic(t.name);
    const allowed = authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, t.name);
    for (const p of t.partitions) {
      if (!allowed) unknown.set(`${t.name}:${p}`, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      else if (topic === undefined || topic.partitions[p] === undefined) unknown.set(`${t.name}:${p}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  }
  let code: number;
  if (unknown.size > 0) code = ErrorCode.OPERATION_NOT_ATTEMPTED;
  else {
    try {
      const refs: TopicPartitionRef[] = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
      code = await transactionCoordinator(ctx).coordinator.addPartitions(transactionalId, producerId, producerEpoch, refs, verifyOnly);
    } catch (e) {
      code = codeOf(e);
    }
  }
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: unknown.get(`${t.name}:${p}`) ?? code })),
  }));
}

export const addPartitionsToTxnHandler: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    if (version <= 3) {
      const results = await addPartitionsFor(ctx, req.v3AndBelowTransactionalId ?? '', req.v3AndBelowProducerId ?? -1n, req.v3AndBelowProducerEpoch ?? -1, req.v3AndBelowTopics ?? [], false);
      for (const t of results) for (const p of t.resultsByPartition) p.partitionErrorCode = fencedCodeFor(p.partitionErrorCode, version, 2);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results };
    }
    // v4+: brokers batching several transactions (and KIP-890 verification): CLUSTER_ACTION.
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    const resultsByTransaction = await Promise.all((req.transactions ?? []).map(async (t) => ({
      transactionalId: t.transactionalId,
      topicResults: await addPartitionsFor(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
    })));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
};

// ---- AddOffsetsToTxn ---------------------------------------------------------------------------

export const addOffsetsToTxnHandler: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    let code: number;
    try {
      if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) code = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
      else if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) code = ErrorCode.GROUP_AUTHORIZATION_FAILED;
      else if (req.groupId === '') code = ErrorCode.INVALID_GROUP_ID;
      else {
        // The group's __consumer_offsets partition joins the transaction; its marker completes the offsets.
        const gc = groupCoordinator(ctx);
        const partition = gc.coordinator.partitionFor(req.groupId);
        code = await transactionCoordinator(ctx).coordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: GROUP_METADATA_TOPIC, partition }]);
      }
    } catch (e) {
      code = codeOf(e);
    }
    return { throttleTimeMs: 0, errorCode: fencedCodeFor(code, version, 2) };
  },
};

// ---- EndTxn ------------------------------------------------------------------------------------

export const endTxnHandler: ApiHandler<EndTxnRequest, EndTxnResponse> = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    let code: number;
    try {
      code = await transactionCoordinator(ctx).coordinator.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    } catch (e) {
      code = codeOf(e);
    }
    return { throttleTimeMs: 0, errorCode: fencedCodeFor(code, version, 2) };
  },
};

// ---- TxnOffsetCommit ---------------------------------------------------------------------------

export const txnOffsetCommitHandler: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    const all = (code: number): TxnOffsetCommitResponse => ({ throttleTimeMs: 0, topics: everyPartition(req.topics, code) });
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const denied = req.topics.filter((t) => !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name));
    if (denied.length > 0) {
      // Denied topics fail; the others are not attempted, so the transaction's offsets stay all-or-nothing.
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: denied.includes(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED })) })) };
    }
    try {
      return { throttleTimeMs: 0, topics: await groupCoordinator(ctx).coordinator.txnCommitOffsets(req, version) };
    } catch (e) {
      return all(codeOf(e));
    }
  },
};

// ---- WriteTxnMarkers (coordinator -> partition leader) -----------------------------------------

export const writeTxnMarkersHandler: ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) {
      return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })) })) };
    }
    const host = { partitions: ctx.broker.partitions, clock: ctx.broker.clock, groupCoordinator: ctx.broker.groupCoordinator ?? null };
    const timeoutMs = ctx.broker.config.int('request.timeout.ms');
    // Every marker is appended at once; the response waits until the in-sync replicas have them all.
    return {
      markers: await Promise.all(req.markers.map(async (m) => ({
        producerId: m.producerId,
        topics: await Promise.all(m.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => {
            try {
              await writeLocalMarker(host, { topic: t.name, partition: partitionIndex }, { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult }, timeoutMs);
              return { partitionIndex, errorCode: ErrorCode.NONE };
            } catch (e) {
              return { partitionIndex, errorCode: codeOf(e) };
            }
          })),
        }))),
      }))),
    };
  },
};

// ---- DescribeTransactions / ListTransactions ---------------------------------------------------

export const describeTransactionsHandler: ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const empty = { transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    const transactionStates = req.transactionalIds.map((transactionalId) => {
      if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId, ...empty };
      let md;
      try {
        md = transactionCoordinator(ctx).coordinator.describe(transactionalId);
      } catch (e) {
        md = codeOf(e);
      }
      if (typeof md === 'number') return { errorCode: md, transactionalId, ...empty };
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
        transactionState: TXN_STATE_NAMES[md.state],
        transactionTimeoutMs: md.timeoutMs,
        transactionStartTimeMs: BigInt(md.startTimestampMs),
        producerId: md.producerId,
        producerEpoch: md.producerEpoch,
        topics: [...md.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
      };
    });
    return { throttleTimeMs: 0, transactionStates };
  },
};

const STATE_BY_NAME = new Map(Object.entries(TXN_STATE_NAMES).map(([k, v]) => [v, Number(k) as TxnState]));

export const listTransactionsHandler: ApiHandler<ListTransactionsRequest, ListTransactionsResponse> = {
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, version) {
    const unknownStateFilters = req.stateFilters.filter((s) => !STATE_BY_NAME.has(s));
    const states = new Set(req.stateFilters.map((s) => STATE_BY_NAME.get(s)).filter((s) => s !== undefined));
    const pids = new Set(req.producerIdFilters);
    const minDurationMs = version >= 1 && req.durationFilter !== undefined && req.durationFilter >= 0n ? Number(req.durationFilter) : -1;
    const now = ctx.broker.clock.now();
    let all;
    try {
      all = transactionCoordinator(ctx).coordinator.list();
    } catch (e) {
      return { throttleTimeMs: 0, errorCode: codeOf(e), unknownStateFilters, transactionStates: [] };
    }
    // Kafka lists only the transactional ids the principal may describe (no error for the others).
    const transactionStates = all
      .filter((md) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, md.transactionalId, false))
      .filter((md) => (states.size === 0 || states.has(md.state)) && (pids.size === 0 || pids.has(md.producerId)))
      .filter((md) => minDurationMs < 0 || (md.state === TxnState.Ongoing && now - md.startTimestampMs >= minDurationMs))
      .map((md) => ({ transactionalId: md.transactionalId, producerId: md.producerId, transactionState: TXN_STATE_NAMES[md.state] }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  },
};
