// Distributed mode with two connect-distributed processes against an in-process broker: the
// workers form a group with protocol type "connect", create their compacted internal topics,
// take connectors created over REST, and when one worker is killed with SIGKILL its connectors
// and tasks move to the other and keep running; the status endpoints show where each runs.
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin, Consumer } from '@samsa/client';
import { connectFixture, type ConnectorStatusBody, distributedWorkerProps, linesOf, numbered, rest, spawnWorker, waitFor, type WorkerProcess, writeProperties } from './support.js';

const fixture = connectFixture('connect-distributed-');
const live = fixture.live;

test('two workers share connectors; SIGKILL one and its tasks move to the other and keep running', async () => {
  const props = writeProperties(
    join(fixture.dir, 'worker.properties'),
    distributedWorkerProps(fixture.broker.bootstrap, 'connect-cluster', 'connect', {
      'offset.storage.partitions': '5',
      'connect.protocol': 'eager',
      'offset.flush.interval.ms': '300',
      'consumer.session.timeout.ms': '6000',
      'consumer.heartbeat.interval.ms': '1000',
    }),
  );
  const admin = new Admin({ bootstrapServers: fixture.broker.bootstrap });
  await admin.createTopics({ topics: [{ topic: 'dist-lines', numPartitions: 2, replicationFactor: 1 }] });
  const w1 = await spawnWorker('distributed', [props]);
  live.add(w1);
  const w2 = await spawnWorker('distributed', [props]);
  live.add(w2);

  // the internal topics exist and are compacted
  const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'connect-configs', configNames: ['cleanup.policy'] }, { type: 2, name: 'connect-status', configNames: ['cleanup.policy'] }, { type: 2, name: 'connect-offsets', configNames: ['cleanup.policy'] }] });
  for (const r of configs) assert.equal(r.configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact', r.name);

  const input = join(fixture.dir, 'in.txt');
  const output = join(fixture.dir, 'out.txt');
  writeFileSync(input, numbered(1, 100).join('\n') + '\n');
  const created = await rest(w1.url, 'POST', '/connectors', { name: 'dist-source', config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max': '1', file: input, topic: 'dist-lines' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.name, 'dist-source');
  assert.equal(created.body.type, 'source');
  const sinkCreated = await rest(w2.url, 'PUT', '/connectors/dist-sink/config', { 'connector.class': 'FileStreamSink', 'tasks.max': '2', file: output, topics: 'dist-lines' });
  assert.equal(sinkCreated.status, 201, JSON.stringify(sinkCreated.body));

  // config writes are the leader's: the follower forwarded its request to the leader's REST URL
  const forwarded = [w1, w2].filter((w) => /Forwarding (POST|PUT) \/connectors/.test(w.output()));
  assert.equal(forwarded.length, 1, 'exactly one of the two creating requests reached a follower');
  const follower = forwarded[0]!;
  const leader = follower === w1 ? w2 : w1;
  assert.ok(follower.output().includes(`to the leader at ${leader.url}`), follower.output());
  // ...and a request the leader forwarded already (forward=false) is not forwarded again
  const refused = await rest(follower.url, 'PUT', '/connectors/dist-sink/config?forward=false', { 'connector.class': 'FileStreamSink', 'tasks.max': '2', file: output, topics: 'dist-lines' });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  // a follower's write of an existing connector's config returns the leader's answer (200, not created)
  const updated = await rest(follower.url, 'PUT', '/connectors/dist-sink/config', { 'connector.class': 'FileStreamSink', 'tasks.max': '2', file: output, topics: 'dist-lines' });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.equal(updated.body.name, 'dist-sink');

  await waitFor(() => new Set(linesOf(output)).size === 100, 60000, () => `${linesOf(output).length} lines in the sink file`);

  // KIP-558 active topics, kept in the status topic as {"topic":{...}}: every worker answers
  for (const w of [w1, w2]) {
    await waitFor(async () => JSON.stringify((await rest(w.url, 'GET', '/connectors/dist-sink/topics')).body) === JSON.stringify({ 'dist-sink': { topics: ['dist-lines'] } }), 20000, () => 'dist-sink topics');
    assert.deepEqual((await rest(w.url, 'GET', '/connectors/dist-source/topics')).body, { 'dist-source': { topics: ['dist-lines'] } });
  }

  // both workers run something; every worker answers for every connector
  const status = async (w: WorkerProcess, name: string): Promise<ConnectorStatusBody> => (await rest(w.url, 'GET', `/connectors/${name}/status`)).body as ConnectorStatusBody;
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
  const configReader = new Consumer({ bootstrapServers: fixture.broker.bootstrap, autoOffsetReset: 'earliest' });
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
