import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { CompressionType, createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

// Found by kafkajs's fetchTopicOffsetsByTimestamp: inside a compressed batch the broker named
// the batch's base offset instead of the first record at or after the timestamp (Kafka looks
// inside the batch). The storage engines can, once the broker gives them a decompressor.
for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
  test(`ListOffsets by timestamp and max timestamp look inside ${CompressionType[compression]} batches`, async () => {
    const tb = await startBroker();
    try {
      await tb.broker.topics.createTopic({ name: 'lo-z' });
      const c = await WireClient.connect(tb.port);
      const base = 1_700_000_000_000n;
      const timestamps = [base, base + 3000n, base + 1000n, base + 2000n];
      const records = encodeRecordBatch(createRecordBatch(timestamps.map((timestamp, i) => ({ value: Buffer.from(`m${i}`), timestamp }))), { compression });
      const pr = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'lo-z', partitionData: [{ index: 0, records }] }] });
      assert.equal(pr.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
      const ask = async (timestamp: bigint) => {
        const r = await c.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo-z', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
        return r.topics[0].partitions[0];
      };
      assert.deepEqual([(await ask(base + 500n)).offset, (await ask(base + 500n)).timestamp], [1n, base + 3000n]);
      assert.deepEqual([(await ask(base + 3000n)).offset, (await ask(base)).offset], [1n, 0n]);
      const max = await ask(-3n);
      assert.deepEqual([max.offset, max.timestamp], [1n, base + 3000n]);
      c.close();
    } finally {
      await tb.stop();
    }
  });
}
