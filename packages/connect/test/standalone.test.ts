// The tutorial's Connect step as a test: connect-standalone with the shipped
// config/connect-standalone.properties, connect-file-source.properties and
// connect-file-sink.properties (file paths pointed at a temp dir, the broker at an in-process
// one). Lines appended to test.txt appear in test.sink.txt in order. Then the worker is killed
// with SIGKILL and restarted, and what at-least-once promises is checked exactly: no line is
// lost, first occurrences stay in file order, lines whose source offset was flushed and whose
// sink offset was committed before the kill are not delivered again, and lines appended after
// the restart are delivered exactly once.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin, Consumer } from '@samsa/client';
import { parseProperties } from '../src/index.js';
import { connectFixture, linesOf, numbered, repoRoot, rest, spawnWorker, waitFor, writeProperties } from './support.js';

const fixture = connectFixture('connect-standalone-');
const live = fixture.live;

/** The repo's sample config with some keys replaced. */
function sampleConfig(name: string, overrides: Record<string, string>): string {
  const props = { ...parseProperties(readFileSync(join(repoRoot, 'config', name), 'utf8')), ...overrides };
  return writeProperties(join(fixture.dir, name), props);
}

test('connect-standalone: file source → topic → file sink, in order; kill -9 and restart loses no line (at-least-once)', async () => {
  const source = join(fixture.dir, 'test.txt');
  const sink = join(fixture.dir, 'test.sink.txt');
  const offsetsFile = join(fixture.dir, 'connect.offsets');
  const worker = sampleConfig('connect-standalone.properties', {
    'bootstrap.servers': fixture.broker.bootstrap,
    'offset.storage.file.filename': offsetsFile,
    'offset.flush.interval.ms': '300',
    listeners: 'http://127.0.0.1:0',
    // the restarted worker's sink consumer waits for the killed one's session to expire
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
  });
  const src = sampleConfig('connect-file-source.properties', { file: source });
  const snk = sampleConfig('connect-file-sink.properties', { file: sink });
  const first = numbered(1, 200);
  writeFileSync(source, first.join('\n') + '\n');

  let w = await spawnWorker('standalone', [worker, src, snk]);
  live.add(w);
  await waitFor(() => linesOf(sink).length >= 200, 60000, () => `sink has ${linesOf(sink).length} lines`);
  assert.deepEqual(linesOf(sink), first, 'the sink file holds the source lines in order');

  // the tutorial's topic holds JsonConverter's envelope (schemas.enable=true in the sample config)
  const reader = new Consumer({ bootstrapServers: fixture.broker.bootstrap, autoOffsetReset: 'earliest' });
  reader.assign([{ topic: 'connect-test', partition: 0 }]);
  let firstRecord: string | null = null;
  await waitFor(async () => {
    for (const b of await reader.poll(500)) if (firstRecord === null && b.messages.length > 0) firstRecord = b.messages[0]!.value!.toString();
    return firstRecord !== null;
  }, 10000);
  await reader.close();
  assert.equal(firstRecord, '{"schema":{"type":"string","optional":false},"payload":"line-0001"}');

  // REST while it runs
  const status = await rest(w.url, 'GET', '/connectors/local-file-source/status');
  assert.equal(status.status, 200);
  assert.deepEqual(status.body, { name: 'local-file-source', connector: { state: 'RUNNING', worker_id: w.workerId }, tasks: [{ id: 0, state: 'RUNNING', worker_id: w.workerId }], type: 'source' });
  assert.deepEqual((await rest(w.url, 'GET', '/connectors')).body, ['local-file-sink', 'local-file-source']);

  // wait until both sides committed the first 200 lines: the source offset file and the sink group
  const admin = new Admin({ bootstrapServers: fixture.broker.bootstrap });
  const sourcePosition = (): number => {
    try {
      const entries = JSON.parse(readFileSync(offsetsFile, 'utf8')) as Array<[string, string]>;
      return (JSON.parse(entries.find(([k]) => k === JSON.stringify(['local-file-source', { filename: source }]))![1]) as { position: number }).position;
    } catch {
      return -1;
    }
  };
  const sinkCommitted = async (): Promise<bigint> => (await admin.listConsumerGroupOffsets('connect-local-file-sink')).find((o) => o.topic === 'connect-test' && o.partition === 0)?.offset ?? -1n;
  await waitFor(async () => sourcePosition() === statSync(source).size && (await sinkCommitted()) === 200n, 30000, () => `source offset ${sourcePosition()}, sink committed`);

  // GET /connectors/{name}/offsets: the source's file position, the sink's committed Kafka offset
  const sourceOffsets = await rest(w.url, 'GET', '/connectors/local-file-source/offsets');
  assert.deepEqual(sourceOffsets.body, { offsets: [{ partition: { filename: source }, offset: { position: statSync(source).size } }] });
  const sinkOffsets = await rest(w.url, 'GET', '/connectors/local-file-sink/offsets');
  assert.deepEqual(sinkOffsets.body, { offsets: [{ partition: { kafka_topic: 'connect-test', kafka_partition: 0 }, offset: { kafka_offset: 200 } }] });
  assert.equal((await rest(w.url, 'GET', '/connectors/nope/offsets')).status, 404);

  // more lines, then SIGKILL while they flow
  const second = numbered(201, 500);
  for (let i = 0; i < second.length; i += 50) appendFileSync(source, second.slice(i, i + 50).join('\n') + '\n');
  await waitFor(() => linesOf(sink).length > 220, 30000, () => `sink has ${linesOf(sink).length} lines`);
  w.child.kill('SIGKILL');
  assert.equal(await w.exited, 'SIGKILL');
  const beforeRestart = linesOf(sink).length;

  w = await spawnWorker('standalone', [worker, src, snk]);
  live.add(w);
  const third = numbered(501, 600);
  appendFileSync(source, third.join('\n') + '\n');
  const all = [...first, ...second, ...third];
  await waitFor(() => new Set(linesOf(sink)).size === all.length, 60000, () => `sink has ${new Set(linesOf(sink)).size} distinct lines`);

  const got = linesOf(sink);
  const count = new Map<string, number>();
  for (const l of got) count.set(l, (count.get(l) ?? 0) + 1);
  assert.deepEqual([...new Set(got)], all, 'every line arrived, first occurrences in file order');
  assert.ok(got.every((l) => count.has(l) && all.includes(l)), 'nothing but source lines');
  for (const l of first) assert.equal(count.get(l), 1, `${l} was committed before the kill and must not be delivered again`);
  for (const l of third) assert.equal(count.get(l), 1, `${l} was appended after the restart`);
  // a line in flight at the kill may be written before it, put again by the sink (its offset was
  // not committed) and produced again by the source (its offset was not flushed): 3 times at most
  for (const l of second) assert.ok(count.get(l)! <= 3, `${l} appears ${count.get(l)} times (${beforeRestart} lines before the restart)`);

  // a clean stop (SIGTERM) flushes offsets and exits 0
  w.child.kill('SIGTERM');
  assert.equal(await w.exited, 0);
  assert.match(w.output(), /Kafka Connect stopped/);
  assert.equal(sourcePosition(), statSync(source).size);
  await admin.close();
});

test('connect-standalone without arguments prints its usage and exits 1; a bad worker config is reported', async () => {
  await assert.rejects(spawnWorker('standalone', [], 20000), /Usage: ConnectStandalone worker.properties \[connector1.properties connector2.json \.\.\.\]/);
  const bad = writeProperties(join(fixture.dir, 'bad-worker.properties'), { 'bootstrap.servers': fixture.broker.bootstrap, listeners: 'http://127.0.0.1:0' });
  await assert.rejects(spawnWorker('standalone', [bad], 20000), /Missing required configuration "offset.storage.file.filename"/);
});
