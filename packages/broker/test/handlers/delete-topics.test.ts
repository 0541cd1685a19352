import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { WireClient } from '../testkit/wire-client.js';
import { produceRecords } from '../support/admin-helpers.js';

test('DeleteTopics: by name (v1) and by id (v6); logs go with the topic; unknown name and id', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dt-a', numPartitions: 2 });
    await tb.broker.topics.createTopic({ name: 'dt-b' });
    await produceRecords(c, 'dt-a', 1, 3);
    assert.equal(tb.broker.partitions.getPartition('dt-a', 1)!.log.logEndOffset, 3n);

    const r1 = await c.send(ApiKey.DeleteTopics, 1, { topicNames: ['dt-a', 'dt-missing'], timeoutMs: 5000 });
    assert.deepEqual(r1.responses.map((x: any) => [x.name, x.errorCode]), [['dt-a', ErrorCode.NONE], ['dt-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    assert.equal(tb.broker.metadata.topic('dt-a'), undefined);
    assert.equal(tb.broker.partitions.topic('dt-a'), undefined, 'the logs are gone');
    const md = await c.send(ApiKey.Metadata, 4, { topics: [{ name: 'dt-a' }], allowAutoTopicCreation: false });
    assert.equal(md.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Recreated, the topic starts empty.
    await tb.broker.topics.createTopic({ name: 'dt-a', numPartitions: 2 });
    assert.equal(tb.broker.partitions.getPartition('dt-a', 1)!.log.logEndOffset, 0n);

    const idB = tb.broker.metadata.topic('dt-b')!.id;
    const unknownId = '11111111-2222-4333-8444-555555555555';
    const r6 = await c.send(ApiKey.DeleteTopics, 6, {
      topics: [{ name: null, topicId: idB }, { name: null, topicId: unknownId }],
      timeoutMs: 5000,
    });
    const [byId, unknown] = r6.responses;
    assert.equal(byId.errorCode, ErrorCode.NONE);
    assert.equal(byId.name, 'dt-b');
    assert.equal(byId.topicId, idB);
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    assert.equal(unknown.topicId, unknownId);
    assert.equal(tb.broker.metadata.topic('dt-b'), undefined);
    // An entry with both name and id (or neither) fails the whole request, as in Kafka.
    const idA = tb.broker.metadata.topic('dt-a')!.id;
    for (const bad of [{ name: 'dt-a', topicId: idA }, { name: null, topicId: ZERO_UUID }]) {
      const r = await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'dt-a', topicId: ZERO_UUID }, bad], timeoutMs: 5000 });
      assert.deepEqual(r.responses.map((x: any) => x.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    }
    assert.notEqual(tb.broker.metadata.topic('dt-a'), undefined, 'a refused request deletes nothing');

    const dup = await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'dt-a', topicId: ZERO_UUID }, { name: 'dt-a', topicId: ZERO_UUID }], timeoutMs: 5000 });
    assert.equal(dup.responses.length, 1);
    assert.equal(dup.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(dup.responses[0].errorMessage, 'Duplicate topic name.');
  } finally {
    c.close();
    await tb.stop();
  }
});

test('DeleteTopics: delete.topic.enable=false is TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3)', async () => {
  const tb = await startBroker({ config: { 'delete.topic.enable': 'false' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dt-keep' });
    const r5 = await c.send(ApiKey.DeleteTopics, 5, { topicNames: ['dt-keep'], timeoutMs: 5000 });
    assert.equal(r5.responses[0].errorCode, ErrorCode.TOPIC_DELETION_DISABLED);
    const r2 = await c.send(ApiKey.DeleteTopics, 2, { topicNames: ['dt-keep'], timeoutMs: 5000 });
    assert.equal(r2.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
    assert.notEqual(tb.broker.metadata.topic('dt-keep'), undefined);
  } finally {
    c.close();
    await tb.stop();
  }
});
