/**
 * kafka-reassign-partitions: --generate (a proposal from --topics-to-move-json-file and
 * --broker-list), --execute (AlterPartitionReassignments, with --throttle setting Kafka's
 * replication throttles), --verify (status per partition; removes the throttles once nothing
 * is moving), --cancel and --list, with Kafka's JSON formats and output lines. "log_dirs"
 * entries other than "any" move replicas between log directories of their broker
 * (AlterReplicaLogDirs, throttled by --replica-alter-log-dirs-throttle); --verify reports them
 * from DescribeLogDirs.
 */
import { readFileSync } from 'node:fs';
import { assignReplicas } from '@samsa/broker';
import { Admin, AlterConfigOp, ConfigResourceType, type Connection } from '@samsa/client';
import { apiByName, ErrorCode, errorByCode } from '@samsa/protocol';
import { UsageError, type ToolSpec } from '../args.js';
import { sendToController } from '../controller-request.js';
import { tp } from '../format.js';
import { bootstrapList, clusterOptions, loadProperties, type Tool, ToolError } from '../tool.js';

export const reassignPartitionsSpec: ToolSpec = {
  name: 'kafka-reassign-partitions',
  summary: 'This tool helps to move topic partitions between replicas.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: Server(s) to use for bootstrapping', description: 'REQUIRED: the server(s) to use for bootstrapping.' },
    { name: 'command-config', kind: 'value', metavar: 'String: Admin client property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'generate', kind: 'flag', description: 'Generate a candidate partition reassignment configuration. Note that this only generates a candidate assignment, it does not execute it.' },
    { name: 'execute', kind: 'flag', description: 'Kick off the reassignment as specified by the --reassignment-json-file option.' },
    { name: 'verify', kind: 'flag', description: 'Verify if the reassignment completed as specified by the --reassignment-json-file option. If there is a throttle engaged for the replicas specified, and the rebalance has completed, the throttle will be removed' },
    { name: 'cancel', kind: 'flag', description: 'Cancel an active reassignment.' },
    { name: 'list', kind: 'flag', description: 'List all active partition reassignments.' },
    { name: 'reassignment-json-file', kind: 'value', metavar: 'String: manual assignment json file path', description: 'The JSON file with the partition reassignment configuration. The format to use is - {"partitions": [{"topic": "foo", "partition": 1, "replicas": [1,2,3], "log_dirs": ["dir1","dir2","dir3"]}], "version":1}' },
    { name: 'topics-to-move-json-file', kind: 'value', metavar: 'String: topics to reassign json file path', description: 'Generate a reassignment configuration to move the partitions of the specified topics to the list of brokers specified by the --broker-list option. The format to use is - {"topics": [{"topic": "foo"},{"topic": "foo1"}], "version":1}' },
    { name: 'broker-list', kind: 'value', metavar: 'String: brokerlist', description: 'The list of brokers to which the partitions need to be reassigned in the form "0,1,2". This is required if --topics-to-move-json-file is used to generate reassignment configuration' },
    { name: 'disable-rack-aware', kind: 'flag', description: 'Disable rack aware replica assignment' },
    { name: 'throttle', kind: 'value', metavar: 'Long: throttle', default: '-1', description: 'The movement of partitions between brokers will be throttled to this value (bytes/sec). This option can be included with --execute when a reassignment is started, and it can be altered by resubmitting the current reassignment along with the --additional flag. The throttle rate should be at least 1 KB/s.' },
    { name: 'replica-alter-log-dirs-throttle', kind: 'value', metavar: 'Long: replicaAlterLogDirsThrottle', default: '-1', description: 'The movement of replicas between log directories on the same broker will be throttled to this value (bytes/sec).' },
    { name: 'timeout', kind: 'value', metavar: 'Long: timeout', default: '10000', description: 'The maximum time in ms to wait for log directory replica assignment to begin.' },
    { name: 'additional', kind: 'flag', description: 'Execute this reassignment in addition to any other ongoing ones. This option can also be used to change the throttle of an ongoing reassignment.' },
    { name: 'preserve-throttles', kind: 'flag', description: 'Do not modify broker or topic throttles.' },
  ],
};

type Assignment = Map<string, number[]>; // "topic-partition" -> replicas
interface Part { topic: string; partition: number }

