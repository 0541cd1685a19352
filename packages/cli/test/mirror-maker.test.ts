// kafka-mirror-maker (the legacy consumer → producer MirrorMaker) between two in-process
// clusters, run as the real script: records keep keys, values, headers and timestamps; the
// group's offsets on the source are committed for what the target acknowledged (every
// --offset.commit.interval.ms and at SIGTERM); a second run resumes from them and copies only
// new records; --include takes Kafka's comma list; missing arguments give Kafka's messages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Consumer, type ConsumedMessage, Producer } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { includeListPattern } from '../src/commands/mirror-maker.js';
import { runIn, start, waitFor } from './support.js';

let a: TestBroker;
let b: TestBroker;
let dir: string;

before(async () => {
  [a, b] = await Promise.all([startBroker({ storage: 'memory' }), startBroker({ storage: 'memory' })]);
  dir = mkdtempSync(join(tmpdir(), 'legacy-mm-'));
});

after(async () => {
  await Promise.all([a.stop(), b.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function readTopic(bootstrap: string, topic: string, partitions: number, count: number): Promise<ConsumedMessage[]> {
  const c = new Consumer({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest' });
  c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  const out: ConsumedMessage[] = [];
  try {
    await waitFor(async () => {
      for (const batch of await c.poll(300)) out.push(...batch.messages);
      return out.length >= count;
    }, `${count} records of ${topic} (have ${out.length})`, 30_000);
  } finally {
    await c.close();
  }
  return out;
}

test('kafka-mirror-maker copies topics with keys, headers and timestamps and commits only what the target acknowledged', async () => {
  const adminA = new Admin({ bootstrapServers: a.bootstrap });
  const adminB = new Admin({ bootstrapServers: b.bootstrap });
  await adminA.createTopics({ topics: [{ topic: 'events', numPartitions: 2, replicationFactor: 1 }, { topic: 'audit', numPartitions: 1, replicationFactor: 1 }, { topic: 'private', numPartitions: 1, replicationFactor: 1 }] });
  await adminB.createTopics({ topics: [{ topic: 'events', numPartitions: 2, replicationFactor: 1 }, { topic: 'audit', numPartitions: 1, replicationFactor: 1 }] });
  const producer = new Producer({ bootstrapServers: a.bootstrap });
  const base = 1_650_000_000_000;
  const batch = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ key: `key-${from + i}`, value: `event ${from + i}`, headers: [{ key: 'origin', value: 'A' }, { key: 'n', value: String(from + i) }], timestamp: base + from + i }));
  await producer.send({ topic: 'events', messages: batch(0, 50) });
  await producer.send({ topic: 'audit', messages: [{ value: 'audit 1' }] });
  await producer.send({ topic: 'private', messages: [{ value: 'stays on A' }] });

  const consumerConfig = join(dir, 'consumer.properties');
  const producerConfig = join(dir, 'producer.properties');
  writeFileSync(consumerConfig, `bootstrap.servers=${a.bootstrap}\ngroup.id=mirror\nauto.offset.reset=earliest\nmetadata.max.age.ms=1000\n`);
  writeFileSync(producerConfig, `bootstrap.servers=${b.bootstrap}\n`);
  const args = ['--consumer.config', consumerConfig, '--producer.config', producerConfig, '--include', 'events, audit', '--num.streams', '2', '--offset.commit.interval.ms', '500'];

  const first = start('kafka-mirror-maker', args, { timeoutMs: 60_000 });
  const copied = await readTopic(b.bootstrap, 'events', 2, 50);
  const byKey = new Map(copied.map((m) => [m.key!.toString(), m]));
  for (let i = 0; i < 50; i++) {
    const m = byKey.get(`key-${i}`);
    assert.ok(m !== undefined, `key-${i} copied`);
    assert.equal(m.value?.toString(), `event ${i}`);
    assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString()]), [['origin', 'A'], ['n', String(i)]]);
    assert.equal(m.timestamp, BigInt(base + i));
  }
  assert.equal((await readTopic(b.bootstrap, 'audit', 1, 1))[0]!.value?.toString(), 'audit 1');
  // committed on A: every record acknowledged by B, per partition the end of the log
  const endsA = await adminA.fetchTopicOffsets('events');
  await waitFor(async () => {
    const committed = await adminA.listConsumerGroupOffsets('mirror');
    return endsA.every((e) => committed.find((c) => c.topic === 'events' && c.partition === e.partition)?.offset === e.high);
  }, 'offsets committed on A', 20_000);
  first.child.kill('SIGTERM');
  const r1 = await first.done;
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /Kafka mirror maker shutdown successfully/);
  assert.ok(!(await adminB.listTopics()).includes('private'), 'topics outside --include are not copied');

  // a second run resumes from the committed offsets: only the new records are copied
  await producer.send({ topic: 'events', messages: batch(50, 60) });
  const second = start('kafka-mirror-maker', args, { timeoutMs: 60_000 });
  const all = await readTopic(b.bootstrap, 'events', 2, 60);
  await waitFor(async () => (await adminA.listConsumerGroupOffsets('mirror')).filter((c) => c.topic === 'events').reduce((n, c) => n + Number(c.offset), 0) === 60, 'offsets of the second run', 20_000);
  second.child.kill('SIGTERM');
  assert.equal((await second.done).code, 0);
  const again = await readTopic(b.bootstrap, 'events', 2, 60);
  assert.equal(again.length, 60, 'no record copied twice');
  assert.equal(new Set(all.map((m) => m.key!.toString())).size, 60);
  await producer.close();
  await adminA.close();
  await adminB.close();
});

test('kafka-mirror-maker arguments as Kafka reads them', async () => {
  assert.ok(includeListPattern('events, audit').test('audit'));
  assert.ok(includeListPattern('"orders-.*"').test('orders-eu'));
  assert.ok(!includeListPattern('orders').test('orders-eu'));
  const none = await runIn('mirror-maker', ['--consumer.config', 'c.properties', '--producer.config', 'p.properties']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /include list must be specified/);
  const missing = await runIn('mirror-maker', ['--include', '.*']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Missing required argument "\[consumer.config\]"/);
});
