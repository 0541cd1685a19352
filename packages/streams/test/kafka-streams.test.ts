// KafkaStreams against a real (in-process) broker: a windowed count with suppression and a
// stream-table join fed out-of-order events, checked against hand-computed results; the
// runtime's errors for exactly_once_v2 and for topics that are not co-partitioned.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { type Admin, createAdmin, createConsumer, createProducer } from '@samsa/client';
import { KafkaStreams, MissingSourceTopicException, Serdes, StreamsBuilder, StreamsConfigError, Suppressed, timeWindowedSerde, TimeWindows, TopologyException } from '../src/index.js';

const S = Serdes.String();
const L = Serdes.Long();
let broker: TestBroker;
let admin: Admin;
let stateDir: string;

before(async () => {
  broker = await startBroker();
  admin = createAdmin({ bootstrapServers: broker.bootstrap });
  stateDir = mkdtempSync(join(tmpdir(), 'samsa-streams-'));
});

after(async () => {
  await admin.close();
  await broker.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const props = (app: string): Record<string, string> => ({ 'application.id': app, 'bootstrap.servers': broker.bootstrap, 'state.dir': stateDir, 'commit.interval.ms': '100' });

async function readAll(topic: string, count: number): Promise<Array<{ key: Buffer; value: Buffer; timestamp: bigint }>> {
  const c = createConsumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  const parts = (await admin.describeTopics({ topics: [topic] }))[0]!.partitions.map((p) => ({ topic, partition: p.partition }));
  c.assign(parts);
  const out: Array<{ key: Buffer; value: Buffer; timestamp: bigint }> = [];
  const end = Date.now() + 30_000;
  while (out.length < count && Date.now() < end) for (const b of await c.poll(200)) for (const m of b.messages) out.push({ key: m.key!, value: m.value!, timestamp: m.timestamp });
  await c.close();
  return out;
}

test('windowed count with suppress and a stream-table join, out-of-order events, on a broker', { timeout: 60_000 }, async () => {
  await admin.createTopics({ topics: [{ topic: 'clicks', numPartitions: 2 }, { topic: 'users', numPartitions: 2 }, { topic: 'windowed-counts', numPartitions: 1 }, { topic: 'enriched', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  const ws = timeWindowedSerde(S, 10_000);
  const clicks = b.stream<string, string>('clicks', { keySerde: S, valueSerde: S });
  clicks.groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(10_000, 5_000)).count({ storeName: 'click-counts' })
    .suppress(Suppressed.untilWindowCloses()).toStream().to('windowed-counts', { keySerde: ws, valueSerde: L });
  const users = b.table<string, string>('users', { keySerde: S, valueSerde: S }, { storeName: 'users', storeType: 'in_memory' });
  clicks.join(users, (c, u) => `${u}:${c}`).to('enriched', { keySerde: S, valueSerde: S });
  const streams = new KafkaStreams(b.build(), props('windowed-app'));
  await streams.start();
  try {
    const producer = createProducer({ bootstrapServers: broker.bootstrap });
    const t0 = 1_000_000;
    // everything on partition 0 (co-partitioned: both topics' partition 0 are one task), so one stream time
    await producer.send({ topic: 'users', messages: [{ key: 'u1', value: 'ann', timestamp: t0, partition: 0 }, { key: 'u2', value: 'bob', timestamp: t0, partition: 0 }] });
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 20_000;
      const check = (): void => {
        const users = streams.state === 'RUNNING' ? streams.store<string, string>('users') : null;
        const loaded = users !== null && users.get('u1') === 'ann' && users.get('u2') === 'bob';
        if (loaded) resolve();
        else if (Date.now() > end) reject(new Error('users table not loaded'));
        else setTimeout(check, 50);
      };
      check();
    });
    // u1@1s, u1@12s, u1@8s (out of order; [0,10s) open until stream time 15s), u2@2s, u1@16s
    // (closes [0,10s)), u1@3s (late: dropped), u2@40s (closes [10s,20s))
    const at = (s: number): number => t0 + s * 1000;
    for (const [k, s] of [['u1', 1], ['u1', 12], ['u1', 8], ['u2', 2], ['u1', 16], ['u1', 3], ['u2', 40]] as const) {
      await producer.send({ topic: 'clicks', messages: [{ key: k, value: `c${s}`, timestamp: at(s), partition: 0 }] });
    }
    await producer.close();
    const counts = await readAll('windowed-counts', 3);
    const got = counts.map((r) => {
      const k = ws.deserialize('', r.key)!;
      return `${k.key}@${(k.window.start - t0) / 1000}=${L.deserialize('', r.value)}`;
    });
    // by hand: u1 [0,10s) = {1, 8} (3 was late), u2 [0,10s) = {2}, u1 [10s,20s) = {12, 16}; u2 [40s,50s) still open
    assert.deepEqual(got.sort(), ['u1@0=2', 'u1@10=2', 'u2@0=1']);
    // interactive query of the window store: u2's [40s,50s) window is open and holds 1
    assert.equal(streams.store<string, number>('click-counts').fetch('u2', at(40)), 1);
    const enriched = await readAll('enriched', 7);
    // every click joins its user; the late click still joins (joins have no window)
    assert.deepEqual(enriched.map((r) => r.value.toString()).sort(), ['ann:c1', 'ann:c12', 'ann:c16', 'ann:c3', 'ann:c8', 'bob:c2', 'bob:c40'].sort());
  } finally {
    await streams.close();
  }
});

test('processing.guarantee: exactly_once_v2 (commit.interval.ms 100 by default), the deprecated names mapped to it as Kafka 3.x, others refused', () => {
  const b = new StreamsBuilder();
  b.stream('x').to('y');
  const base = { 'application.id': 'eos', 'bootstrap.servers': 'localhost:1' };
  const eos = new KafkaStreams(b.build(), { ...base, 'processing.guarantee': 'exactly_once_v2' });
  assert.equal(eos.config.processingGuarantee, 'exactly_once_v2');
  assert.equal(eos.config.commitIntervalMs, 100);
  assert.equal(eos.config.transactionTimeoutMs, 10000);
  assert.equal(new KafkaStreams(b.build(), { ...base, 'processing.guarantee': 'exactly_once' }).config.processingGuarantee, 'exactly_once_v2');
  assert.equal(new KafkaStreams(b.build(), base).config.commitIntervalMs, 30000);
  assert.throws(() => new KafkaStreams(b.build(), { ...base, 'processing.guarantee': 'exactly_twice' }), (e: Error) => e instanceof StreamsConfigError && /exactly_once_v2/.test(e.message));
  assert.throws(() => new KafkaStreams(b.build(), { 'bootstrap.servers': 'localhost:1' }), /application\.id/);
});

test('a join of topics with different partition counts fails the co-partitioning check', { timeout: 30_000 }, async () => {
  await admin.createTopics({ topics: [{ topic: 'left-3', numPartitions: 3 }, { topic: 'right-2', numPartitions: 2 }] });
  const b = new StreamsBuilder();
  b.stream<string, string>('left-3', { keySerde: S, valueSerde: S }).join(b.table<string, string>('right-2', { keySerde: S, valueSerde: S }), (l, r) => l + r).to('out');
  const streams = new KafkaStreams(b.build(), props('copart'));
  await assert.rejects(streams.start(), (e: Error) => e instanceof TopologyException && /not co-partitioned/.test(e.message));
  await streams.close();
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a persistent store restarts from its checkpoint plus the changelog written since', { timeout: 60_000 }, async () => {
  await admin.createTopics({ topics: [{ topic: 'pc-in', numPartitions: 1 }, { topic: 'pc-out', numPartitions: 1 }] });
  const topology = (): ReturnType<StreamsBuilder['build']> => {
    const b = new StreamsBuilder();
    b.stream<string, string>('pc-in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'pc-counts' }).toStream().to('pc-out', { keySerde: S, valueSerde: L });
    return b.build();
  };
  const producer = createProducer({ bootstrapServers: broker.bootstrap });
  const send = (...keys: string[]): Promise<unknown> => producer.send({ topic: 'pc-in', messages: keys.map((key) => ({ key, value: 'x' })) });
  const count = (app: KafkaStreams, key: string): number | null => (app.state === 'RUNNING' ? app.store<string, number>('pc-counts').get(key) : null);
  const first = new KafkaStreams(topology(), props('pc-app'));
  await first.start();
  await send('a', 'a', 'b', 'a');
  await waitFor(() => count(first, 'a') === 3 && count(first, 'b') === 1, 'first counts');
  await first.close();
  // a clean close leaves the LMDB files and a checkpoint at the changelog's end
  const taskDir = join(stateDir, 'pc-app', '0_0');
  assert.ok(existsSync(join(taskDir, 'pc-counts')));
  const checkpoint = JSON.parse(readFileSync(join(taskDir, '.checkpoint'), 'utf8')) as { offsets: Record<string, string>; streamTime: number };
  const [end] = await admin.listOffsets([{ topic: 'pc-app-pc-counts-changelog', partition: 0, spec: 'latest' }]);
  assert.equal(checkpoint.offsets['pc-counts'], String(end!.offset));
  assert.ok(checkpoint.streamTime > 0);
  assert.equal(end!.offset, 4n);
  await send('a', 'c');
  const second = new KafkaStreams(topology(), props('pc-app'));
  await second.start();
  try {
    await waitFor(() => count(second, 'a') === 4 && count(second, 'c') === 1, 'counts after restart');
    assert.equal(count(second, 'b'), 1);
    const out = await readAll('pc-out', 6);
    assert.deepEqual(out.map((r) => `${r.key.toString()}=${L.deserialize('', r.value)}`), ['a=1', 'a=2', 'b=1', 'a=3', 'a=4', 'c=1']);
  } finally {
    await second.close();
    await producer.close();
  }
});

test('stream time comes back with the state: a late record after a restart does not reopen a closed window', { timeout: 60_000 }, async () => {
  await admin.createTopics({ topics: [{ topic: 'late-in', numPartitions: 1 }, { topic: 'late-out', numPartitions: 1 }] });
  const ws = timeWindowedSerde(S, 10_000);
  const topology = (): ReturnType<StreamsBuilder['build']> => {
    const b = new StreamsBuilder();
    b.stream<string, string>('late-in', { keySerde: S, valueSerde: S }).groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10_000)).count({ storeType: 'in_memory' })
      .suppress(Suppressed.untilWindowCloses()).toStream().to('late-out', { keySerde: ws, valueSerde: L });
    return b.build();
  };
  const producer = createProducer({ bootstrapServers: broker.bootstrap });
  const send = (...secs: number[]): Promise<unknown> => producer.send({ topic: 'late-in', messages: secs.map((s) => ({ key: 'a', value: 'x', timestamp: s * 1000 + 1_000_000 })) });
  const windows = async (n: number): Promise<string[]> => (await readAll('late-out', n)).map((r) => {
    const k = ws.deserialize('', r.key)!;
    return `${(k.window.start - 1_000_000) / 1000}=${L.deserialize('', r.value)}`;
  });
  const first = new KafkaStreams(topology(), props('late-app'));
  await first.start();
  await send(1, 12, 30); // 30s closes [0,10s) and [10s,20s)
  assert.deepEqual(await windows(2), ['0=1', '10=1']);
  await first.close();
  // restored from the changelog (in memory), stream time 30s included
  const second = new KafkaStreams(topology(), props('late-app'));
  await second.start();
  try {
    await send(5, 41); // 5s is late for the closed [0,10s); 41s closes [30s,40s)
    assert.deepEqual(await windows(3), ['0=1', '10=1', '30=1']);
    assert.equal((await admin.fetchTopicOffsets('late-out'))[0]!.high, 3n);
  } finally {
    await second.close();
    await producer.close();
  }
});

test('internal topics: repartition with a partition count, changelogs compacted, named after application.id', { timeout: 60_000 }, async () => {
  await admin.createTopics({ topics: [{ topic: 'rp-in', numPartitions: 1 }, { topic: 'rp-out', numPartitions: 1 }] });
  const b = new StreamsBuilder();
  b.stream<string, string>('rp-in', { keySerde: S, valueSerde: S })
    .selectKey((_k, v) => v.split(' ')[0]!)
    .repartition({ name: 'by-first-word', numberOfPartitions: 3 })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000))
    .count({ storeName: 'word-windows' })
    .toStream()
    .map((w, n) => [w.key, n ?? 0])
    .to('rp-out', { keySerde: S, valueSerde: L });
  const streams = new KafkaStreams(b.build(), props('rp-app'));
  await streams.start();
  try {
    const producer = createProducer({ bootstrapServers: broker.bootstrap });
    await producer.send({ topic: 'rp-in', messages: ['x a', 'y b', 'x c', 'z d', 'x e'].map((value) => ({ value, timestamp: 5_000 })) });
    await producer.close();
    const out = await readAll('rp-out', 5);
    const latest = new Map(out.map((r) => [r.key.toString(), L.deserialize('', r.value)]));
    assert.deepEqual([...latest].sort(), [['x', 3], ['y', 1], ['z', 1]]);
    const [rp] = await admin.describeTopics({ topics: ['rp-app-by-first-word-repartition'] });
    assert.equal(rp!.partitions.length, 3);
    // the windowed count runs as 3 tasks (sub-topology 1 over the repartition topic's partitions)
    assert.deepEqual(streams.localTasks(), ['0_0', '1_0', '1_1', '1_2']);
    const [changelog] = await admin.describeTopics({ topics: ['rp-app-word-windows-changelog'] });
    assert.equal(changelog!.partitions.length, 3);
    const [cfg] = await admin.describeConfigs({ resources: [{ type: 2, name: 'rp-app-word-windows-changelog', configNames: ['cleanup.policy'] }] });
    assert.equal(cfg!.configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact,delete');
  } finally {
    await streams.close();
  }
});

test('a missing source topic fails start() with MissingSourceTopicException', { timeout: 30_000 }, async () => {
  const b = new StreamsBuilder();
  b.stream('no-such-topic').to('out');
  const streams = new KafkaStreams(b.build(), props('missing-app'));
  await assert.rejects(streams.start(), (e: Error) => e instanceof MissingSourceTopicException && /no-such-topic/.test(e.message));
  assert.equal(streams.state, 'ERROR');
  await streams.close();
  assert.equal(streams.state, 'NOT_RUNNING');
});