const key = (p: Part): string => tp(p.topic, p.partition);
function compareParts(a: Part, b: Part): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}

function parseJson(text: string): Record<string, unknown> {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    throw new ToolError('The input string is not a valid JSON');
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw new ToolError('The input string is not a valid JSON');
  return js as Record<string, unknown>;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ToolError(`Unable to read ${path}: ${(e as Error).message}`);
  }
}

/** Kafka's reassignment JSON: {"version":1,"partitions":[{"topic","partition","replicas","log_dirs"}]}. */
export function parseReassignmentJson(text: string): Array<Part & { replicas: number[]; logDirs?: string[] }> {
  const js = parseJson(text);
  const version = js.version ?? 1;
  if (version !== 1) throw new ToolError(`Not supported version field value ${String(version)}`);
  if (!Array.isArray(js.partitions)) throw new ToolError('Missing partitions field');
  const out: Array<Part & { replicas: number[] }> = [];
  for (const p of js.partitions as Array<Record<string, unknown>>) {
    if (typeof p?.topic !== 'string') throw new ToolError(`Expected a string for "topic" in ${JSON.stringify(p)}`);
    if (typeof p.partition !== 'number' || !Number.isInteger(p.partition)) throw new ToolError(`Expected an int for "partition" in ${JSON.stringify(p)}`);
    if (!Array.isArray(p.replicas) || !p.replicas.every((r) => Number.isInteger(r))) throw new ToolError(`Expected an array of ints for "replicas" in ${JSON.stringify(p)}`);
    const logDirs = p.log_dirs;
    if (Array.isArray(logDirs) && logDirs.length !== p.replicas.length) {
      throw new ToolError(`Size of replicas list ${JSON.stringify(p.replicas)} is different from size of log dirs list ${JSON.stringify(logDirs)} for partition ${tp(p.topic, p.partition)}`);
    }
    if (Array.isArray(logDirs) && !logDirs.every((d) => typeof d === 'string')) throw new ToolError(`Expected an array of strings for "log_dirs" in ${JSON.stringify(p)}`);
    out.push({ topic: p.topic, partition: p.partition, replicas: p.replicas as number[], ...(Array.isArray(logDirs) ? { logDirs: logDirs as string[] } : {}) });
  }
  if (out.length === 0) throw new ToolError('Partition reassignment list cannot be empty');
  const keys = out.map(key);
  const dupParts = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (dupParts.length > 0) throw new ToolError(`Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`);
  const dupReplicas = out.filter((p) => new Set(p.replicas).size !== p.replicas.length);
  if (dupReplicas.length > 0) {
    throw new ToolError(`Partition replica lists may not contain duplicate entries: ${dupReplicas.map((p) => `${key(p)} contains multiple entries for ${p.replicas.filter((r, i) => p.replicas.indexOf(r) !== i).join(',')}`).join('. ')}`);
  }
  return out;
}

/** A replica to move to a log dir of its broker (Kafka's TopicPartitionReplica -> dir). */
interface ReplicaMove extends Part { broker: number; logDir: string }

/** Kafka's TopicPartitionReplica.toString. */
const replicaName = (r: ReplicaMove): string => `${r.topic}-${r.partition}-${r.broker}`;
function compareReplicas(a: ReplicaMove, b: ReplicaMove): number {
  return a.broker !== b.broker ? a.broker - b.broker : compareParts(a, b);
}

/** The "log_dirs" entries other than "any", as Kafka's parsePartitionReassignmentData collects them. */
export function replicaMoves(parts: ReadonlyArray<Part & { replicas: number[]; logDirs?: string[] }>): ReplicaMove[] {
  const out: ReplicaMove[] = [];
  for (const p of parts) p.logDirs?.forEach((logDir, i) => {
    if (logDir !== 'any') out.push({ topic: p.topic, partition: p.partition, broker: p.replicas[i]!, logDir });
  });
  return out;
}

/** Kafka's formatAsReassignmentJson, partitions in topic-partition order. */
export function formatReassignmentJson(parts: ReadonlyArray<Part & { replicas: number[] }>): string {
  const sorted = [...parts].sort(compareParts);
  return JSON.stringify({ version: 1, partitions: sorted.map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.replicas.map(() => 'any') })) });
}

