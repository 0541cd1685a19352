// Producer state following a real PartitionLog (memory engine; the file engine adds snapshots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { MemoryStorageEngine } from '../../src/storage/memory-engine.js';
import { attachProducerState } from '../../src/storage/producer-state-log.js';
import { OutOfOrderSequenceError, producerBatchHeaderOf, type ProducerStateManager } from '../../src/storage/producer-state.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { defaultLogConfig, T0 } from './conformance.js';

const opts = { maxProducerIdExpirationMs: 86_400_000, now: () => T0 };

function idempotentBatch(producerId: bigint, epoch: number, seq: number, count: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${seq + i}`), timestamp: BigInt(T0) }));
  return encodeRecordBatch(createRecordBatch(records, { producerId, producerEpoch: epoch, baseSequence: seq, now: BigInt(T0) }));
}

/** The produce path: validate, then append unless it is a duplicate. */
function produce(log: PartitionLog, state: ProducerStateManager, batch: Buffer) {
  const check = state.checkAndPrepare(producerBatchHeaderOf(batch));
  if (check.kind === 'duplicate') return { duplicate: true, baseOffset: check.firstOffset, lastOffset: check.lastOffset };
  const info = log.append(batch, { leaderEpoch: 0, nowMs: T0 });
  return { duplicate: false, baseOffset: info.baseOffset, lastOffset: info.lastOffset };
}

test('producer state follows appends and is rebuilt from the log on reopen', () => {
  const engine = new MemoryStorageEngine({ now: () => T0 });
  const config = defaultLogConfig({ segmentBytes: 600 });
  let log = engine.openLog('t', 0, config);
  const { state, detach } = attachProducerState(log, opts);

  assert.deepEqual(produce(log, state, idempotentBatch(1n, 0, 0, 3)), { duplicate: false, baseOffset: 0n, lastOffset: 2n });
  log.append(encodeRecordBatch(createRecordBatch([{ value: Buffer.from('plain'), timestamp: BigInt(T0) }], { now: BigInt(T0) })), { leaderEpoch: 0, nowMs: T0 });
  assert.deepEqual(produce(log, state, idempotentBatch(2n, 5, 0, 2)), { duplicate: false, baseOffset: 4n, lastOffset: 5n });
  assert.deepEqual(produce(log, state, idempotentBatch(1n, 0, 3, 2)), { duplicate: false, baseOffset: 6n, lastOffset: 7n });
  // a retry of producer 1's first batch: not appended, answered with the original offsets
  assert.deepEqual(produce(log, state, idempotentBatch(1n, 0, 0, 3)), { duplicate: true, baseOffset: 0n, lastOffset: 2n });
  assert.equal(log.logEndOffset, 8n);
  assert.throws(() => produce(log, state, idempotentBatch(1n, 0, 9, 1)), OutOfOrderSequenceError);
  for (let i = 0; i < 10; i++) produce(log, state, idempotentBatch(3n, 0, i * 2, 2)); // rolls segments
  assert.ok(log.segments().length > 1);
  const live = state.activeProducers();
  assert.equal(live.length, 3);

  detach();
  log.close();
  log = engine.openLog('t', 0, config);
  const reopened = attachProducerState(log, opts);
  assert.deepEqual(reopened.state.activeProducers(), live);
  assert.equal(reopened.state.endOffset, log.logEndOffset);
  assert.deepEqual(produce(log, reopened.state, idempotentBatch(1n, 0, 3, 2)), { duplicate: true, baseOffset: 6n, lastOffset: 7n });
  assert.equal(produce(log, reopened.state, idempotentBatch(2n, 5, 2, 1)).duplicate, false);
  reopened.detach();
  engine.close();
});
