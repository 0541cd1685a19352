/**
 * kafka-get-offsets (Kafka's GetOffsetShell): the offset for --time (latest, earliest,
 * max-timestamp or a timestamp) of every matching partition, printed `topic:partition:offset`.
 */
import { Admin } from '@samsa/client';
import { type ToolSpec, UsageError } from '../args.js';
import { tp } from '../format.js';
import { bootstrapList, clusterOptions, describeError, loadProperties, type Tool, ToolError } from '../tool.js';
import { includeList } from './topics.js';

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export const getOffsetsSpec: ToolSpec = {
  name: 'kafka-get-offsets',
  summary: 'An interactive shell for getting topic-partition offsets.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: HOST1:PORT1,...,HOST3:PORT3', description: 'REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.' },
    { name: 'topic-partitions', kind: 'value', metavar: 'String: topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3', description: "Comma separated list of topic-partition patterns to get the offsets for, with the format of '([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?'." },
    { name: 'topic', kind: 'value', metavar: 'String: topic', description: 'The topic to get the offsets for. It also accepts a regular expression. If not present, all authorized topics are queried. Cannot be used if --topic-partitions is present.' },
    { name: 'partitions', kind: 'value', metavar: 'String: partition ids', description: 'Comma separated list of partition ids to get the offsets for. If not present, all partitions of the authorized topics are queried. Cannot be used if --topic-partitions is present.' },
    { name: 'time', kind: 'value', metavar: 'String: <timestamp> / -1 or latest / -2 or earliest / -3 or max-timestamp', default: 'latest', description: 'timestamp of the offsets before that. [Note: No offset is returned, if the timestamp greater than recently committed record timestamp is given.]' },
    { name: 'command-config', kind: 'value', metavar: 'String: config file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'exclude-internal-topics', kind: 'flag', description: 'By default, internal topics are included. If specified, internal topics are excluded.' },
  ],
};

type Spec = 'earliest' | 'latest' | 'max-timestamp' | bigint;

export function parseOffsetSpec(s: string): Spec {
  switch (s) {
    case 'earliest':
    case 'latest':
    case 'max-timestamp':
      return s;
    case 'earliest-local':
    case 'latest-tiered':
    case 'earliest-pending-upload':
      throw new ToolError(`Error occurred: --time ${s} needs tiered storage, which Samsa does not have`);
  }
  if (!/^-?\d+$/.test(s.trim())) {
    throw new ToolError(`Error occurred: Malformed time argument ${s}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp, or a specified long format timestamp`);
  }
  const t = BigInt(s.trim());
  if (t === -1n) return 'latest';
  if (t === -2n) return 'earliest';
  if (t === -3n) return 'max-timestamp';
  if (t < 0n) throw new ToolError(`Error occurred: --time ${s} needs tiered storage, which Samsa does not have`);
  return t;
}

type Filter = (topic: string, partition: number) => boolean;

function patternListFilter(spec: string): { topic: (t: string) => boolean; tp: Filter } {
  const rules = spec.split(',').map((rule) => {
    const m = /^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$/.exec(rule);
    if (m === null) throw new ToolError(`Error occurred: Invalid rule specification: ${rule}`);
    const re = includeList(m[1] !== undefined && m[1] !== '' ? m[1] : '.*');
    let partOk: (p: number) => boolean;
    if (m[2] !== undefined && m[2] !== '') {
      const only = Number(m[2]);
      partOk = (p) => p === only;
    } else {
      const lo = m[3] !== undefined && m[3] !== '' ? Number(m[3]) : 0;
      const hi = m[4] !== undefined && m[4] !== '' ? Number(m[4]) : Number.MAX_SAFE_INTEGER;
      partOk = (p) => p >= lo && p < hi;
    }
    return { re, partOk };
  });
  return { topic: (t) => rules.some((r) => r.re.test(t)), tp: (t, p) => rules.some((r) => r.re.test(t) && r.partOk(p)) };
}

export const getOffsetsTool: Tool = {
  spec: getOffsetsSpec,
  async run(a, io) {
    a.checkRequired('bootstrap-server');
    if (a.has('topic-partitions') && (a.has('topic') || a.has('partitions'))) throw new ToolError('Error occurred: --topic-partitions cannot be used with --topic or --partitions');
    const spec = parseOffsetSpec(a.required('time'));
    let filter: { topic: (t: string) => boolean; tp: Filter };
    if (a.has('topic-partitions')) filter = patternListFilter(a.required('topic-partitions'));
    else {
      const re = includeList(a.value('topic') ?? '.*');
      const raw = a.value('partitions');
      let parts: Set<number> | null = null;
      if (raw !== undefined && raw !== '') {
        if (!raw.split(',').every((p) => /^\d+$/.test(p.trim()))) throw new ToolError(`Error occurred: --partitions expects a comma separated list of numeric partition ids, but received: ${raw}`);
        parts = new Set(raw.split(',').map((p) => Number(p.trim())));
      }
      const topicArg = a.value('topic');
      filter = { topic: (t) => t === topicArg || re.test(t), tp: (t, p) => (t === topicArg || re.test(t)) && (parts === null || parts.has(p)) };
    }
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    let servers: string[];
    try {
      servers = bootstrapList(a.required('bootstrap-server'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const admin = new Admin(clusterOptions(servers, props, 'GetOffsetShell'));
    try {
      const exclude = a.has('exclude-internal-topics');
      const topics = (await admin.listTopics({ includeInternal: !exclude })).filter((t) => filter.topic(t) && !(exclude && INTERNAL_TOPICS.has(t)));
      const described = topics.length === 0 ? [] : await admin.describeTopics({ topics });
      const tps = described.flatMap((d) => d.partitions.map((p) => ({ topic: d.name, partition: p.partition }))).filter((x) => filter.tp(x.topic, x.partition));
      if (tps.length === 0) throw new ToolError('Error occurred: Could not match any topic-partitions with the specified filters');
      const answers = await admin.listOffsets(tps.map((x) => ({ ...x, spec })));
      // Kafka sorts by TopicPartition.toString(): "t-10" before "t-2"
      const lines = answers.filter((r) => r.offset >= 0n).map((r) => ({ key: tp(r.topic, r.partition), line: `${r.topic}:${r.partition}:${r.offset}` }));
      lines.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      io.out(lines.map((l) => `${l.line}\n`).join(''));
      return 0;
    } catch (e) {
      if (e instanceof ToolError || e instanceof UsageError) throw e;
      io.err(`Error occurred: ${describeError(e)}\n`);
      return 1;
    } finally {
      await admin.close();
    }
  },
};
