/**
 * kafka-delete-records: moves partitions' log start offsets up to the offsets in Kafka's JSON
 * file format ({"partitions": [{"topic": "t", "partition": 0, "offset": 3}], "version": 1};
 * offset -1 = the high watermark) and prints each partition's new low watermark.
 */
import { readFileSync } from 'node:fs';
import { Admin } from '@samsa/client';
import type { ToolSpec } from '../args.js';
import { tp } from '../format.js';
import { bootstrapList, clusterOptions, describeError, loadProperties, type Tool, ToolError } from '../tool.js';

export const deleteRecordsSpec: ToolSpec = {
  name: 'kafka-delete-records',
  summary: 'This tool helps to delete records of the given partitions down to the specified offset.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: server(s) to use for bootstrapping', description: 'REQUIRED: The server to connect to.' },
    { name: 'offset-json-file', kind: 'value', metavar: 'String: Offset json file path', description: 'REQUIRED: The JSON file with offset per partition. The format to use is: {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version":1}' },
    { name: 'command-config', kind: 'value', metavar: 'String: command config property file path', description: 'A property file containing configs to be passed to Admin Client.' },
  ],
};

export function parseOffsetJson(text: string): Array<{ topic: string; partition: number; offset: bigint }> {
  let js: unknown;
  try {
    // offsets are longs: read them as text so values past 2^53 stay exact
    js = JSON.parse(text.replace(/("offset"\s*:\s*)(-?\d+)/g, '$1"$2"'));
  } catch {
    throw new ToolError('The input string is not a valid JSON');
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw new ToolError('The input string is not a valid JSON');
  const o = js as { version?: unknown; partitions?: unknown };
  const version = o.version === undefined ? 1 : o.version;
  if (version !== 1) throw new ToolError(`Not supported version field value ${String(version)}`);
  if (!Array.isArray(o.partitions)) throw new ToolError('Missing partitions field');
  const out: Array<{ topic: string; partition: number; offset: bigint }> = [];
  const seen = new Map<string, number>();
  for (const p of o.partitions as Array<Record<string, unknown>>) {
    const topic = p.topic;
    const partition = p.partition;
    const offset = p.offset;
    if (typeof topic !== 'string') throw new ToolError(`Expected a string for "topic" in ${JSON.stringify(p)}`);
    if (typeof partition !== 'number' || !Number.isInteger(partition)) throw new ToolError(`Expected an int for "partition" in ${JSON.stringify(p)}`);
    if (typeof offset !== 'string') throw new ToolError(`Expected a long for "offset" in ${JSON.stringify(p)}`);
    seen.set(tp(topic, partition), (seen.get(tp(topic, partition)) ?? 0) + 1);
    out.push({ topic, partition, offset: BigInt(offset) });
  }
  const dups = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  if (dups.length > 0) throw new ToolError(`Offset json file contains duplicate topic partitions: ${dups.join(',')}`);
  return out;
}

export const deleteRecordsTool: Tool = {
  spec: deleteRecordsSpec,
  async run(a, io) {
    a.checkRequired('bootstrap-server', 'offset-json-file');
    let text: string;
    try {
      text = readFileSync(a.required('offset-json-file'), 'utf8');
    } catch (e) {
      throw new ToolError(`Unable to read ${a.required('offset-json-file')}: ${(e as Error).message}`);
    }
    const records = parseOffsetJson(text);
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    try {
      io.out('Executing records delete operation\n');
      const known = await admin.listTopics({ includeInternal: true });
      const topics = [...new Set(records.map((r) => r.topic))].filter((t) => known.includes(t));
      const described = topics.length === 0 ? [] : await admin.describeTopics({ topics });
      const exists = (r: { topic: string; partition: number }): boolean => described.some((d) => d.name === r.topic && d.partitions.some((p) => p.partition === r.partition));
      const results = await Promise.all(records.map(async (r) => {
        if (!exists(r)) return `partition: ${tp(r.topic, r.partition)}\terror: UNKNOWN_TOPIC_OR_PARTITION (3): This server does not host this topic-partition.\n`;
        try {
          const [res] = await admin.deleteRecords([r]);
          return `partition: ${tp(r.topic, r.partition)}\tlow_watermark: ${res!.lowWatermark}\n`;
        } catch (e) {
          return `partition: ${tp(r.topic, r.partition)}\terror: ${describeError(e)}\n`;
        }
      }));
      io.out('Records delete operation completed:\n');
      io.out(results.join(''));
      return results.some((l) => l.includes('\terror: ')) ? 1 : 0;
    } finally {
      await admin.close();
    }
  },
};
