/**
 * The group coordinator moves with the leadership of its `__consumer_offsets` partition
 * (replicated with offsets.topic.replication.factor=3): a kafkajs consumer group keeps
 * consuming when the coordinator's broker goes away, and the offsets committed before are
 * served by the new coordinator, which rebuilt the group from its replica of the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startInProcessCluster, until, type InProcessCluster } from './in-process-cluster.js';

describe('group coordinator failover (in process)', () => {
  let cluster: InProcessCluster;
  before(async () => {
    cluster = await startInProcessCluster([1, 2, 3], { 'offsets.topic.replication.factor': '3', 'offsets.topic.num.partitions': '1', 'group.min.session.timeout.ms': '1000' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('a consumer group survives the death of its coordinator with its committed offsets', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'events', numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const brokers = [1, 2, 3].map((id) => `127.0.0.1:${cluster.broker(id).boundListeners[0]!.port}`);
    const kafka = new Kafka({ clientId: 'coord', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 }, connectionTimeout: 1000, requestTimeout: 5000 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const send = async (from: number, n: number) => {
      for (let i = from; i < from + n; i += 10) await producer.send({ topic: 'events', acks: -1, messages: Array.from({ length: 10 }, (_, k) => ({ value: String(i + k) })) });
    };
    await send(0, 100);

    // kafkajs keeps its coordinator until its runner gives up and restarts the consumer (then it
    // asks FindCoordinator again): short polls and few retries make that quick.
    const consumer = kafka.consumer({ groupId: 'survivors', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 250, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 300 } });
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    const seen: number[] = [];
    await consumer.run({ autoCommit: true, autoCommitInterval: 50, eachMessage: async ({ message }) => { seen.push(Number(message.value!.toString())); } });
    await until(() => seen.length >= 100, 'the first 100 records consumed', 30_000);
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () => Number((await admin.fetchOffsets({ groupId: 'survivors', topics: ['events'] }))[0]!.partitions[0]!.offset);
    let before = -1;
    for (let i = 0; i < 200 && before < 100; i++) {
      before = await committed();
      if (before < 100) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(before, 100, 'offsets committed before the coordinator goes away');

    const coordinator = cluster.broker(1).metadata.topic('__consumer_offsets')!.partitions[0]!.leader;
    const others = [1, 2, 3].filter((id) => id !== coordinator);
    await until(() => others.every((id) => cluster.broker(id).partitions.getPartition('__consumer_offsets', 0)!.logEndOffset === cluster.broker(coordinator).partitions.getPartition('__consumer_offsets', 0)!.logEndOffset), 'offsets replicated');
    await cluster.stop(coordinator);
    await until(() => others.includes(cluster.broker(others[0]!).metadata.topic('__consumer_offsets')!.partitions[0]!.leader), 'a new coordinator elected');
    assert.equal(await committed(), 100, 'the new coordinator serves the committed offset');
    await send(100, 100);
    await until(() => seen.length >= 200 && new Set(seen).size === 200, 'all 200 records consumed', 30_000);
    let after = -1;
    for (let i = 0; i < 300 && after < 200; i++) {
      after = await committed();
      if (after < 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(after, 200, 'commits continue with the new coordinator');
    assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
    await consumer.disconnect();
    await admin.disconnect();
    await producer.disconnect();
  });
});
