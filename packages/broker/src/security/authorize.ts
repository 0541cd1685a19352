/**
 * The one authorization helper handlers use: `authorize(ctx, op, resourceType, name)`.
 * Without an authorizer (authorizer.class.name unset) everything is allowed, as in Kafka.
 * Denials are logged on kafka.authorizer.logger at INFO in Kafka's words; allowed requests are not.
 */
import { ApiKey, ErrorCode, KafkaError } from '@samsa/protocol';
import type { RequestContext } from '../handlers/types.js';
import { AclOperation, CLUSTER_RESOURCE_NAME, OPERATION_NAMES, RESOURCE_TYPE_NAMES, ResourceType } from './acl.js';
import { ANONYMOUS, principalToString, type KafkaPrincipal } from './principal.js';

export { AclOperation, ResourceType } from './acl.js';

export function principalOf(ctx: RequestContext): KafkaPrincipal {
  return ctx.broker.security?.session(ctx.connection).principal ?? ANONYMOUS;
}

/** `logDenied` false for checks that only filter a listing (Kafka's logIfDenied). */
export function authorize(ctx: RequestContext, op: AclOperation, type: ResourceType, name: string, logDenied = true): boolean {
  const authorizer = ctx.broker.security?.authorizer ?? null;
  if (authorizer === null) return true;
  const session = ctx.broker.security!.session(ctx.connection);
  const allowed = authorizer.authorize(session.principal, session.host, op, type, name);
  if (!allowed && logDenied) {
    // Kafka's authorizer log line (kafka-authorizer.log), at INFO as Kafka logs denials.
    ctx.broker.log.child('kafka.authorizer.logger').info(`Principal = ${principalToString(session.principal)} is Denied Operation = ${OPERATION_NAMES[op]} from host = ${session.host} on resource = ${RESOURCE_TYPE_NAMES[type]}:LITERAL:${name} for request = ${ApiKey[ctx.header.requestApiKey] ?? ctx.header.requestApiKey} with resourceRefCount = 1`);
  }
  return allowed;
}

export const authorizeCluster = (ctx: RequestContext, op: AclOperation): boolean => authorize(ctx, op, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);

/** Whether the principal may do `op` on some resource of the type (idempotent producers, KIP-679). */
export function authorizeAny(ctx: RequestContext, op: AclOperation, type: ResourceType): boolean {
  const authorizer = ctx.broker.security?.authorizer ?? null;
  if (authorizer === null) return true;
  const session = ctx.broker.security!.session(ctx.connection);
  return authorizer.authorizeAny(session.principal, session.host, op, type);
}

/** Topic creation: CREATE on the cluster or on the topic. */
export const authorizeTopicCreate = (ctx: RequestContext, topic: string): boolean =>
  authorizeCluster(ctx, AclOperation.CREATE) || authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, topic);

/** Kafka's error for a denied operation on each resource type. */
export function authorizationErrorCode(type: ResourceType): number {
  switch (type) {
    case ResourceType.TOPIC: return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case ResourceType.GROUP: return ErrorCode.GROUP_AUTHORIZATION_FAILED;
    case ResourceType.TRANSACTIONAL_ID: return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    case ResourceType.DELEGATION_TOKEN: return ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED;
    default: return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
}

/** Throws the resource type's *_AUTHORIZATION_FAILED KafkaError unless allowed (handlers map it like any error). */
export function requireAuthorized(ctx: RequestContext, op: AclOperation, type: ResourceType, name: string): void {
  if (!authorize(ctx, op, type, name)) throw KafkaError.from(authorizationErrorCode(type), null);
}

export const THROTTLING_QUOTA_EXCEEDED_MESSAGE = 'The throttling quota has been exceeded.';

/**
 * controller_mutation_rate over one CreateTopics / CreatePartitions / DeleteTopics request:
 * `admit(partitions)` records a topic's partition mutations and says whether it may go ahead
 * (strict versions are refused THROTTLING_QUOTA_EXCEEDED once over quota); `throttleMs` is the
 * request's throttle time for its response.
 */
export class MutationThrottle {
  throttleMs = 0;

  constructor(private readonly ctx: RequestContext, private readonly strict: boolean) {}

  admit(partitions: number): boolean {
    const security = this.ctx.broker.security;
    if (security === null || security === undefined || partitions <= 0) return true;
    const r = security.mutations.record(principalOf(this.ctx).name, this.ctx.header.clientId ?? '', partitions, this.strict);
    this.throttleMs = Math.max(this.throttleMs, r.throttleMs);
    return r.accepted;
  }
}

/**
 * The operations of `allOps` (a bit per AclOperation code, as Metadata's and DescribeCluster's
 * authorized-operations fields) the principal may perform on the resource.
 */
export function authorizedOperations(ctx: RequestContext, type: ResourceType, name: string, allOps: number): number {
  const authorizer = ctx.broker.security?.authorizer ?? null;
  if (authorizer === null) return allOps;
  const session = ctx.broker.security!.session(ctx.connection);
  let ops = 0;
  for (let op = 0; op < 31; op++) {
    if ((allOps & (1 << op)) !== 0 && authorizer.authorize(session.principal, session.host, op, type, name)) ops |= 1 << op;
  }
  return ops;
}
