/**
 * Transactions through confluent-kafka (librdkafka) on one broker (replication is not on main
 * yet): commit and abort across partitions with read_committed / read_uncommitted consumers, a
 * zombie fenced by a newer instance of its transactional id, offsets sent with the group metadata
 * of a consumer the group moved on from (KIP-447), and an abandoned transaction the coordinator
 * aborts after transaction.timeout.ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WireClient } from '../testkit/wire-client.js';
import { ApiKey } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { TxnState } from '../../src/coordinator/transaction/txn-records.js';
import { requireClient } from '../support/interop.js';
import { pythonModuleMissing, runPython } from '../interop/python-driver.js';

const SCRIPT = '../../transactions/py/confluent_txn.py'; // resolved from interop/py

test('confluent-kafka transactions: commit/abort, isolation levels, fencing, timeout abort', async (t) => {
  requireClient(await pythonModuleMissing('confluent_kafka'));
  const tb = await startBroker({ storage: 'file', config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200' } });
  t.after(() => tb.stop());
  const admin = await WireClient.connect(tb.port, '127.0.0.1', 'txn-admin');
  t.after(() => admin.close());
  const create = (name: string, numPartitions: number) => admin.send(ApiKey.CreateTopics, 4, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  await create('ck-txn', 3);
  await create('ck-fence', 1);
  await create('ck-abandoned', 1);

  await t.test('commit and abort across partitions', async () => {
    const r = await runPython(SCRIPT, ['commit-abort', tb.bootstrap, 'ck-txn']);
    for (const p of ['0', '1', '2']) {
      assert.deepEqual(r.committed[p], [`r0-p${p}`, `r2-p${p}`], `read_committed partition ${p}`);
      assert.deepEqual(r.uncommitted[p], [0, 1, 2, 3].map((n) => `r${n}-p${p}`), `read_uncommitted partition ${p}`);
    }
  });

  await t.test('a zombie producer is fenced', async () => {
    const r = await runPython(SCRIPT, ['fence', tb.bootstrap, 'ck-fence']);
    assert.ok(r.error !== null, 'the zombie committed');
    assert.match(r.error.name, /FENCED|INVALID_PRODUCER_EPOCH/);
    assert.deepEqual(r.committed['0'], ['successor']);
  });

  await t.test('KIP-447: offsets sent with the group metadata of a fenced static member or an old generation are refused, the transaction aborted', async () => {
    await create('ck-group-in', 2);
    await create('ck-group-out', 1);
    const r = await runPython(SCRIPT, ['group-fence', tb.bootstrap, 'ck-group-in', 'ck-group-out']);
    assert.deepEqual(r.static, { name: 'FENCED_INSTANCE_ID', txn_requires_abort: true, fatal: false });
    assert.equal(r.static_committed, -1001, 'nothing committed for the zombie');
    assert.equal(r.static_current, null, 'the current instance commits');
    assert.equal(r.static_after, 1);
    assert.ok(r.dynamic !== null && r.dynamic.txn_requires_abort && !r.dynamic.fatal, JSON.stringify(r.dynamic));
    assert.match(r.dynamic.name, /ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID/);
    assert.equal(r.dynamic_committed, -1001);
    const read = await runPython(SCRIPT, ['read', tb.bootstrap, 'ck-group-out', '1', '1']);
    assert.deepEqual(read.committed['0'], ['current-static'], 'the zombies\' output was aborted');
  });

  await t.test('an abandoned transaction is aborted after its timeout', async () => {
    const r = await runPython(SCRIPT, ['abandon', tb.bootstrap, 'ck-abandoned']);
    assert.equal(r.produced, true);
    const partition = tb.broker.partitions.getPartition('ck-abandoned', 0)!;
    assert.ok(partition.lastStableOffset < partition.highWatermark, 'the open transaction holds the LSO back');
    const coordinator = tb.broker.transactionCoordinator!.coordinator;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const md = coordinator.describe('ck-abandoned');
      if (typeof md !== 'number' && md.state === TxnState.CompleteAbort) break;
      assert.ok(Date.now() < deadline, 'the abandoned transaction was never aborted');
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(partition.lastStableOffset, partition.highWatermark);
    const read = await runPython(SCRIPT, ['read', tb.bootstrap, 'ck-abandoned', '1', '0']);
    assert.deepEqual(read.committed['0'], []);
  });
});
