import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { TopicOperationError } from '../../src/metadata/errors.js';
import { ensureMetaProperties, readMetaProperties } from '../../src/metadata/meta-properties.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { TopicManager } from '../../src/metadata/topic-manager.js';
import { topicNameError } from '../../src/metadata/topic-name.js';
import { randomClusterId, base64ToUuid, uuidToBase64 } from '../../src/metadata/uuid.js';

const brokers = [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }];

async function rejects(p: Promise<unknown>, name: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof TopicOperationError && e.errorName === name);
}

test('topic names follow Kafka rules', () => {
  assert.equal(topicNameError('ok.name_-1'), null);
  assert.match(topicNameError('')!, /empty/);
  assert.match(topicNameError('.')!, /cannot be/);
  assert.match(topicNameError('a'.repeat(250))!, /249/);
  assert.match(topicNameError('a/b')!, /illegal/);
  assert.equal(topicNameError('a'.repeat(249)), null);
});

test('cluster ids are 22-char base64url Kafka uuids', () => {
  const id = randomClusterId();
  assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  assert.equal(uuidToBase64(base64ToUuid(id)), id);
});

test('create, validate, add partitions, alter configs, delete; persisted across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-'));
  try {
    const config = new BrokerConfig({ 'num.partitions': '3' });
    const tm = new TopicManager(new LocalMetadataStore(dir), config, 'c1', 0, brokers);
    const deltas: string[] = [];
    tm.onChange((_img, d) => deltas.push(`+${d.createdTopics.map((t) => t.name)} -${d.deletedTopics.map((t) => t.name)} ~${d.changedTopics.map((c) => c.after.name)}`));
    await tm.load();
    const t = await tm.createTopic({ name: 'orders', configs: { 'retention.ms': '1000' } });
    assert.equal(t.partitions.length, 3);
    assert.deepEqual(t.partitions[2], { partition: 2, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0] });
    assert.equal(tm.image.topicsById.get(t.id)?.name, 'orders');
    await rejects(tm.createTopic({ name: 'orders' }), 'TOPIC_ALREADY_EXISTS');
    await rejects(tm.createTopic({ name: 'bad/name' }), 'INVALID_TOPIC_EXCEPTION');
    await rejects(tm.createTopic({ name: 'x', replicationFactor: 3 }), 'INVALID_REPLICATION_FACTOR');
    await rejects(tm.createTopic({ name: 'x', numPartitions: 0 }), 'INVALID_PARTITIONS');
    await rejects(tm.createTopic({ name: 'x', configs: { 'retention.ms': 'soon' } }), 'INVALID_CONFIG');
    await tm.createTopic({ name: 'a.b' });
    await rejects(tm.createTopic({ name: 'a_b' }), 'INVALID_TOPIC_EXCEPTION');
    const validated = await tm.createTopic({ name: 'dry' }, { validateOnly: true });
    assert.equal(validated.partitions.length, 3);
    assert.equal(tm.image.topic('dry'), undefined);
    const grown = await tm.createPartitions('orders', 5);
    assert.equal(grown.partitions.length, 5);
    await rejects(tm.createPartitions('orders', 4), 'INVALID_PARTITIONS');
    const altered = await tm.setTopicConfigs('orders', new Map([['cleanup.policy', 'compact']]));
    assert.deepEqual([...altered.configs], [['cleanup.policy', 'compact']]);
    // Concurrent creates of the same name: exactly one wins.
    const results = await Promise.allSettled([tm.createTopic({ name: 'race' }), tm.createTopic({ name: 'race' })]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    await tm.deleteTopic('a.b');
    await rejects(tm.deleteTopic('a.b'), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.deepEqual(deltas.slice(0, 2), ['+ - ~', '+orders - ~']);
    assert.ok(deltas.includes('+ -a.b ~'));
    tm.close();

    // A new manager over the same directory sees the same topics and ids.
    const again = new TopicManager(new LocalMetadataStore(dir), config, 'c1', 0, brokers);
    await again.load();
    assert.deepEqual([...again.image.topicsByName.keys()].sort(), ['orders', 'race']);
    assert.equal(again.image.topic('orders')!.id, t.id);
    assert.equal(again.image.topic('orders')!.partitions.length, 5);
    assert.ok(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')).entries.length === 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deleting topics can be disabled', async () => {
  const tm = new TopicManager(new LocalMetadataStore(null), new BrokerConfig({ 'delete.topic.enable': 'false' }), 'c', 0, brokers);
  await tm.load();
  await tm.createTopic({ name: 'keep' });
  await rejects(tm.deleteTopic('keep'), 'TOPIC_DELETION_DISABLED');
});

test('meta.properties is written once per log dir and checked against node.id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-meta-'));
  try {
    const dirs = [join(dir, 'a'), join(dir, 'b')];
    const first = ensureMetaProperties(dirs, 3, () => 'clusterAAAAAAAAAAAAAAAA');
    assert.equal(first.clusterId, 'clusterAAAAAAAAAAAAAAAA');
    assert.deepEqual(readMetaProperties(dirs[1]!), { version: 1, clusterId: 'clusterAAAAAAAAAAAAAAAA', nodeId: 3 });
    const second = ensureMetaProperties(dirs, 3, () => 'other');
    assert.equal(second.clusterId, 'clusterAAAAAAAAAAAAAAAA');
    assert.throws(() => ensureMetaProperties(dirs, 4, () => 'x'), /doesn't match configured node.id 4/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
