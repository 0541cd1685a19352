/**
 * kafka-acls: add, remove and list ACLs with AclCommand's flags and output ("Adding ACLs for
 * resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`:", "Current ACLs
 * for resource ...", each entry as "(principal=User:alice, host=*, operation=READ,
 * permissionType=ALLOW)"), including the --producer / --consumer conveniences and
 * --remove's confirmation prompt (skipped with --force).
 */
import { Cluster, createAcls, deleteAcls, describeAcls, type AclBinding, type AclBindingFilter } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { bootstrapList, clusterOptions, describeError, type Io, loadProperties, type Tool, ToolError } from '../tool.js';

export const aclsSpec: ToolSpec = {
  name: 'kafka-acls',
  summary: 'This tool helps to manage acls on kafka.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: server to connect to', description: 'A list of host/port pairs to use for establishing the connection to the Kafka cluster.' },
    { name: 'bootstrap-controller', kind: 'value', metavar: 'String: controller to connect to', description: 'A list of host/port pairs to use for establishing the connection to the Kafka cluster (Samsa brokers answer both).' },
    { name: 'command-config', kind: 'value', metavar: 'String: command-config', description: 'A property file containing configs to be passed to Admin Client.' },
    { name: 'add', kind: 'flag', description: 'Indicates you are trying to add ACLs.' },
    { name: 'remove', kind: 'flag', description: 'Indicates you are trying to remove ACLs.' },
    { name: 'list', kind: 'flag', description: 'List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.' },
    { name: 'topic', kind: 'value', repeatable: true, metavar: 'String: topic', description: 'topic to which ACLs should be added or removed. A value of \'*\' indicates ACL should apply to all topics.' },
    { name: 'cluster', kind: 'flag', description: 'Add/Remove cluster ACLs.' },
    { name: 'group', kind: 'value', repeatable: true, metavar: 'String: group', description: 'Consumer Group to which the ACLs should be added or removed. A value of \'*\' indicates the ACLs should apply to all groups.' },
    { name: 'transactional-id', kind: 'value', repeatable: true, metavar: 'String: transactional-id', description: 'The transactionalId to which ACLs should be added or removed. A value of \'*\' indicates the ACLs should apply to all transactionalIds.' },
    { name: 'delegation-token', kind: 'value', repeatable: true, metavar: 'String: delegation-token', description: 'Delegation token to which ACLs should be added or removed. A value of \'*\' indicates ACL should apply to all tokens.' },
    { name: 'user-principal', kind: 'value', repeatable: true, metavar: 'String: user-principal', description: 'Specifies a user principal as a resource in relation with the operation.' },
    { name: 'resource-pattern-type', kind: 'value', metavar: 'ANY|MATCH|LITERAL|PREFIXED', description: 'The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, e.g. \'literal\' or \'prefixed\'. When listing or removing acls, a specific pattern type can be used to list or remove acls from specific resource patterns, or use the filter values of \'any\' or \'match\'. (default: LITERAL)' },
    { name: 'operation', kind: 'value', repeatable: true, metavar: 'String', description: 'Operation that is being allowed or denied. Valid operation names are: Describe, DescribeConfigs, Alter, IdempotentWrite, Read, Delete, Create, ClusterAction, All, CreateTokens, DescribeTokens, Write, AlterConfigs (default: All)' },
    { name: 'allow-principal', kind: 'value', repeatable: true, metavar: 'String: allow-principal', description: 'principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. For example, User:\'*\' is the wild card indicating all users.' },
    { name: 'deny-principal', kind: 'value', repeatable: true, metavar: 'String: deny-principal', description: 'principal is in principalType:name format. By default anyone not added through --allow-principal is denied access. You only need to use this option as negation to already allowed set.' },
    { name: 'principal', kind: 'value', repeatable: true, metavar: 'String: principal', description: 'List ACLs for the specified principal. principal is in principalType:name format. Note that principalType must be supported by the Authorizer being used. Multiple --principal option can be passed.' },
    { name: 'allow-host', kind: 'value', repeatable: true, metavar: 'String: allow-host', description: 'Host from which principals listed in --allow-principal will have access. If you have specified --allow-principal then the default for this option will be set to \'*\' which allows access from all hosts.' },
    { name: 'deny-host', kind: 'value', repeatable: true, metavar: 'String: deny-host', description: 'Host from which principals listed in --deny-principal will be denied access. If you have specified --deny-principal then the default for this option will be set to \'*\' which denies access from all hosts.' },
    { name: 'producer', kind: 'flag', description: 'Convenience option to add/remove ACLs for producer role. This will generate ACLs that allows WRITE,DESCRIBE and CREATE on topic.' },
    { name: 'consumer', kind: 'flag', description: 'Convenience option to add/remove ACLs for consumer role. This will generate ACLs that allows READ,DESCRIBE on topic and READ on group.' },
    { name: 'idempotent', kind: 'flag', description: 'Enable idempotence for the producer. This should be used in combination with the --producer option. Note that idempotence is enabled automatically if the producer is authorized to a particular transactional-id.' },
    { name: 'force', kind: 'flag', description: 'Assume Yes to all queries and do not prompt.' },
  ],
};

