/**
 * kafkajs 2.2 (non-flexible versions only: Produce v7, Fetch v11, Metadata v6) against a live
 * broker: produce with keys, headers and timestamps in every codec, read back both raw and
 * through kafkajs's own Fetch decoding, admin topic lifecycle, and the group consumer once the
 * broker serves the group APIs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CompressionTypes, Kafka, logLevel, type IHeaders, type Message } from 'kafkajs';
import { ApiKey } from '@samsa/protocol';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { registerKafkajsCodecs } from '../support/kafkajs-codecs.js';
import { assertSameRecords, assertStored, byPartition, CODECS, sampleRecords, type Codec, type SampleRecord, type SeenRecord } from '../support/interop.js';

const require = createRequire(import.meta.url);

const KAFKAJS_CODEC: Record<Codec, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

registerKafkajsCodecs();

function client(tb: TestBroker, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50, maxRetryTime: 500 }, connectionTimeout: 3000, requestTimeout: 10_000 });
}

/** kafkajs headers: an object; a repeated key becomes an array, in order. */
function toKafkajsHeaders(headers: Array<[string, string]>): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of headers) {
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else out[k] = Array.isArray(cur) ? [...cur, v] : [cur as string, v];
  }
  return out;
}

function fromKafkajsHeaders(headers: Record<string, Buffer | Buffer[] | undefined> | undefined): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  for (const [k, v] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, one === undefined || one === null ? null : one.toString('utf8')]);
  }
  return out;
}

/** kafkajs groups headers by key, so the expected order is "first appearance of each key". */
function groupedHeaders(records: SampleRecord[]): SampleRecord[] {
  return records.map((r) => {
    const keys: string[] = [];
    for (const [k] of r.headers) if (!keys.includes(k)) keys.push(k);
    return { ...r, headers: keys.flatMap((k) => r.headers.filter(([hk]) => hk === k)) };
  });
}

function toMessage(r: SampleRecord): Message {
  return { partition: r.partition, key: r.key, value: r.value, headers: toKafkajsHeaders(r.headers), timestamp: String(r.timestamp) };
}

/**
 * A manual partition read with kafkajs's own protocol code (its Cluster and Broker.fetch,
 * Fetch v11 + its record decoder and codecs): kafkajs's consumer API needs a group coordinator.
 */
async function kafkajsFetchAll(tb: TestBroker, topic: string, partitions: number[]): Promise<SeenRecord[]> {
  const Cluster = require('kafkajs/src/cluster') as new (opts: Record<string, unknown>) => any;
  const { createLogger, LEVELS } = require('kafkajs/src/loggers') as { createLogger: (o: unknown) => unknown; LEVELS: Record<string, number> };
  const socketFactory = (require('kafkajs/src/network/socketFactory') as () => unknown)();
  const cluster = new Cluster({
    logger: createLogger({ level: LEVELS['NOTHING'], logCreator: () => () => {} }),
    brokers: [tb.bootstrap], clientId: 'kafkajs-fetch', socketFactory, retry: { retries: 5, initialRetryTime: 50 },
    connectionTimeout: 3000, requestTimeout: 10_000, enforceRequestTimeout: true,
  });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const seen: SeenRecord[] = [];
    const offsets = new Map(partitions.map((p) => [p, 0]));
    for (let round = 0; round < 200 && offsets.size > 0; round++) {
      const leaders = Object.keys(cluster.findLeaderForPartitions(topic, partitions) as Record<string, number[]>);
      assert.deepEqual(leaders, ['0'], 'one broker leads every partition');
      const leader = await cluster.findBroker({ nodeId: 0 });
      const res = await leader.fetch({
        replicaId: -1, isolationLevel: 1, maxWaitTime: 10, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic, partitions: [...offsets].map(([partition, fetchOffset]) => ({ partition, fetchOffset: String(fetchOffset), maxBytes: 64 * 1024 })) }],
      });
      for (const t of res.responses) {
        for (const p of t.partitions) {
          assert.equal(p.errorCode, 0);
          for (const m of p.messages) {
            const offset = Number(m.offset);
            if (offset < offsets.get(p.partition)!) continue;
            seen.push({
              partition: p.partition, offset, key: m.key === null ? null : m.key.toString('utf8'), value: m.value === null ? null : m.value.toString('utf8'),
              headers: fromKafkajsHeaders(m.headers), timestamp: Number(m.timestamp),
            });
            offsets.set(p.partition, offset + 1);
          }
          if (offsets.get(p.partition)! >= Number(p.highWatermark)) offsets.delete(p.partition);
        }
      }
    }
    assert.equal(offsets.size, 0, 'kafkajs fetch reached the high watermark of every partition');
    return seen;
  } finally {
    await cluster.disconnect();
  }
}

