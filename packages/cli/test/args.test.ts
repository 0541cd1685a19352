/**
 * The shared parser and the tools' argument errors: Kafka's messages, the usage, exit 1 — in
 * process through runTool, and once as a real process for the exit code.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseArgs, UsageError, type ToolSpec } from '../src/args.js';
import { parseConfigPairs } from '../src/commands/configs.js';
import { formatRecord, formatterConfig } from '../src/commands/console-consumer.js';
import { lineReaderConfig, parseLine } from '../src/commands/console-producer.js';
import { parseDateTime, parseDuration } from '../src/commands/consumer-groups.js';
import { parseOffsetJson } from '../src/commands/delete-records.js';
import { PerfStats } from '../src/commands/producer-perf-test.js';
import { type Io, parseProperties, runTool, ToolError } from '../src/tool.js';
import { TOOLS } from '../src/tools.js';
import { run } from './support.js';

function captureIo(input = ''): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (s) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString()),
    err: (s) => void (err += s),
    stdin: Readable.from([input]),
    stopSignal: new Promise(() => {}),
    stdout: () => out,
    stderr: () => err,
  };
}

async function runIn(tool: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runTool(TOOLS.get(tool)!, argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const spec: ToolSpec = {
  name: 't',
  summary: 's',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', description: '' },
    { name: 'topic', kind: 'value', description: '' },
    { name: 'config', kind: 'value', repeatable: true, description: '' },
    { name: 'from-beginning', kind: 'flag', description: '' },
    { name: 'producer-props', kind: 'values', description: '' },
    { name: 'state', kind: 'optional', description: '' },
    { name: 'time', kind: 'value', description: '', default: 'latest' },
  ],
};

test('parser: --name value, --name=value, aliases, repeats, nargs+, optional args, prefixes, negative numbers', () => {
  const a = parseArgs(spec, ['--broker-list', 'h:1', '--topic=t', '--config', 'a=1', '--config', 'b=2', '--producer-props', 'x=1', 'y=2', '--from', '--state', '--time', '-2']);
  assert.equal(a.value('bootstrap-server'), 'h:1');
  assert.equal(a.value('topic'), 't');
  assert.deepEqual(a.values('config'), ['a=1', 'b=2']);
  assert.deepEqual(a.values('producer-props'), ['x=1', 'y=2']);
  assert.ok(a.has('from-beginning'), 'unambiguous prefix');
  assert.ok(a.has('state'));
  assert.equal(a.value('state'), undefined);
  assert.equal(a.value('time'), '-2');
  assert.equal(parseArgs(spec, ['--topic', 'x']).value('time'), 'latest', 'default');
  assert.throws(() => parseArgs(spec, ['--topik', 'x']), { name: 'UsageError', message: 'topik is not a recognized option' });
  assert.throws(() => parseArgs(spec, ['--topic']), { message: 'Option topic requires an argument' });
  assert.throws(() => parseArgs(spec, ['--topic', '--from-beginning']), { message: 'Option topic requires an argument' });
  assert.throws(() => parseArgs(spec, ['stray']), /non-option argument 'stray'/);
  assert.throws(() => parseArgs(spec, ['--from-beginning=yes']), /does not take an argument/);
  assert.throws(() => parseArgs(spec, ['--topic', 'x']).checkRequired('bootstrap-server'), { message: 'Missing required argument "[bootstrap-server]"' });
  assert.throws(() => parseArgs(spec, ['--topic', 'x']).int('topic'), UsageError);
});

test('tools: unknown flag and missing arguments print Kafka\'s message and the usage, exit 1', async () => {
  const unknown = await runIn('topics', ['--bootstrap-server', 'localhost:9092', '--create', '--topik', 'x']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^topik is not a recognized option\n/);
  assert.match(unknown.stderr, /Usage: kafka-topics \[options\]\n/);
  assert.match(unknown.stderr, /--bootstrap-server, --broker-list <String: server to connect to>/);

  const noTopic = await runIn('console-producer', ['--bootstrap-server', 'localhost:9092']);
  assert.equal(noTopic.code, 1);
  assert.match(noTopic.stderr, /^Missing required argument "\[topic\]"\n/);

  const noAction = await runIn('topics', ['--bootstrap-server', 'localhost:9092', '--topic', 't']);
  assert.match(noAction.stderr, /^Command must include exactly one action: --list, --describe, --create, --alter or --delete/);

  const alterConfig = await runIn('topics', ['--bootstrap-server', 'localhost:9092', '--alter', '--topic', 't', '--config', 'a=b', '--partitions', '2']);
  assert.equal(alterConfig.code, 1);
  assert.match(alterConfig.stderr, /can't be used with option "\[alter\]" \(To alter topic configurations, the kafka-configs tool can be used\.\)/);

  const offsetNoPartition = await runIn('console-consumer', ['--bootstrap-server', 'localhost:9092', '--topic', 't', '--offset', '3']);
  assert.match(offsetNoPartition.stderr, /^The partition is required when offset is specified\./);
  const badOffset = await runIn('console-consumer', ['--bootstrap-server', 'localhost:9092', '--topic', 't', '--partition', '0', '--offset', 'soon']);
  assert.match(badOffset.stderr, /^The provided offset value 'soon' is incorrect\. Valid values are 'earliest', 'latest', or a non-negative long\./);
  const badNumber = await runIn('topics', ['--bootstrap-server', 'localhost:9092', '--create', '--topic', 't', '--partitions', 'three']);
  assert.match(badNumber.stderr, /^Cannot parse argument 'three' of option partitions/);

  const noGroup = await runIn('consumer-groups', ['--bootstrap-server', 'localhost:9092', '--describe']);
  assert.match(noGroup.stderr, /^Option \[describe\] takes one of these options: \[all-groups\], \[group\]/);
  const twoScenarios = await runIn('consumer-groups', ['--bootstrap-server', 'localhost:9092', '--reset-offsets', '--group', 'g', '--all-topics', '--to-earliest', '--to-latest']);
  assert.match(twoScenarios.stderr, /Option \[reset-offsets\] takes exactly one of these options/);
  const perf = await runIn('producer-perf-test', ['--topic', 't', '--num-records', '10', '--throughput', '-1', '--producer-props', 'bootstrap.servers=localhost:9092']);
  assert.match(perf.stderr, /one of the arguments --record-size --payload-file --payload-monotonic is required/);

  const help = await runIn('topics', ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stderr, /^This tool helps to create, delete, describe, or change a topic\./);
  const none = await runIn('dump-log', []);
  assert.equal(none.code, 1);
});

test('as processes: the exit code and stderr of a bad command line', async () => {
  const r = await run('kafka-console-consumer', ['--bootstrap-server', 'localhost:9092', '--nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^nosuch is not a recognized option\n/);
  assert.equal(r.stdout, '');
  const s = await run('samsa', ['no-such-tool']);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /Unknown command no-such-tool/);
  const missing = await run('samsa', ['kafka-topics.sh', '--list']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^--bootstrap-server must be specified/);
});

test('console producer lines: keys, headers, null marker, errors (LineMessageReader)', () => {
  const c = lineReaderConfig(new Map([['parse.key', 'true'], ['key.separator', ':'], ['parse.headers', 'true'], ['null.marker', 'NULL']]));
  const m = parseLine(c, 'h1:v1,h2:NULL\tk:value:with:colons', 1);
  assert.deepEqual(m, { key: 'k', value: 'value:with:colons', headers: [{ key: 'h1', value: 'v1' }, { key: 'h2', value: null }] });
  assert.deepEqual(parseLine(c, 'NULL\tNULL:NULL', 2), { key: null, value: null });
  assert.throws(() => parseLine(c, 'h:1\tnokey', 3), { message: "No key separator found on line number 3: 'h:1\tnokey'" });
  assert.throws(() => lineReaderConfig(new Map([['headers.delimiter', ','], ['headers.separator', ',']])), ToolError);
});

test('console consumer formatting (DefaultMessageFormatter)', () => {
  const msg = { topic: 't', partition: 2, offset: 7n, key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }], timestamp: 1700000000000n, timestampType: 0 };
  const all = formatterConfig(new Map([['print.timestamp', 'true'], ['print.partition', 'true'], ['print.offset', 'true'], ['print.headers', 'true'], ['print.key', 'true']]));
  assert.equal(formatRecord(all, msg).toString(), 'CreateTime:1700000000000\tPartition:2\tOffset:7\ta:1,b:null\tk\tv\n');
  const keyOnly = formatterConfig(new Map([['print.key', 'true'], ['print.value', 'false'], ['null.literal', '<none>']]));
  assert.equal(formatRecord(keyOnly, { ...msg, key: null }).toString(), '<none>\n');
  const longs = formatterConfig(new Map([['value.deserializer', 'org.apache.kafka.common.serialization.LongDeserializer']]));
  const eight = Buffer.alloc(8);
  eight.writeBigInt64BE(-5n);
  assert.equal(formatRecord(longs, { ...msg, value: eight }).toString(), '-5\n');
  assert.throws(() => formatRecord(longs, msg), /Size of data received by LongDeserializer is not 8/);
});

test('value parsers: durations, datetimes, config lists, offset JSON, properties', () => {
  assert.equal(parseDuration('PT1H'), 3600000);
  assert.equal(parseDuration('P1DT2M3.5S'), 86400000 + 120000 + 3500);
  assert.equal(parseDuration('-PT10S'), -10000);
  assert.throws(() => parseDuration('1h'), UsageError);
  assert.equal(parseDateTime('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05.678+02:00'), Date.UTC(2024, 0, 2, 1, 4, 5, 678));
  assert.equal(parseDateTime('2024-01-02T03:04:05'), new Date(2024, 0, 2, 3, 4, 5).getTime());
  assert.deepEqual(parseConfigPairs('a=1,b=[x,y],c=3'), [['a', '1'], ['b', 'x,y'], ['c', '3']]);
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":9007199254740993}],"version":1}'), [{ topic: 't', partition: 0, offset: 9007199254740993n }]);
  assert.throws(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}'), /duplicate topic partitions: t-0/);
  assert.throws(() => parseOffsetJson('{"version":2,"partitions":[]}'), /Not supported version field value 2/);
  assert.deepEqual([...parseProperties('# c\nbootstrap.servers = a:1,\\\n  b:2\nacks: all\nempty\n')], [['bootstrap.servers', 'a:1,b:2'], ['acks', 'all'], ['empty', '']]);
});

test('producer perf stats: window and total lines in Kafka\'s format', () => {
  const io = captureIo();
  const stats = new PerfStats(4, io, false, 0);
  const now = Date.now();
  for (const l of [3, 1, 4, 2]) stats.record(l, 100, now + 60_000);
  stats.printTotal();
  const out = io.stdout().split('\n').filter((l) => l !== '');
  assert.equal(out.length, 5);
  for (const l of out.slice(0, 4)) assert.match(l, /^1 records sent, (\d+\.\d|Infinity) records\/sec \((\d+\.\d\d|Infinity) MB\/sec\), \d\.0 ms avg latency, \d\.0 ms max latency\.$/);
  assert.match(out[4]!, /^4 records sent, (\d+\.\d{6}|Infinity) records\/sec \((\d+\.\d{2}|Infinity) MB\/sec\), 2\.50 ms avg latency, 4\.00 ms max latency, 3 ms 50th, 4 ms 95th, 4 ms 99th, 4 ms 99\.9th\.$/);
});

test('parser: a comma list split by the shell after its commas (as tutorials write it) is joined back', () => {
  const a = parseArgs(spec, ['--bootstrap-server', 'localhost:9092,', 'localhost:9093,', 'localhost:9094', '--topic', 't']);
  assert.equal(a.value('bootstrap-server'), 'localhost:9092,localhost:9093,localhost:9094');
  assert.equal(a.value('topic'), 't');
  // A value not ending in a comma takes no further words.
  assert.throws(() => parseArgs(spec, ['--bootstrap-server', 'localhost:9092', 'localhost:9093']), UsageError);
});
