/**
 * DescribeAcls (29). v0-v3. The bindings matching a filter, grouped by resource pattern. Needs
 * DESCRIBE on the cluster; without an authorizer the answer is SECURITY_DISABLED.
 */
import { ApiKey, ErrorCode, type DescribeAclsRequest, type DescribeAclsResponse } from '@samsa/protocol';
import { PatternType, type AclBinding, type AclBindingFilter } from '../security/acl.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler } from './types.js';

type Resource = DescribeAclsResponse['resources'][number];

/** A request filter (DescribeAcls and DeleteAcls have the same fields); v0 means LITERAL. */
export function aclFilter(f: DescribeAclsRequest): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter ?? PatternType.LITERAL,
    principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
  };
}

export function groupByResource(bindings: readonly AclBinding[]): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const b of bindings) {
    const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
    let r = byKey.get(key);
    if (r === undefined) {
      r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      byKey.set(key, r);
    }
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return [...byKey.values()];
}

export const describeAclsHandler: ApiHandler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req) {
    const authorizer = ctx.broker.security?.authorizer ?? null;
    if (authorizer === null) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', resources: [] };
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, resources: [] };
    const filter = aclFilter(req);
    if (filter.patternType === PatternType.UNKNOWN || filter.resourceType === 0 || filter.operation === 0 || filter.permissionType === 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The filter has an UNKNOWN element', resources: [] };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: groupByResource(authorizer.describe(filter)) };
  },
};
