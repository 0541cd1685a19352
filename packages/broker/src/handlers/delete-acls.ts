/**
 * DeleteAcls (31). v0-v3. Removes the bindings matching each filter and returns them per
 * filter. Needs ALTER on the cluster; without an authorizer, SECURITY_DISABLED.
 */
import { ApiKey, ErrorCode, type DeleteAclsRequest, type DeleteAclsResponse } from '@samsa/protocol';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import { aclFilter } from './describe-acls.js';
import type { ApiHandler } from './types.js';

export const deleteAclsHandler: ApiHandler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const authorizer = ctx.broker.security?.authorizer ?? null;
    const all = (errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (authorizer === null) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null);
    const deleted = await authorizer.delete(req.filters.map((f) => aclFilter(f)));
    return {
      throttleTimeMs: 0,
      filterResults: deleted.map((bindings) => ({
        errorCode: ErrorCode.NONE, errorMessage: null,
        matchingAcls: bindings.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })),
      })),
    };
  },
};
