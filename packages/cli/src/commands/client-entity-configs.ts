/**
 * kafka-configs for `--entity-type users` and `--entity-type clients`: client quotas
 * (AlterClientQuotas / DescribeClientQuotas) and SCRAM credentials
 * (`SCRAM-SHA-256=[iterations=8192,password=secret]`, AlterUserScramCredentials), with
 * ConfigCommand's output: "Quota configs for user-principal 'alice' are producer_byte_rate=1024.0",
 * "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192",
 * "Completed updating config for user alice.".
 */
import {
  alterClientQuotas, alterUserScramCredentials, describeClientQuotas, describeUserScramCredentials, KafkaError,
  type Cluster, type QuotaEntity, type ScramMechanismName,
} from '@samsa/client';
import { EntityConfigStore, formatScramCredential, scramCredentialFromPassword } from '@samsa/broker';
import { type ParsedArgs, UsageError } from '../args.js';
import { type Io, loadProperties, ToolError } from '../tool.js';
import { connectZooKeeperStore } from '../tool-zookeeper.js';
import { parseConfigPairs } from './configs.js';

const SCRAM = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'];
const TYPE_OF: Record<string, 'user' | 'client-id'> = { users: 'user', clients: 'client-id' };

/** The user and/or client-id entity named on the command line (null name = the default entity). */
export interface ClientEntity {
  /** The entity types given ('user', 'client-id'), named or not. */
  types: Array<'user' | 'client-id'>;
  /** The names given; a type left out here was given without a name (describe: every entity of it). */
  entity: QuotaEntity;
}

/** Parses --entity-type users|clients (one or both), or returns null for other entity types. */
export function clientEntity(a: ParsedArgs): ClientEntity | null {
  const types = a.values('entity-type');
  if (types.length === 0 || !types.every((t) => t === 'users' || t === 'clients')) return null;
  const names = [...a.values('entity-name')];
  const entity: QuotaEntity = {};
  for (const t of types) {
    if (entity[TYPE_OF[t]!] !== undefined) throw new UsageError(`Entity type ${t} given twice`);
    // Names pair up with types in order; a type without one is the default (--entity-default).
    const name = names.shift();
    if (name === undefined && !a.has('entity-default') && a.has('alter')) throw new UsageError(`An entity name must be specified with --alter of ${t}`);
    entity[TYPE_OF[t]!] = name ?? (a.has('entity-default') ? null : undefined as never);
  }
  for (const k of Object.keys(entity)) if (entity[k] === undefined) delete entity[k];
  return { types: types.map((t) => TYPE_OF[t]!), entity };
}

const entityText = (e: QuotaEntity): string => Object.entries(e).map(([type, name]) => {
  const label = type === 'user' ? 'user-principal' : type;
  return name === null ? `the default ${label}` : `${label} '${name}'`;
}).join(', ');

/** Java prints quota values as doubles: 1024 → 1024.0. */
const javaDouble = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));

