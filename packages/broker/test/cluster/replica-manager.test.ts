import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { REPLICATION_OFFSET_CHECKPOINT } from '../../src/storage/checkpoint.js';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const produce = (c: WireClient, topic: string, acks: number) =>
  c.send(ApiKey.Produce, 9, {
    transactionalId: null, acks, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from('x') }])) }] }],
  }).then((r) => r.responses[0].partitionResponses[0]);

test('min.insync.replicas: acks=all with a smaller ISR is NOT_ENOUGH_REPLICAS and writes nothing; acks=1 is accepted', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'strict', configs: { 'min.insync.replicas': '2' } });
    const refused = await produce(c, 'strict', -1);
    assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal(tb.broker.partitions.getPartition('strict', 0)!.logEndOffset, 0n);
    const one = await produce(c, 'strict', 1);
    assert.deepEqual([one.errorCode, one.baseOffset], [ErrorCode.NONE, 0n]);
    await tb.broker.topics.createTopic({ name: 'lenient' });
    const all = await produce(c, 'lenient', -1);
    assert.deepEqual([all.errorCode, all.baseOffset], [ErrorCode.NONE, 0n], 'a single-replica ISR commits at once');
  } finally {
    c.close();
    await tb.stop();
  }
});

test('file storage: high watermarks are checkpointed in replication-offset-checkpoint at shutdown', async () => {
  const tb = await startBroker({ storage: 'file' });
  const dataDir = tb.dataDir!;
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'hw', numPartitions: 2 });
    for (let i = 0; i < 3; i++) await produce(c, 'hw', 1);
  } finally {
    c.close();
    await tb.broker.stop();
  }
  const text = readFileSync(join(dataDir, REPLICATION_OFFSET_CHECKPOINT), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '0');
  assert.ok(lines.includes('hw 0 3'), text);
  assert.ok(lines.includes('hw 1 0'), text);
  assert.equal(Number(lines[1]), lines.length - 2);
  await tb.stop();
});
