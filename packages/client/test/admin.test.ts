import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { ApiKey, KafkaError } from '@samsa/protocol';
import { Admin, ConfigResourceType } from '../src/admin.js';
import { Producer } from '../src/producer.js';
import { missingApis } from './support.js';

let broker: TestBroker;
let admin: Admin;
before(async () => {
  broker = await startBroker();
  admin = new Admin({ bootstrapServers: broker.bootstrap });
});
after(async () => {
  await admin.close();
  await broker.stop();
});

describe('admin', () => {
  it('creates, lists, describes, grows and deletes topics', async () => {
    await admin.createTopics({ topics: [{ topic: 'a-one', numPartitions: 3 }, { topic: 'a-two', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }] });
    assert.ok((await admin.listTopics()).includes('a-one'));
    const [d] = await admin.describeTopics({ topics: ['a-one'] });
    assert.equal(d!.partitions.length, 3);
    assert.deepEqual(d!.partitions.map((p) => p.leader), [0, 0, 0]);
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'a-one', numPartitions: 1 }] }), (e: KafkaError) => e.errorName === 'TOPIC_ALREADY_EXISTS');
    await admin.createPartitions({ topicPartitions: [{ topic: 'a-one', count: 5 }] });
    assert.equal((await admin.describeTopics({ topics: ['a-one'] }))[0]!.partitions.length, 5);
    await admin.deleteTopics({ topics: ['a-two'] });
    assert.ok(!(await admin.listTopics()).includes('a-two'));
    await assert.rejects(admin.describeTopics({ topics: ['a-two'] }), (e: KafkaError) => e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('lists offsets (earliest, latest, by timestamp) and deletes records', async () => {
    await admin.createTopics({ topics: [{ topic: 'a-offsets', numPartitions: 1 }] });
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    await producer.send({ topic: 'a-offsets', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, timestamp: 1000 + i * 10 })) });
    await producer.close();
    const q = (spec: 'earliest' | 'latest' | number) => admin.listOffsets([{ topic: 'a-offsets', partition: 0, spec }]).then((r) => r[0]!.offset);
    assert.equal(await q('earliest'), 0n);
    assert.equal(await q('latest'), 10n);
    assert.equal(await q(1045), 5n); // first record with timestamp >= 1045 is #5 (1050)
    const [res] = await admin.deleteRecords([{ topic: 'a-offsets', partition: 0, offset: 4n }]);
    assert.equal(res!.lowWatermark, 4n);
    assert.equal(await q('earliest'), 4n);
    assert.deepEqual(await admin.fetchTopicOffsets('a-offsets'), [{ partition: 0, low: 4n, high: 10n }]);
  });

  it('describes the cluster and log dirs', async () => {
    const c = await admin.describeCluster();
    assert.equal(c.brokers.length, 1);
    assert.equal(c.brokers[0]!.nodeId, 0);
    assert.ok(c.clusterId !== null && c.clusterId.length > 0);
    await admin.createTopics({ topics: [{ topic: 'a-logdirs', numPartitions: 2 }] });
    const dirs = await admin.describeLogDirs([{ topic: 'a-logdirs', partitions: [0, 1] }]);
    assert.ok(dirs.length >= 1);
    assert.deepEqual(dirs.flatMap((d) => d.partitions).filter((p) => p.topic === 'a-logdirs').map((p) => p.partition).sort(), [0, 1]);
  });

  it('describes and alters topic configs', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'a-configs', numPartitions: 1 }] });
    const read = async () => (await admin.describeConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'a-configs', configNames: ['retention.ms'] }] }))[0]!.configs.find((c) => c.name === 'retention.ms')!;
    const before = await read();
    assert.equal(before.isDefault, true);
    await admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: 'a-configs', configs: [{ name: 'retention.ms', value: '12345' }] }] });
    const after = await read();
    assert.equal(after.value, '12345');
    assert.equal(after.isDefault, false);
  });
});