function exceptionText(code: number, message: string | null): string {
  return message ?? errorByCode(code)?.name ?? String(code);
}

class ReassignClient {
  constructor(readonly admin: Admin) {}

  /** A controller-served request; a top-level error fails the tool. */
  async toController<T extends { errorCode: number; errorMessage: string | null }>(send: (conn: Connection) => Promise<T>): Promise<T> {
    const res = await sendToController(this.admin, send);
    if (res.errorCode !== ErrorCode.NONE) throw new ToolError(`Error: ${exceptionText(res.errorCode, res.errorMessage)}`);
    return res;
  }

  async list(): Promise<Map<string, Part & { replicas: number[]; adding: number[]; removing: number[] }>> {
    const res = await this.toController(async (conn) => (await conn.send(apiByName.ListPartitionReassignments, () => ({ timeoutMs: 30000, topics: null }))).response);
    const out = new Map<string, Part & { replicas: number[]; adding: number[]; removing: number[] }>();
    for (const t of res.topics) for (const p of t.partitions) out.set(tp(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas });
    return out;
  }

  /** Returns "topic-partition: message" for each failed partition. */
  async alter(items: ReadonlyArray<Part & { replicas: number[] | null }>): Promise<string[]> {
    const byTopic = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
    for (const i of items) byTopic.set(i.topic, [...(byTopic.get(i.topic) ?? []), { partitionIndex: i.partition, replicas: i.replicas }]);
    const res = await this.toController(async (conn) => (await conn.send(apiByName.AlterPartitionReassignments, () => ({ timeoutMs: 30000, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }))).response);
    const errors: Array<Part & { text: string }> = [];
    for (const t of res.responses) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) errors.push({ topic: t.name, partition: p.partitionIndex, text: exceptionText(p.errorCode, p.errorMessage) });
    return errors.sort(compareParts).map((e) => `${key(e)}: ${e.text}`);
  }

  /**
   * AlterReplicaLogDirs to each replica's broker; returns the moves started. REPLICA_NOT_AVAILABLE
   * (the replica is not on its broker yet) leaves a move pending; other errors fail the tool.
   */
  async alterReplicaLogDirs(moves: readonly ReplicaMove[]): Promise<ReplicaMove[]> {
    const byBroker = new Map<number, ReplicaMove[]>();
    for (const m of moves) byBroker.set(m.broker, [...(byBroker.get(m.broker) ?? []), m]);
    const started: ReplicaMove[] = [];
    for (const [broker, list] of byBroker) {
      const dirs = new Map<string, Map<string, number[]>>();
      for (const m of list) {
        const topics = dirs.get(m.logDir) ?? new Map<string, number[]>();
        topics.set(m.topic, [...(topics.get(m.topic) ?? []), m.partition]);
        dirs.set(m.logDir, topics);
      }
      const conn = this.admin.cluster.broker(broker);
      await conn.connect();
      const { response } = await conn.send(apiByName.AlterReplicaLogDirs, () => ({
        dirs: [...dirs].map(([path, topics]) => ({ path, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) })),
      }));
      for (const t of response.results) {
        for (const p of t.partitions) {
          const move = list.find((m) => m.topic === t.topicName && m.partition === p.partitionIndex)!;
          if (p.errorCode === ErrorCode.NONE) started.push(move);
          else if (p.errorCode !== ErrorCode.REPLICA_NOT_AVAILABLE) {
            throw new ToolError(`Error: org.apache.kafka.common.errors.AdminCommandFailedException: Failed to alter dir for ${replicaName(move)}: ${exceptionText(p.errorCode, null)}`);
          }
        }
      }
    }
    return started;
  }

  /** Kafka's describeReplicaLogDirs: each replica's current and future log dir (DescribeLogDirs to its broker). */
  async replicaLogDirs(replicas: readonly ReplicaMove[]): Promise<Map<string, { current: string | null; future: string | null }>> {
    const out = new Map<string, { current: string | null; future: string | null }>();
    for (const broker of new Set(replicas.map((r) => r.broker))) {
      const mine = replicas.filter((r) => r.broker === broker);
      const topics = new Map<string, number[]>();
      for (const r of mine) topics.set(r.topic, [...(topics.get(r.topic) ?? []), r.partition]);
      const conn = this.admin.cluster.broker(broker);
      await conn.connect();
      const { response } = await conn.send(apiByName.DescribeLogDirs, () => ({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }));
      for (const r of mine) out.set(replicaName(r), { current: null, future: null });
      for (const d of response.results) {
        if (d.errorCode !== ErrorCode.NONE) continue;
        for (const t of d.topics) for (const p of t.partitions) {
          const info = out.get(`${t.name}-${p.partitionIndex}-${broker}`);
          if (info === undefined) continue;
          if (p.isFutureKey) info.future = d.logDir;
          else info.current = d.logDir;
        }
      }
    }
    return out;
  }

  async currentReplicas(topics: readonly string[]): Promise<Assignment> {
    const known = new Set(await this.admin.listTopics({ includeInternal: true }));
    const missing = topics.filter((t) => !known.has(t));
    if (missing.length > 0) throw new ToolError(`Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic ${missing[0]} not found.`);
    const out: Assignment = new Map();
    if (topics.length === 0) return out;
    for (const d of await this.admin.describeTopics({ topics: [...new Set(topics)] })) for (const p of d.partitions) out.set(tp(d.name, p.partition), p.replicas);
    return out;
  }

  async brokerIds(): Promise<Array<{ id: number; rack: string | null }>> {
    return (await this.admin.describeCluster()).brokers.map((b) => ({ id: b.nodeId, rack: b.rack }));
  }

  /** IncrementalAlterConfigs; a broker's own configs go to that broker, as Kafka's admin client sends them. */
  async alterConfigs(type: number, names: readonly string[], configs: Array<{ name: string; value: string | null }>): Promise<void> {
    const resource = (name: string) => ({ resourceType: type, resourceName: name, configs: configs.map((c) => ({ name: c.name, value: c.value, configOperation: c.value === null ? AlterConfigOp.DELETE : AlterConfigOp.SET })) });
    if (type !== ConfigResourceType.BROKER) {
      if (names.length > 0) await this.admin.incrementalAlterConfigs({ resources: names.map((name) => ({ type, name, configs: resource(name).configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation })) })) });
      return;
    }
    await Promise.all(names.map(async (name) => {
      const conn = this.admin.cluster.broker(Number(name));
      await conn.connect();
      const { response } = await conn.send(apiByName.IncrementalAlterConfigs, () => ({ resources: [resource(name)], validateOnly: false }));
      for (const r of response.responses) if (r.errorCode !== ErrorCode.NONE) throw new ToolError(`Error: ${exceptionText(r.errorCode, r.errorMessage)}`);
    }));
  }
}