// Kafka's enum codes and names (ResourceType, PatternType, AclOperation, AclPermissionType).
const RESOURCE_TYPES: Record<number, string> = { 2: 'TOPIC', 3: 'GROUP', 4: 'CLUSTER', 5: 'TRANSACTIONAL_ID', 6: 'DELEGATION_TOKEN', 7: 'USER' };
const PATTERN_TYPES: Record<string, number> = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 };
const PATTERN_NAMES: Record<number, string> = { 1: 'ANY', 2: 'MATCH', 3: 'LITERAL', 4: 'PREFIXED' };
const OPERATIONS: Record<string, number> = {
  All: 2, Read: 3, Write: 4, Create: 5, Delete: 6, Alter: 7, Describe: 8, ClusterAction: 9, DescribeConfigs: 10, AlterConfigs: 11, IdempotentWrite: 12, CreateTokens: 13, DescribeTokens: 14,
};
const OPERATION_NAMES: Record<number, string> = { 2: 'ALL', 3: 'READ', 4: 'WRITE', 5: 'CREATE', 6: 'DELETE', 7: 'ALTER', 8: 'DESCRIBE', 9: 'CLUSTER_ACTION', 10: 'DESCRIBE_CONFIGS', 11: 'ALTER_CONFIGS', 12: 'IDEMPOTENT_WRITE', 13: 'CREATE_TOKENS', 14: 'DESCRIBE_TOKENS' };
const ALLOW = 3, DENY = 2;
const TOPIC = 2, GROUP = 3, CLUSTER = 4, TXN = 5;
/** Operations that make sense per resource type (AclCommand's ResourceToSupportedOperations). */
const SUPPORTED: Record<number, number[]> = {
  [TOPIC]: [3, 4, 5, 8, 6, 7, 10, 11, 2],
  [GROUP]: [3, 8, 6, 2],
  [CLUSTER]: [5, 9, 10, 11, 12, 7, 8, 2],
  [TXN]: [8, 4, 2],
  6: [8, 2],
  7: [13, 14, 2],
};

interface Pattern { resourceType: number; resourceName: string; patternType: number }

const patternText = (p: Pattern, filter = false): string =>
  `${filter ? 'ResourcePatternFilter' : 'ResourcePattern'}(resourceType=${RESOURCE_TYPES[p.resourceType]}, name=${p.resourceName}, patternType=${PATTERN_NAMES[p.patternType]})`;
const entryText = (b: AclBinding): string =>
  `(principal=${b.principal}, host=${b.host}, operation=${OPERATION_NAMES[b.operation]}, permissionType=${b.permissionType === ALLOW ? 'ALLOW' : 'DENY'})`;

function patternType(a: ParsedArgs): number {
  const text = (a.value('resource-pattern-type') ?? 'LITERAL').toUpperCase();
  const t = PATTERN_TYPES[text];
  if (t === undefined) throw new UsageError(`Invalid --resource-pattern-type value '${a.value('resource-pattern-type')}'`);
  if (a.has('add') && (t === 1 || t === 2)) throw new UsageError('A \'--resource-pattern-type\' value of \'any\' or \'match\' is not valid when adding acls.');
  return t;
}

