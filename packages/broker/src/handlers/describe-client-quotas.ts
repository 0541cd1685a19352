/**
 * DescribeClientQuotas (48). v0-v1. The quota values of the user / client-id entities matching
 * the filter components (EXACT name, DEFAULT entity, SPECIFIED = any named one); strict means
 * no other entity types. Needs DESCRIBE_CONFIGS on the cluster. SCRAM credentials stored next
 * to quotas are never shown.
 */
import { ApiKey, ErrorCode, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse } from '@samsa/protocol';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { DEFAULT_ENTITY, type EntityName } from '../security/entity-configs.js';
import { CLIENT_QUOTA_KEYS } from '../security/quotas.js';
import type { ApiHandler } from './types.js';

const MATCH_EXACT = 0, MATCH_DEFAULT = 1, MATCH_SPECIFIED = 2;

export const QUOTA_ENTITY_TYPES = ['user', 'client-id'] as const;

function componentOf(e: EntityName, type: string): string | null | undefined {
  const v = type === 'user' ? e.user : type === 'client-id' ? e.clientId : null;
  return v === null ? undefined : v === DEFAULT_ENTITY ? null : v;
}

export const describeClientQuotasHandler: ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = {
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string | null): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    for (const c of req.components) {
      if (!(QUOTA_ENTITY_TYPES as readonly string[]).includes(c.entityType)) return fail(ErrorCode.INVALID_REQUEST, `Custom entity type '${c.entityType}' not supported`);
      if (c.matchType === MATCH_EXACT && c.match === null) return fail(ErrorCode.INVALID_REQUEST, 'Exact match requires a name');
      if (![MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED].includes(c.matchType)) return fail(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    }
    const entries: NonNullable<DescribeClientQuotasResponse['entries']> = [];
    for (const [entity, configs] of ctx.broker.security?.entities.entries() ?? []) {
      const values = [...configs].filter(([k]) => (CLIENT_QUOTA_KEYS as readonly string[]).includes(k)).map(([key, value]) => ({ key, value: Number(value) }));
      if (values.length === 0) continue;
      const types = QUOTA_ENTITY_TYPES.filter((t) => componentOf(entity, t) !== undefined);
      const matches = req.components.every((c) => {
        const name = componentOf(entity, c.entityType);
        if (name === undefined) return false;
        if (c.matchType === MATCH_EXACT) return name === c.match;
        if (c.matchType === MATCH_DEFAULT) return name === null;
        return name !== null;
      });
      if (!matches || (req.strict && types.length !== req.components.length)) continue;
      entries.push({ entity: types.map((t) => ({ entityType: t, entityName: componentOf(entity, t)! })), values });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
};