test('kafkajs produces keys, headers and timestamps in every codec; raw and kafkajs fetch read them back in order', async () => {
  const tb = await startBroker();
  try {
    const kafka = client(tb, 'interop-kafkajs');
    const admin = kafka.admin();
    await admin.connect();
    const created = await admin.createTopics({ topics: CODECS.map((c) => ({ topic: `kafkajs-${c}`, numPartitions: 3 })), waitForLeaders: true });
    assert.equal(created, true);
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    for (const codec of CODECS) {
      const topic = `kafkajs-${codec}`;
      const records = sampleRecords(`kafkajs-${codec}`, { nullKeys: true, repeatedHeaderKeys: true });
      // Two sends: each partition gets two batches, so offsets continue across batches.
      const half = byPartition(records);
      const first = [...half.values()].flatMap((l) => l.slice(0, 5));
      const second = [...half.values()].flatMap((l) => l.slice(5));
      for (const part of [first, second]) {
        const res = await producer.send({ topic, messages: part.map(toMessage), compression: KAFKAJS_CODEC[codec], acks: -1 });
        for (const r of res) assert.equal(r.errorCode, 0, `${codec}: produce to partition ${r.partition}`);
      }
      const expected = groupedHeaders(records);
      await assertStored(tb.port, topic, expected, codec, `kafkajs ${codec}`);
      const seen = await kafkajsFetchAll(tb, topic, [0, 1, 2]);
      assertSameRecords(seen, expected, `kafkajs ${codec} (kafkajs fetch)`);
    }
    await producer.disconnect();
  } finally {
    await tb.stop();
  }
});

test('kafkajs produces to an auto-created topic and lists offsets', async () => {
  const tb = await startBroker({ config: { 'num.partitions': '2' } });
  try {
    const kafka = client(tb, 'interop-kafkajs-auto');
    const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
    await producer.connect();
    const records = sampleRecords('auto', { partitions: 2, perPartition: 4 });
    await producer.send({ topic: 'kafkajs-auto', messages: records.map(toMessage), compression: CompressionTypes.GZIP });
    await producer.disconnect();
    await assertStored(tb.port, 'kafkajs-auto', records, 'gzip', 'kafkajs auto-create');
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('kafkajs-auto');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]).sort(), [[0, '0', '4'], [1, '0', '4']]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('kafkajs-auto', records[2]!.timestamp);
    assert.deepEqual(byTime.map((o) => [o.partition, o.offset]).sort(), [[0, '2'], [1, '0']].sort());
    await admin.disconnect();
  } finally {
    await tb.stop();
  }
});

test('kafkajs admin creates, describes, grows and deletes topics', async () => {
  const tb = await startBroker({ config: { 'auto.create.topics.enable': 'false' } });
  try {
    const kafka = client(tb, 'interop-kafkajs-admin');
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'adm-a', numPartitions: 3 }, { topic: 'adm-b', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true }), true);
    // Creating it again is not an error for kafkajs (returns false: nothing new).
    assert.equal(await admin.createTopics({ topics: [{ topic: 'adm-a', numPartitions: 3 }] }), false);
    assert.deepEqual((await admin.listTopics()).sort(), ['adm-a', 'adm-b']);
    const md = await admin.fetchTopicMetadata({ topics: ['adm-a', 'adm-b'] });
    const a = md.topics.find((t) => t.name === 'adm-a')!;
    assert.deepEqual(a.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(), [[0, 0, [0], [0]], [1, 0, [0], [0]], [2, 0, [0], [0]]]);
    await admin.createPartitions({ topicPartitions: [{ topic: 'adm-a', count: 5 }] });
    const md2 = await admin.fetchTopicMetadata({ topics: ['adm-a'] });
    assert.equal(md2.topics[0]!.partitions.length, 5);
    const cluster = await admin.describeCluster();
    assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, b.host, b.port]), [[0, 'localhost', tb.port]]);
    assert.equal(cluster.controller, 0);
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'adm-b', configNames: ['cleanup.policy'] }] });
    assert.equal(cfg.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'compact');
    await admin.deleteTopics({ topics: ['adm-a', 'adm-b'], timeout: 5000 });
    assert.deepEqual(await admin.listTopics(), []);
    await assert.rejects(admin.fetchTopicMetadata({ topics: ['adm-a'] }));
    await admin.disconnect();
  } finally {
    await tb.stop();
  }
});


