/**
 * kafka-topics: create, list, describe, alter (partitions) and delete topics, with Kafka's
 * TopicCommand output ("Created topic t.", the tab-separated describe lines) and checks.
 */
import { Admin, ConfigResourceType, KafkaError, type TopicDescription } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { kafkaUuid } from '../format.js';
import { StoreTopicAdmin, type TopicAdmin } from './store-topic-admin.js';
import { bootstrapList, clusterOptions, describeError, type Io, loadProperties, type Tool, ToolError } from '../tool.js';

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);
const KAFKA_CONFIGS_HINT = ' (To alter topic configurations, the kafka-configs tool can be used.)';

export const topicsSpec: ToolSpec = {
  name: 'kafka-topics',
  summary: 'This tool helps to create, delete, describe, or change a topic.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: server to connect to', description: 'REQUIRED: The Kafka server to connect to.' },
    { name: 'zookeeper', kind: 'value', metavar: 'String: hosts', description: 'The connection string for the zookeeper connection in the form host:port. Multiple hosts can be given to allow fail-over (the ZooKeeper-era alternative to --bootstrap-server).' },
    { name: 'command-config', kind: 'value', metavar: 'String: command config property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'list', kind: 'flag', description: 'List all available topics.' },
    { name: 'create', kind: 'flag', description: 'Create a new topic.' },
    { name: 'delete', kind: 'flag', description: 'Delete a topic.' },
    { name: 'alter', kind: 'flag', description: `Alter the number of partitions and replica assignment.${KAFKA_CONFIGS_HINT}` },
    { name: 'describe', kind: 'flag', description: 'List details for the given topics.' },
    { name: 'topic', kind: 'value', metavar: 'String: topic', description: 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.' },
    { name: 'topic-id', kind: 'value', metavar: 'String: topic-id', description: 'The topic-id to describe.' },
    { name: 'config', kind: 'value', repeatable: true, metavar: 'String: name=value', description: 'A topic configuration override for the topic being created (repeatable).' },
    { name: 'delete-config', kind: 'value', repeatable: true, metavar: 'String: name', description: 'This option is no longer supported and has been deprecated since 4.0', hidden: true },
    { name: 'partitions', kind: 'value', metavar: 'Integer: # of partitions', description: 'The number of partitions for the topic being created or altered. If not supplied with --create, the topic uses the cluster default.' },
    { name: 'replication-factor', kind: 'value', metavar: 'Integer: replication factor', description: 'The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default.' },
    { name: 'replica-assignment', kind: 'value', metavar: 'String: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , ...', description: 'A list of manual partition-to-broker assignments for the topic being created or altered.' },
    { name: 'under-replicated-partitions', kind: 'flag', description: 'If set when describing topics, only show under-replicated partitions.' },
    { name: 'unavailable-partitions', kind: 'flag', description: 'If set when describing topics, only show partitions whose leader is not available.' },
    { name: 'under-min-isr-partitions', kind: 'flag', description: 'If set when describing topics, only show partitions whose isr count is less than the configured minimum.' },
    { name: 'at-min-isr-partitions', kind: 'flag', description: 'If set when describing topics, only show partitions whose isr count is equal to the configured minimum.' },
    { name: 'topics-with-overrides', kind: 'flag', description: 'If set when describing topics, only show topics that have overridden configs.' },
    { name: 'if-exists', kind: 'flag', description: 'If set when altering or deleting or describing topics, the action will only execute if the topic exists.' },
    { name: 'if-not-exists', kind: 'flag', description: 'If set when creating topics, the create request will not fail if the topic already exists.' },
    { name: 'exclude-internal', kind: 'flag', description: 'Exclude internal topics when listing or describing topics. By default, the internal topics are included.' },
    { name: 'partition-size-limit-per-response', kind: 'value', metavar: 'Integer', description: 'The maximum partition size to be included in one DescribeTopicPartitions response (accepted, not needed).' },
  ],
};

const ACTIONS = ['create', 'list', 'alter', 'describe', 'delete'] as const;
const REPORTS = ['under-replicated-partitions', 'unavailable-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions'] as const;

