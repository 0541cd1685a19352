/**
 * A `samsa server` process (file storage, one broker: replication is not on main yet) is killed
 * with SIGKILL while a kafkajs transaction is open, after another one committed. Restarted on
 * the same directory, the transaction coordinator reloads `__transaction_state`, finds the open
 * transaction and aborts it (its timeout passing, or the next instance of the transactional id
 * fencing it, whichever comes first: markers to both partitions, `.txnindex` entries);
 * read_committed consumers see the committed records only, read_uncommitted all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort, startServer, type ServerProcess } from '../support/server-process.js';

let groups = 0;

/** Every record of `topic` from the start (a fresh group each time), as sorted "partition:value". */
async function consume(kafka: Kafka, topic: string, count: number, readUncommitted: boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `crash-${++groups}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.join(',')}, expected ${count} records`)), 30_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push(`${partition}:${message.value!.toString()}`);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen.sort();
}

test('SIGKILL mid-transaction: after restart the coordinator aborts it from its log', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-txn-crash-'));
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'node.id=0', `log.dirs=${join(dir, 'data')}`, `listeners=PLAINTEXT://127.0.0.1:${port}`, `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'offsets.topic.replication.factor=1', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=5', 'offsets.topic.num.partitions=5', 'group.initial.rebalance.delay.ms=0',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=200',
  ].join('\n'));
  let server: ServerProcess | null = await startServer(props);
  const kafka = new Kafka({ clientId: 'crash', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeout: 3000 });
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash-txn', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ transactionalId: 'crash-tx', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 3000 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'crash-txn', messages: [{ partition: 0, value: 'c0' }, { partition: 1, value: 'c1' }] });
    await committed.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'crash-txn', messages: [{ partition: 0, value: 'a0' }, { partition: 1, value: 'a1' }] });

    server.child.kill('SIGKILL');
    await server.exited;
    server = null;
    await producer.disconnect().catch(() => {});

    server = await startServer(props);
    const readCommitted = await consume(kafka, 'crash-txn', 2, false);
    assert.deepEqual(readCommitted, ['0:c0', '1:c1']);
    const all = await consume(kafka, 'crash-txn', 4, true);
    assert.deepEqual(all, ['0:a0', '0:c0', '1:a1', '1:c1']);
    // A new transaction after recovery commits and is read after the recovered ones.
    const after = kafka.producer({ transactionalId: 'crash-tx', idempotent: true, maxInFlightRequests: 1 });
    await after.connect();
    const t3 = await after.transaction();
    await t3.send({ topic: 'crash-txn', messages: [{ partition: 0, value: 'n0' }] });
    await t3.commit();
    await after.disconnect();
    // n0 is past the recovered open transaction: read_committed reaches it only once that was aborted.
    assert.deepEqual(await consume(kafka, 'crash-txn', 3, false), ['0:c0', '0:n0', '1:c1']);
    // The abort left an aborted-transaction index entry next to each partition's segment.
    for (const p of [0, 1]) {
      const partitionDir = join(dir, 'data', `crash-txn-${p}`);
      assert.ok(existsSync(partitionDir) && readdirSync(partitionDir).some((f) => f.endsWith('.txnindex')), `no .txnindex in ${partitionDir}`);
    }
  } finally {
    if (server !== null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