test('kafkajs group consumer reads every codec from the beginning', async () => {
  const tb = await startBroker();
  try {
    const kafka = client(tb, 'interop-kafkajs-group');
    const producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
    await producer.connect();
    const expected = new Map<string, SampleRecord[]>();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: CODECS.map((c) => ({ topic: `kafkajs-group-${c}`, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    for (const codec of CODECS) {
      const records = sampleRecords(`group-${codec}`, { nullKeys: true, repeatedHeaderKeys: true, perPartition: 6 });
      await producer.send({ topic: `kafkajs-group-${codec}`, messages: records.map(toMessage), compression: KAFKAJS_CODEC[codec] });
      expected.set(`kafkajs-group-${codec}`, groupedHeaders(records));
    }
    await producer.disconnect();

    const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
    const seen = new Map<string, SeenRecord[]>([...expected.keys()].map((k) => [k, []]));
    const consumer = kafka.consumer({ groupId: 'interop-kafkajs', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...expected.keys()], fromBeginning: true });
      let count = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out with ${count}/${total} records`)), 30_000);
        void consumer.run({
          eachMessage: async ({ topic, partition, message: m }) => {
            seen.get(topic)!.push({
              partition, offset: Number(m.offset), key: m.key === null ? null : m.key.toString('utf8'), value: m.value === null ? null : m.value.toString('utf8'),
              headers: fromKafkajsHeaders(m.headers as Record<string, Buffer | Buffer[] | undefined>), timestamp: Number(m.timestamp),
            });
            if (++count === total) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    for (const [topic, exp] of expected) assertSameRecords(seen.get(topic)!, exp, `kafkajs group ${topic}`);
  } finally {
    await tb.stop();
  }
});

test('kafkajs pipelines many concurrent sends on one connection; every record lands once, in order per partition', async () => {
  const tb = await startBroker();
  try {
    const kafka = client(tb, 'interop-kafkajs-pipeline');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'pipeline', numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 50 });
    await producer.connect();
    const SENDS = 60;
    const PER_SEND = 50;
    const started = Date.now();
    // Sends to one partition from one producer are queued in order by kafkajs; across
    // partitions they interleave on the wire.
    await Promise.all(Array.from({ length: SENDS }, (_, s) => producer.send({
      topic: 'pipeline', acks: s % 2 === 0 ? -1 : 1, compression: s % 3 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: Array.from({ length: PER_SEND }, (_, i) => ({ partition: s % 3, key: `s${s}`, value: `${s}:${i}` })),
    })));
    const elapsed = Date.now() - started;
    await producer.disconnect();
    const seen = await kafkajsFetchAll(tb, 'pipeline', [0, 1, 2]);
    assert.equal(seen.length, SENDS * PER_SEND, `records after ${elapsed} ms`);
    for (const p of [0, 1, 2]) {
      const values = seen.filter((r) => r.partition === p).map((r) => r.value!);
      assert.deepEqual(values.map((_, i) => i), seen.filter((r) => r.partition === p).map((r) => r.offset), `partition ${p}: dense offsets`);
      // Within one send the order is kept, and each send's records are contiguous.
      const bySend = new Map<string, number[]>();
      for (const v of values) {
        const [s, n] = v.split(':');
        bySend.set(s!, [...(bySend.get(s!) ?? []), Number(n)]);
      }
      for (const [s, ns] of bySend) assert.deepEqual(ns, Array.from({ length: PER_SEND }, (_, i) => i), `send ${s} in order`);
    }
  } finally {
    await tb.stop();
  }
});
