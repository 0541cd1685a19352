/**
 * kafka-configs: describe and alter topic and broker configs (IncrementalAlterConfigs), with
 * ConfigCommand's output: "Dynamic configs for topic t are:", "  k=v sensitive=false
 * synonyms={...}", "Completed updating config for topic t.".
 */
import { Admin, AlterConfigOp, ConfigResourceType, type ConfigEntry } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { alterClientEntity, clientEntity, describeClientEntity, scramCredentialsInStore } from './client-entity-configs.js';
import { bootstrapList, clusterOptions, describeError, type Io, loadProperties, type Tool, ToolError } from '../tool.js';

export const configsSpec: ToolSpec = {
  name: 'kafka-configs',
  summary: 'This tool helps to manipulate and describe entity config for a topic, client, user, broker, broker-logger, ip, client-metrics or group',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: server to connect to', description: 'The Kafka servers to connect to.' },
    { name: 'zookeeper', kind: 'value', metavar: 'String: urls', description: 'The connection string for the zookeeper connection in the form host:port[/chroot]: only to describe and alter SCRAM credentials of users before the brokers run (as KIP-554 kept it).' },
    { name: 'bootstrap-controller', kind: 'value', metavar: 'String: controller to connect to', description: 'The Kafka controllers to connect to (Samsa brokers answer both).' },
    { name: 'command-config', kind: 'value', metavar: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'alter', kind: 'flag', description: 'Alter the configuration for the entity.' },
    { name: 'describe', kind: 'flag', description: 'List configs for the given entity.' },
    { name: 'all', kind: 'flag', description: 'List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)' },
    { name: 'entity-type', kind: 'value', repeatable: true, metavar: 'String', description: 'Type of entity (topics/clients/users/brokers)' },
    { name: 'entity-name', kind: 'value', repeatable: true, metavar: 'String', description: 'Name of entity (topic name/client id/user principal name/broker id)' },
    { name: 'entity-default', kind: 'flag', description: 'Default entity name for brokers (applies to corresponding entity type in command line)' },
    { name: 'add-config', kind: 'value', metavar: 'String', description: "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'." },
    { name: 'add-config-file', kind: 'value', metavar: 'String', description: 'Path to a properties file with configs to add.' },
    { name: 'delete-config', kind: 'value', repeatable: true, metavar: 'String', description: 'config keys to remove \'k1,k2\'' },
    { name: 'topic', kind: 'value', metavar: 'String', description: "The topic's name. Same as --entity-type topics --entity-name <topic>" },
    { name: 'broker', kind: 'value', metavar: 'String', description: "The broker's ID. Same as --entity-type brokers --entity-name <broker>" },
    { name: 'broker-defaults', kind: 'flag', description: 'The config defaults for all brokers. Same as --entity-type brokers --entity-default' },
    { name: 'force', kind: 'flag', description: 'Suppress console prompts', hidden: true },
  ],
};

const SOURCE_NAMES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

interface Entity {
  type: 'topics' | 'brokers';
  /** '' = the cluster-wide broker defaults. */
  name: string | null;
}

