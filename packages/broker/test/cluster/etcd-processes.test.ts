/**
 * Three `samsa server` processes on a real etcd (the testkit's process cluster): a topic with
 * replication factor 3 and 6 partitions created through kafkajs, Metadata from every broker
 * agrees and lists the three brokers; kill -9 of the controller process elects a new controller
 * once its lease expires (measured, printed), and the killed broker restarts on its old port and
 * log dir, re-registers and is listed by every broker again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startProcessCluster, type ProcessCluster } from '../../src/testkit/index.js';

const SESSION_TIMEOUT_MS = 2000;
const TOPIC = 'etcd-processes';

let cluster: ProcessCluster;

before(async () => {
  cluster = await startProcessCluster({ brokers: 3, store: 'etcd', sessionTimeoutMs: SESSION_TIMEOUT_MS });
});
after(async () => {
  await cluster?.stop();
});

/** Topic metadata from every running broker, as [node ids, per-partition replicas] summaries. */
async function topicViews(): Promise<Array<{ brokers: number[]; partitions: Array<{ index: number; leader: number; replicas: number[] }> }>> {
  return Promise.all([...cluster.brokers.keys()].map(async (id) => {
    const m = await cluster.metadata(id);
    const t = m.topics.find((x) => x.name === TOPIC);
    return {
      brokers: m.brokers.map((b) => b.nodeId).sort(),
      partitions: (t?.partitions ?? []).map((p) => ({ index: p.partitionIndex, leader: p.leaderId, replicas: [...p.replicaNodes].sort() })).sort((a, b) => a.index - b.index),
    };
  }));
}

test('etcd with three broker processes: RF 3 topic, agreed metadata, kill -9 of the controller, restart', async () => {
  const kafka = new Kafka({ clientId: 'etcd-processes', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true }), true);
  } finally {
    await admin.disconnect();
  }

  // Every broker reports the same three brokers, the same controller and the same assignment.
  const controller = await cluster.controller();
  let views = await topicViews();
  for (const v of views) {
    assert.deepEqual(v.brokers, [0, 1, 2]);
    assert.equal(v.partitions.length, 6);
    for (const p of v.partitions) assert.deepEqual(p.replicas, [0, 1, 2]);
  }
  for (const v of views.slice(1)) assert.deepEqual(v.partitions.map((p) => p.replicas), views[0]!.partitions.map((p) => p.replicas));

  // kill -9 of the controller: the survivors agree on a new one once its lease runs out.
  const killedAt = Date.now();
  await cluster.killBroker(controller);
  const newController = await cluster.controller({ not: controller, timeoutMs: 20000 });
  const failoverMs = Date.now() - killedAt;
  console.log(`# kill -9 of controller ${controller}: broker ${newController} is controller after ${failoverMs} ms (lease TTL ${SESSION_TIMEOUT_MS} ms)`);
  assert.notEqual(newController, controller);
  await cluster.waitForBrokers(2, 20000);

  // The killed broker comes back on its port and log dir, registers again and is listed everywhere.
  const restarted = await cluster.restartBroker(controller);
  assert.equal(restarted.id, controller);
  await cluster.waitForBrokers(3, 20000);
  views = await topicViews();
  for (const v of views) {
    assert.deepEqual(v.brokers, [0, 1, 2]);
    assert.equal(v.partitions.length, 6);
  }
  assert.equal(await cluster.controller(), newController);

  // SIGTERM is a clean exit (controlled shutdown), code 0.
  await cluster.stopBroker(controller);
});
