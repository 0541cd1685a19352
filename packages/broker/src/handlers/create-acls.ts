/**
 * CreateAcls (30). v0-v3. v0 bindings are LITERAL (no pattern type field). Needs ALTER on the
 * cluster; without an authorizer every creation answers SECURITY_DISABLED, as Kafka.
 */
import { ApiKey, ErrorCode, type CreateAclsRequest, type CreateAclsResponse } from '@samsa/protocol';
import { invalidBindingReason, PatternType, type AclBinding } from '../security/acl.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler } from './types.js';

type Result = CreateAclsResponse['results'][number];

export const createAclsHandler: ApiHandler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const authorizer = ctx.broker.security?.authorizer ?? null;
    const all = (errorCode: number, errorMessage: string | null): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const results: Result[] = [];
    const valid: AclBinding[] = [];
    for (const c of req.creations) {
      const binding = { ...c, patternType: c.resourcePatternType ?? PatternType.LITERAL };
      const reason = invalidBindingReason(binding);
      if (reason !== null) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason });
        continue;
      }
      valid.push(binding as AclBinding);
      results.push({ errorCode: ErrorCode.NONE, errorMessage: null });
    }
    try {
      await authorizer.create(valid);
    } catch (e) {
      ctx.broker.log.error('Failed to store ACLs', e);
      return all(ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message);
    }
    return { throttleTimeMs: 0, results };
  },
};
