import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { REPLICATION_OFFSET_CHECKPOINT } from '../../src/storage/checkpoint.js';
import { startCluster } from '../../src/testkit/cluster.js';
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

test('a replica whose log cannot be created is offline: Produce, Fetch, ListOffsets, OffsetForLeaderEpoch and DescribeProducers to it answer KAFKA_STORAGE_ERROR (Kafka: HostedPartition.Offline)', async () => {
  const cluster = await startCluster({ brokers: 2, store: 'memory', storage: 'file' });
  const dir = cluster.broker(1).dataDir!;
  // An immutable log dir: even root cannot make the partition's directory in it (EPERM).
  execFileSync('chattr', ['+i', dir]);
  const c = await WireClient.connect(cluster.broker(1).port);
  try {
    const admin = await WireClient.connect(cluster.broker(0).port);
    const created = await admin.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'offline', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 0] }], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    admin.close();
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE, created.topics[0].errorMessage ?? '');
    // The replica manager applies an image as it is published, before the image's waiters hear of it.
    const broker1 = cluster.broker(1).broker;
    assert.ok(await broker1.topics.metadata.waitFor((i) => i.topic('offline') !== undefined, 10_000), 'broker 1 learns of the topic');
    assert.equal(broker1.partitions.isOffline('offline', 0), true);
    assert.equal(broker1.partitions.getPartition('offline', 0), undefined);

    assert.equal((await produce(c, 'offline', 1)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const listed = await c.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'offline', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    assert.equal(listed.topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const fetched = await c.send(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'offline', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    assert.equal(fetched.responses[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const epochs = await c.send(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'offline', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    assert.equal(epochs.topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    const producers = await c.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'offline', partitionIndexes: [0] }] });
    assert.equal(producers.topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    // A partition the broker holds no replica of is still NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION.
    assert.equal((await produce(c, 'no-such-topic', 1)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    c.close();
    execFileSync('chattr', ['-i', dir]);
    await cluster.stop();
  }
});
