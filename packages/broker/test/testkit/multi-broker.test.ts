import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

async function produce(c: WireClient, values: string[]): Promise<void> {
  const records = encodeRecordBatch(createRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) }))));
  const r = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'shared-name', partitionData: [{ index: 0, records }] }] });
  assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
}

async function fetchAll(c: WireClient): Promise<{ values: string[]; highWatermark: bigint }> {
  const r = await c.send(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '',
    topics: [{ topic: 'shared-name', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  });
  const p = r.responses[0].partitions[0];
  assert.equal(p.errorCode, ErrorCode.NONE);
  const values = decodeRecordBatches(p.records).flatMap((b) => b.records.map((rec) => rec.value!.toString()));
  return { values, highWatermark: p.highWatermark };
}

test('two brokers with file storage in one process produce and fetch independently', async () => {
  const brokers: TestBroker[] = [await startBroker({ storage: 'file' }), await startBroker({ storage: 'file' })];
  const clients: WireClient[] = [];
  try {
    const [a, b] = brokers as [TestBroker, TestBroker];
    assert.notEqual(a.broker.storage.readBuffers, b.broker.storage.readBuffers, 'each engine has its own read slabs');
    for (const tb of brokers) await tb.broker.topics.createTopic({ name: 'shared-name' });
    const [ca, cb] = [await WireClient.connect(a.port), await WireClient.connect(b.port)];
    clients.push(ca, cb);
    // Interleaved in one event-loop turn: both engines stage writes at once.
    await Promise.all([produce(ca, ['a1', 'a2']), produce(cb, ['b1']), produce(ca, ['a3'])]);
    assert.deepEqual(await fetchAll(ca), { values: ['a1', 'a2', 'a3'], highWatermark: 3n });
    assert.deepEqual(await fetchAll(cb), { values: ['b1'], highWatermark: 1n });
    // Stopping one leaves the other serving.
    await a.stop();
    await produce(cb, ['b2']);
    assert.deepEqual(await fetchAll(cb), { values: ['b1', 'b2'], highWatermark: 2n });
  } finally {
    for (const c of clients) c.close();
    for (const tb of brokers) await tb.stop();
  }
});
