/**
 * Transactions on 3 brokers (startCluster, replication factor 3): the transaction coordinator
 * sends WriteTxnMarkers to the leaders of partitions it does not lead. kafkajs commits one
 * transaction and aborts another across 6 partitions; read_committed sees the committed one only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster } from '../../src/testkit/index.js';

test('3 brokers: commit and abort across partitions led by different brokers', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ brokers: 3, config: { 'transaction.state.log.replication.factor': '3', 'transaction.state.log.min.isr': '2', 'transaction.state.log.num.partitions': '3' } });
  t.after(() => cluster.stop());
  const kafka = new Kafka({ clientId: 'txn-cluster', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'c-txn', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
  const leaders = new Set((await admin.fetchTopicMetadata({ topics: ['c-txn'] })).topics[0]!.partitions.map((p) => p.leader));
  await admin.disconnect();
  assert.ok(leaders.size > 1, 'partitions are led by several brokers');

  const producer = kafka.producer({ transactionalId: 'c-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = (tag: string) => [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, value: `${tag}-${partition}` }));
  const committed = await producer.transaction();
  await committed.send({ topic: 'c-txn', messages: messages('commit') });
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send({ topic: 'c-txn', messages: messages('abort') });
  await aborted.abort();
  const last = await producer.transaction();
  await last.send({ topic: 'c-txn', messages: messages('last') });
  await last.commit();
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'c-reader', maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'c-txn', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen.join(',')}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length >= 12) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(seen.sort(), [...messages('commit'), ...messages('last')].map((m) => m.value).sort());
});
