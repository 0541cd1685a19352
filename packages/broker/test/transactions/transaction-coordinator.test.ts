/**
 * The transaction coordinator on the coordinator runtime, with an in-memory log and a fake
 * clock: the state machine, fencing, the records it writes (Kafka's TransactionLog format),
 * completing a prepared commit after a reload, and transactional id expiration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@samsa/protocol';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { InMemoryPartitionWriter } from '../../src/coordinator/runtime.js';
import { TransactionCoordinator, type TopicPartitionRef } from '../../src/coordinator/transaction/transaction-coordinator.js';
import { decodeTxnRecord, TxnState } from '../../src/coordinator/transaction/txn-records.js';
import { FakeClock } from '../../src/util/clock.js';

interface MarkerCall { producerId: bigint; producerEpoch: number; commit: boolean; partitions: TopicPartitionRef[] }

function setup(writer = new InMemoryPartitionWriter(), clock = new FakeClock()) {
  const markers: MarkerCall[] = [];
  let nextId = 1000n;
  let failMarkers = false;
  const coordinator = new TransactionCoordinator({
    clock,
    writer,
    config: { numPartitions: 1, maxTimeoutMs: 60_000, idExpirationMs: 3_600_000, abortTimedOutIntervalMs: 100, removeExpiredIntervalMs: 1000 },
    generateProducerId: async () => nextId++,
    markers: {
      writeMarkers: async (m) => {
        if (failMarkers) return m.partitions;
        markers.push({ producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.commit, partitions: m.partitions });
        return [];
      },
    },
  });
  return { coordinator, writer, clock, markers, setFailMarkers: (v: boolean) => (failMarkers = v) };
}

const settle = () => new Promise((r) => setImmediate(r));
const stateOf = (c: TransactionCoordinator, id: string) => {
  const md = c.describe(id);
  assert.notEqual(typeof md, 'number');
  return md as Exclude<typeof md, number>;
};

test('init, add partitions, commit: Kafka records, markers, Complete state; fencing and retries', async () => {
  const { coordinator, writer, markers } = setup();
  await coordinator.loadPartition(0, 3);
  const init = await coordinator.initProducerId('tx', 10_000, -1n, -1);
  assert.deepEqual(init, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
  assert.equal(await coordinator.addPartitions('tx', 1000n, 0, [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]), ErrorCode.NONE);
  assert.equal(stateOf(coordinator, 'tx').state, TxnState.Ongoing);
  assert.equal(await coordinator.addPartitions('tx', 1000n, 1, [{ topic: 't', partition: 2 }]), ErrorCode.PRODUCER_FENCED);
  assert.equal(await coordinator.addPartitions('tx', 999n, 0, [{ topic: 't', partition: 2 }]), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await coordinator.endTransaction('tx', 1000n, 0, true), ErrorCode.NONE);
  await settle();
  assert.deepEqual(markers, [{ producerId: 1000n, producerEpoch: 0, commit: true, partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] }]);
  assert.equal(stateOf(coordinator, 'tx').state, TxnState.CompleteCommit);
  assert.equal(await coordinator.endTransaction('tx', 1000n, 0, true), ErrorCode.NONE, 'a retried commit');
  assert.equal(await coordinator.endTransaction('tx', 1000n, 0, false), ErrorCode.INVALID_TXN_STATE);

  // The log holds Kafka's record sequence: Empty, Ongoing, PrepareCommit, CompleteCommit.
  const states = decodeRecordBatches(writer.batches(0)).flatMap((b) => b.records.map((r) => decodeTxnRecord(r.key!, r.value)!.entry!.state));
  assert.deepEqual(states, [TxnState.Empty, TxnState.Ongoing, TxnState.PrepareCommit, TxnState.CompleteCommit]);

  // A new instance bumps the epoch; the old epoch is fenced everywhere.
  const second = await coordinator.initProducerId('tx', 10_000, -1n, -1);
  assert.deepEqual(second, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
  assert.equal(await coordinator.endTransaction('tx', 1000n, 0, true), ErrorCode.PRODUCER_FENCED);
  // KIP-360: a retry of the bump (the previous id/epoch) gets the same answer; anything older is a zombie.
  assert.deepEqual(await coordinator.initProducerId('tx', 10_000, 1000n, 0), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
  assert.equal((await coordinator.initProducerId('tx', 10_000, 1000n, 1)).producerEpoch, 2);
  assert.equal((await coordinator.initProducerId('tx', 10_000, 1000n, 0)).errorCode, ErrorCode.PRODUCER_FENCED, 'KIP-360 with a stale epoch');
  assert.equal((await coordinator.initProducerId('tx', 120_000, -1n, -1)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
});

test('InitProducerId while a transaction is open aborts it with a bumped epoch (CONCURRENT_TRANSACTIONS meanwhile)', async () => {
  const { coordinator, markers, setFailMarkers } = setup();
  await coordinator.loadPartition(0);
  await coordinator.initProducerId('tx', 10_000, -1n, -1);
  await coordinator.addPartitions('tx', 1000n, 0, [{ topic: 't', partition: 0 }]);
  setFailMarkers(true);
  assert.equal((await coordinator.initProducerId('tx', 10_000, -1n, -1)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(stateOf(coordinator, 'tx').state, TxnState.PrepareAbort);
  assert.equal(stateOf(coordinator, 'tx').producerEpoch, 1);
  assert.equal((await coordinator.initProducerId('tx', 10_000, -1n, -1)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'still completing');
  setFailMarkers(false);
  coordinator.close();
});

test('a prepared commit is completed after a reload; timeouts abort with a bumped epoch; idle ids expire', async () => {
  const writer = new InMemoryPartitionWriter();
  const clock = new FakeClock();
  const first = setup(writer, clock);
  await first.coordinator.loadPartition(0);
  await first.coordinator.initProducerId('tx', 10_000, -1n, -1);
  await first.coordinator.addPartitions('tx', 1000n, 0, [{ topic: 't', partition: 0 }]);
  first.setFailMarkers(true); // the broker "crashes" before the markers are written
  assert.equal(await first.coordinator.endTransaction('tx', 1000n, 0, true), ErrorCode.NONE);
  await settle();
  first.coordinator.close();

  const second = setup(writer, clock);
  await second.coordinator.loadPartition(0, 1);
  await settle();
  assert.deepEqual(second.markers.map((m) => [m.commit, m.partitions]), [[true, [{ topic: 't', partition: 0 }]]]);
  assert.equal(stateOf(second.coordinator, 'tx').state, TxnState.CompleteCommit);

  // An abandoned transaction: aborted once its timeout passed, with the epoch bumped.
  await second.coordinator.initProducerId('tx', 500, -1n, -1);
  await second.coordinator.addPartitions('tx', 1000n, 1, [{ topic: 't', partition: 1 }]);
  clock.advance(400);
  assert.equal(stateOf(second.coordinator, 'tx').state, TxnState.Ongoing);
  clock.advance(200);
  await settle();
  assert.equal(stateOf(second.coordinator, 'tx').state, TxnState.CompleteAbort);
  assert.equal(stateOf(second.coordinator, 'tx').producerEpoch, 2);
  assert.deepEqual(second.markers.at(-1), { producerId: 1000n, producerEpoch: 2, commit: false, partitions: [{ topic: 't', partition: 1 }] });

  // transactional.id.expiration.ms: the idle id is removed (a tombstone).
  clock.advance(3_600_000 + 1000);
  assert.equal(second.coordinator.describe('tx'), ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  const last = decodeRecordBatches(writer.batches(0)).at(-1)!.records.at(-1)!;
  assert.equal(last.value, null);
  second.coordinator.close();
});
