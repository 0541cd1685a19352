// MirrorMaker 2 between two independent in-process clusters, driven by `connect-mirror-maker
// mm2.properties` as a separate process: a topic is mirrored A→B as `A.orders` (records with
// keys, headers and timestamps, partition count, configs, later partitions and config changes),
// topics.exclude keeps a topic back, topic ACLs follow, heartbeats arrive on B (and B→A's come
// back as A.heartbeats), and a consumer group that consumed
// part of the topic on A resumes on B from the translated offset, re-reading no more than
// offset.lag.max records and skipping none.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin, Consumer, type ConsumedMessage, createAcls, describeAcls, Producer } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { CheckpointFormat, HeartbeatFormat } from '../src/mirror/mirror-records.js';
import { waitFor, writeProperties } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));
const LAG_MAX = 10;
const PER_PARTITION = 40;
const CONSUMED = 25;

let a: TestBroker;
let b: TestBroker;
let dir: string;
let mm: { kill(): void; exited: Promise<number | string>; output: () => string } | null = null;
const clients: Array<{ close(): Promise<void> }> = [];

before(async () => {
  // ACL authorizers on both sides (the mirror's own clients connect as ANONYMOUS, a super user)
  // no auto-created topics: a reader that starts early must not create A.orders with one partition before MirrorMaker does
  const config = { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:ANONYMOUS', 'auto.create.topics.enable': 'false' };
  [a, b] = await Promise.all([startBroker({ storage: 'memory', config }), startBroker({ storage: 'memory', config })]);
  dir = mkdtempSync(join(tmpdir(), 'mirror-maker-'));
});

after(async () => {
  if (mm !== null) {
    mm.kill();
    await mm.exited;
  }
  for (const c of clients) await c.close().catch(() => {});
  await Promise.all([a.stop(), b.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function startMirrorMaker(props: string): NonNullable<typeof mm> {
  const bin = join(here, '..', 'src', 'bin', `connect-mirror-maker.${existsSync(join(here, '..', 'src', 'bin', 'connect-mirror-maker.js')) ? 'js' : 'ts'}`);
  const child = spawn(process.execPath, [...(bin.endsWith('.ts') ? ['--import', 'tsx'] : []), bin, props], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { kill: () => child.kill('SIGTERM'), exited, output: () => out };
}

/** Every record of a topic from the beginning, per partition, read until `count` arrived. */
async function readAll(bootstrap: string, topic: string, partitions: number, count: number): Promise<ConsumedMessage[][]> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  await waitFor(async () => (await admin.listTopics()).includes(topic), 60000, () => `${topic} not created on ${bootstrap}\n${mm?.output() ?? ''}`);
  await admin.close();
  const c = new Consumer({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest' });
  clients.push(c);
  c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  const out: ConsumedMessage[][] = Array.from({ length: partitions }, () => []);
  await waitFor(async () => {
    for (const batch of await c.poll(500)) out[batch.partition]!.push(...batch.messages);
    return out.reduce((n, p) => n + p.length, 0) >= count;
  }, 60000, () => `${out.map((p) => p.length).join('+')} of ${count} records of ${topic} on ${bootstrap}\n${mm?.output() ?? ''}`);
  await c.close();
  return out;
}

test('connect-mirror-maker mirrors a topic, its configs and a consumer group\'s offsets from A to B', async () => {
  const adminA = new Admin({ bootstrapServers: a.bootstrap });
  const adminB = new Admin({ bootstrapServers: b.bootstrap });
  clients.push(adminA, adminB);
  await adminA.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '123456789', 'max.message.bytes': '500000' } }, { topic: 'secret-plans', numPartitions: 1, replicationFactor: 1 }] });
  const producer = new Producer({ bootstrapServers: a.bootstrap, lingerMs: 0 });
  clients.push(producer);
  const base = 1_600_000_000_000;
  for (let p = 0; p < 3; p++) {
    await producer.send({ topic: 'orders', messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, key: `k${p}-${i}`, value: `order ${p}-${i}`, headers: [{ key: 'trace', value: `t${i}` }], timestamp: base + p * 1000 + i })) });
  }
  await producer.send({ topic: 'secret-plans', messages: [{ value: 'do not copy' }] });
  // topic ACLs: ALLOW ALL is copied as READ, ALLOW WRITE is not copied (codes: TOPIC 2, LITERAL 3, ALL 2, READ 3, WRITE 4, ALLOW 3)
  const acl = (principal: string, operation: number) => ({ resourceType: 2, resourceName: 'orders', patternType: 3, principal, host: '*', operation, permissionType: 3 });
  assert.deepEqual(await createAcls(adminA.cluster, [acl('User:alice', 2), acl('User:bob', 4)]), [null, null]);

  const mm2 = writeProperties(join(dir, 'mm2.properties'), {
    clusters: 'A, B',
    'A.bootstrap.servers': a.bootstrap,
    'B.bootstrap.servers': b.bootstrap,
    'A->B.enabled': 'true',
    'A->B.topics': '.*',
    'A->B.topics.exclude': 'secret-.*',
    'replication.factor': '1',
    'checkpoints.topic.replication.factor': '1',
    'heartbeats.topic.replication.factor': '1',
    'offset-syncs.topic.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'config.storage.replication.factor': '1',
    'offset.storage.partitions': '2',
    'status.storage.partitions': '1',
    'offset.lag.max': String(LAG_MAX),
    'emit.checkpoints.interval.seconds': '1',
    'sync.group.offsets.enabled': 'true',
    'sync.group.offsets.interval.seconds': '1',
    'emit.heartbeats.interval.seconds': '1',
    'refresh.groups.interval.seconds': '1',
    'refresh.topics.interval.seconds': '1',
    'sync.topic.configs.interval.seconds': '1',
    'sync.topic.acls.interval.seconds': '1',
    'B.offset.flush.interval.ms': '300',
  });
  mm = startMirrorMaker(mm2);

  // records: same partition, same order, keys, values, headers and timestamps
  const mirrored = await readAll(b.bootstrap, 'A.orders', 3, 3 * PER_PARTITION);
  for (let p = 0; p < 3; p++) {
    assert.equal(mirrored[p]!.length, PER_PARTITION, `partition ${p}`);
    mirrored[p]!.forEach((m, i) => {
      assert.equal(m.key?.toString(), `k${p}-${i}`);
      assert.equal(m.value?.toString(), `order ${p}-${i}`);
      assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString()]), [['trace', `t${i}`]]);
      assert.equal(m.timestamp, BigInt(base + p * 1000 + i));
    });
  }
  assert.ok(mm.output().includes('Kafka MirrorMaker started'), mm.output());
  // partition count and configs
  const [desc] = await adminB.describeTopics({ topics: ['A.orders'] });
  assert.equal(desc!.partitions.length, 3);
  const configOf = async (name: string, key: string): Promise<string | null | undefined> => (await adminB.describeConfigs({ resources: [{ type: 2, name, configNames: [key] }] }))[0]!.configs.find((c) => c.name === key)?.value;
  assert.equal(await configOf('A.orders', 'retention.ms'), '123456789');
  assert.equal(await configOf('A.orders', 'max.message.bytes'), '500000');
  // topics.exclude kept secret-plans back; MM2's internal topics are where Kafka puts them
  const topicsB = await adminB.listTopics();
  assert.ok(!topicsB.some((t) => t.includes('secret')), topicsB.join(','));
  for (const t of ['A.checkpoints.internal', 'heartbeats', 'mm2-configs.A.internal', 'mm2-offsets.A.internal', 'mm2-status.A.internal']) assert.ok(topicsB.includes(t), `${t} on B: ${topicsB.join(',')}`);
  assert.ok((await adminA.listTopics()).includes('mm2-offset-syncs.B.internal'));

  // ACLs of the replicated topic
  const anyOnRemote = { resourceType: 2, resourceName: 'A.orders', patternType: 3, principal: null, host: null, operation: 1, permissionType: 1 };
  await waitFor(async () => (await describeAcls(adminB.cluster, anyOnRemote)).length > 0, 30000, () => 'no ACLs synced');
  assert.deepEqual((await describeAcls(adminB.cluster, anyOnRemote)).map((x) => [x.principal, x.operation, x.permissionType]), [['User:alice', 3, 3]]);

  // heartbeats: Kafka's key/value layout, source A → target B
  const [[hb]] = await readAll(b.bootstrap, 'heartbeats', 1, 1);
  const heartbeat = HeartbeatFormat.decode(hb!.key, hb!.value);
  assert.deepEqual([heartbeat.sourceClusterAlias, heartbeat.targetClusterAlias], ['A', 'B']);
  assert.ok(Math.abs(heartbeat.timestamp - Date.now()) < 60000);
  // the B->A flow only emits heartbeats (to A), which the A->B flow replicates back as A.heartbeats
  const [[back]] = await readAll(b.bootstrap, 'A.heartbeats', 1, 1);
  const returned = HeartbeatFormat.decode(back!.key, back!.value);
  assert.deepEqual([returned.sourceClusterAlias, returned.targetClusterAlias], ['B', 'A']);

  // later changes follow: a config change and a new partition on A
  await adminA.incrementalAlterConfigs({ resources: [{ type: 2, name: 'orders', configs: [{ name: 'retention.ms', value: '987654321' }] }] });
  await adminA.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] });
  await waitFor(async () => (await configOf('A.orders', 'retention.ms')) === '987654321', 30000, () => 'retention.ms not synced');
  await waitFor(async () => (await adminB.describeTopics({ topics: ['A.orders'] }))[0]!.partitions.length === 4, 30000, () => 'partition 3 not created on B');

  // a group consumes the first CONSUMED records of each partition on A and commits
  const upstream = new Consumer({ bootstrapServers: a.bootstrap, groupId: 'billing', autoOffsetReset: 'earliest', enableAutoCommit: false });
  clients.push(upstream);
  upstream.subscribe(['orders']);
  const seen = new Map<number, number>();
  await waitFor(async () => {
    for (const batch of await upstream.poll(500)) seen.set(batch.partition, Math.max(seen.get(batch.partition) ?? 0, Number(batch.messages.at(-1)!.offset) + 1));
    return [0, 1, 2].every((p) => (seen.get(p) ?? 0) >= CONSUMED);
  }, 30000, () => `upstream group read ${[...seen].join(' ')}`);
  await upstream.commitSync([0, 1, 2].map((partition) => ({ topic: 'orders', partition, offset: CONSUMED })));
  await upstream.close();

  // checkpoints in Kafka's format, and the translated offsets committed for the group on B
  await waitFor(async () => (await adminB.listConsumerGroupOffsets('billing')).filter((o) => o.topic === 'A.orders' && o.offset >= 0n).length === 3, 60000, () => `no synced offsets on B\n${mm!.output()}`);
  const translated = new Map((await adminB.listConsumerGroupOffsets('billing')).map((o) => [o.partition, Number(o.offset)]));
  const checkpointRecords = (await readAll(b.bootstrap, 'A.checkpoints.internal', 1, 3))[0]!.map((m) => CheckpointFormat.decode(m.key, m.value));
  for (let p = 0; p < 3; p++) {
    const cp = checkpointRecords.filter((c) => c.group === 'billing' && c.topic === 'A.orders' && c.partition === p).at(-1)!;
    assert.ok(cp !== undefined, `checkpoint for partition ${p}`);
    assert.equal(cp.upstreamOffset, CONSUMED);
    assert.equal(cp.downstreamOffset, translated.get(p));
    // never ahead of the group (A and B offsets coincide here), behind by at most offset.lag.max
    assert.ok(cp.downstreamOffset <= CONSUMED && CONSUMED - cp.downstreamOffset <= LAG_MAX, `partition ${p}: ${CONSUMED} → ${cp.downstreamOffset}`);
  }

  // the group moves to B: it resumes at the translated offsets, re-reading at most offset.lag.max, skipping nothing
  const downstream = new Consumer({ bootstrapServers: b.bootstrap, groupId: 'billing', autoOffsetReset: 'earliest', enableAutoCommit: false });
  clients.push(downstream);
  downstream.subscribe(['A.orders']);
  const resumed = new Map<number, ConsumedMessage[]>();
  await waitFor(async () => {
    for (const batch of await downstream.poll(500)) resumed.set(batch.partition, [...(resumed.get(batch.partition) ?? []), ...batch.messages]);
    return [0, 1, 2].every((p) => resumed.get(p)?.at(-1)?.value?.toString() === `order ${p}-${PER_PARTITION - 1}`);
  }, 30000, () => `downstream group read ${[...resumed].map(([p, ms]) => `${p}:${ms.length}`).join(' ')}`);
  await downstream.close();
  for (let p = 0; p < 3; p++) {
    const first = resumed.get(p)![0]!;
    const reprocessed = CONSUMED - Number(first.offset);
    assert.equal(Number(first.offset), translated.get(p));
    assert.equal(first.value?.toString(), `order ${p}-${first.offset}`);
    assert.ok(reprocessed >= 0 && reprocessed <= LAG_MAX, `partition ${p} re-read ${reprocessed} records`);
  }

  mm.kill();
  assert.equal(await mm.exited, 0);
  assert.ok(mm.output().includes('Kafka MirrorMaker stopped.'), mm.output());
  mm = null;
});