function entity(a: ParsedArgs): Entity {
  const types = [...a.values('entity-type')];
  const names = [...a.values('entity-name')];
  if (a.has('topic')) {
    types.push('topics');
    names.push(a.required('topic'));
  }
  if (a.has('broker')) {
    types.push('brokers');
    names.push(a.required('broker'));
  }
  if (a.has('broker-defaults')) {
    types.push('brokers');
    names.push('');
  }
  if (a.has('entity-default')) names.push('');
  if (types.length === 0) throw new UsageError('Missing required argument "[entity-type]"');
  if (types.length > 1) throw new UsageError('Only one entity type is supported by the Samsa tools (topics or brokers)');
  const type = types[0]!;
  if (type !== 'topics' && type !== 'brokers') {
    if (['ips', 'broker-loggers', 'client-metrics', 'groups'].includes(type)) throw new ToolError(`Entity type ${type} is not supported by Samsa yet (topics, brokers, users and clients are)`);
    throw new UsageError(`Invalid entity type ${type}, the entity type must be one of users, topics, clients, brokers, ips, client-metrics, groups, broker-loggers`);
  }
  if (names.length > 1) throw new UsageError('Only one entity name may be specified');
  if (a.has('alter') && names.length === 0) throw new UsageError('An entity name must be specified with --alter of topics');
  const name = names[0] ?? null;
  if (type === 'topics' && name === '') throw new UsageError('--entity-default is not supported for topics');
  if (type === 'brokers' && name !== null && name !== '' && !/^\d+$/.test(name)) throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${name}`);
  return { type, name };
}

/** 'k1=v1,k2=[a,b],k3=v3' → pairs; brackets group a value that contains commas. */
export function parseConfigPairs(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let depth = 0;
  let cur = '';
  const flush = (): void => {
    if (cur.trim() === '') return;
    const eq = cur.indexOf('=');
    if (eq < 0) throw new UsageError(`Invalid config: all configs to be added must be in the format "key=val" ('${cur}')`);
    let v = cur.slice(eq + 1).trim();
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    out.push([cur.slice(0, eq).trim(), v]);
    cur = '';
  };
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) flush();
    else cur += ch;
  }
  flush();
  return out;
}

async function resourceConfigs(admin: Admin, e: Entity, name: string, all: boolean, synonyms: boolean): Promise<ConfigEntry[]> {
  const type = e.type === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER;
  const dynamicSource = e.type === 'topics' ? 1 : name === '' ? 3 : 2;
  const [r] = await admin.describeConfigs({ resources: [{ type, name }], includeSynonyms: synonyms });
  return r!.configs.filter((c) => all || c.source === dynamicSource).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

async function describe(admin: Admin, a: ParsedArgs, e: Entity, io: Io): Promise<number> {
  const all = a.has('all');
  let names: string[];
  if (e.name !== null) {
    if (!all && e.type === 'topics' && !(await admin.listTopics({ includeInternal: true })).includes(e.name)) {
      io.out(`The topic '${e.name}' doesn't exist and doesn't have dynamic config.\n`);
      return 0;
    }
    if (!all && e.type === 'brokers' && e.name !== '' && !(await admin.describeCluster()).brokers.some((b) => String(b.nodeId) === e.name)) {
      io.out(`The broker '${e.name}' doesn't exist and doesn't have dynamic config.\n`);
      return 0;
    }
    names = [e.name];
  } else if (e.type === 'topics') names = await admin.listTopics({ includeInternal: true });
  else names = [...(await admin.describeCluster()).brokers.map((b) => String(b.nodeId)), ''];
  for (const name of names) {
    if (name === '') io.out(`Default configs for ${e.type} in the cluster are:\n`);
    else io.out(`${all ? 'All' : 'Dynamic'} configs for ${e.type.slice(0, -1)} ${name} are:\n`);
    for (const c of await resourceConfigs(admin, e, name, all, true)) {
      const syn = (c.synonyms ?? []).map((s) => `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value}`).join(', ');
      io.out(`  ${c.name}=${c.value} sensitive=${c.isSensitive} synonyms={${syn}}\n`);
    }
  }
  return 0;
}

async function alter(admin: Admin, a: ParsedArgs, e: Entity, io: Io): Promise<number> {
  const name = e.name!;
  const add = new Map<string, string>();
  if (a.has('add-config-file')) for (const [k, v] of loadProperties(a.required('add-config-file'))) add.set(k, v);
  if (a.has('add-config')) for (const [k, v] of parseConfigPairs(a.required('add-config'))) add.set(k, v);
  const del = a.values('delete-config').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const both = [...add.keys()].filter((k) => del.includes(k));
  if (both.length > 0) throw new UsageError(`Invalid config(s): ${both.join(',')} (a config cannot be added and deleted at once)`);
  if (add.size === 0 && del.length === 0) throw new UsageError('At least one of --add-config, --add-config-file or --delete-config must be specified with --alter');
  const current = new Set((await resourceConfigs(admin, e, name, false, false)).map((c) => c.name));
  const invalid = del.filter((k) => !current.has(k));
  if (invalid.length > 0) throw new ToolError(`Error while executing config command with args '${a.argv.join(' ')}'\norg.apache.kafka.common.errors.InvalidConfigurationException: Invalid config(s): ${invalid.join(',')}`);
  await admin.incrementalAlterConfigs({
    resources: [{
      type: e.type === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER,
      name,
      configs: [...del.map((k) => ({ name: k, op: AlterConfigOp.DELETE, value: null })), ...[...add].map(([k, v]) => ({ name: k, op: AlterConfigOp.SET, value: v }))],
    }],
  });
  if (name !== '') io.out(`Completed updating config for ${e.type.slice(0, -1)} ${name}.\n`);
  else io.out(`Completed updating default config for ${e.type} in the cluster.\n`);
  return 0;
}

export const configsTool: Tool = {
  spec: configsSpec,
  async run(a, io) {
    if ([a.has('alter'), a.has('describe')].filter(Boolean).length !== 1) throw new UsageError('Command must include exactly one action: --describe, --alter');
    const zookeeper = a.value('zookeeper');
    if (zookeeper !== undefined) {
      if (a.has('bootstrap-server') || a.has('bootstrap-controller')) throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
      return scramCredentialsInStore(zookeeper, a, clientEntity(a), io);
    }
    const server = a.value('bootstrap-server') ?? a.value('bootstrap-controller');
    if (server === undefined) throw new UsageError('One of the required bootstrap options must be provided: --bootstrap-server or --bootstrap-controller');
    for (const o of ['add-config', 'add-config-file', 'delete-config'] as const) a.checkInvalid(o, 'describe');
    a.checkInvalid('all', 'alter');
    const ce = clientEntity(a);
    const e = ce === null ? entity(a) : null;
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(server), props, 'adminclient-1'));
    try {
      if (ce !== null) return a.has('describe') ? await describeClientEntity(admin.cluster, ce, io) : await alterClientEntity(admin.cluster, a, ce, io);
      return a.has('describe') ? await describe(admin, a, e!, io) : await alter(admin, a, e!, io);
    } catch (err) {
      if (err instanceof UsageError || err instanceof ToolError) throw err;
      io.err(`Error while executing config command with args '${a.argv.join(' ')}'\n${describeError(err)}\n`);
      return 1;
    } finally {
      await admin.close();
    }
  },
};