/** The resources named on the command line, per resource type. */
function resources(a: ParsedArgs, pattern: number): Pattern[] {
  const out: Pattern[] = [];
  for (const name of a.values('topic')) out.push({ resourceType: TOPIC, resourceName: name, patternType: pattern });
  for (const name of a.values('group')) out.push({ resourceType: GROUP, resourceName: name, patternType: pattern });
  for (const name of a.values('transactional-id')) out.push({ resourceType: TXN, resourceName: name, patternType: pattern });
  for (const name of a.values('delegation-token')) out.push({ resourceType: 6, resourceName: name, patternType: pattern });
  for (const name of a.values('user-principal')) out.push({ resourceType: 7, resourceName: name, patternType: pattern });
  if (a.has('cluster')) out.push({ resourceType: CLUSTER, resourceName: 'kafka-cluster', patternType: pattern === 4 ? 3 : pattern });
  return out;
}

function principals(values: readonly string[]): string[] {
  return values.map((p) => {
    if (!/^[^:]+:.+$/.test(p)) throw new UsageError(`Could not parse principal from \`${p}\` (no colon is present separating the principal type from the principal name)`);
    return p;
  });
}

/** The bindings an --add or --remove names: explicit operations, or the producer/consumer role sets. */
function bindings(a: ParsedArgs, pattern: number): Map<string, { pattern: Pattern; acls: AclBinding[] }> {
  const out = new Map<string, { pattern: Pattern; acls: AclBinding[] }>();
  const allow = principals(a.values('allow-principal'));
  const deny = principals(a.values('deny-principal'));
  const allowHosts = a.values('allow-host').length > 0 ? a.values('allow-host') : ['*'];
  const denyHosts = a.values('deny-host').length > 0 ? a.values('deny-host') : ['*'];
  const add = (p: Pattern, ops: number[]): void => {
    const key = `${p.resourceType}|${p.patternType}|${p.resourceName}`;
    const entry = out.get(key) ?? { pattern: p, acls: [] };
    for (const op of ops) {
      for (const principal of allow) for (const host of allowHosts) entry.acls.push({ ...p, principal, host, operation: op, permissionType: ALLOW });
      for (const principal of deny) for (const host of denyHosts) entry.acls.push({ ...p, principal, host, operation: op, permissionType: DENY });
    }
    out.set(key, entry);
  };
  const named = resources(a, pattern);
  if (a.has('producer') || a.has('consumer')) {
    if (a.has('producer')) {
      for (const r of named.filter((x) => x.resourceType === TOPIC)) add(r, [OPERATIONS['Write']!, OPERATIONS['Describe']!, OPERATIONS['Create']!]);
      for (const r of named.filter((x) => x.resourceType === TXN)) add(r, [OPERATIONS['Write']!, OPERATIONS['Describe']!]);
      if (a.has('idempotent')) add({ resourceType: CLUSTER, resourceName: 'kafka-cluster', patternType: 3 }, [OPERATIONS['IdempotentWrite']!]);
    }
    if (a.has('consumer')) {
      for (const r of named.filter((x) => x.resourceType === TOPIC)) add(r, [OPERATIONS['Read']!, OPERATIONS['Describe']!]);
      for (const r of named.filter((x) => x.resourceType === GROUP)) add(r, [OPERATIONS['Read']!]);
    }
    return out;
  }
  const opNames = a.values('operation').length > 0 ? a.values('operation') : ['All'];
  const ops = opNames.map((n) => {
    const key = Object.keys(OPERATIONS).find((k) => k.toLowerCase() === n.replace(/[_-]/g, '').toLowerCase());
    if (key === undefined) throw new UsageError(`Invalid operation ${n}; valid operations are: ${Object.keys(OPERATIONS).join(', ')}`);
    return OPERATIONS[key]!;
  });
  for (const r of named) {
    const unsupported = ops.filter((op) => !SUPPORTED[r.resourceType]!.includes(op));
    if (unsupported.length > 0) throw new UsageError(`ResourceType ${RESOURCE_TYPES[r.resourceType]} only supports operations ${SUPPORTED[r.resourceType]!.map((o) => OPERATION_NAMES[o]).join(',')}`);
    add(r, ops);
  }
  return out;
}

function filterFor(p: Pattern | null, principal: string | null = null): AclBindingFilter {
  return { resourceType: p?.resourceType ?? 1, resourceName: p?.resourceName ?? null, patternType: p?.patternType ?? 1, principal, host: null, operation: 1, permissionType: 1 };
}

