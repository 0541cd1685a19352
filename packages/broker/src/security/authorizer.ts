/**
 * Kafka's ACL authorizer (AclAuthorizer / StandardAuthorizer semantics) over the metadata
 * store, in the layout of Kafka's ZooKeeper ACL znodes: literal bindings under
 * `/kafka-acl/<ResourceType>/<name>`, prefixed ones under
 * `/kafka-acl-extended/prefixed/<ResourceType>/<name>`, each value
 * `{"version":1,"acls":[{"principal","permissionType","operation","host"}]}`.
 * Every broker keeps all bindings in memory from a watch, so authorize() is synchronous.
 *
 * A request is allowed when the principal is a super user; else denied by any matching DENY;
 * else allowed by a matching ALLOW (implied operations count); else, when no binding at all
 * applies to the resource, allowed only with allow.everyone.if.no.acl.found.
 */
import type { MetadataStore, WatchEvent } from '../metadata/metadata-store.js';
import {
  AclOperation, AclPermissionType, allowImplies, byName, filterMatches, OPERATION_NAMES, PatternType, PERMISSION_NAMES,
  RESOURCE_TYPE_NAMES, ResourceType, WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE,
  type AclBinding, type AclBindingFilter,
} from './acl.js';
import { principalToString, type KafkaPrincipal } from './principal.js';

const LITERAL_ROOT = '/kafka-acl/';
const PREFIXED_ROOT = '/kafka-acl-extended/prefixed/';

/** Kafka's class names for its authorizers; both select this one. */
export const AUTHORIZER_CLASS_NAMES = [
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
];

interface StoredAcl {
  principal: string;
  permissionType: string;
  operation: string;
  host: string;
}

function resourceKey(type: ResourceType, patternType: PatternType, name: string): string {
  return `${patternType === PatternType.PREFIXED ? PREFIXED_ROOT : LITERAL_ROOT}${RESOURCE_TYPE_NAMES[type]}/${encodeURIComponent(name)}`;
}

