/**
 * Transactions through kafkajs 2.2 against one broker (single broker: replication is not on main
 * yet): commit and abort across partitions, read_committed vs read_uncommitted consumers,
 * consume-transform-produce offsets (sendOffsets) visible only on commit, zombie fencing, and an
 * abandoned transaction aborted by the coordinator after its timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';

function client(tb: TestBroker): Kafka {
  return new Kafka({ clientId: 'txn-test', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 }, connectionTimeout: 3000, requestTimeout: 10_000 });
}

async function txnProducer(kafka: Kafka, transactionalId: string, transactionTimeout = 30_000): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });
  await p.connect();
  return p;
}

/** Reads `count` records of `topic` with a group consumer; returns "partition:value" in consumption order per partition. */
async function consumeAll(kafka: Kafka, topic: string, count: number, readUncommitted: boolean, timeoutMs = 30_000): Promise<Map<number, string[]>> {
  const consumer: Consumer = kafka.consumer({ groupId: `g-${Math.random().toString(36).slice(2)}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<number, string[]>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${total} of ${count} records of ${topic}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const list = seen.get(partition) ?? [];
          list.push(message.value!.toString());
          seen.set(partition, list);
          if (++total >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

test('kafkajs transactions: commit/abort across partitions, isolation levels, offsets, fencing, timeout', async (t) => {
  const tb = await startBroker({
    storage: 'file',
    config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200', 'num.partitions': '1' },
  });
  const kafka = client(tb);
  const admin = kafka.admin();
  await admin.connect();
  t.after(async () => {
    await admin.disconnect();
    await tb.stop();
  });
  await admin.createTopics({ topics: [{ topic: 'txn-in', numPartitions: 3 }, { topic: 'txn-out', numPartitions: 2 }], waitForLeaders: true });

  await t.test('commit and abort across partitions; read_committed sees only committed, read_uncommitted all', async () => {
    const producer = await txnProducer(kafka, 'tx-basic');
    try {
      for (let round = 0; round < 4; round++) {
        const txn = await producer.transaction();
        const messages = [0, 1, 2].map((partition) => ({ partition, value: `r${round}-p${partition}` }));
        await txn.send({ topic: 'txn-in', messages: messages.slice(0, 2) });
        await txn.send({ topic: 'txn-in', messages: messages.slice(2) });
        if (round % 2 === 0) await txn.commit();
        else await txn.abort();
      }
    } finally {
      await producer.disconnect();
    }
    const committed = await consumeAll(kafka, 'txn-in', 6, false);
    for (const p of [0, 1, 2]) assert.deepEqual(committed.get(p), [`r0-p${p}`, `r2-p${p}`], `partition ${p} read_committed`);
    const all = await consumeAll(kafka, 'txn-in', 12, true);
    for (const p of [0, 1, 2]) assert.deepEqual(all.get(p), [0, 1, 2, 3].map((r) => `r${r}-p${p}`), `partition ${p} read_uncommitted`);
  });

  await t.test('consume-transform-produce: offsets sent to the transaction commit with it, vanish on abort', async () => {
    const producer = await txnProducer(kafka, 'tx-offsets');
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'txn-out', messages: [{ partition: 0, value: 'discarded' }] });
      await aborted.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '1' }] }] });
      await aborted.abort();
      let offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['txn-in'] });
      assert.equal(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset, '-1', 'aborted offsets are not committed');

      const txn = await producer.transaction();
      await txn.send({ topic: 'txn-out', messages: [{ partition: 0, value: 'kept' }] });
      await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'txn-in', partitions: [{ partition: 0, offset: '2' }] }] });
      await txn.commit();
      // Markers are written after EndTxn answers: wait for the offsets to show.
      const deadline = Date.now() + 10_000;
      for (;;) {
        offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['txn-in'] });
        if (offsets[0]!.partitions.find((p) => p.partition === 0)!.offset === '2') break;
        assert.ok(Date.now() < deadline, 'committed transactional offset never became visible');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await producer.disconnect();
    }
    const out = await consumeAll(kafka, 'txn-out', 1, false);
    assert.deepEqual(out.get(0), ['kept']);
  });

  await t.test('a zombie with the old epoch is fenced', async () => {
    const zombie = await txnProducer(kafka, 'tx-zombie');
    const successor = await txnProducer(kafka, 'tx-zombie');
    try {
      // kafkajs asks for its transactional producer id at the first transaction(): the
      // successor's comes second and bumps the epoch.
      const txn = await zombie.transaction();
      const ok = await successor.transaction();
      await assert.rejects(
        async () => {
          await txn.send({ topic: 'txn-out', messages: [{ partition: 1, value: 'zombie' }] });
          await txn.commit();
        },
        (e: Error & { type?: string }) => /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/.test(`${e.type} ${e.message} ${(e as { originalError?: { type?: string } }).originalError?.type}`),
      );
      await ok.send({ topic: 'txn-out', messages: [{ partition: 1, value: 'successor' }] });
      await ok.commit();
    } finally {
      await zombie.disconnect().catch(() => {});
      await successor.disconnect();
    }
    const out = await consumeAll(kafka, 'txn-out', 2, false); // 'kept' (partition 0) and this one
    assert.deepEqual(out.get(1), ['successor']);
  });

  await t.test('an abandoned transaction is aborted after transaction.timeout.ms', async () => {
    await admin.createTopics({ topics: [{ topic: 'txn-abandoned', numPartitions: 1 }], waitForLeaders: true });
    const abandoned = await txnProducer(kafka, 'tx-abandoned', 500);
    const txn = await abandoned.transaction();
    await txn.send({ topic: 'txn-abandoned', messages: [{ value: 'never-committed' }] });
    // The open transaction holds the LSO back; the coordinator aborts it once 500 ms passed.
    const coordinator = tb.broker.transactionCoordinator!.coordinator;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const md = coordinator.describe('tx-abandoned');
      if (typeof md !== 'number' && md.state === 5 /* CompleteAbort */) break;
      assert.ok(Date.now() < deadline, 'the abandoned transaction was never aborted');
      await new Promise((r) => setTimeout(r, 50));
    }
    await abandoned.disconnect().catch(() => {});
    const later = await txnProducer(kafka, 'tx-later');
    const t2 = await later.transaction();
    await t2.send({ topic: 'txn-abandoned', messages: [{ value: 'committed' }] });
    await t2.commit();
    await later.disconnect();
    const seen = await consumeAll(kafka, 'txn-abandoned', 1, false);
    assert.deepEqual(seen.get(0), ['committed']);
    const partition = tb.broker.partitions.getPartition('txn-abandoned', 0)!;
    assert.equal(partition.lastStableOffset, partition.highWatermark, 'no open transaction holds the LSO back');
  });
});
