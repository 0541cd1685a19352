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
import { type InitProducerIdRequest, type InitProducerIdResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse>;
