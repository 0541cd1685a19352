/**
 * Client entity configs (SCRAM credentials and quotas) in the metadata store, laid out as
 * Kafka's ZooKeeper config znodes: `/config/users/<user>`, `/config/clients/<client-id>`,
 * `/config/users/<user>/clients/<client-id>`, with `<default>` for the default entity and
 * names URL-encoded (Kafka's Sanitizer); each value is `{"version":1,"config":{...}}`.
 * Every broker keeps a cache from a watch, so lookups on the request path are synchronous.
 */
import type { MetadataStore, WatchEvent } from '../metadata/metadata-store.js';

export const DEFAULT_ENTITY = '<default>';
const ROOTS = ['/config/users/', '/config/clients/'];

export interface EntityName {
  /** null = not part of this entity; DEFAULT_ENTITY = the default. */
  user: string | null;
  clientId: string | null;
}

const sanitize = (name: string): string => (name === DEFAULT_ENTITY ? name : encodeURIComponent(name).replace(/\*/g, '%2A'));
const desanitize = (name: string): string => (name === DEFAULT_ENTITY ? name : decodeURIComponent(name));

export function entityKey(e: EntityName): string {
  if (e.user !== null && e.clientId !== null) return `/config/users/${sanitize(e.user)}/clients/${sanitize(e.clientId)}`;
  if (e.user !== null) return `/config/users/${sanitize(e.user)}`;
  if (e.clientId !== null) return `/config/clients/${sanitize(e.clientId)}`;
  throw new Error('an entity names a user, a client id or both');
}

export function parseEntityKey(key: string): EntityName | null {
  const m = /^\/config\/(?:users\/([^/]+)(?:\/clients\/([^/]+))?|clients\/([^/]+))$/.exec(key);
  if (m === null) return null;
  if (m[3] !== undefined) return { user: null, clientId: desanitize(m[3]) };
  return { user: desanitize(m[1]!), clientId: m[2] !== undefined ? desanitize(m[2]) : null };
}

export class EntityConfigStore {
  private readonly cache = new Map<string, ReadonlyMap<string, string>>();
  private readonly unwatch: Array<() => void> = [];
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly store: MetadataStore) {}

  async load(): Promise<void> {
    for (const root of ROOTS) {
      const w = await this.store.watch(root, (e) => this.apply(e));
      this.unwatch.push(() => w.cancel());
      for (const v of w.entries) this.cache.set(v.key, decode(v.value));
    }
  }

  close(): void {
    for (const u of this.unwatch.splice(0)) u();
  }

  /** Called after any change (quota managers recompute). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  configs(e: EntityName): ReadonlyMap<string, string> {
    return this.cache.get(entityKey(e)) ?? new Map();
  }

  /** Every stored entity with its configs. */
  *entries(): Generator<[EntityName, ReadonlyMap<string, string>]> {
    for (const [key, configs] of this.cache) {
      const e = parseEntityKey(key);
      if (e !== null) yield [e, configs];
    }
  }

  /** Applies sets and deletions to one entity, compare-and-swap on the stored revision. */
  async alter(e: EntityName, change: (configs: Map<string, string>) => void): Promise<void> {
    const key = entityKey(e);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(key);
      const configs = new Map(current === null ? [] : decode(current.value));
      change(configs);
      try {
        if (configs.size === 0) {
          if (current !== null) await this.store.delete(key, { expectedRevision: current.revision });
        } else {
          await this.store.put(key, JSON.stringify({ version: 1, config: Object.fromEntries(configs) }), { expectedRevision: current?.revision ?? 0 });
        }
        // The watch applies it too; setting it here makes the change visible to the caller at once.
        if (configs.size === 0) this.cache.delete(key);
        else this.cache.set(key, configs);
        this.notify();
        return;
      } catch (err) {
        if (attempt >= 5 || (err as Error).name !== 'RevisionMismatchError') throw err;
      }
    }
  }

  private apply(e: WatchEvent): void {
    if (e.type === 'put') this.cache.set(e.key, decode(e.value));
    else this.cache.delete(e.key);
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

function decode(value: string): ReadonlyMap<string, string> {
  const parsed = JSON.parse(value) as { config?: Record<string, string> };
  return new Map(Object.entries(parsed.config ?? {}));
}
