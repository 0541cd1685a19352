import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

test('ListOffsets: earliest, latest, by timestamp, max timestamp, v0 offsets array, unknown partition', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'lo' });
    const c = await WireClient.connect(tb.port);
    const now = BigInt(Date.now());
    for (const [i, ts] of [now - 3000n, now - 1000n, now - 2000n].entries()) {
      const records = encodeRecordBatch(createRecordBatch([{ value: Buffer.from(`m${i}`), timestamp: ts }]));
      const r = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'lo', partitionData: [{ index: 0, records }] }] });
      assert.equal(r.responses[0].partitionResponses[0].errorCode, 0);
    }
    const ask = async (timestamp: bigint, version = 7, partitionIndex = 0) => {
      const r = await c.send(ApiKey.ListOffsets, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
      return r.topics[0].partitions[0];
    };
    assert.equal((await ask(-2n)).offset, 0n);
    assert.equal((await ask(-1n)).offset, 3n);
    assert.equal((await ask(now - 2500n)).offset, 1n);
    const max = await ask(-3n);
    assert.equal(max.offset, 1n);
    assert.equal(max.timestamp, now - 1000n);
    const none = await ask(now + 100_000n);
    assert.equal(none.offset, -1n);
    assert.equal(none.timestamp, -1n);
    assert.deepEqual((await ask(-1n, 0)).oldStyleOffsets, [3n]);
    assert.equal((await ask(-1n, 1)).offset, 3n);
    assert.equal((await ask(-1n, 7, 5)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    c.close();
  } finally {
    await tb.stop();
  }
});