const BROKER_THROTTLES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
const TOPIC_THROTTLES = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

async function generate(c: ReassignClient, topicsJson: string, brokerList: string, rackAware: boolean, out: (s: string) => void): Promise<void> {
  const brokers = brokerList.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n)) throw new ToolError(`Error: For input string: "${s}"`);
    return n;
  });
  const dupBrokers = [...new Set(brokers.filter((b, i) => brokers.indexOf(b) !== i))];
  if (dupBrokers.length > 0) throw new ToolError(`Broker list contains duplicate entries: ${dupBrokers.join(',')}`);
  const js = parseJson(topicsJson);
  if (!Array.isArray(js.topics)) throw new ToolError('Missing topics field');
  const topics = (js.topics as Array<Record<string, unknown>>).map((t) => {
    if (typeof t?.topic !== 'string') throw new ToolError(`Expected a string for "topic" in ${JSON.stringify(t)}`);
    return t.topic;
  });
  const dupTopics = [...new Set(topics.filter((t, i) => topics.indexOf(t) !== i))];
  if (dupTopics.length > 0) throw new ToolError(`List of topics to reassign contains duplicate entries: ${dupTopics.join(',')}`);
  const current = await c.currentReplicas(topics);
  const live = (await c.brokerIds()).filter((b) => brokers.includes(b.id));
  const racked = live.filter((b) => b.rack !== null).length;
  if (rackAware && racked !== 0 && racked !== live.length) {
    throw new ToolError('Error: Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.');
  }
  const currentParts: Array<Part & { replicas: number[] }> = [];
  const proposed: Array<Part & { replicas: number[] }> = [];
  for (const topic of [...new Set(topics)].sort()) {
    const parts = [...current].filter(([k]) => k.startsWith(`${topic}-`) && /^\d+$/.test(k.slice(topic.length + 1))).map(([k, replicas]) => ({ topic, partition: Number(k.slice(topic.length + 1)), replicas }));
    currentParts.push(...parts);
    const rf = parts[0]?.replicas.length ?? 1;
    let plan: number[][];
    try {
      plan = assignReplicas(live.map((b) => ({ id: b.id, rack: rackAware ? b.rack : null })), parts.length, rf);
    } catch (e) {
      throw new ToolError(`Error: ${(e as Error).message}`);
    }
    plan.forEach((replicas, partition) => proposed.push({ topic, partition, replicas }));
  }
  out(`Current partition replica assignment\n${formatReassignmentJson(currentParts)}\n\n`);
  out(`Proposed partition reassignment configuration\n${formatReassignmentJson(proposed)}\n`);
}

