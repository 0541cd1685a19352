/**
 * Transactional offsets live in `__consumer_offsets` (issue 14): TxnOffsetCommit writes them as
 * the producer's transactional batch and the transaction's marker commits or drops them, so a
 * broker restart between sendOffsets and commit/abort loses nothing. kafkajs 2.2 drives the
 * transaction; the broker restarts on the same log dir and port in between.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeRecordBatches } from '@samsa/protocol';
import { Kafka, logLevel } from 'kafkajs';
import { GROUP_METADATA_TOPIC } from '../../src/metadata/topic-name.js';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';

test('transactional offsets survive a coordinator restart between TxnOffsetCommit and EndTxn: there after commit, gone after abort', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-offsets-'));
  const config = { 'num.partitions': '1', 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' };
  let tb: TestBroker = await startBroker({ storage: 'file', dataDir, config });
  const port = tb.port;
  t.after(async () => {
    await tb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const restart = async () => {
    await tb.stop();
    tb = await startBroker({ storage: 'file', dataDir, port, config });
  };
  const kafka = new Kafka({ clientId: 'txn-offsets', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeout: 3000, requestTimeout: 10_000 });
  const admin = kafka.admin({ retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1 }, { topic: 'out', numPartitions: 1 }] });
  const producer = kafka.producer({ transactionalId: 'tx-offsets', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(async () => {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  });
  const committedOffset = async (): Promise<string> => (await admin.fetchOffsets({ groupId: 'g', topics: ['in'] }))[0]!.partitions[0]!.offset;

  // Commit: offsets sent, broker restarted, then the transaction commits.
  const first = await producer.transaction();
  await first.send({ topic: 'out', messages: [{ value: 'one' }] });
  await first.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '7' }] }] });
  assert.equal(await committedOffset(), '-1', 'not visible before the commit');
  await restart();
  await first.commit();
  let offset = '-1';
  for (let i = 0; i < 100 && offset !== '7'; i++) {
    offset = await committedOffset();
    if (offset !== '7') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(offset, '7', 'the offsets written before the restart committed with the transaction');

  // The log holds them as the producer's transactional batch, followed by its COMMIT marker.
  const log = tb.broker.partitions.getPartition(GROUP_METADATA_TOPIC, 0)!;
  const batches = decodeRecordBatches(log.readRecords(0n, 1 << 20, { isolation: 'log-end', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: false }).records);
  const txnData = batches.filter((b) => b.isTransactional && !b.isControl);
  const markers = batches.filter((b) => b.isControl);
  assert.equal(txnData.length, 1, 'one transactional offset batch');
  assert.equal(markers.length, 1, 'one marker');
  assert.equal(markers[0]!.producerId, txnData[0]!.producerId);
  assert.ok(markers[0]!.baseOffset > txnData[0]!.baseOffset);

  // Abort: offsets sent, broker restarted, then the transaction aborts: the committed offset stays.
  const second = await producer.transaction();
  await second.send({ topic: 'out', messages: [{ value: 'two' }] });
  await second.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '9' }] }] });
  await restart();
  await second.abort();
  // One more restart replays the whole log: the aborted offsets stay gone.
  await restart();
  assert.equal(await committedOffset(), '7', 'aborted offsets never become visible, also after a replay');
});
