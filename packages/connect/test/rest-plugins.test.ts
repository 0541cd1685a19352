// A worker in this process (startConnect): the REST API's paths, codes and error JSON, plugins
// from plugin.path and by npm package name, a TypeScript-API connector with a custom
// transformation, topics.regex, and errors.tolerance with the dead letter queue's context headers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { Consumer, type ConsumedMessage, Producer } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { type RunningConnect, startConnect } from '../src/index.js';
import { linesOf, rest, waitFor } from './support.js';

let broker: TestBroker;
let dir: string;
let connect: RunningConnect;
let url: string;
let producer: Producer;

const apiUrl = pathToFileURL(join(import.meta.dirname, '..', 'src', 'index.js')).href;
const PLUGIN = `
import { SourceConnector, SourceTask, SinkConnector, SinkTask, RetriableException, Schemas } from ${JSON.stringify(apiUrl)};
import { appendFileSync } from 'node:fs';
export class FlakySink extends SinkConnector {
  version() { return '1.0.0'; }
  start(props) { this.props = props; }
  taskClass() { return FlakyTask; }
  taskConfigs(n) { return [{ ...this.props }]; }
  stop() {}
}
class FlakyTask extends SinkTask {
  version() { return '1.0.0'; }
  start(props) { this.file = props.file; this.failures = 2; }
  put(records) {
    if (records.length > 0 && this.failures-- > 0) throw new RetriableException('not yet');
    for (const r of records) appendFileSync(this.file, r.value + '\\n');
  }
  stop() {}
}
export class CounterSource extends SourceConnector {
  version() { return '1.2.3'; }
  start(props) { this.props = props; }
  taskClass() { return CounterTask; }
  taskConfigs() { return [{ ...this.props }]; }
  stop() {}
  config() { return [{ name: 'count', type: 'INT', defaultValue: '10', importance: 'HIGH', documentation: 'how many' }, { name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'where' }]; }
}
class CounterTask extends SourceTask {
  version() { return '1.2.3'; }
  start(props) {
    this.topic = props.topic; this.count = Number(props.count ?? 10);
    this.next = this.context.offsetStorageReader.offset({ counter: this.topic })?.next ?? 0;
  }
  async poll() {
    if (this.next >= this.count) { await new Promise((r) => setTimeout(r, 50)); return null; }
    const n = this.next++;
    return [{ topic: this.topic, kafkaPartition: null, keySchema: Schemas.STRING, key: 'k' + n, valueSchema: Schemas.STRING, value: 'n-' + n, timestamp: Date.now(), headers: [{ key: 'h', schema: null, value: 'v' + n }], sourcePartition: { counter: this.topic }, sourceOffset: { next: n + 1 } }];
  }
  stop() {}
}
export class UpperCase {
  configure() {}
  apply(r) { return { ...r, value: String(r.value).toUpperCase() }; }
  config() { return []; }
  close() {}
}
`;

before(async () => {
  broker = await startBroker({ storage: 'memory' });
  dir = mkdtempSync(join(tmpdir(), 'connect-rest-'));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'counter.mjs'), PLUGIN);
  const pkg = join(dir, 'node_modules', 'counter-connector');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'counter-connector', version: '1.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), PLUGIN.replace('export class UpperCase', 'class UpperCase').replace('export class CounterSource', 'export default class CounterSource'));
  process.chdir(dir); // npm names resolve from the working directory
  connect = await startConnect('standalone', {
    'bootstrap.servers': broker.bootstrap,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'offset.storage.file.filename': join(dir, 'offsets'),
    'offset.flush.interval.ms': '200',
    'plugin.path': join(dir, 'plugins'),
    listeners: 'http://127.0.0.1:0',
  });
  url = connect.url.replace(/\/$/, '');
  producer = new Producer({ bootstrapServers: broker.bootstrap });
});