async function execute(c: ReassignClient, json: string, additional: boolean, throttle: number, logDirThrottle: number, timeoutMs: number, out: (s: string) => void): Promise<void> {
  const proposed = parseReassignmentJson(json);
  const moves = replicaMoves(proposed);
  const ongoing = await c.list();
  if (ongoing.size > 0 && !additional) {
    throw new ToolError('Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.');
  }
  const live = new Set((await c.brokerIds()).map((b) => b.id));
  for (const p of proposed) for (const r of p.replicas) if (!live.has(r)) throw new ToolError(`Unknown broker id ${r}`);
  const current = await c.currentReplicas(proposed.map((p) => p.topic));
  const unknown = proposed.find((p) => !current.has(key(p)));
  if (unknown !== undefined) throw new ToolError(`Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: ${key(unknown)}`);
  const currentParts = proposed.map((p) => ({ ...p, replicas: current.get(key(p))! }));
  out(`Current partition replica assignment\n\n${formatReassignmentJson(currentParts)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (throttle >= 0 || logDirThrottle >= 0) out('Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n');
  if (throttle >= 0) {
    // Kafka's move map: sources (the current replicas, or the ongoing reassignment's original ones) lead, destinations follow.
    const leaders = new Map<string, string[]>();
    const followers = new Map<string, string[]>();
    const brokers = new Set<number>();
    for (const p of proposed) {
      const ongoingOne = ongoing.get(key(p));
      const sources = ongoingOne !== undefined ? ongoingOne.replicas.filter((r) => !ongoingOne.adding.includes(r)) : current.get(key(p))!;
      const destinations = p.replicas.filter((r) => !sources.includes(r));
      for (const s of sources) leaders.set(p.topic, [...(leaders.get(p.topic) ?? []), `${p.partition}:${s}`]);
      for (const d of destinations) followers.set(p.topic, [...(followers.get(p.topic) ?? []), `${p.partition}:${d}`]);
      for (const b of [...sources, ...destinations]) brokers.add(b);
    }
    for (const topic of new Set(proposed.map((p) => p.topic))) {
      await c.alterConfigs(ConfigResourceType.TOPIC, [topic], [
        { name: 'leader.replication.throttled.replicas', value: (leaders.get(topic) ?? []).join(',') },
        { name: 'follower.replication.throttled.replicas', value: (followers.get(topic) ?? []).join(',') },
      ]);
    }
    await c.alterConfigs(ConfigResourceType.BROKER, [...brokers].sort((a, b) => a - b).map(String), [
      { name: 'leader.replication.throttled.rate', value: String(throttle) },
      { name: 'follower.replication.throttled.rate', value: String(throttle) },
    ]);
    out(`The inter-broker throttle limit was set to ${throttle} B/s\n`);
  }
  if (logDirThrottle >= 0) {
    const movingBrokers = [...new Set(moves.map((m) => m.broker))].sort((a, b) => a - b).map(String);
    await c.alterConfigs(ConfigResourceType.BROKER, movingBrokers, [{ name: 'replica.alter.log.dirs.io.max.bytes.per.second', value: String(logDirThrottle) }]);
    out(`The replica-alter-dir throttle limit was set to ${logDirThrottle} B/s\n`);
  }
  const errors = await c.alter(proposed);
  if (errors.length > 0) throw new ToolError(`Error reassigning partition(s):\n${errors.join('\n')}`);
  out(`Successfully started partition reassignment${proposed.length === 1 ? '' : 's'} for ${[...proposed].sort(compareParts).map(key).join(',')}\n`);
  if (moves.length > 0) await executeMoves(c, moves, timeoutMs, out);
}

/**
 * Kafka's executeMoves: AlterReplicaLogDirs until every move started; a replica not yet on its
 * new broker (REPLICA_NOT_AVAILABLE) is retried every 100 ms until --timeout.
 */
async function executeMoves(c: ReassignClient, moves: readonly ReplicaMove[], timeoutMs: number, out: (s: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...moves];
  for (;;) {
    const started = await c.alterReplicaLogDirs(pending);
    if (started.length > 0) out(`Successfully started log directory move${started.length === 1 ? '' : 's'} for: ${[...started].sort(compareReplicas).map(replicaName).join(',')}\n`);
    pending = pending.filter((m) => !started.includes(m));
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      throw new ToolError(`Timed out before log directory move${pending.length === 1 ? '' : 's'} could be started for: ${pending.sort(compareReplicas).map(replicaName).join(',')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kafka's replicaMoveStatesToString lines; `done` when every move completed. */
async function verifyReplicaMoves(c: ReassignClient, moves: readonly ReplicaMove[]): Promise<{ lines: string[]; done: boolean }> {
  const infos = await c.replicaLogDirs(moves);
  const lines: string[] = [];
  let done = true;
  for (const m of [...moves].sort(compareReplicas)) {
    const info = infos.get(replicaName(m));
    const where = `Partition ${key(m)}`;
    if (info === undefined) lines.push(`${where} cannot be found in any live log directory on broker ${m.broker}.`);
    else if (info.current === null) lines.push(`${where} is not found in any live log dir on broker ${m.broker}. There is likely an offline log directory on the broker.`);
    else if (info.future === null) {
      if (info.current === m.logDir) {
        lines.push(`Reassignment of replica ${replicaName(m)} completed successfully.`);
        continue;
      }
      lines.push(`${where} on broker ${m.broker} is not being moved from log dir ${info.current} to ${m.logDir}.`);
    } else if (info.future === m.logDir) lines.push(`Reassignment of replica ${replicaName(m)} is still in progress.`);
    else lines.push(`${where} on broker ${m.broker} is being moved to log dir ${info.future} instead of ${m.logDir}.`);
    done = false;
  }
  return { lines, done };
}

/** Prints each partition's state; returns whether any reassignment is still going on. */
async function verify(c: ReassignClient, json: string, preserveThrottles: boolean, out: (s: string) => void): Promise<boolean> {
  const targets = parseReassignmentJson(json);
  const ongoing = await c.list();
  const current = await c.currentReplicas([...new Set(targets.map((t) => t.topic))]).catch(() => new Map<string, number[]>());
  const lines = ['Status of partition reassignment:'];
  for (const t of [...targets].sort(compareParts)) {
    if (ongoing.has(key(t))) lines.push(`Reassignment of partition ${key(t)} is still in progress.`);
    else {
      const cur = current.get(key(t)) ?? [];
      if (cur.length === t.replicas.length && cur.every((r, i) => r === t.replicas[i])) lines.push(`Reassignment of partition ${key(t)} is completed.`);
      else lines.push(`There is no active reassignment of partition ${key(t)}, but replica set is ${cur.join(',')} rather than ${t.replicas.join(',')}.`);
    }
  }
  out(lines.join('\n') + '\n');
  const moves = replicaMoves(targets);
  const moveState = moves.length > 0 ? await verifyReplicaMoves(c, moves) : { lines: [], done: true };
  if (moveState.lines.length > 0) out(moveState.lines.join('\n') + '\n');
  if (ongoing.size === 0 && moveState.done && !preserveThrottles) await clearThrottles(c, targets, out);
  return ongoing.size > 0 || !moveState.done;
}

async function clearThrottles(c: ReassignClient, targets: ReadonlyArray<Part & { replicas: number[] }>, out: (s: string) => void): Promise<void> {
  const brokers = new Set((await c.brokerIds()).map((b) => b.id));
  for (const t of targets) for (const r of t.replicas) brokers.add(r);
  const live = new Set((await c.brokerIds()).map((b) => b.id));
  out(`Clearing broker-level throttles on broker${brokers.size === 1 ? '' : 's'} ${[...brokers].join(',')}\n`);
  await c.alterConfigs(ConfigResourceType.BROKER, [...brokers].filter((b) => live.has(b)).map(String), BROKER_THROTTLES.map((name) => ({ name, value: null })));
  const topics = [...new Set(targets.map((t) => t.topic))];
  out(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  await c.alterConfigs(ConfigResourceType.TOPIC, topics, TOPIC_THROTTLES.map((name) => ({ name, value: null })));
}

async function cancel(c: ReassignClient, json: string, preserveThrottles: boolean, out: (s: string) => void): Promise<void> {
  const targets = parseReassignmentJson(json);
  const ongoing = await c.list();
  const active = targets.filter((t) => ongoing.has(key(t))).sort(compareParts);
  if (active.length > 0) {
    const errors = await c.alter(active.map((t) => ({ topic: t.topic, partition: t.partition, replicas: null })));
    if (errors.length > 0) throw new ToolError(`Error cancelling partition reassignment${active.length === 1 ? '' : 's'} for:\n${errors.join('\n')}`);
    out(`Successfully cancelled partition reassignment${active.length === 1 ? '' : 's'} for: ${active.map(key).join(',')}\n`);
  } else {
    out('None of the specified partition reassignments are active.\n');
  }
  if (!preserveThrottles) await clearThrottles(c, targets, out);
}

async function list(c: ReassignClient, out: (s: string) => void): Promise<void> {
  const ongoing = [...(await c.list()).values()].sort(compareParts);
  if (ongoing.length === 0) {
    out('No partition reassignments found.\n');
    return;
  }
  out('Current partition reassignments:\n');
  for (const r of ongoing) {
    out(`${key(r)}: replicas: ${r.replicas.join(',')}.${r.adding.length > 0 ? ` adding: ${r.adding.join(',')}.` : ''}${r.removing.length > 0 ? ` removing: ${r.removing.join(',')}.` : ''}\n`);
  }
}

export const reassignPartitionsTool: Tool = {
  spec: reassignPartitionsSpec,
  async run(a, io) {
    const actions = ['generate', 'execute', 'verify', 'cancel', 'list'].filter((n) => a.has(n));
    if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --generate, --execute, --verify, --cancel, --list');
    const action = actions[0]!;
    if (!a.has('bootstrap-server')) throw new UsageError('Please specify --bootstrap-server');
    if (['execute', 'verify', 'cancel'].includes(action) && !a.has('reassignment-json-file')) throw new UsageError(`Missing required argument "[reassignment-json-file]"`);
    if (action === 'generate' && !(a.has('topics-to-move-json-file') && a.has('broker-list'))) throw new UsageError('Missing required argument "[topics-to-move-json-file]"');
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'reassign-partitions-tool'));
    const c = new ReassignClient(admin);
    const out = (s: string) => io.out(s);
    try {
      switch (action) {
        case 'generate':
          await generate(c, readText(a.required('topics-to-move-json-file')), a.required('broker-list'), !a.has('disable-rack-aware'), out);
          return 0;
        case 'execute': {
          const throttle = Number(a.value('throttle') ?? '-1');
          const logDirThrottle = Number(a.value('replica-alter-log-dirs-throttle') ?? '-1');
          const timeoutMs = Number(a.value('timeout') ?? '10000');
          await execute(c, readText(a.required('reassignment-json-file')), a.has('additional'), throttle, logDirThrottle, timeoutMs, out);
          return 0;
        }
        case 'verify':
          await verify(c, readText(a.required('reassignment-json-file')), a.has('preserve-throttles'), out);
          return 0;
        case 'cancel':
          await cancel(c, readText(a.required('reassignment-json-file')), a.has('preserve-throttles'), out);
          return 0;
        default:
          await list(c, out);
          return 0;
      }
    } finally {
      await admin.close();
    }
  },
};
