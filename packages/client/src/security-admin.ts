/**
 * Admin operations of Kafka's security APIs: SCRAM credentials (KIP-554: the client salts and
 * hashes, the password never travels), ACLs, client quotas. Functions over an Admin's cluster,
 * each sent where Kafka's admin client sends it (the controller, else any broker); broker
 * errors come back as KafkaError with the broker's message.
 */
import { randomBytes } from 'node:crypto';
import { apiByName, KafkaError } from '@samsa/protocol';
import { saltedPassword, scramHash } from '@samsa/protocol/sasl';
import type { Cluster } from './cluster.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const MECHANISM_CODES: Record<ScramMechanismName, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export const scramMechanismName = (code: number): ScramMechanismName | 'UNKNOWN' => (code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : 'UNKNOWN');

export interface ScramUpsertion { user: string; mechanism: ScramMechanismName; password: string; iterations?: number }
export interface ScramDeletion { user: string; mechanism: ScramMechanismName }
export interface UserResult { user: string; error: KafkaError | null }

export async function alterUserScramCredentials(cluster: Cluster, upsertions: readonly ScramUpsertion[], deletions: readonly ScramDeletion[] = []): Promise<UserResult[]> {
  const conn = await cluster.controllerConnection();
  const { response } = await conn.send(apiByName.AlterUserScramCredentials, () => ({
    deletions: deletions.map((d) => ({ name: d.user, mechanism: MECHANISM_CODES[d.mechanism] })),
    upsertions: upsertions.map((u) => {
      const salt = randomBytes(32);
      const iterations = u.iterations ?? 4096;
      return { name: u.user, mechanism: MECHANISM_CODES[u.mechanism], iterations, salt, saltedPassword: saltedPassword(scramHash(u.mechanism), u.password, salt, iterations) };
    }),
  }));
  return response.results.map((r) => ({ user: r.user, error: r.errorCode === 0 ? null : KafkaError.from(r.errorCode, r.errorMessage) }));
}

export interface UserScramCredentials { user: string; error: KafkaError | null; credentials: Array<{ mechanism: ScramMechanismName | 'UNKNOWN'; iterations: number }> }

export async function describeUserScramCredentials(cluster: Cluster, users: readonly string[] | null = null): Promise<UserScramCredentials[]> {
  const conn = await cluster.anyConnection();
  const { response } = await conn.send(apiByName.DescribeUserScramCredentials, () => ({ users: users === null ? null : users.map((name) => ({ name })) }));
  if (response.errorCode !== 0) throw KafkaError.from(response.errorCode, response.errorMessage);
  return response.results.map((r) => ({
    user: r.user,
    error: r.errorCode === 0 ? null : KafkaError.from(r.errorCode, r.errorMessage),
    credentials: r.credentialInfos.map((c) => ({ mechanism: scramMechanismName(c.mechanism), iterations: c.iterations })),
  }));
}

/** Kafka's numeric codes (ResourceType, PatternType, AclOperation, AclPermissionType). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

export async function createAcls(cluster: Cluster, bindings: readonly AclBinding[]): Promise<Array<KafkaError | null>> {
  const conn = await cluster.controllerConnection();
  const { response } = await conn.send(apiByName.CreateAcls, () => ({
    creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
  }));
  return response.results.map((r) => (r.errorCode === 0 ? null : KafkaError.from(r.errorCode, r.errorMessage)));
}

export async function describeAcls(cluster: Cluster, f: AclBindingFilter): Promise<AclBinding[]> {
  const conn = await cluster.anyConnection();
  const { response } = await conn.send(apiByName.DescribeAcls, () => ({
    resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
    principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
  }));
  if (response.errorCode !== 0) throw KafkaError.from(response.errorCode, response.errorMessage);
  return response.resources.flatMap((r) => r.acls.map((a) => ({
    resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType ?? 3,
    principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType,
  })));
}

export async function deleteAcls(cluster: Cluster, filters: readonly AclBindingFilter[]): Promise<Array<{ error: KafkaError | null; deleted: AclBinding[] }>> {
  const conn = await cluster.controllerConnection();
  const { response } = await conn.send(apiByName.DeleteAcls, () => ({
    filters: filters.map((f) => ({
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
      principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
    })),
  }));
  return response.filterResults.map((r) => ({
    error: r.errorCode === 0 ? null : KafkaError.from(r.errorCode, r.errorMessage),
    deleted: r.matchingAcls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType ?? 3, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })),
  }));
}

/** A quota entity: entity type ('user' | 'client-id' | 'ip') → name (null = the default entity). */
export type QuotaEntity = Record<string, string | null>;

export async function describeClientQuotas(cluster: Cluster, components: ReadonlyArray<{ entityType: string; matchType: 0 | 1 | 2; match: string | null }>, strict = false): Promise<Array<{ entity: QuotaEntity; values: Record<string, number> }>> {
  const conn = await cluster.anyConnection();
  const { response } = await conn.send(apiByName.DescribeClientQuotas, () => ({ components: [...components], strict }));
  if (response.errorCode !== 0) throw KafkaError.from(response.errorCode, response.errorMessage);
  return (response.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((x) => [x.entityType, x.entityName])),
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

export async function alterClientQuotas(cluster: Cluster, entries: ReadonlyArray<{ entity: QuotaEntity; ops: ReadonlyArray<{ key: string; value: number | null }> }>, validateOnly = false): Promise<Array<KafkaError | null>> {
  const conn = await cluster.controllerConnection();
  const { response } = await conn.send(apiByName.AlterClientQuotas, () => ({
    entries: entries.map((e) => ({
      entity: Object.entries(e.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
      ops: e.ops.map((o) => ({ key: o.key, value: o.value ?? 0, remove: o.value === null })),
    })),
    validateOnly,
  }));
  return response.entries.map((r) => (r.errorCode === 0 ? null : KafkaError.from(r.errorCode, r.errorMessage)));
}
