/**
 * kafka-leader-election (and its old name kafka-preferred-replica-election): ElectLeaders
 * sent to the controller for --all-topic-partitions, one --topic/--partition, or Kafka's JSON
 * file ({"partitions": [{"topic": "foo", "partition": 1}]}), printing Kafka's three kinds of
 * lines: elected, already elected, and failures (then "N replica(s) could not be elected", exit 1).
 */
import { readFileSync } from 'node:fs';
import { Admin } from '@samsa/client';
import { apiByName, ErrorCode, errorByCode } from '@samsa/protocol';
import { UsageError, type ToolSpec } from '../args.js';
import { sendToController } from '../controller-request.js';
import { tp } from '../format.js';
import { bootstrapList, clusterOptions, loadProperties, type Tool, ToolError } from '../tool.js';

export const leaderElectionSpec: ToolSpec = {
  name: 'kafka-leader-election',
  summary: 'This tool attempts to elect a new leader for a set of topic partitions. The type of elections supported are preferred replicas and unclean replicas.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: host:port', description: 'A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.' },
    { name: 'admin.config', kind: 'value', metavar: 'String: config file', description: 'Configuration properties files to pass to the admin client' },
    { name: 'path-to-json-file', kind: 'value', metavar: 'String: Path to JSON file', description: 'The JSON file with the list of partition for which leader elections should be performed. Example: {"partitions": [{"topic": "foo", "partition": 1}]}. Not allowed if --all-topic-partitions or --topic flags are specified.' },
    { name: 'topic', kind: 'value', metavar: 'String: topic name', description: 'Name of topic for which to perform an election. Not allowed if --path-to-json-file or --all-topic-partitions is specified.' },
    { name: 'partition', kind: 'value', metavar: 'Integer: partition id', description: 'Partition id for which to perform an election. REQUIRED if --topic is specified.' },
    { name: 'all-topic-partitions', kind: 'flag', description: 'Perform election on all of the eligible topic partitions based on the type of election (see the --election-type flag). Not allowed if --topic or --path-to-json-file is specified.' },
    { name: 'election-type', kind: 'value', metavar: 'ElectionType: election type', description: 'Type of election to attempt. Possible values are "preferred" for preferred leader election or "unclean" for unclean leader election. REQUIRED.' },
  ],
};

/** The old tool: preferred elections only, from a JSON file or for every partition. */
export const preferredReplicaElectionSpec: ToolSpec = {
  name: 'kafka-preferred-replica-election',
  summary: 'This tool helps to causes leadership for each partition to be transferred back to the \'preferred replica\', it can be used to balance leadership among the servers.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: host:port', description: 'A hostname and port for the broker to connect to, in the form host:port. Multiple comma separated URLs can be given. REQUIRED.' },
    { name: 'admin.config', kind: 'value', metavar: 'String: config file', description: 'Admin client config properties file to pass to the admin client when --bootstrap-server is given.' },
    { name: 'path-to-json-file', kind: 'value', metavar: 'String: list of partitions for which preferred replica leader election needs to be triggered', description: 'The JSON file with the list of partitions for which preferred replica leader election should be done. Defaults to all existing partitions.' },
  ],
};

export function parseElectionJson(text: string): Array<{ topic: string; partition: number }> {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    throw new ToolError('Replica election data is empty');
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw new ToolError('Replica election data is empty');
  const list = (js as { partitions?: unknown }).partitions;
  if (list === undefined) throw new ToolError('Replica election data is missing "partitions" field');
  if (!Array.isArray(list)) throw new ToolError('Expected a JSON array for "partitions"');
  const out: Array<{ topic: string; partition: number }> = [];
  for (const p of list as Array<Record<string, unknown>>) {
    if (typeof p?.topic !== 'string') throw new ToolError(`Expected a string for "topic" in ${JSON.stringify(p)}`);
    if (typeof p.partition !== 'number' || !Number.isInteger(p.partition)) throw new ToolError(`Expected an int for "partition" in ${JSON.stringify(p)}`);
    out.push({ topic: p.topic, partition: p.partition });
  }
  const keys = out.map((p) => tp(p.topic, p.partition));
  const dups = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (dups.length > 0) throw new ToolError(`Replica election data contains duplicate partitions: ${dups.join(',')}`);
  return out.filter((p, i) => keys.indexOf(tp(p.topic, p.partition)) === i);
}

