import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type ConfigResourceTypes } from 'kafkajs';

// kafkajs's ConfigResourceTypes enum is not visible to ESM named imports (CommonJS).
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
import { startBroker } from '../src/testkit/index.js';

test('kafkajs admin: create (configs, validateOnly), metadata, partitions, configs, deleteTopicRecords, describeCluster, delete', async () => {
  const tb = await startBroker();
  const kafka = new Kafka({ clientId: 'admin-e2e', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'adm-v', numPartitions: 2 }] }), true);
    assert.deepEqual(await admin.listTopics(), [], 'validateOnly creates nothing');

    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: 'adm', numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'delete' }] }],
    });
    assert.equal(created, true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'adm' }] }), false, 'already exists');
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'adm-rf', replicationFactor: 3 }] }), (e: any) => /INVALID_REPLICATION_FACTOR|replicat/i.test(`${e.type ?? ''} ${e.message} ${JSON.stringify(e.errors ?? '')}`));

    const md = await admin.fetchTopicMetadata({ topics: ['adm'] });
    assert.equal(md.topics[0]!.partitions.length, 2);
    assert.deepEqual(md.topics[0]!.partitions.map((p) => p.leader), [0, 0]);

    await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 4 }] });
    const md2 = await admin.fetchTopicMetadata({ topics: ['adm'] });
    assert.equal(md2.topics[0]!.partitions.length, 4);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 3 }] }));

    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: 'adm', configNames: ['retention.ms', 'segment.bytes'] }] });
    const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.get('retention.ms')!.configValue, '3600000');
    assert.equal(entries.get('retention.ms')!.isDefault, false);
    assert.equal(entries.get('segment.bytes')!.isDefault, true);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC_RESOURCE, name: 'adm', configEntries: [{ name: 'max.message.bytes', value: '5000' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: 'adm', configNames: ['max.message.bytes', 'retention.ms'] }] });
    const afterEntries = new Map(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    assert.equal(afterEntries.get('max.message.bytes'), '5000');
    assert.equal(afterEntries.get('retention.ms'), '604800000', 'legacy AlterConfigs replaces the whole set');
    assert.equal(tb.broker.partitions.topic('adm')!.config.num('max.message.bytes'), 5000);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'adm', messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 1 })) });
    await producer.disconnect();
    await admin.deleteTopicRecords({ topic: 'adm', partitions: [{ partition: 1, offset: '6' }] });
    const offsets = await admin.fetchTopicOffsets('adm');
    const p1 = offsets.find((o) => o.partition === 1)!;
    assert.deepEqual([p1.low, p1.high], ['6', '10']);
    await admin.deleteTopicRecords({ topic: 'adm', partitions: [{ partition: 1, offset: '-1' }] });
    assert.equal((await admin.fetchTopicOffsets('adm')).find((o) => o.partition === 1)!.low, '10');

    const cluster = await admin.describeCluster();
    assert.equal(cluster.clusterId, tb.broker.clusterId);
    assert.equal(cluster.controller, 0);
    assert.deepEqual(cluster.brokers.map((b) => [b.nodeId, b.host, b.port]), [[0, 'localhost', tb.port]]);

    await admin.deleteTopics({ topics: ['adm'] });
    assert.deepEqual(await admin.listTopics(), []);
    assert.equal(tb.broker.partitions.topic('adm'), undefined);
  } finally {
    await admin.disconnect();
    await tb.stop();
  }
});