function printCurrent(io: Io, found: AclBinding[]): void {
  const byPattern = new Map<string, AclBinding[]>();
  for (const b of found) {
    const key = patternText(b);
    byPattern.set(key, [...(byPattern.get(key) ?? []), b]);
  }
  for (const [pattern, acls] of byPattern) io.out(`Current ACLs for resource \`${pattern}\`: \n ${acls.map((b) => `\t${entryText(b)}`).join('\n')} \n\n`);
}

async function list(cluster: Cluster, a: ParsedArgs, io: Io, pattern: number): Promise<void> {
  const named = resources(a, pattern);
  const filters = named.length === 0 ? [filterFor(null)] : named.map((p) => filterFor(p));
  const who = principals(a.values('principal'));
  if (who.length === 0) {
    for (const f of filters) printCurrent(io, await describeAcls(cluster, f));
    return;
  }
  for (const principal of who) {
    io.out(`ACLs for principal \`${principal}\`\n`);
    for (const f of filters) printCurrent(io, await describeAcls(cluster, { ...f, principal }));
  }
}

async function confirm(io: Io, question: string): Promise<boolean> {
  io.out(`${question}\n`);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    const onData = (d: Buffer | string): void => {
      text += d.toString();
      if (text.includes('\n')) done();
    };
    const done = (): void => {
      io.stdin.off('data', onData);
      io.stdin.off('end', done);
      io.stdin.pause();
      resolve(text.split('\n')[0]!.trim());
    };
    io.stdin.on('data', onData);
    io.stdin.once('end', done);
  });
  return answer.toLowerCase() === 'y';
}

export const aclsTool: Tool = {
  spec: aclsSpec,
  async run(a, io) {
    const actions = ['add', 'remove', 'list'].filter((x) => a.has(x));
    if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --add, --remove. ');
    const server = a.value('bootstrap-server') ?? a.value('bootstrap-controller');
    if (server === undefined) throw new UsageError('One of --bootstrap-server or --bootstrap-controller must be specified');
    if (a.has('list') && (a.has('allow-principal') || a.has('deny-principal') || a.has('producer') || a.has('consumer'))) throw new UsageError('Option "[list]" can\'t be used with option "[allow-principal, deny-principal, producer, consumer]"');
    if (a.has('producer') && resources(a, 3).every((r) => r.resourceType !== TOPIC)) throw new UsageError('With --producer you must specify a --topic');
    if (a.has('consumer') && (a.values('topic').length === 0 || a.values('group').length === 0)) throw new UsageError('With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.');
    const pattern = patternType(a);
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const cluster = new Cluster(clusterOptions(bootstrapList(server), props, 'adminclient-1'));
    try {
      if (a.has('list')) {
        await list(cluster, a, io, pattern);
        return 0;
      }
      const wanted = bindings(a, pattern);
      if (wanted.size === 0) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
      if (a.has('add')) {
        if (a.values('allow-principal').length + a.values('deny-principal').length === 0) throw new UsageError('You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.');
        for (const { pattern: p, acls } of wanted.values()) {
          io.out(`Adding ACLs for resource \`${patternText(p)}\`: \n ${acls.map((b) => `\t${entryText(b)}`).join('\n')} \n\n`);
          const errors = await createAcls(cluster, acls);
          const failed = errors.find((e) => e !== null);
          if (failed) throw failed;
        }
      } else {
        for (const { pattern: p, acls } of wanted.values()) {
          const explicit = a.values('allow-principal').length + a.values('deny-principal').length > 0;
          const question = explicit
            ? `Are you sure you want to remove ACLs: \n ${acls.map((b) => `\t${entryText(b)}`).join('\n')} \n from resource filter \`${patternText(p, true)}\`? (y/n)`
            : `Are you sure you want to delete all ACLs for resource filter \`${patternText(p, true)}\`? (y/n)`;
          if (!a.has('force') && !(await confirm(io, question))) continue;
          const filters = explicit ? acls.map((b) => ({ ...b })) : [filterFor(p)];
          const results = await deleteAcls(cluster, filters);
          const failed = results.find((r) => r.error !== null);
          if (failed?.error) throw failed.error;
        }
      }
      for (const { pattern: p } of wanted.values()) printCurrent(io, await describeAcls(cluster, filterFor(p)));
      return 0;
    } catch (err) {
      if (err instanceof UsageError || err instanceof ToolError) throw err;
      io.err(`Error while executing ACL command: ${describeError(err)}\n`);
      return 1;
    } finally {
      cluster.close();
    }
  },
};
