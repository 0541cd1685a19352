// Distributed mode with two connect-distributed processes against an in-process broker: the
// workers form a group with protocol type "connect", create their compacted internal topics,
// take connectors created over REST, and when one worker is killed with SIGKILL its connectors
// and tasks move to the other and keep running; the status endpoints show where each runs.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Consumer } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { linesOf, numbered, rest, spawnWorker, waitFor, type WorkerProcess, writeProperties } from './support.js';

let broker: TestBroker;
let dir: string;
const live = new Set<WorkerProcess>();

before(async () => {
  broker = await startBroker({ storage: 'memory' });
  dir = mkdtempSync(join(tmpdir(), 'connect-distributed-'));
});

after(async () => {
  for (const w of live) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface StatusBody {
  connector: { state: string; worker_id: string };
  tasks: Array<{ id: number; state: string; worker_id: string }>;
}

test('two workers share connectors; SIGKILL one and its tasks move to the other and keep running', async () => {
  const props = writeProperties(join(dir, 'worker.properties'), {
    'bootstrap.servers': broker.bootstrap,
    'group.id': 'connect-cluster',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'config.storage.topic': 'connect-configs',
    'offset.storage.topic': 'connect-offsets',
    'status.storage.topic': 'connect-status',
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'offset.storage.partitions': '5',
    'status.storage.partitions': '2',
    'offset.flush.interval.ms': '300',
    'session.timeout.ms': '6000',
    'heartbeat.interval.ms': '1000',
    'consumer.session.timeout.ms': '6000',
    'consumer.heartbeat.interval.ms': '1000',
    listeners: 'http://127.0.0.1:0',
  });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics({ topics: [{ topic: 'dist-lines', numPartitions: 2, replicationFactor: 1 }] });
  const w1 = await spawnWorker('distributed', [props]);
  live.add(w1);
  const w2 = await spawnWorker('distributed', [props]);
  live.add(w2);

  // the internal topics exist and are compacted
  const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'connect-configs', configNames: ['cleanup.policy'] }, { type: 2, name: 'connect-status', configNames: ['cleanup.policy'] }, { type: 2, name: 'connect-offsets', configNames: ['cleanup.policy'] }] });
  for (const r of configs) assert.equal(r.configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact', r.name);

  const input = join(dir, 'in.txt');
  const output = join(dir, 'out.txt');
  writeFileSync(input, numbered(1, 100).join('\n') + '\n');
  const created = await rest(w1.url, 'POST', '/connectors', { name: 'dist-source', config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max': '1', file: input, topic: 'dist-lines' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.name, 'dist-source');
  assert.equal(created.body.type, 'source');
  const sinkCreated = await rest(w2.url, 'PUT', '/connectors/dist-sink/config', { 'connector.class': 'FileStreamSink', 'tasks.max': '2', file: output, topics: 'dist-lines' });
  assert.equal(sinkCreated.status, 201, JSON.stringify(sinkCreated.body));

  await waitFor(() => new Set(linesOf(output)).size === 100, 60000, () => `${linesOf(output).length} lines in the sink file`);

  // both workers run something; every worker answers for every connector
  const status = async (w: WorkerProcess, name: string): Promise<StatusBody> => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body as StatusBody;
  const placements = async (w: WorkerProcess): Promise<string[]> => {
    const out: string[] = [];
    for (const name of ['dist-source', 'dist-sink']) {
      const s = await status(w, name);
      out.push(`${s.connector.state}@${s.connector.worker_id}`, ...s.tasks.map((t) => `${t.state}@${t.worker_id}`));
    }
    return out;
  };
  await waitFor(async () => (await placements(w1)).every((p) => p.startsWith('RUNNING@')) && (await placements(w1)).length === 5, 30000, () => 'not all RUNNING');
  const before = await placements(w2);
  assert.deepEqual(new Set(before.map((p) => p.split('@')[1])), new Set([w1.workerId, w2.workerId]), `work is spread over both workers: ${before}`);
  assert.equal((await rest(w1.url, 'GET', '/connectors/dist-sink/tasks')).body.length, 2);

  // the group is Connect's: protocol type "connect", eager protocol "default", two members
  const [group] = await admin.describeGroups(['connect-cluster']);
  assert.equal(group!.protocolType, 'connect');
  assert.equal(group!.protocol, 'default');
  assert.equal(group!.members.length, 2);

  // the config topic holds Kafka's records
  const configReader = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  configReader.assign([{ topic: 'connect-configs', partition: 0 }]);
  const configRecords = new Map<string, string | null>();
  await waitFor(async () => {
    for (const b of await configReader.poll(300)) for (const m of b.messages) configRecords.set(m.key!.toString(), m.value?.toString() ?? null);
    return configRecords.has('commit-dist-sink');
  }, 10000);
  await configReader.close();
  assert.deepEqual(JSON.parse(configRecords.get('connector-dist-source')!).properties.topic, 'dist-lines');
  assert.deepEqual(JSON.parse(configRecords.get('commit-dist-sink')!), { tasks: 2 });
  assert.ok(JSON.parse(configRecords.get('task-dist-sink-1')!).properties.file === output);

  // kill the second worker; its share moves to the first, which keeps the data flowing
  w2.child.kill('SIGKILL');
  assert.equal(await w2.exited, 'SIGKILL');
  appendFileSync(input, numbered(101, 200).join('\n') + '\n');
  let last: string[] = [];
  await waitFor(async () => (last = await placements(w1)).every((p) => p === `RUNNING@${w1.workerId}`), 60000, () => `placements: ${last}`);
  await waitFor(() => new Set(linesOf(output)).size === 200, 60000, () => `${new Set(linesOf(output)).size} distinct lines in the sink file`);
  assert.ok(linesOf(output).every((l) => /^line-0[0-2]\d\d$/.test(l)));
  const task1 = await rest(w1.url, 'GET', '/connectors/dist-sink/tasks/1/status');
  assert.deepEqual(task1.body, { id: 1, state: 'RUNNING', worker_id: w1.workerId });
  const [after] = await admin.describeGroups(['connect-cluster']);
  assert.equal(after!.members.length, 1);

  // pause through the config topic, resume, delete
  assert.equal((await rest(w1.url, 'PUT', '/connectors/dist-sink/pause')).status, 202);
  await waitFor(async () => (await status(w1, 'dist-sink')).tasks.every((t) => t.state === 'PAUSED'), 20000);
  assert.equal((await rest(w1.url, 'PUT', '/connectors/dist-sink/resume')).status, 202);
  await waitFor(async () => (await status(w1, 'dist-sink')).tasks.every((t) => t.state === 'RUNNING'), 20000);
  assert.equal((await rest(w1.url, 'DELETE', '/connectors/dist-source')).status, 204);
  assert.deepEqual((await rest(w1.url, 'GET', '/connectors')).body, ['dist-sink']);
  assert.equal((await rest(w1.url, 'GET', '/connectors/dist-source/status')).status, 404);

  w1.child.kill('SIGTERM');
  assert.equal(await w1.exited, 0);
  await admin.close();
});