after(async () => {
  await producer.close();
  await connect.stop();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function readTopic(topic: string, n: number): Promise<ConsumedMessage[]> {
  const c = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  c.assign([{ topic, partition: 0 }]);
  const out: ConsumedMessage[] = [];
  try {
    await waitFor(async () => {
      for (const b of await c.poll(300)) out.push(...b.messages);
      return out.length >= n;
    }, 20000, () => `${out.length} of ${n} records in ${topic}`);
  } finally {
    await c.close();
  }
  return out;
}

test('GET / and /connector-plugins list versions and plugins, with plugin.path classes', async () => {
  const root = await rest(url, 'GET', '/');
  assert.equal(root.status, 200);
  assert.equal(root.body.version, '3.9.0');
  assert.equal(typeof root.body.kafka_cluster_id, 'string');
  const plugins = (await rest(url, 'GET', '/connector-plugins')).body as Array<{ class: string; type: string; version: string }>;
  assert.deepEqual(plugins.find((p) => p.class === 'CounterSource'), { class: 'CounterSource', type: 'source', version: '1.2.3' });
  assert.ok(plugins.some((p) => p.class === 'org.apache.kafka.connect.file.FileStreamSinkConnector' && p.type === 'sink'));
  assert.ok(plugins.every((p) => p.type === 'source' || p.type === 'sink'));
  const all = (await rest(url, 'GET', '/connector-plugins?connectorsOnly=false')).body as Array<{ class: string; type: string }>;
  assert.ok(all.some((p) => p.class === 'org.apache.kafka.connect.transforms.InsertField$Value' && p.type === 'transformation'));
  assert.ok(all.some((p) => p.class === 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches' && p.type === 'predicate'));
  assert.ok(all.some((p) => p.class === 'UpperCase' && p.type === 'transformation'));
});

test('a TypeScript-API source connector from plugin.path runs with a plugin transformation; restart resumes from its offset', async () => {
  const res = await rest(url, 'POST', '/connectors', { name: 'counter', config: { 'connector.class': 'CounterSource', topic: 'counts', count: '5', transforms: 'up', 'transforms.up.type': 'UpperCase' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body, { name: 'counter', config: { 'connector.class': 'CounterSource', topic: 'counts', count: '5', transforms: 'up', 'transforms.up.type': 'UpperCase', name: 'counter' }, tasks: [{ connector: 'counter', task: 0 }], type: 'source' });
  const recs = await readTopic('counts', 5);
  assert.deepEqual(recs.map((m) => [m.key!.toString(), m.value!.toString(), m.headers[0]!.value!.toString()]), [0, 1, 2, 3, 4].map((n) => [`k${n}`, `N-${n}`, `v${n}`]));
  // raise the count: the update stops the task (a clean stop commits its offset {next: 5}) and
  // the new task resumes from there, not from 0
  const upd = await rest(url, 'PUT', '/connectors/counter/config', { 'connector.class': 'CounterSource', topic: 'counts', count: '7', transforms: 'up', 'transforms.up.type': 'UpperCase' });
  assert.equal(upd.status, 200);
  const more = await readTopic('counts', 7);
  assert.deepEqual(more.map((m) => m.value!.toString()), ['N-0', 'N-1', 'N-2', 'N-3', 'N-4', 'N-5', 'N-6']);
  assert.equal((await rest(url, 'DELETE', '/connectors/counter')).status, 204);
});

test('connector.class naming an npm package loads its default export', async () => {
  const res = await rest(url, 'POST', '/connectors', { name: 'from-npm', config: { 'connector.class': 'counter-connector', topic: 'npm-counts', count: '2' } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual((await readTopic('npm-counts', 2)).map((m) => m.value!.toString()), ['n-0', 'n-1']);
  assert.equal((await rest(url, 'DELETE', '/connectors/from-npm')).status, 204);
});

test('REST errors are Kafka\'s {error_code, message}', async () => {
  assert.deepEqual(await rest(url, 'GET', '/connectors/nope'), { status: 404, body: { error_code: 404, message: 'Connector nope not found' } });
  assert.equal((await rest(url, 'GET', '/connectors/nope/status')).status, 404);
  assert.equal((await rest(url, 'DELETE', '/connectors/nope')).status, 404);
  const noTopics = await rest(url, 'POST', '/connectors', { name: 'bad-sink', config: { 'connector.class': 'FileStreamSink', file: join(dir, 'x') } });
  assert.equal(noTopics.status, 400);
  assert.equal(noTopics.body.error_code, 400);
  assert.match(noTopics.body.message, /^Connector configuration is invalid and contains the following 1 error\(s\):\nMust configure one of topics or topics.regex\n/);
  const unknown = await rest(url, 'POST', '/connectors', { name: 'bad', config: { 'connector.class': 'com.example.Nope' } });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.message, /Failed to find any class that implements Connector and which name matches com.example.Nope/);
  const badJson = await fetch(`${url}/connectors`, { method: 'POST', body: '{not json', headers: { 'Content-Type': 'application/json' } });
  assert.equal(badJson.status, 400);
  assert.equal(((await badJson.json()) as { error_code: number }).error_code, 400);
  assert.equal((await rest(url, 'DELETE', '/connectors')).status, 405);
  assert.equal((await rest(url, 'GET', '/no/such/path')).status, 404);
  const ok = await rest(url, 'POST', '/connectors', { name: 'dup', config: { 'connector.class': 'FileStreamSink', topics: 'dup-in', file: join(dir, 'dup.txt') } });
  assert.equal(ok.status, 201);
  assert.deepEqual(await rest(url, 'POST', '/connectors', { name: 'dup', config: { 'connector.class': 'FileStreamSink', topics: 'dup-in', file: join(dir, 'dup.txt') } }), { status: 409, body: { error_code: 409, message: 'Connector dup already exists' } });
  assert.equal((await rest(url, 'DELETE', '/connectors/dup')).status, 204);
});

test('PUT /connector-plugins/{type}/config/validate answers ConfigInfos with errors per key', async () => {
  const res = await rest(url, 'PUT', '/connector-plugins/FileStreamSinkConnector/config/validate', { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', name: 'v', topics: 'a', 'topics.regex': 'b.*', 'tasks.max': '0', 'transforms': 'm', 'transforms.m.type': 'MaskField$Value' });
  assert.equal(res.status, 200);
  assert.equal(res.body.name, 'org.apache.kafka.connect.file.FileStreamSinkConnector');
  const errs = Object.fromEntries((res.body.configs as Array<{ value: { name: string; errors: string[] } }>).filter((c) => c.value.errors.length > 0).map((c) => [c.value.name, c.value.errors]));
  assert.deepEqual(Object.keys(errs).sort(), ['tasks.max', 'topics', 'transforms.m.fields', 'transforms.m.type'].sort());
  assert.equal(res.body.error_count, 4);
  assert.match(errs.topics![0]!, /topics and topics.regex are mutually exclusive/);
  assert.ok(res.body.groups.includes('Common'));
  const def = (res.body.configs as Array<{ definition: { name: string; required: boolean; default_value: string | null } }>).find((c) => c.definition.name === 'tasks.max')!.definition;
  assert.equal(def.required, false);
  assert.equal(def.default_value, '1');
  const mismatch = await rest(url, 'PUT', '/connector-plugins/FileStreamSourceConnector/config/validate', { 'connector.class': 'FileStreamSinkConnector' });
  assert.equal(mismatch.status, 400);
});

test('errors.tolerance=all skips bad records and sends them to the DLQ with context headers; none fails the task', async () => {
  await producer.send({ topic: 'dirty', messages: [{ value: '{"a":1}' }, { value: 'not json' }, { value: '{"a":2}' }] });
  const out = join(dir, 'tolerant.txt');
  const common = { 'connector.class': 'FileStreamSink', topics: 'dirty', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' };
  const tolerant = await rest(url, 'POST', '/connectors', {
    name: 'tolerant',
    config: { ...common, file: out, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dirty-dlq', 'errors.deadletterqueue.topic.replication.factor': '1', 'errors.deadletterqueue.context.headers.enable': 'true' },
  });
  assert.equal(tolerant.status, 201, JSON.stringify(tolerant.body));
  await waitFor(() => linesOf(out).length === 2, 20000, () => `${linesOf(out)}`);
  assert.deepEqual(linesOf(out), ['{a=1}', '{a=2}']);
  const [dead] = await readTopic('dirty-dlq', 1);
  assert.equal(dead!.value!.toString(), 'not json');
  const h = Object.fromEntries(dead!.headers.map((x) => [x.key, x.value?.toString() ?? null]));
  assert.equal(h['__connect.errors.topic'], 'dirty');
  assert.equal(h['__connect.errors.partition'], '0');
  assert.equal(h['__connect.errors.offset'], '1');
  assert.equal(h['__connect.errors.connector.name'], 'tolerant');
  assert.equal(h['__connect.errors.task.id'], '0');
  assert.equal(h['__connect.errors.stage'], 'VALUE_CONVERTER');
  assert.equal(h['__connect.errors.class.name'], 'JsonConverter');
  assert.match(h['__connect.errors.exception.message']!, /Converting byte\[\] to Kafka Connect data failed/);

  const strict = await rest(url, 'POST', '/connectors', { name: 'strict', config: { ...common, file: join(dir, 'strict.txt') } });
  assert.equal(strict.status, 201);
  let status: any;
  await waitFor(async () => (status = (await rest(url, 'GET', '/connectors/strict/status')).body).tasks[0]?.state === 'FAILED', 20000, () => JSON.stringify(status));
  assert.match(status.tasks[0].trace, /Converting byte\[\] to Kafka Connect data failed/);
  assert.equal(status.connector.state, 'RUNNING');
  assert.equal((await rest(url, 'POST', '/connectors/strict/tasks/0/restart')).status, 204);
  const restarted = await rest(url, 'POST', '/connectors/strict/restart?includeTasks=true&onlyFailed=true');
  assert.equal(restarted.status, 202);
  assert.equal(restarted.body.name, 'strict');
});

test('a sink task\'s RetriableException gets the same records again', async () => {
  await producer.send({ topic: 'flaky-in', messages: [{ value: 'one' }, { value: 'two' }] });
  const out = join(dir, 'flaky.txt');
  const res = await rest(url, 'POST', '/connectors', { name: 'flaky', config: { 'connector.class': 'FlakySink', topics: 'flaky-in', file: out } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitFor(() => linesOf(out).length === 2, 20000, () => `${linesOf(out)}`);
  assert.deepEqual(linesOf(out), ['one', 'two']);
  assert.equal((await rest(url, 'GET', '/connectors/flaky/status')).body.tasks[0].state, 'RUNNING');
});

test('a sink with topics.regex reads every matching topic', async () => {
  await producer.send({ topic: 'rx-a', messages: [{ value: 'from a' }] });
  await producer.send({ topic: 'rx-b', messages: [{ value: 'from b' }] });
  const out = join(dir, 'rx.txt');
  const res = await rest(url, 'POST', '/connectors', { name: 'rx', config: { 'connector.class': 'FileStreamSink', 'topics.regex': 'rx-.*', file: out } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitFor(() => linesOf(out).length === 2, 30000, () => `${linesOf(out)}`);
  assert.deepEqual(linesOf(out).sort(), ['from a', 'from b']);
});