function checkArgs(a: ParsedArgs): void {
  const actions = ACTIONS.filter((x) => a.has(x));
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --create, --alter or --delete');
  if (!a.has('bootstrap-server') && !a.has('zookeeper')) throw new UsageError('--bootstrap-server must be specified');
  if (a.has('bootstrap-server') && a.has('zookeeper')) throw new UsageError('Only one of --bootstrap-server or --zookeeper must be specified');
  if (!a.has('list') && !a.has('describe')) a.checkRequired('topic');
  if (a.has('alter')) {
    if (a.has('config')) throw new UsageError(`Option combination "[bootstrap-server, config]" can't be used with option "[alter]"${KAFKA_CONFIGS_HINT}`);
    a.checkRequired('partitions');
  }
  const others = (keep: string[]): string[] => ACTIONS.filter((x) => !keep.includes(x));
  for (const o of others(['alter', 'create'])) a.checkInvalid('config', o);
  for (const o of others(['alter', 'create'])) a.checkInvalid('partitions', o);
  for (const o of others(['create'])) a.checkInvalid('replication-factor', o);
  for (const o of others(['alter', 'create'])) a.checkInvalid('replica-assignment', o);
  if (a.has('create')) a.checkInvalid('replica-assignment', 'partitions', 'replication-factor');
  for (const r of REPORTS) {
    a.checkInvalid(r, 'topics-with-overrides');
    for (const o of others(['describe'])) a.checkInvalid(r, o);
  }
  for (const o of others(['describe'])) a.checkInvalid('topics-with-overrides', o);
  for (const o of others(['alter', 'delete', 'describe'])) a.checkInvalid('if-exists', o);
  for (const o of others(['create'])) a.checkInvalid('if-not-exists', o);
  for (const o of others(['list', 'describe'])) a.checkInvalid('exclude-internal', o);
}