function readJson(path: string): Array<{ topic: string; partition: number }> {
  try {
    return parseElectionJson(readFileSync(path, 'utf8'));
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw new ToolError(`Unable to read ${path}: ${(e as Error).message}`);
  }
}

/** Kafka's exception class for an election error, as its tool prints it. */
function exceptionText(code: number, message: string | null): string {
  const name = (errorByCode(code)?.name ?? 'UNKNOWN_SERVER_ERROR').toLowerCase().split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return `org.apache.kafka.common.errors.${name}Exception: ${message ?? errorByCode(code)?.name ?? code}`;
}

/** Sends ElectLeaders to the controller (retrying NOT_CONTROLLER once metadata moved) and prints Kafka's result lines. */
async function elect(admin: Admin, electionType: 0 | 1, partitions: Array<{ topic: string; partition: number }> | null, io: { out(s: string): void }): Promise<number> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions ?? []) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const request = { electionType, topicPartitions: partitions === null ? null : [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), timeoutMs: 30000 };
  const response = await sendToController(admin, async (conn) => (await conn.send(apiByName.ElectLeaders, () => request)).response);
  if (response.errorCode !== undefined && response.errorCode !== ErrorCode.NONE) throw new ToolError(`Error while making request: ${exceptionText(response.errorCode, null)}`);
  const label = electionType === 0 ? 'PREFERRED' : 'UNCLEAN';
  const succeeded: string[] = [];
  const noop: string[] = [];
  const failed: string[] = [];
  for (const t of response.replicaElectionResults) {
    for (const p of t.partitionResult) {
      const name = tp(t.topic, p.partitionId);
      if (p.errorCode === ErrorCode.NONE) succeeded.push(name);
      else if (p.errorCode === ErrorCode.ELECTION_NOT_NEEDED) noop.push(name);
      else failed.push(`Error completing leader election (${label}) for partition: ${name}: ${exceptionText(p.errorCode, p.errorMessage)}\n`);
    }
  }
  if (succeeded.length > 0) io.out(`Successfully completed leader election (${label}) for partitions ${succeeded.join(', ')}\n`);
  if (noop.length > 0) io.out(`Valid replica already elected for partitions ${noop.join(', ')}\n`);
  if (failed.length > 0) {
    for (const line of failed) io.out(line);
    throw new ToolError(`Error: ${failed.length} replica(s) could not be elected`);
  }
  return 0;
}

function adminFor(a: { required(n: string): string; has(n: string): boolean }): Admin {
  const props = a.has('admin.config') ? loadProperties(a.required('admin.config')) : new Map<string, string>();
  return new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
}

export const leaderElectionTool: Tool = {
  spec: leaderElectionSpec,
  async run(a, io) {
    const missing = ['bootstrap-server', 'election-type'].filter((n) => !a.has(n));
    if (missing.length > 0) throw new UsageError(`Missing required option(s): ${missing.join(', ')}`);
    const chosen = ['topic', 'all-topic-partitions', 'path-to-json-file'].filter((n) => a.has(n));
    if (chosen.length !== 1) throw new UsageError('One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file');
    if (a.has('topic') && !a.has('partition')) throw new UsageError('Missing required option(s): partition');
    if (!a.has('topic') && a.has('partition')) throw new UsageError('Option partition is only allowed if topic is used');
    const typeText = a.required('election-type').toUpperCase();
    if (typeText !== 'PREFERRED' && typeText !== 'UNCLEAN') throw new UsageError(`Value for option election-type must be one of [PREFERRED, UNCLEAN], was ${a.required('election-type')}`);
    let partitions: Array<{ topic: string; partition: number }> | null = null;
    if (a.has('topic')) partitions = [{ topic: a.required('topic'), partition: a.int('partition')! }];
    else if (a.has('path-to-json-file')) partitions = readJson(a.required('path-to-json-file'));
    const admin = adminFor(a);
    try {
      return await elect(admin, typeText === 'PREFERRED' ? 0 : 1, partitions, io);
    } finally {
      await admin.close();
    }
  },
};

export const preferredReplicaElectionTool: Tool = {
  spec: preferredReplicaElectionSpec,
  async run(a, io) {
    a.checkRequired('bootstrap-server');
    const partitions = a.has('path-to-json-file') ? readJson(a.required('path-to-json-file')) : null;
    io.out('This tool is deprecated. Please use kafka-leader-election tool. Tracking issue: KAFKA-8405\n');
    const admin = adminFor(a);
    try {
      return await elect(admin, 0, partitions, io);
    } finally {
      await admin.close();
    }
  },
};
