import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { WireClient } from '../testkit/wire-client.js';

const topic = (name: string, extra: Record<string, unknown> = {}) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...extra });

test('CreateTopics v7: defaults, configs, topic id, numPartitions and replication factor in the answer', async () => {
  const tb = await startBroker({ config: { 'num.partitions': '3' } });
  const c = await WireClient.connect(tb.port);
  try {
    const r = await c.send(ApiKey.CreateTopics, 7, {
      topics: [topic('ct-a', { configs: [{ name: 'retention.ms', value: '60000' }, { name: 'cleanup.policy', value: 'compact,delete' }] }), topic('ct-b', { numPartitions: 2, replicationFactor: 1 })],
      timeoutMs: 5000, validateOnly: false,
    });
    const [a, b] = r.topics;
    assert.equal(a.name, 'ct-a');
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.numPartitions, 3);
    assert.equal(a.replicationFactor, 1);
    assert.notEqual(a.topicId, ZERO_UUID);
    assert.equal(a.topicId, tb.broker.metadata.topic('ct-a')!.id);
    const retention = a.configs.find((x: any) => x.name === 'retention.ms');
    assert.equal(retention.value, '60000');
    assert.equal(retention.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assert.equal(retention.readOnly, false);
    const segment = a.configs.find((x: any) => x.name === 'segment.bytes');
    assert.equal(segment.value, '1073741824');
    assert.equal(segment.configSource, ConfigSource.DEFAULT_CONFIG);
    assert.equal(b.numPartitions, 2);
    assert.equal(tb.broker.metadata.topic('ct-b')!.partitions.length, 2);
    // The logs exist and the live config is the topic's.
    assert.equal(tb.broker.partitions.topic('ct-a')!.partitions.length, 3);
    assert.equal(tb.broker.partitions.topic('ct-a')!.config.num('retention.ms'), 60000);

    // The same names again, plus invalid ones.
    const r2 = await c.send(ApiKey.CreateTopics, 7, {
      topics: [
        topic('ct-a'),
        topic('bad name!'),
        topic('ct-zero', { numPartitions: 0 }),
        topic('ct-rf', { numPartitions: 1, replicationFactor: 3 }),
        topic('ct-cfg', { configs: [{ name: 'no.such.config', value: '1' }] }),
        topic('ct-val', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
        topic('ct-null', { configs: [{ name: 'retention.ms', value: null }] }),
        topic('ct-dup'), topic('ct-dup'),
      ],
      timeoutMs: 5000, validateOnly: false,
    });
    const by = new Map<string, any>(r2.topics.map((t: any) => [t.name, t]));
    assert.equal(r2.topics.length, 8, 'a duplicated name is answered once');
    assert.equal(by.get('ct-a').errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(by.get('ct-a').errorMessage, "Topic 'ct-a' already exists.");
    assert.equal(by.get('bad name!').errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(by.get('ct-zero').errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(by.get('ct-rf').errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal(by.get('ct-rf').errorMessage, 'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.');
    assert.equal(by.get('ct-cfg').errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(by.get('ct-cfg').errorMessage, /no\.such\.config/);
    assert.equal(by.get('ct-val').errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(by.get('ct-val').errorMessage, /Invalid value soon for configuration retention\.ms/);
    assert.equal(by.get('ct-null').errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(by.get('ct-dup').errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(by.get('ct-dup').errorMessage, 'Duplicate topic name.');
    for (const t of r2.topics) {
      assert.equal(t.numPartitions, -1);
      assert.equal(t.topicId, ZERO_UUID);
    }
    for (const n of ['bad name!', 'ct-zero', 'ct-rf', 'ct-cfg', 'ct-val', 'ct-null', 'ct-dup']) assert.equal(tb.broker.metadata.topic(n), undefined, n);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('CreateTopics: validate_only, manual assignments, old versions, timeout <= 0', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    const v = await c.send(ApiKey.CreateTopics, 5, { topics: [topic('ct-v', { numPartitions: 4, replicationFactor: 1 })], timeoutMs: 5000, validateOnly: true });
    assert.equal(v.topics[0].errorCode, ErrorCode.NONE);
    assert.equal(v.topics[0].numPartitions, 4);
    assert.equal(tb.broker.metadata.topic('ct-v'), undefined, 'validate_only creates nothing');
    assert.equal(tb.broker.partitions.topic('ct-v'), undefined);

    const m = await c.send(ApiKey.CreateTopics, 4, {
      topics: [
        topic('ct-manual', { assignments: [{ partitionIndex: 1, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }] }),
        topic('ct-unknown-broker', { assignments: [{ partitionIndex: 0, brokerIds: [7] }] }),
        topic('ct-both', { numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }),
      ],
      timeoutMs: 5000, validateOnly: false,
    });
    assert.equal(m.topics[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(tb.broker.metadata.topic('ct-manual')!.partitions.map((p) => p.replicas), [[0], [0]]);
    assert.equal(m.topics[1].errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(m.topics[2].errorCode, ErrorCode.INVALID_REQUEST);

    const v0 = await c.send(ApiKey.CreateTopics, 0, { topics: [topic('ct-v0', { numPartitions: 2, replicationFactor: 1 })], timeoutMs: 5000 });
    assert.equal(v0.topics[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.metadata.topic('ct-v0')!.partitions.length, 2);

    const t0 = await c.send(ApiKey.CreateTopics, 7, { topics: [topic('ct-t0')], timeoutMs: 0, validateOnly: false });
    assert.equal(t0.topics[0].errorCode, ErrorCode.REQUEST_TIMED_OUT);
    assert.notEqual(tb.broker.metadata.topic('ct-t0'), undefined, 'created all the same');
    const t0v = await c.send(ApiKey.CreateTopics, 7, { topics: [topic('ct-t0v')], timeoutMs: -1, validateOnly: true });
    assert.equal(t0v.topics[0].errorCode, ErrorCode.NONE);
  } finally {
    c.close();
    await tb.stop();
  }
});