test('MirrorSourceConnector runs in a Connect worker too, here with IdentityReplicationPolicy', async () => {
  const { startConnect } = await import('../src/connect.js');
  const worker = await startConnect('standalone', {
    'bootstrap.servers': b.bootstrap,
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'header.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'offset.storage.file.filename': join(dir, 'identity.offsets'),
    'offset.flush.interval.ms': '300',
    listeners: 'http://127.0.0.1:0',
  });
  try {
    const res = await fetch(`${worker.url}connectors`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'identity-mirror',
        config: {
          'connector.class': 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
          'source.cluster.alias': 'A',
          'target.cluster.alias': 'B',
          'source.cluster.bootstrap.servers': a.bootstrap,
          'target.cluster.bootstrap.servers': b.bootstrap,
          topics: 'secret-plans',
          'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
          'replication.factor': '1',
          'offset-syncs.topic.replication.factor': '1',
          'sync.topic.acls.enabled': 'false',
        },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const [[m]] = await readAll(b.bootstrap, 'secret-plans', 1, 1);
    assert.equal(m!.value?.toString(), 'do not copy');
    const status = (await (await fetch(`${worker.url}connectors/identity-mirror/status`)).json()) as { connector: { state: string }; type: string };
    assert.equal(status.connector.state, 'RUNNING');
    assert.equal(status.type, 'source');
    // a required key missing: Kafka's validation message
    const bad = await fetch(`${worker.url}connectors/bad/config`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ 'connector.class': 'MirrorCheckpointConnector' }) });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /Missing required configuration "source.cluster.alias"/);
  } finally {
    await worker.stop();
  }
});
