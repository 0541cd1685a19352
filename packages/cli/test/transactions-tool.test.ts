/**
 * kafka-transactions against a broker with an open kafkajs transaction: list, describe,
 * describe-producers, find-hanging (none: the coordinator tracks it) and abort --start-offset,
 * which writes the ABORT marker so the last stable offset moves up to the high watermark.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '@samsa/broker/testkit';
import { type Io, runTool } from '../src/tool.js';
import { TOOLS } from '../src/tools.js';

async function runTransactions(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += typeof s === 'string' ? s : Buffer.from(s).toString()), err: (s) => void (err += s), stdin: Readable.from(['']), stopSignal: new Promise(() => {}) };
  const code = await runTool(TOOLS.get('transactions')!, argv, io);
  return { code, stdout: out, stderr: err };
}

const rows = (table: string): string[][] => table.trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()).filter((c, i, all) => i < all.length - 1 || c !== ''));

test('kafka-transactions: list, describe, describe-producers, find-hanging, abort', async (t) => {
  const tb = await startBroker();
  t.after(() => tb.stop());
  const kafka = new Kafka({ clientId: 'tool', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'tool-txn', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ transactionalId: 'tool-tx', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(() => producer.disconnect());
  const txn = await producer.transaction();
  await txn.send({ topic: 'tool-txn', messages: [{ value: 'a' }, { value: 'b' }] });
  const bs = ['--bootstrap-server', tb.bootstrap];

  const list = await runTransactions([...bs, 'list']);
  assert.equal(list.code, 0, list.stderr);
  const listed = rows(list.stdout);
  assert.deepEqual(listed[0], ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']);
  assert.deepEqual(listed.slice(1).map((r) => [r[0], r[3]]), [['tool-tx', 'Ongoing']]);
  const producerId = listed[1]![2]!;

  const describe = await runTransactions([...bs, 'describe', '--transactional-id', 'tool-tx']);
  assert.equal(describe.code, 0, describe.stderr);
  const d = rows(describe.stdout);
  assert.equal(d[0]![0], 'CoordinatorId');
  assert.deepEqual([d[1]![1], d[1]![2], d[1]![4], d[1]![8]], ['tool-tx', producerId, 'Ongoing', 'tool-txn-0']);

  const producers = await runTransactions([...bs, 'describe-producers', '--topic', 'tool-txn', '--partition', '0']);
  assert.equal(producers.code, 0, producers.stderr);
  const p = rows(producers.stdout);
  assert.deepEqual(p[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
  assert.equal(p[1]![0], producerId);
  assert.equal(p[1]![5], '0');

  const hanging = await runTransactions([...bs, 'find-hanging', '--topic', 'tool-txn', '--max-transaction-timeout', '0']);
  assert.equal(hanging.code, 0, hanging.stderr);
  assert.equal(rows(hanging.stdout).length, 1, 'the coordinator still tracks the transaction: not hanging');
  assert.equal((await runTransactions([...bs, 'find-hanging'])).code, 1);

  const partition = tb.broker.partitions.getPartition('tool-txn', 0)!;
  assert.equal(partition.lastStableOffset, 0n);
  const abort = await runTransactions([...bs, 'abort', '--topic', 'tool-txn', '--partition', '0', '--start-offset', '0']);
  assert.equal(abort.code, 0, abort.stderr);
  assert.equal(partition.lastStableOffset, partition.highWatermark);
  assert.equal(partition.highWatermark, 3n, 'two records and the ABORT marker');
});
