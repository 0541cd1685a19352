import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { produceRecords } from '../support/admin-helpers.js';

test('DeleteRecords: offsets, -1 = high watermark, beyond it OFFSET_OUT_OF_RANGE, low watermark, unknown partition, compact-only', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dr', numPartitions: 2 });
    await tb.broker.topics.createTopic({ name: 'dr-compact', configs: { 'cleanup.policy': 'compact' } });
    await produceRecords(c, 'dr', 0, 5);
    await produceRecords(c, 'dr', 1, 4);
    await produceRecords(c, 'dr-compact', 0, 2);
    const del = (topics: unknown[], version = 2) => c.send(ApiKey.DeleteRecords, version, { topics, timeoutMs: 5000 });

    const r = await del([
      { name: 'dr', partitions: [{ partitionIndex: 0, offset: 3n }, { partitionIndex: 1, offset: -1n }, { partitionIndex: 7, offset: 0n }] },
      { name: 'dr-missing', partitions: [{ partitionIndex: 0, offset: 0n }] },
      { name: 'dr-compact', partitions: [{ partitionIndex: 0, offset: 1n }] },
    ]);
    const [p0, p1, p7] = r.topics[0].partitions;
    assert.deepEqual([p0.errorCode, p0.lowWatermark], [ErrorCode.NONE, 3n]);
    assert.deepEqual([p1.errorCode, p1.lowWatermark], [ErrorCode.NONE, 4n]);
    assert.deepEqual([p7.errorCode, p7.lowWatermark], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]);
    assert.equal(r.topics[1].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(r.topics[2].partitions[0].errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(tb.broker.partitions.getPartition('dr', 0)!.log.logStartOffset, 3n);

    // What ListOffsets then reports as earliest.
    const lo = await c.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] });
    assert.equal(lo.topics[0].partitions[0].offset, 3n);

    const beyond = await del([{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 6n }, { partitionIndex: 1, offset: -5n }] }], 0);
    assert.equal(beyond.topics[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(beyond.topics[0].partitions[1].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    // Never moves back.
    const back = await del([{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 1n }] }], 1);
    assert.deepEqual([back.topics[0].partitions[0].errorCode, back.topics[0].partitions[0].lowWatermark], [ErrorCode.NONE, 3n]);
    // A fetch below the new start is out of range.
    const fr = await c.send(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'dr', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    assert.equal(fr.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  } finally {
    c.close();
    await tb.stop();
  }
});
