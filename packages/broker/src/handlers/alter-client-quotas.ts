/**
 * AlterClientQuotas (49). v0-v1. Sets or removes producer_byte_rate, consumer_byte_rate,
 * request_percentage and controller_mutation_rate of a user, a client id or both (a null name
 * is the default entity), stored as Kafka stores them (/config/users/..., /config/clients/...).
 * Needs ALTER_CONFIGS on the cluster.
 */
import { ApiKey, ErrorCode, type AlterClientQuotasRequest, type AlterClientQuotasResponse } from '@samsa/protocol';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { DEFAULT_ENTITY, type EntityName } from '../security/entity-configs.js';
import { CLIENT_QUOTA_KEYS } from '../security/quotas.js';
import { QUOTA_ENTITY_TYPES } from './describe-client-quotas.js';
import type { ApiHandler } from './types.js';

type Entry = AlterClientQuotasRequest['entries'][number];

function validate(e: Entry): string | null {
  const types = e.entity.map((x) => x.entityType);
  if (types.length === 0) return 'Invalid empty client quota entity';
  if (new Set(types).size !== types.length) return 'Duplicate entity type in the client quota entity';
  const bad = types.find((t) => !(QUOTA_ENTITY_TYPES as readonly string[]).includes(t));
  if (bad !== undefined) return bad === 'ip' ? 'IP connection rate quotas are not supported by Samsa' : `Unhandled client quota entity type: ${bad}`;
  for (const op of e.ops) {
    if (!(CLIENT_QUOTA_KEYS as readonly string[]).includes(op.key)) return `Invalid configuration key ${op.key}`;
    if (!op.remove && !(op.value > 0)) return `Invalid value ${op.value} for configuration ${op.key}: the quota must be positive`;
  }
  return null;
}

export const alterClientQuotasHandler: ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponse> = {
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const entities = ctx.broker.security?.entities;
    const allowed = authorizeCluster(ctx, AclOperation.ALTER_CONFIGS);
    const results: AlterClientQuotasResponse['entries'] = [];
    for (const e of req.entries) {
      const result = (errorCode: number, errorMessage: string | null): void => void results.push({ errorCode, errorMessage, entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })) });
      if (!allowed || entities === undefined) {
        result(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
        continue;
      }
      const invalid = validate(e);
      if (invalid !== null) {
        result(ErrorCode.INVALID_REQUEST, invalid);
        continue;
      }
      if (!req.validateOnly) {
        const name = (t: string): string | null => {
          const c = e.entity.find((x) => x.entityType === t);
          return c === undefined ? null : c.entityName ?? DEFAULT_ENTITY;
        };
        const entity: EntityName = { user: name('user'), clientId: name('client-id') };
        await entities.alter(entity, (configs) => {
          for (const op of e.ops) {
            if (op.remove) configs.delete(op.key);
            else configs.set(op.key, String(op.value));
          }
        });
      }
      result(ErrorCode.NONE, null);
    }
    return { throttleTimeMs: 0, entries: results };
  },
};
