import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { ApiKey, apiByName, decodeRecordSet } from '@samsa/protocol';
import { decodeRecordBatchHeaders } from '@samsa/protocol/records';
import { missingApis, readPartition } from './support.js';
import { Cluster } from '../src/cluster.js';
import { Producer } from '../src/producer.js';
import { defaultPartition } from '../src/partitioner.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker({ config: { 'num.partitions': '3' } });
});
after(async () => {
  await broker.stop();
});

/** Reads a partition back with a raw Fetch (independent of the consumer). */
async function rawRecords(topic: string, partition: number): Promise<Buffer> {
  const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
  try {
    await cluster.waitForTopics([topic], 5000);
    const conn = cluster.broker(cluster.leaderOf(topic, partition));
    const { response } = await conn.send(apiByName.Fetch, () => ({ maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 10_000_000 }] }] }));
    return response.responses[0]!.partitions[0]!.records ?? Buffer.alloc(0);
  } finally {
    cluster.close();
  }
}

function readAll(topic: string, partition: number): ReturnType<typeof readPartition> {
  return readPartition(broker.bootstrap, topic, partition);
}

describe('producer', () => {
  it('sends keyed records to murmur2 partitions and reports offsets', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    try {
      const msgs = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      const res = await producer.send({ topic: 'p-keyed', messages: msgs });
      assert.equal(res.length, 30);
      for (let i = 0; i < 30; i++) assert.equal(res[i]!.partition, defaultPartition(`k${i}`, 3));
      const seen = new Map<number, number>();
      for (const r of res) {
        const n = seen.get(r.partition) ?? 0;
        assert.equal(r.offset, BigInt(n));
        seen.set(r.partition, n + 1);
      }
      for (let p = 0; p < 3; p++) {
        const records = await readAll('p-keyed', p);
        const expected = res.filter((r) => r.partition === p).length;
        assert.equal(records.length, expected);
        for (const r of records) assert.equal(defaultPartition(r.key!, 3), p);
      }
    } finally {
      await producer.close();
    }
  });

  it('is idempotent by default: batches carry the producer id, epoch and consecutive sequences', async (t) => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap, batchSize: 1024, lingerMs: 0 });
    try {
      const topic = 'p-idem';
      for (let i = 0; i < 5; i++) await producer.send({ topic, messages: Array.from({ length: 3 }, (_, j) => ({ value: `v${i}-${j}`, partition: 0 })) });
      assert.equal(producer.idempotent, true);
      assert.ok(producer.producerId >= 0n);
      const headers = decodeRecordBatchHeaders(await rawRecords(topic, 0));
      assert.equal(headers.length, 5);
      headers.forEach((h, i) => {
        assert.equal(h.producerId, producer.producerId);
        assert.equal(h.producerEpoch, producer.producerEpoch);
        assert.equal(h.baseSequence, i * 3);
      });
    } finally {
      await producer.close();
    }
  });

  it('fast path: produce() + flush() with sticky partitioning of null keys, acks=1', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap, acks: 1, batchSize: 2048, idempotent: false });
    try {
      await producer.connect();
      const topic = 'p-fast';
      for (let i = 0; i < 1000; i++) producer.produce(topic, Buffer.alloc(100, i % 256));
      await producer.flush();
      let total = 0;
      const perPartition: number[] = [];
      for (let p = 0; p < 3; p++) {
        const n = (await readAll(topic, p)).length;
        perPartition.push(n);
        total += n;
      }
      assert.equal(total, 1000);
      // sticky: batches of ~2 KiB (about 17 records) switch partitions, so all three get data
      assert.ok(perPartition.every((n) => n > 0), JSON.stringify(perPartition));
    } finally {
      await producer.close();
    }
  });

  it('acks=0 sends without waiting for a response', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap, acks: 0 });
    try {
      const res = await producer.send({ topic: 'p-acks0', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }] });
      assert.deepEqual(res.map((r) => r.offset), [-1n, -1n]);
      assert.equal(producer.idempotent, false, 'acks=0 turns default idempotence off, as Kafka');
      const deadline = Date.now() + 5000;
      let got: unknown[] = [];
      while (got.length < 2 && Date.now() < deadline) got = await readAll('p-acks0', 0);
      assert.equal(got.length, 2);
    } finally {
      await producer.close();
    }
  });

  it('rejects bad config with stable codes', () => {
    assert.throws(() => new Producer({ bootstrapServers: broker.bootstrap, acks: 1, idempotent: true }), (e: Error & { code?: string }) => e.code === 'ERR_SAMSA_CONFIG');
    assert.throws(() => new Producer({ bootstrapServers: 'nohostport' }), (e: Error & { code?: string }) => e.code === 'ERR_SAMSA_CONFIG');
  });
});