function parseResourceKey(key: string): { type: ResourceType; patternType: PatternType.LITERAL | PatternType.PREFIXED; name: string } | null {
  const prefixed = key.startsWith(PREFIXED_ROOT);
  const rest = key.slice(prefixed ? PREFIXED_ROOT.length : LITERAL_ROOT.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const type = byName<ResourceType>(RESOURCE_TYPE_NAMES, rest.slice(0, slash));
  if (type === undefined) return null;
  return { type, patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL, name: decodeURIComponent(rest.slice(slash + 1)) };
}

export interface AuthorizerOptions {
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
}

export class AclAuthorizer {
  /** Bindings by resource key (type + pattern + name). */
  private readonly byResource = new Map<string, AclBinding[]>();
  private readonly unwatch: Array<() => void> = [];
  private readonly superUsers: ReadonlySet<string>;

  constructor(private readonly store: MetadataStore, private readonly opts: AuthorizerOptions) {
    this.superUsers = new Set(opts.superUsers);
  }

  async load(): Promise<void> {
    for (const root of [LITERAL_ROOT, PREFIXED_ROOT]) {
      const w = await this.store.watch(root, (e) => this.apply(e));
      this.unwatch.push(() => w.cancel());
      for (const v of w.entries) this.setResource(v.key, v.value);
    }
  }

  close(): void {
    for (const u of this.unwatch.splice(0)) u();
  }

  isSuperUser(principal: KafkaPrincipal): boolean {
    return this.superUsers.has(principalToString(principal));
  }

  authorize(principal: KafkaPrincipal, host: string, op: AclOperation, type: ResourceType, name: string): boolean {
    if (this.isSuperUser(principal)) return true;
    const principalText = principalToString(principal);
    const applicable = this.applicable(type, name);
    if (applicable.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    const matchesWho = (b: AclBinding): boolean =>
      (b.principal === principalText || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD_HOST);
    for (const b of applicable) {
      if (b.permissionType === AclPermissionType.DENY && matchesWho(b) && (b.operation === op || b.operation === AclOperation.ALL)) return false;
    }
    for (const b of applicable) {
      if (b.permissionType === AclPermissionType.ALLOW && matchesWho(b) && allowImplies(b.operation, op)) return true;
    }
    return false;
  }

  /**
   * Whether the principal may do `op` on at least one resource of the type (Kafka's
   * authorizeByResourceType, used for idempotent producers without IDEMPOTENT_WRITE): some
   * ALLOW applies to it and no DENY covers every name that ALLOW covers.
   */
  authorizeAny(principal: KafkaPrincipal, host: string, op: AclOperation, type: ResourceType): boolean {
    if (this.isSuperUser(principal)) return true;
    const principalText = principalToString(principal);
    const who = (b: AclBinding): boolean => (b.principal === principalText || b.principal === WILDCARD_PRINCIPAL) && (b.host === host || b.host === WILDCARD_HOST);
    const all = this.all().filter((b) => b.resourceType === type && who(b));
    const denies = all.filter((b) => b.permissionType === AclPermissionType.DENY && (b.operation === op || b.operation === AclOperation.ALL));
    const deniedAll = denies.some((d) => d.resourceName === WILDCARD_RESOURCE && d.patternType === PatternType.LITERAL);
    if (deniedAll) return false;
    return all.some((a) => a.permissionType === AclPermissionType.ALLOW && allowImplies(a.operation, op) &&
      !denies.some((d) => d.patternType === PatternType.PREFIXED ? a.resourceName.startsWith(d.resourceName) : d.resourceName === a.resourceName && a.patternType === PatternType.LITERAL));
  }

  /** Bindings whose resource pattern covers this name: literal, wildcard and prefixed. */
  private applicable(type: ResourceType, name: string): AclBinding[] {
    const out: AclBinding[] = [];
    const add = (key: string): void => {
      const list = this.byResource.get(key);
      if (list !== undefined) out.push(...list);
    };
    add(resourceKey(type, PatternType.LITERAL, name));
    if (name !== WILDCARD_RESOURCE) add(resourceKey(type, PatternType.LITERAL, WILDCARD_RESOURCE));
    for (const list of this.byResource.values()) {
      const b = list[0];
      if (b !== undefined && b.patternType === PatternType.PREFIXED && b.resourceType === type && name.startsWith(b.resourceName)) out.push(...list);
    }
    return out;
  }

  all(): AclBinding[] {
    return [...this.byResource.values()].flat();
  }

  describe(filter: AclBindingFilter): AclBinding[] {
    return this.all().filter((b) => filterMatches(filter, b));
  }

  /** Adds bindings (idempotent: an existing binding is not duplicated). */
  async create(bindings: readonly AclBinding[]): Promise<void> {
    const byKey = new Map<string, AclBinding[]>();
    for (const b of bindings) {
      const key = resourceKey(b.resourceType, b.patternType, b.resourceName);
      byKey.set(key, [...(byKey.get(key) ?? []), b]);
    }
    for (const [key, adds] of byKey) {
      await this.update(key, (current) => {
        const next = [...current];
        for (const a of adds) if (!next.some((c) => sameAcl(c, toStored(a)))) next.push(toStored(a));
        return next;
      });
    }
  }

  /** Removes the bindings matching each filter; returns, per filter, what it removed. */
  async delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    const matched = filters.map((f) => this.describe(f));
    const keys = new Set(matched.flat().map((b) => resourceKey(b.resourceType, b.patternType, b.resourceName)));
    for (const key of keys) {
      const parsed = parseResourceKey(key)!;
      await this.update(key, (current) => current.filter((s) => {
        const b = fromStored(parsed, s);
        return b === null || !filters.some((f) => filterMatches(f, b));
      }));
    }
    return matched;
  }

  private async update(key: string, change: (current: StoredAcl[]) => StoredAcl[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.store.get(key);
      const current = cur === null ? [] : (JSON.parse(cur.value) as { acls: StoredAcl[] }).acls;
      const next = change(current);
      try {
        if (next.length === 0) {
          if (cur !== null) await this.store.delete(key, { expectedRevision: cur.revision });
          this.setResource(key, null);
        } else {
          const value = JSON.stringify({ version: 1, acls: next });
          await this.store.put(key, value, { expectedRevision: cur?.revision ?? 0 });
          this.setResource(key, value);
        }
        return;
      } catch (e) {
        if (attempt >= 5 || (e as Error).name !== 'RevisionMismatchError') throw e;
      }
    }
  }

  private apply(e: WatchEvent): void {
    this.setResource(e.key, e.type === 'put' ? e.value : null);
  }

  private setResource(key: string, value: string | null): void {
    const parsed = parseResourceKey(key);
    if (parsed === null) return;
    if (value === null) {
      this.byResource.delete(key);
      return;
    }
    const acls = (JSON.parse(value) as { acls: StoredAcl[] }).acls;
    const bindings = acls.map((s) => fromStored(parsed, s)).filter((b): b is AclBinding => b !== null);
    if (bindings.length === 0) this.byResource.delete(key);
    else this.byResource.set(key, bindings);
  }
}

function toStored(b: AclBinding): StoredAcl {
  return { principal: b.principal, permissionType: PERMISSION_NAMES[b.permissionType]!, operation: OPERATION_NAMES[b.operation]!, host: b.host };
}

function sameAcl(a: StoredAcl, b: StoredAcl): boolean {
  return a.principal === b.principal && a.permissionType === b.permissionType && a.operation === b.operation && a.host === b.host;
}

function fromStored(resource: { type: ResourceType; patternType: PatternType.LITERAL | PatternType.PREFIXED; name: string }, s: StoredAcl): AclBinding | null {
  const operation = byName<AclOperation>(OPERATION_NAMES, s.operation);
  const permissionType = byName<AclPermissionType.ALLOW | AclPermissionType.DENY>(PERMISSION_NAMES, s.permissionType);
  if (operation === undefined || permissionType === undefined) return null;
  return { resourceType: resource.type, resourceName: resource.name, patternType: resource.patternType, principal: s.principal, host: s.host, operation, permissionType };
}
