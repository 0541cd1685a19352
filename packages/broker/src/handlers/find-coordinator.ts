/**
 * FindCoordinator (10). v0-v6. v0-v3 one key, v4+ a batch of keys (coordinatorKeys). Key type 0
 * = GROUP: the leader of the group's `__consumer_offsets` partition (the topic is created on
 * first use, as Kafka does). Key type 1 = TRANSACTION: COORDINATOR_NOT_AVAILABLE until the
 * transaction coordinator exists; other key types (2 = SHARE) are INVALID_REQUEST.
 */
import { ApiKey, ErrorCode, KafkaError, type FindCoordinatorRequest, type FindCoordinatorResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { groupCoordinator } from './group-coordinator-access.js';
import { brokerEndpoint } from './metadata.js';
import type { ApiHandler, RequestContext } from './types.js';

type Coordinator = NonNullable<FindCoordinatorResponse['coordinators']>[number];

async function findOne(ctx: RequestContext, key: string, keyType: number): Promise<Coordinator> {
  const fail = (errorCode: number, errorMessage: string | null = null): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType === 1) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not available.');
  if (keyType !== 0) return fail(ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}`);
  try {
    const gc = groupCoordinator(ctx);
    const created = await gc.ensureTopic();
    if (created !== ErrorCode.NONE) return fail(created);
    const nodeId = gc.coordinatorNodeFor(key);
    if (nodeId === null) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const b = ctx.broker.metadata.broker(nodeId);
    if (b === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return { key, nodeId, ...brokerEndpoint(ctx.broker, b, ctx.listenerName), errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (e) {
    return fail(e instanceof KafkaError ? e.code : mapError(e).code);
  }
}

async function handle(ctx: RequestContext, req: FindCoordinatorRequest, version: number): Promise<FindCoordinatorResponse> {
  const keyType = req.keyType ?? 0;
  if (version >= 4) {
    const coordinators = await Promise.all((req.coordinatorKeys ?? []).map((k) => findOne(ctx, k, keyType)));
    return { throttleTimeMs: 0, coordinators };
  }
  const c = await findOne(ctx, req.key ?? '', keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
}

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle,
};
