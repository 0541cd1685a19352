/**
 * ACL bindings with Kafka's codes and names (org.apache.kafka.common.acl / resource), the
 * filters of DescribeAcls/DeleteAcls, and the implied-operation rule.
 */
export enum ResourceType { UNKNOWN = 0, ANY = 1, TOPIC = 2, GROUP = 3, CLUSTER = 4, TRANSACTIONAL_ID = 5, DELEGATION_TOKEN = 6, USER = 7 }
export enum PatternType { UNKNOWN = 0, ANY = 1, MATCH = 2, LITERAL = 3, PREFIXED = 4 }
export enum AclOperation {
  UNKNOWN = 0, ANY = 1, ALL = 2, READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8,
  CLUSTER_ACTION = 9, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11, IDEMPOTENT_WRITE = 12, CREATE_TOKENS = 13, DESCRIBE_TOKENS = 14,
}
export enum AclPermissionType { UNKNOWN = 0, ANY = 1, DENY = 2, ALLOW = 3 }

export const WILDCARD_RESOURCE = '*';
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/** Kafka's display names: the JSON of its ZooKeeper ACL znodes and kafka-acls' output use them. */
export const RESOURCE_TYPE_NAMES: Record<number, string> = {
  [ResourceType.TOPIC]: 'Topic', [ResourceType.GROUP]: 'Group', [ResourceType.CLUSTER]: 'Cluster',
  [ResourceType.TRANSACTIONAL_ID]: 'TransactionalId', [ResourceType.DELEGATION_TOKEN]: 'DelegationToken', [ResourceType.USER]: 'User',
};
export const OPERATION_NAMES: Record<number, string> = {
  [AclOperation.ALL]: 'All', [AclOperation.READ]: 'Read', [AclOperation.WRITE]: 'Write', [AclOperation.CREATE]: 'Create',
  [AclOperation.DELETE]: 'Delete', [AclOperation.ALTER]: 'Alter', [AclOperation.DESCRIBE]: 'Describe',
  [AclOperation.CLUSTER_ACTION]: 'ClusterAction', [AclOperation.DESCRIBE_CONFIGS]: 'DescribeConfigs',
  [AclOperation.ALTER_CONFIGS]: 'AlterConfigs', [AclOperation.IDEMPOTENT_WRITE]: 'IdempotentWrite',
  [AclOperation.CREATE_TOKENS]: 'CreateTokens', [AclOperation.DESCRIBE_TOKENS]: 'DescribeTokens',
};
export const PERMISSION_NAMES: Record<number, string> = { [AclPermissionType.ALLOW]: 'Allow', [AclPermissionType.DENY]: 'Deny' };

export function byName<E extends number>(names: Record<number, string>, text: string): E | undefined {
  const norm = text.replace(/[_-]/g, '').toLowerCase();
  for (const [code, name] of Object.entries(names)) if (name.toLowerCase() === norm) return Number(code) as E;
  return undefined;
}

export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType.LITERAL | PatternType.PREFIXED;
  principal: string;
  host: string;
  operation: AclOperation;
  permissionType: AclPermissionType.ALLOW | AclPermissionType.DENY;
}

export interface AclBindingFilter {
  resourceType: ResourceType;
  resourceName: string | null;
  patternType: PatternType;
  principal: string | null;
  host: string | null;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

/**
 * Operations an ALLOW for `granted` also permits (Kafka's AclEntry.supportedOperations rule):
 * READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS.
 */
export function allowImplies(granted: AclOperation, wanted: AclOperation): boolean {
  if (granted === wanted || granted === AclOperation.ALL) return true;
  if (wanted === AclOperation.DESCRIBE) return granted === AclOperation.READ || granted === AclOperation.WRITE || granted === AclOperation.DELETE || granted === AclOperation.ALTER;
  if (wanted === AclOperation.DESCRIBE_CONFIGS) return granted === AclOperation.ALTER_CONFIGS;
  return false;
}

/** A binding that can be created: no ANY/MATCH/UNKNOWN anywhere (Kafka's validation). */
export function invalidBindingReason(b: { resourceType: number; patternType: number; operation: number; permissionType: number; principal: string; resourceName: string; host: string }): string | null {
  if (b.resourceType <= ResourceType.ANY || RESOURCE_TYPE_NAMES[b.resourceType] === undefined) return 'Invalid resource type';
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return 'Invalid pattern type';
  if (b.operation <= AclOperation.ANY || OPERATION_NAMES[b.operation] === undefined) return 'Invalid operation';
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) return 'Invalid permission type';
  if (b.resourceName === '') return 'Resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  if (!/^[^:]+:.*$/.test(b.principal)) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`;
  if (b.patternType === PatternType.PREFIXED && b.resourceName === WILDCARD_RESOURCE) return 'Prefixed resource names must not be the wildcard';
  return null;
}

/** Whether a stored binding matches a DescribeAcls/DeleteAcls filter (MATCH: the bindings that apply to a name). */
export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== b.permissionType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.patternType === PatternType.MATCH) {
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD_RESOURCE;
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}
