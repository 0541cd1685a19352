/**
 * The transaction APIs (Kafka's KafkaApis handlers for them): AddPartitionsToTxn (24, v0-v5),
 * AddOffsetsToTxn (25, v0-v4), EndTxn (26, v0-v4), WriteTxnMarkers (27, v0-v1), TxnOffsetCommit
 * (28, v0-v4), DescribeTransactions (65, v0), ListTransactions (66, v0-v1). The work is the
 * transaction coordinator's (coordinator/transaction); these translate requests and responses.
 *
 * EndTxn v5 (transaction protocol version 2, an epoch bump per transaction) is not advertised;
 * clients then use the version-1 protocol, as they do against a Kafka without transaction.version 2.
 */
import { ApiKey, ErrorCode, KafkaError, } from '@samsa/protocol';
import { writeLocalMarker } from '../coordinator/transaction/broker-transaction-coordinator.js';
import { fencedCodeFor } from '../coordinator/transaction/transaction-coordinator.js';
import { TXN_STATE_NAMES, TxnState } from '../coordinator/transaction/txn-records.js';
import { GROUP_METADATA_TOPIC } from '../metadata/topic-name.js';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
export function transactionCoordinator(ctx) {
    const c = ctx.broker.transactionCoordinator;
    if (c === null || c === undefined)
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no transaction coordinator');
    return c;
}
const codeOf = (e) => (e instanceof KafkaError ? e.code : mapError(e).code);
/**
 * One transaction's partitions: unknown topics/partitions fail alone and the others get
 * OPERATION_NOT_ATTEMPTED, as Kafka; otherwise the coordinator's one code for all.
 */
function addPartitionsFor(ctx, transactionalId, producerId, producerEpoch, topics, verifyOnly) {
    const image = ctx.broker.metadata;
    const unknown = new Set();
    for (const t of topics) {
        const topic = image.topic(t.name);
        for (const p of t.partitions)
            if (topic === undefined || topic.partitions[p] === undefined)
                unknown.add(`${t.name}:${p}`);
    }
    let code;
    if (unknown.size > 0)
        code = ErrorCode.OPERATION_NOT_ATTEMPTED;
    else {
        try {
            const refs = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
            code = transactionCoordinator(ctx).coordinator.addPartitions(transactionalId, producerId, producerEpoch, refs, verifyOnly);
        }
        catch (e) {
            code = codeOf(e);
        }
    }
    return topics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: unknown.has(`${t.name}:${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : code })),
    }));
}
export const addPartitionsToTxnHandler = {
    apiKey: ApiKey.AddPartitionsToTxn,
    minVersion: 0,
    maxVersion: 5,
    handle(ctx, req, version) {
        if (version <= 3) {
            const results = addPartitionsFor(ctx, req.v3AndBelowTransactionalId ?? '', req.v3AndBelowProducerId ?? -1n, req.v3AndBelowProducerEpoch ?? -1, req.v3AndBelowTopics ?? [], false);
            for (const t of results)
                for (const p of t.resultsByPartition)
                    p.partitionErrorCode = fencedCodeFor(p.partitionErrorCode, version, 2);
            return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results };
        }
        // v4+: brokers batching several transactions (and KIP-890 verification).
        const resultsByTransaction = (req.transactions ?? []).map((t) => ({
            transactionalId: t.transactionalId,
            topicResults: addPartitionsFor(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
        }));
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
    },
};
// ---- AddOffsetsToTxn ---------------------------------------------------------------------------
export const addOffsetsToTxnHandler = {
    apiKey: ApiKey.AddOffsetsToTxn,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req, version) {
        let code;
        try {
            if (req.groupId === '')
                code = ErrorCode.INVALID_GROUP_ID;
            else {
                // The group's __consumer_offsets partition joins the transaction; its marker completes the offsets.
                const gc = groupCoordinator(ctx);
                const partition = gc.coordinator.partitionFor(req.groupId);
                code = transactionCoordinator(ctx).coordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: GROUP_METADATA_TOPIC, partition }]);
            }
        }
        catch (e) {
            code = codeOf(e);
        }
        return { throttleTimeMs: 0, errorCode: fencedCodeFor(code, version, 2) };
    },
};
// ---- EndTxn ------------------------------------------------------------------------------------
export const endTxnHandler = {
    apiKey: ApiKey.EndTxn,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req, version) {
        let code;
        try {
            code = transactionCoordinator(ctx).coordinator.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
        }
        catch (e) {
            code = codeOf(e);
        }
        return { throttleTimeMs: 0, errorCode: fencedCodeFor(code, version, 2) };
    },
};
// ---- TxnOffsetCommit ---------------------------------------------------------------------------
export const txnOffsetCommitHandler = {
    apiKey: ApiKey.TxnOffsetCommit,
    minVersion: 0,
    maxVersion: 4,
    handle(ctx, req) {
        try {
            return { throttleTimeMs: 0, topics: groupCoordinator(ctx).coordinator.txnCommitOffsets(req) };
        }
        catch (e) {
            const code = codeOf(e);
            return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
        }
    },
};
// ---- WriteTxnMarkers (coordinator -> partition leader) -----------------------------------------
export const writeTxnMarkersHandler = {
    apiKey: ApiKey.WriteTxnMarkers,
    minVersion: 0,
    maxVersion: 1,
    handle(ctx, req) {
        const host = { partitions: ctx.broker.partitions, clock: ctx.broker.clock, groupCoordinator: ctx.broker.groupCoordinator ?? null };
        return {
            markers: req.markers.map((m) => ({
                producerId: m.producerId,
                topics: m.topics.map((t) => ({
                    name: t.name,
                    partitions: t.partitionIndexes.map((partitionIndex) => {
                        try {
                            writeLocalMarker(host, { topic: t.name, partition: partitionIndex }, { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult });
                            return { partitionIndex, errorCode: ErrorCode.NONE };
                        }
                        catch (e) {
                            return { partitionIndex, errorCode: codeOf(e) };
                        }
                    }),
                })),
            })),
        };
    },
};
// ---- DescribeTransactions / ListTransactions ---------------------------------------------------
export const describeTransactionsHandler = {
    apiKey: ApiKey.DescribeTransactions,
    minVersion: 0,
    maxVersion: 0,
    handle(ctx, req) {
        const empty = { transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        const transactionStates = req.transactionalIds.map((transactionalId) => {
            let md;
            try {
                md = transactionCoordinator(ctx).coordinator.describe(transactionalId);
            }
            catch (e) {
                md = codeOf(e);
            }
            if (typeof md === 'number')
                return { errorCode: md, transactionalId, ...empty };
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
const STATE_BY_NAME = new Map(Object.entries(TXN_STATE_NAMES).map(([k, v]) => [v, Number(k)]));
export const listTransactionsHandler = {
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
        }
        catch (e) {
            return { throttleTimeMs: 0, errorCode: codeOf(e), unknownStateFilters, transactionStates: [] };
        }
        const transactionStates = all
            .filter((md) => (states.size === 0 || states.has(md.state)) && (pids.size === 0 || pids.has(md.producerId)))
            .filter((md) => minDurationMs < 0 || (md.state === TxnState.Ongoing && now - md.startTimestampMs >= minDurationMs))
            .map((md) => ({ transactionalId: md.transactionalId, producerId: md.producerId, transactionState: TXN_STATE_NAMES[md.state] }));
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
    },
};
//# sourceMappingURL=transactions.js.map