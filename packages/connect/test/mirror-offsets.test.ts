// MirrorMaker 2's pieces without a cluster: the internal record formats byte for byte, the offset
// sync writer's spacing (offset.lag.max) and the offset sync store's translation rule (the latest
// kept sync at or before the committed offset, never ahead, -1 when too old, nothing before the
// syncs topic was read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointFormat, HeartbeatFormat, OffsetSyncFormat, type OffsetSync } from '../src/mirror/mirror-records.js';
import { OffsetSyncStore } from '../src/mirror/offset-sync-store.js';
import { OffsetSyncWriter } from '../src/mirror/mirror-source-connector.js';
import { DefaultReplicationPolicy, IdentityReplicationPolicy, replicationPolicyFrom } from '../src/mirror/replication-policy.js';

test('records are written in Kafka\'s struct layout and read back', () => {
  const cp = { group: 'g', topic: 'A.t', partition: 2, upstreamOffset: 25, downstreamOffset: 23, metadata: 'm' };
  assert.deepEqual(CheckpointFormat.key(cp), Buffer.from([0, 1, 0x67, 0, 3, 0x41, 0x2e, 0x74, 0, 0, 0, 2]));
  assert.deepEqual(CheckpointFormat.value(cp), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 0, 23, 0, 1, 0x6d]));
  assert.deepEqual(CheckpointFormat.decode(CheckpointFormat.key(cp), CheckpointFormat.value(cp)), cp);
  const sync = { topic: 't', partition: 1, upstreamOffset: 7, downstreamOffset: 9 };
  assert.deepEqual(OffsetSyncFormat.value(sync), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9]));
  assert.deepEqual(OffsetSyncFormat.decode(OffsetSyncFormat.key(sync), OffsetSyncFormat.value(sync)), sync);
  const hb = { sourceClusterAlias: 'A', targetClusterAlias: 'B', timestamp: 1_700_000_000_000 };
  assert.deepEqual(HeartbeatFormat.decode(HeartbeatFormat.key(hb), HeartbeatFormat.value(hb)), hb);
  assert.throws(() => CheckpointFormat.decode(Buffer.from([0, 5, 0x61]), CheckpointFormat.value(cp)), { name: 'SchemaException' });
  assert.throws(() => HeartbeatFormat.decode(HeartbeatFormat.key(hb), Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0])), /Unknown version 1/);
});

test('replication policies name remote topics as Kafka\'s do', () => {
  const d = replicationPolicyFrom({});
  assert.equal(d.formatRemoteTopic('A', 'orders'), 'A.orders');
  assert.equal(d.topicSource('A.orders'), 'A');
  assert.equal(d.upstreamTopic('B.A.orders'), 'A.orders');
  assert.equal(d.topicSource('orders'), null);
  assert.equal(d.offsetSyncsTopic('B'), 'mm2-offset-syncs.B.internal');
  assert.equal(d.checkpointsTopic('A'), 'A.checkpoints.internal');
  const u = new DefaultReplicationPolicy();
  u.configure({ 'replication.policy.separator': '_' });
  assert.equal(u.formatRemoteTopic('A', 'orders'), 'A_orders');
  assert.equal(u.checkpointsTopic('A'), 'A_checkpoints_internal');
  const i = replicationPolicyFrom({ 'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy', 'source.cluster.alias': 'A' });
  assert.ok(i instanceof IdentityReplicationPolicy);
  assert.equal(i.formatRemoteTopic('A', 'orders'), 'orders');
  assert.equal(i.formatRemoteTopic('A', 'heartbeats'), 'A.heartbeats');
  assert.equal(i.topicSource('orders'), 'A');
  assert.throws(() => replicationPolicyFrom({ 'replication.policy.class': 'com.example.Nope' }), /could not be found/);
});

test('the writer syncs the first record, then every offset.lag.max records, and the rest at commit', () => {
  const sent: OffsetSync[] = [];
  const w = new OffsetSyncWriter(null, 'mm2-offset-syncs.B.internal', 10, (s) => sent.push(s));
  for (let o = 0; o < 40; o++) {
    w.maybeQueue({ topic: 't', partition: 0 }, o, o + 100);
    w.firePending();
  }
  assert.deepEqual(sent.map((s) => s.upstreamOffset), [0, 11, 22, 33]);
  w.promoteDelayed();
  w.firePending();
  assert.deepEqual(sent.map((s) => s.upstreamOffset), [0, 11, 22, 33, 39]);
  // a gap upstream (compaction, transaction markers) is synced at once
  w.maybeQueue({ topic: 't', partition: 0 }, 45, 140);
  w.firePending();
  assert.deepEqual(sent.at(-1), { topic: 't', partition: 0, upstreamOffset: 45, downstreamOffset: 140 });
});