/** Kafka's IncludeList: a regex over whole names; commas mean "or". */
export function includeList(pattern: string): RegExp {
  const re = pattern.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${re})$`);
  } catch (e) {
    throw new UsageError(`Invalid topic regular expression '${pattern}': ${(e as Error).message}`);
  }
}

async function getTopics(admin: TopicAdmin, pattern: string | undefined, excludeInternal: boolean): Promise<string[]> {
  const all = await admin.listTopics({ includeInternal: !excludeInternal });
  if (pattern === undefined) return all.filter((t) => !(excludeInternal && INTERNAL_TOPICS.has(t)));
  // a plain name matches itself even when it has regex characters (a.b matches only a.b then too)
  const re = includeList(pattern);
  return all.filter((t) => (t === pattern || re.test(t)) && !(excludeInternal && INTERNAL_TOPICS.has(t)));
}

function ensureTopicExists(found: string[], requested: string | undefined, requireExists: boolean): void {
  if (requested !== undefined && requested !== '' && requireExists && found.length === 0) throw new ToolError(`Error while executing topic command : Topic '${requested}' does not exist as expected`);
}

function parseConfigs(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const parts = v.split(/\s*=\s*/);
    if (parts.length !== 2) throw new UsageError('requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".');
    out[parts[0]!.trim()] = parts[1]!.trim();
  }
  return out;
}

function parseReplicaAssignment(s: string): Array<{ partition: number; replicas: number[] }> {
  const out: Array<{ partition: number; replicas: number[] }> = [];
  s.split(',').forEach((p, i) => {
    const replicas = p.split(':').map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n)) throw new UsageError(`Invalid replica assignment '${s}'`);
      return n;
    });
    if (new Set(replicas).size !== replicas.length) throw new ToolError(`Partition replica lists may not contain duplicate entries: ${replicas.join(',')}`);
    if (out.length > 0 && replicas.length !== out[0]!.replicas.length) throw new ToolError(`Partition ${i} has different replication factor: [${replicas.join(', ')}]`);
    out.push({ partition: i, replicas });
  });
  return out;
}

async function createTopic(admin: TopicAdmin, a: ParsedArgs, io: Io): Promise<void> {
  const name = a.required('topic');
  const rf = a.int('replication-factor');
  const partitions = a.int('partitions');
  if (rf !== undefined && (rf > 32767 || rf < 1)) throw new ToolError('The replication factor must be between 1 and 32767 inclusive');
  if (partitions !== undefined && partitions < 1) throw new ToolError('The partitions must be greater than 0');
  if (/[._]/.test(name)) io.out("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n");
  const assignment = a.value('replica-assignment');
  try {
    await admin.createTopics({
      topics: [{
        topic: name,
        ...(assignment !== undefined && assignment !== '' ? { replicaAssignment: parseReplicaAssignment(assignment) } : { numPartitions: partitions ?? -1, replicationFactor: rf ?? -1 }),
        configs: parseConfigs(a.values('config')),
      }],
    });
    io.out(`Created topic ${name}.\n`);
  } catch (e) {
    if (e instanceof KafkaError && e.errorName === 'TOPIC_ALREADY_EXISTS' && a.has('if-not-exists')) return;
    throw e;
  }
}

async function describeTopics(admin: TopicAdmin, a: ParsedArgs, io: Io): Promise<void> {
  let topics: string[];
  const topicId = a.value('topic-id');
  if (topicId !== undefined && !/^A{22}$/.test(topicId)) {
    // by id: find the topic whose Kafka-format id matches
    const all = await getTopics(admin, undefined, a.has('exclude-internal'));
    const described = all.length === 0 ? [] : await admin.describeTopics({ topics: all });
    topics = described.filter((d) => kafkaUuid(d.topicId) === topicId).map((d) => d.name);
    if (topics.length === 0 && !a.has('if-exists')) throw new ToolError(`Error while executing topic command : TopicId '${topicId}' does not exist as expected`);
  } else {
    topics = await getTopics(admin, a.value('topic'), a.has('exclude-internal'));
    ensureTopicExists(topics, a.value('topic'), !a.has('if-exists'));
  }
  if (topics.length === 0) return;
  const descriptions = await admin.describeTopics({ topics });
  const configs = await admin.describeConfigs({ resources: topics.map((name) => ({ type: ConfigResourceType.TOPIC, name })) });
  const cluster = await admin.describeCluster();
  const live = new Set(cluster.brokers.map((b) => b.nodeId));
  const reports = REPORTS.filter((r) => a.has(r));
  const describeConfigs = reports.length === 0;
  const describePartitions = !a.has('topics-with-overrides');
  for (const td of descriptions) {
    const entries = configs.find((c) => c.name === td.name)?.configs ?? [];
    const nonDefault = entries.filter((c) => !c.isDefault);
    const minIsr = Number(entries.find((c) => c.name === 'min.insync.replicas')?.value ?? '1');
    if (describeConfigs && (!a.has('topics-with-overrides') || nonDefault.length > 0)) printTopicLine(td, nonDefault, io);
    if (!describePartitions) continue;
    for (const p of td.partitions) {
      const hasLeader = p.leader >= 0;
      const show =
        describeConfigs ||
        (a.has('under-replicated-partitions') && p.replicas.length - p.isr.length > 0) ||
        (a.has('unavailable-partitions') && (!hasLeader || !live.has(p.leader))) ||
        (a.has('under-min-isr-partitions') && (!hasLeader || p.isr.length < minIsr)) ||
        (a.has('at-min-isr-partitions') && p.isr.length === minIsr);
      if (show) io.out(`\tTopic: ${td.name}\tPartition: ${p.partition}\tLeader: ${hasLeader ? p.leader : 'none'}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tElr: N/A\tLastKnownElr: N/A\n`);
    }
  }
}

function printTopicLine(td: TopicDescription, nonDefault: Array<{ name: string; value: string | null }>, io: Io): void {
  const id = kafkaUuid(td.topicId);
  const rf = td.partitions[0]?.replicas.length ?? 0;
  const configs = nonDefault.map((c) => `${c.name}=${c.value}`).join(',');
  io.out(`Topic: ${td.name}${id !== null ? `\tTopicId: ${id}` : ''}\tPartitionCount: ${td.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${configs}\n`);
}

async function alterTopic(admin: TopicAdmin, a: ParsedArgs): Promise<void> {
  const topics = await getTopics(admin, a.value('topic'), a.has('exclude-internal'));
  ensureTopicExists(topics, a.value('topic'), !a.has('if-exists'));
  if (topics.length === 0) return;
  const count = a.int('partitions')!;
  const assignment = a.value('replica-assignment');
  const existing = await admin.describeTopics({ topics });
  await admin.createPartitions({
    topicPartitions: topics.map((topic) => {
      const entry: { topic: string; count: number; assignments?: number[][] } = { topic, count };
      if (assignment !== undefined && assignment !== '') {
        const start = existing.find((d) => d.name === topic)!.partitions.length;
        entry.assignments = parseReplicaAssignment(assignment).slice(start).map((x) => x.replicas);
      }
      return entry;
    }),
  });
}

async function deleteTopic(admin: TopicAdmin, a: ParsedArgs): Promise<void> {
  const topics = await getTopics(admin, a.value('topic'), a.has('exclude-internal'));
  ensureTopicExists(topics, a.value('topic'), !a.has('if-exists'));
  if (topics.length > 0) await admin.deleteTopics({ topics });
}

export const topicsTool: Tool = {
  spec: topicsSpec,
  async run(a, io) {
    checkArgs(a);
    if (a.has('delete-config')) io.err('delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.\n');
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin: TopicAdmin = a.has('zookeeper') ? await StoreTopicAdmin.connect(a.required('zookeeper')) : new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    try {
      if (a.has('create')) await createTopic(admin, a, io);
      else if (a.has('alter')) await alterTopic(admin, a);
      else if (a.has('list')) {
        const topics = await getTopics(admin, a.value('topic'), a.has('exclude-internal'));
        io.out(`${topics.join('\n')}\n`);
      } else if (a.has('describe')) await describeTopics(admin, a, io);
      else await deleteTopic(admin, a);
      return 0;
    } catch (e) {
      if (e instanceof UsageError || e instanceof ToolError) throw e;
      // TopicCommand prints execution errors to stdout with this prefix, and exits 1
      io.out(`Error while executing topic command : ${describeError(e)}\n`);
      return 1;
    } finally {
      await admin.close();
    }
  },
};
