import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { TopicOperationError } from '../../src/metadata/errors.js';
import { ensureMetaProperties, readMetaProperties } from '../../src/metadata/meta-properties.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { TopicManager } from '../../src/metadata/topic-manager.js';
import { Controller } from '../../src/metadata/controller.js';
import type { MetadataDelta } from '../../src/metadata/image.js';
import { encodeBroker, Paths } from '../../src/metadata/kafka-layout.js';
import { createLogger } from '../../src/util/log.js';
import { topicNameError } from '../../src/metadata/topic-name.js';
import { randomClusterId, base64ToUuid, uuidToBase64 } from '../../src/metadata/uuid.js';

/** A topic manager as one broker runs it: registered (ephemeral) and running the controller. */
async function singleNode(store: LocalMetadataStore, config: BrokerConfig, onDelta?: (d: MetadataDelta) => void): Promise<{ tm: TopicManager; close(): void }> {
  const tm = new TopicManager(store, config, 'c1', 0);
  if (onDelta !== undefined) tm.onChange((_i, d) => onDelta(d));
  await store.put(Paths.broker(0), encodeBroker({ id: 0, host: 'localhost', port: 9092, rack: null, endpoints: [{ listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 }] }, 0), { ephemeral: true });
  await tm.load();
  const controller = new Controller(store, tm.metadata, 0, createLogger('test', { level: 'ERROR' }));
  controller.start();
  return {
    tm,
    close() {
      controller.stop();
      tm.close();
    },
  };
}

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
    const deltas: string[] = [];
    const store = new LocalMetadataStore(dir);
    const node = await singleNode(store, config, (d) => deltas.push(`+${d.createdTopics.map((t) => t.name)} -${d.deletedTopics.map((t) => t.name)} ~${d.changedTopics.map((c) => c.after.name)}`));
    const tm = node.tm;
    const t = await tm.createTopic({ name: 'orders', configs: { 'retention.ms': '1000' } });
    assert.equal(t.partitions.length, 3);
    assert.deepEqual(t.partitions[2], { partition: 2, leader: 0, leaderEpoch: 0, replicas: [0], isr: [0], offlineReplicas: [] });
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
    node.close();
    await store.close();

    // A new manager over the same directory sees the same topics and ids.
    const again = new TopicManager(new LocalMetadataStore(dir), config, 'c1', 0);
    await again.load();
    assert.deepEqual([...again.image.topicsByName.keys()].sort(), ['orders', 'race']);
    assert.equal(again.image.topic('orders')!.id, t.id);
    assert.equal(again.image.topic('orders')!.partitions.length, 5);
    // Kafka's layout; the ephemeral broker registration is never persisted.
    const keys = (JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as { entries: Array<{ key: string }> }).entries.map((e) => e.key);
    assert.ok(keys.includes('/brokers/topics/orders') && keys.includes('/brokers/topics/orders/partitions/4/state') && keys.includes('/config/topics/orders'));
    assert.ok(!keys.includes('/brokers/ids/0'));
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deleting topics can be disabled', async () => {
  const { tm, close } = await singleNode(new LocalMetadataStore(null), new BrokerConfig({ 'delete.topic.enable': 'false' }));
  await tm.createTopic({ name: 'keep' });
  await rejects(tm.deleteTopic('keep'), 'TOPIC_DELETION_DISABLED');
  close();
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

test('a store written with the earlier flat keys is read in the cluster layout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-md-old-'));
  try {
    const old = { version: 1, revision: 3, entries: [
      { key: 'topics/legacy', value: JSON.stringify({ id: '1f28ed90-964b-461e-b6a0-fd6648b544a8', replicationFactor: 1, partitions: [{ replicas: [0], leaderEpoch: 2 }, { replicas: [0], leaderEpoch: 0 }], configs: { 'retention.ms': '5' } }), revision: 1 },
      { key: 'configs/brokers/<default>', value: JSON.stringify({ 'num.partitions': '4' }), revision: 2 },
      { key: 'producer-ids/latest-block', value: JSON.stringify({ version: 1, broker: 0, block_start: '0', block_end: '999' }), revision: 3 },
    ] };
    writeFileSync(join(dir, 'store.json'), JSON.stringify(old));
    const store = new LocalMetadataStore(dir);
    const tm = new TopicManager(store, new BrokerConfig({}), 'c1', 0);
    await tm.load();
    const t = tm.image.topic('legacy')!;
    assert.equal(t.id, '1f28ed90-964b-461e-b6a0-fd6648b544a8');
    assert.deepEqual(t.partitions.map((p) => [p.leader, p.leaderEpoch]), [[0, 2], [0, 0]]);
    assert.equal(t.configs.get('retention.ms'), '5');
    assert.deepEqual([...(await tm.brokerConfigOverrides(''))], [['num.partitions', '4']]);
    assert.notEqual(await store.get('/latest_producer_id_block'), null);
    tm.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a metadata change whose publication was pending when the topic manager closed reaches no listener', async () => {
  const store = new LocalMetadataStore(null);
  const tm = new TopicManager(store, new BrokerConfig({}), 'c1', 0);
  await tm.load();
  const deltas: MetadataDelta[] = [];
  tm.onChange((_i, d) => deltas.push(d));
  // The watch event arrives now; its publication waits for the next turn (setImmediate).
  await store.put(Paths.broker(0), encodeBroker({ id: 0, host: 'localhost', port: 9092, rack: null, endpoints: [{ listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 }] }, 0), { ephemeral: true });
  tm.close();
  await new Promise((r) => setImmediate(r));
  // A broker's stop closes its logs right after: a delta published then made partitions leaders on closed logs.
  assert.deepEqual(deltas, []);
});