export async function describeClientEntity(cluster: Cluster, ce: ClientEntity, io: Io): Promise<number> {
  // A type given with a name (or --entity-default) matches it exactly; without one, every named entity of the type.
  const components = ce.types.map((entityType) => {
    const name = ce.entity[entityType];
    if (name === undefined) return { entityType, matchType: 2 as const, match: null };
    return { entityType, matchType: (name === null ? 1 : 0) as 0 | 1, match: name };
  });
  const quotas = await describeClientQuotas(cluster, components, true);
  for (const q of quotas) {
    io.out(`Quota configs for ${entityText(q.entity)} are ${Object.entries(q.values).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${javaDouble(v)}`).join(', ')}\n`);
  }
  const user = ce.entity['user'];
  if (user !== undefined && user !== null && ce.entity['client-id'] === undefined) {
    const [creds] = await describeUserScramCredentials(cluster, [user]).catch(() => [] as Awaited<ReturnType<typeof describeUserScramCredentials>>);
    if (creds !== undefined && creds.error === null && creds.credentials.length > 0) {
      io.out(`SCRAM credential configs for user-principal '${user}' are ${creds.credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}\n`);
    }
  }
  return 0;
}

/** `SCRAM-SHA-256=[iterations=8192,password=secret]` → the mechanism, password and iterations (default 4096). */
function scramUpsertion(mechanism: string, value: string): { mechanism: ScramMechanismName; password: string; iterations: number } {
  const params = new Map(value.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1)]));
  const password = params.get('password');
  if (password === undefined) throw new UsageError(`Invalid credential property ${mechanism}: password must be given ('${mechanism}=[password=...]')`);
  return { mechanism: mechanism as ScramMechanismName, password, iterations: Number(params.get('iterations') ?? 4096) };
}

/**
 * `kafka-configs --zookeeper host:2181[/chroot] --entity-type users`: SCRAM credentials written
 * straight into the metadata store, the way Kafka's docs create the brokers' own user before any
 * broker runs (the one use of --zookeeper KIP-554 kept). Everything else needs --bootstrap-server.
 */
export async function scramCredentialsInStore(zookeeperConnect: string, a: ParsedArgs, ce: ClientEntity | null, io: Io): Promise<number> {
  const user = ce?.entity['user'];
  if (ce === null || ce.types.length !== 1 || user === undefined || user === null) {
    throw new UsageError('--zookeeper only describes and alters the SCRAM credentials of a named user (--entity-type users --entity-name <user>); use --bootstrap-server for everything else');
  }
  const add = a.has('add-config') ? parseConfigPairs(a.required('add-config')) : [];
  const del = a.values('delete-config').flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  const notScram = [...add.map(([k]) => k), ...del].filter((k) => !SCRAM.includes(k));
  if (notScram.length > 0 || a.has('add-config-file')) throw new UsageError(`--zookeeper only alters SCRAM credentials (${SCRAM.join(', ')}); use --bootstrap-server for ${notScram.join(',') || '--add-config-file'}`);
  const store = await connectZooKeeperStore(zookeeperConnect);
  try {
    const entities = new EntityConfigStore(store);
    const entity = { user, clientId: null };
    if (a.has('describe')) {
      await entities.load();
      const configs = [...entities.configs(entity)].filter(([k]) => SCRAM.includes(k));
      io.out(`Configs for user-principal '${user}' are ${configs.map(([k, v]) => `${k}=${v}`).join(',')}\n`);
      return 0;
    }
    if (add.length === 0 && del.length === 0) throw new UsageError('At least one of --add-config or --delete-config must be specified with --alter');
    const credentials = add.map(([mechanism, value]) => {
      const u = scramUpsertion(mechanism, value);
      try {
        return [mechanism, formatScramCredential(scramCredentialFromPassword(u.mechanism, u.password, u.iterations))] as const;
      } catch (e) {
        throw new ToolError(`Invalid credential property ${mechanism}: ${(e as Error).message}`);
      }
    });
    await entities.alter(entity, (c) => {
      for (const k of del) c.delete(k);
      for (const [k, v] of credentials) c.set(k, v);
    });
    io.out(`Completed updating config for entity: user-principal '${user}'.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function alterClientEntity(cluster: Cluster, a: ParsedArgs, ce: ClientEntity, io: Io): Promise<number> {
  const add = new Map<string, string>();
  if (a.has('add-config-file')) for (const [k, v] of loadProperties(a.required('add-config-file'))) add.set(k, v);
  if (a.has('add-config')) for (const [k, v] of parseConfigPairs(a.required('add-config'))) add.set(k, v);
  const del = a.values('delete-config').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (add.size === 0 && del.length === 0) throw new UsageError('At least one of --add-config, --add-config-file or --delete-config must be specified with --alter');
  const unknown = [...add.keys(), ...del].filter((k) => !QUOTA_KEYS.includes(k) && !SCRAM.includes(k));
  if (unknown.length > 0) throw new ToolError(`Invalid config(s): ${unknown.join(',')}`);
  const user = ce.entity['user'];
  const scramAdds = [...add].filter(([k]) => SCRAM.includes(k));
  const scramDels = del.filter((k) => SCRAM.includes(k));
  if ((scramAdds.length > 0 || scramDels.length > 0) && (user === undefined || user === null || ce.entity['client-id'] !== undefined)) {
    throw new UsageError('SCRAM credentials can only be altered for a named user (--entity-type users --entity-name <user>)');
  }
  if (scramAdds.length > 0 || scramDels.length > 0) {
    const upsertions = scramAdds.map(([mechanism, value]) => ({ user: user!, ...scramUpsertion(mechanism, value) }));
    const results = await alterUserScramCredentials(cluster, upsertions, scramDels.map((mechanism) => ({ user: user!, mechanism: mechanism as ScramMechanismName })));
    const failed = results.find((r) => r.error !== null);
    if (failed !== undefined) throw failed.error as KafkaError;
  }
  const ops = [...[...add].filter(([k]) => QUOTA_KEYS.includes(k)).map(([key, v]) => ({ key, value: Number(v) })), ...del.filter((k) => QUOTA_KEYS.includes(k)).map((key) => ({ key, value: null }))];
  if (ops.length > 0) {
    const bad = ops.find((o) => o.value !== null && !Number.isFinite(o.value));
    if (bad !== undefined) throw new ToolError(`Invalid value for ${bad.key}: not a number`);
    const [err] = await alterClientQuotas(cluster, [{ entity: ce.entity, ops }]);
    if (err) throw err;
  }
  const named = Object.entries(ce.entity).filter(([, n]) => n !== null);
  if (named.length === Object.keys(ce.entity).length) {
    io.out(`Completed updating config for ${named.map(([t, n]) => `${t === 'user' ? 'user' : 'client'} ${n}`).join(', ')}.\n`);
  } else {
    io.out(`Completed updating default config for ${Object.keys(ce.entity).map((t) => (t === 'user' ? 'users' : 'clients')).join(', ')} in the cluster.\n`);
  }
  return 0;
}
