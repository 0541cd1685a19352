/**
 * InitProducerId (22), v0-v5. Without a transactional id (idempotent producers), as Kafka's
 * TransactionCoordinator: always a new producer id with epoch 0, even when v3+ sends its current
 * id and epoch (KIP-360): an idempotent producer bumps its epoch itself and asks for a new id
 * only when the epoch would overflow. A half-given id/epoch pair is INVALID_REQUEST, as Kafka.
 * v4 added PRODUCER_FENCED for the transactional path (older versions get INVALID_PRODUCER_EPOCH
 * instead); the idempotent path never fences.
 *
 * With a transactional id the transaction coordinator answers (epoch bump, fencing, aborting an
 * open transaction of the previous instance first).
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { fencedCodeFor } from '../coordinator/transaction/transaction-coordinator.js';
import { transactionCoordinator } from './transactions.js';
const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
const failed = (code) => ({ throttleTimeMs: 0, errorCode: code, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
async function handle(ctx, req, version) {
    const producerId = version >= 3 ? req.producerId ?? NO_PRODUCER_ID : NO_PRODUCER_ID;
    const producerEpoch = version >= 3 ? req.producerEpoch ?? NO_PRODUCER_EPOCH : NO_PRODUCER_EPOCH;
    if ((producerId === NO_PRODUCER_ID) !== (producerEpoch === NO_PRODUCER_EPOCH))
        return failed(ErrorCode.INVALID_REQUEST);
    const transactionalId = req.transactionalId;
    if (transactionalId !== null) {
        if (transactionalId === '')
            return failed(ErrorCode.INVALID_REQUEST); // as Kafka
        try {
            const r = await transactionCoordinator(ctx).coordinator.initProducerId(transactionalId, req.transactionTimeoutMs, producerId, producerEpoch);
            return { throttleTimeMs: 0, ...r, errorCode: fencedCodeFor(r.errorCode, version, 4) };
        }
        catch (e) {
            return failed(mapError(e).code);
        }
    }
    const producers = ctx.broker.producers;
    if (producers === null) {
        ctx.broker.log.error('InitProducerId: this broker runs without the producer manager (custom append hook)');
        return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    try {
        const id = await producers.producerIds.generateProducerId();
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: id, producerEpoch: 0 };
    }
    catch (e) {
        const m = mapError(e);
        if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR)
            ctx.broker.log.error('InitProducerId failed', e);
        return failed(m.code);
    }
}
export const initProducerIdHandler = {
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    handle,
};
//# sourceMappingURL=init-producer-id.js.map