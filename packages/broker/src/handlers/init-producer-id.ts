/**
 * InitProducerId (22), v0-v5. Without a transactional id (idempotent producers), as Kafka's
 * TransactionCoordinator: always a new producer id with epoch 0, even when v3+ sends its current
 * id and epoch (KIP-360): an idempotent producer bumps its epoch itself and asks for a new id
 * only when the epoch would overflow. A half-given id/epoch pair is INVALID_REQUEST, as Kafka.
 * v4 added PRODUCER_FENCED for the transactional path (older versions get INVALID_PRODUCER_EPOCH
 * instead); the idempotent path never fences.
 *
 * Transactional ids: there is no transaction coordinator yet. Kafka would answer NOT_COORDINATOR
 * or COORDINATOR_NOT_AVAILABLE, which every client retries until its own timeout (60 s in Java)
 * and then reports as a timeout. We answer INVALID_REQUEST instead, which Java, librdkafka and
 * kafkajs treat as fatal at once, and log why on the broker ("See the broker logs" is what the
 * clients print for this code).
 */
import { ApiKey, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, authorizeAny, authorizeCluster, ResourceType } from '../security/authorize.js';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

const failed = (code: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode: code, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

async function handle(ctx: RequestContext, req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse> {
  const producerId = version >= 3 ? req.producerId ?? NO_PRODUCER_ID : NO_PRODUCER_ID;
  const producerEpoch = version >= 3 ? req.producerEpoch ?? NO_PRODUCER_EPOCH : NO_PRODUCER_EPOCH;
  if ((producerId === NO_PRODUCER_ID) !== (producerEpoch === NO_PRODUCER_EPOCH)) return failed(ErrorCode.INVALID_REQUEST);
  const transactionalId = req.transactionalId;
  if (transactionalId !== null) {
    if (transactionalId !== '' && !authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (transactionalId !== '') {
      ctx.broker.log.warn(`InitProducerId for transactional id '${transactionalId}' from client ${ctx.connection.clientId ?? ''} refused: transactions are not supported by this broker yet`);
    }
    return failed(ErrorCode.INVALID_REQUEST); // an empty transactional id is INVALID_REQUEST in Kafka too
  }
  // Idempotent producers: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic (KIP-679).
  if (!authorizeCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizeAny(ctx, AclOperation.WRITE, ResourceType.TOPIC)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const producers = ctx.broker.producers;
  if (producers === null) {
    ctx.broker.log.error('InitProducerId: this broker runs without the producer manager (custom append hook)');
    return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  try {
    const id = await producers.producerIds.generateProducerId();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: id, producerEpoch: 0 };
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.log.error('InitProducerId failed', e);
    return failed(m.code);
  }
}

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle,
};
