import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { apiByName, decodeRecordSet } from '@samsa/protocol';
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
async function readAll(topic: string, partition: number): Promise<Array<{ offset: bigint; key: string | null; value: string | null }>> {
  const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
  try {
    await cluster.waitForTopics([topic], 5000);
    const conn = cluster.broker(cluster.leaderOf(topic, partition));
    const { response } = await conn.send(apiByName.Fetch, () => ({ maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 10_000_000 }] }] }));
    const p = response.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return decodeRecordSet(p.records ?? Buffer.alloc(0)).map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));
  } finally {
    cluster.close();
  }
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
});