test('translation uses the latest sync at or before the committed offset and never runs ahead', () => {
  const store = new OffsetSyncStore();
  const feed = (u: number, d: number): void => store.handle({ topic: 't', partition: 0, upstreamOffset: u, downstreamOffset: d });
  feed(0, 1000);
  assert.equal(store.translateDownstream('t', 0, 5), null, 'nothing before the syncs topic was read to its end');
  store.markReadToEnd();
  for (const u of [11, 22, 33, 39]) feed(u, 1000 + u);
  assert.equal(store.translateDownstream('t', 0, 39), 1039, 'exactly at a sync');
  assert.equal(store.translateDownstream('t', 0, 40), 1040, 'one past the last sync (a group at the end)');
  assert.equal(store.translateDownstream('t', 0, 25), 1023, 'one past sync 22');
  assert.equal(store.translateDownstream('t', 0, 0), 1000);
  assert.equal(store.translateDownstream('t', 1, 5), null, 'no syncs for the partition');
  // rewinding upstream (a recreated topic) forgets the old syncs
  feed(3, 5000);
  assert.equal(store.translateDownstream('t', 0, 2), -1, 'behind every sync kept');
  assert.equal(store.translateDownstream('t', 0, 20), 5001);
});

test('with thousands of syncs the store keeps 64 and every translation obeys the rule', () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const store = new OffsetSyncStore();
  store.markReadToEnd();
  const all: OffsetSync[] = [];
  let u = 0;
  let d = 0;
  for (let i = 0; i < 5000; i++) {
    u += 1 + rand(20);
    d += 1 + rand(20);
    const s = { topic: 't', partition: 0, upstreamOffset: u, downstreamOffset: d };
    all.push(s);
    store.handle(s);
  }
  const kept = store.syncsOf('t', 0);
  assert.ok(kept.length <= 64 && kept.length > 10, `kept ${kept.length}`);
  assert.equal(kept[0]!.upstreamOffset, u, 'the latest sync is always kept');
  // precision is highest at the live end: the i-th newest distinct sync lies within 2^i of the latest
  kept.forEach((s, i) => assert.ok(u - s.upstreamOffset < 2 ** (i + 1) * 20, `sync ${i} at ${s.upstreamOffset}`));
  for (let i = 0; i < 2000; i++) {
    const offset = rand(u + 50);
    const t = store.translateDownstream('t', 0, offset);
    const truth = [...all].reverse().find((s) => s.upstreamOffset <= offset);
    const used = kept.find((s) => s.upstreamOffset <= offset);
    if (used === undefined) {
      assert.equal(t, -1);
      continue;
    }
    assert.equal(t, used.downstreamOffset + (used.upstreamOffset === offset ? 0 : 1));
    // never ahead: at most one past the true latest sync at or before the offset
    assert.ok(t! <= truth!.downstreamOffset + (truth!.upstreamOffset === offset ? 0 : 1), `offset ${offset} → ${t}`);
  }
});

test('the sample mm2.properties gives Kafka\'s flows, worker configs and connector configs', async () => {
  const { loadProperties } = await import('../src/properties.js');
  const { MirrorMakerConfig } = await import('../src/mirror/mirror-maker.js');
  const { repoRoot } = await import('./support.js');
  const mm = new MirrorMakerConfig(loadProperties(`${repoRoot}/config/connect-mirror-maker.properties`));
  assert.deepEqual(mm.clusterPairs().map((p) => `${p.source}->${p.target}`), ['A->B', 'B->A']);
  const worker = mm.workerConfig({ source: 'A', target: 'B' });
  assert.equal(worker['bootstrap.servers'], 'B_host1:9092, B_host2:9092, B_host3:9092');
  assert.equal(worker['group.id'], 'A-mm2');
  assert.equal(worker['config.storage.topic'], 'mm2-configs.A.internal');
  assert.equal(worker['offset.storage.replication.factor'], '1');
  assert.equal(worker['header.converter'], 'org.apache.kafka.connect.converters.ByteArrayConverter');
  const source = mm.connectorBaseConfig({ source: 'A', target: 'B' }, 'MirrorSourceConnector');
  assert.equal(source['connector.class'], 'org.apache.kafka.connect.mirror.MirrorSourceConnector');
  assert.equal(source['source.cluster.bootstrap.servers'], 'A_host1:9092, A_host2:9092, A_host3:9092');
  assert.equal(source['target.cluster.bootstrap.servers'], 'B_host1:9092, B_host2:9092, B_host3:9092');
  assert.equal(source['source.consumer.bootstrap.servers'], 'A_host1:9092, A_host2:9092, A_host3:9092');
  assert.equal(source.enabled, 'true');
  assert.equal(source.topics, '.*');
  assert.equal(source['replication.factor'], '1');
  // a flow only for heartbeats: its replication connectors are disabled
  const hbOnly = new MirrorMakerConfig({ clusters: 'A, B', 'A.bootstrap.servers': 'a:1', 'B.bootstrap.servers': 'b:1', 'A->B.enabled': 'true' });
  assert.deepEqual(hbOnly.clusterPairs().map((p) => `${p.source}->${p.target}`), ['A->B', 'B->A']);
  assert.equal(hbOnly.connectorBaseConfig({ source: 'B', target: 'A' }, 'MirrorSourceConnector').enabled, 'false');
  assert.throws(() => new MirrorMakerConfig({}), /Missing required configuration "clusters"/);
});
