// Test helpers: header-only v2 batches for the producer state tests (the state never reads records).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ATTR_TRANSACTIONAL,
  ControlRecordType,
  createEndTxnMarkerBatch,
  encodeRecordBatch,
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_BASE_SEQUENCE,
  BATCH_BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_MAX_TIMESTAMP,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  BATCH_RECORD_COUNT,
} from '@samsa/protocol/records';
import { lastSequenceOf, type ProducerBatchHeader } from '../../src/storage/producer-state.js';

export interface TestBatch {
  producerId: bigint;
  epoch: number;
  seq: number;
  count: number;
  timestamp?: bigint;
  transactional?: boolean;
}

export function header(b: TestBatch): ProducerBatchHeader {
  return {
    producerId: b.producerId,
    producerEpoch: b.epoch,
    baseSequence: b.seq,
    lastSequence: lastSequenceOf(b.seq, b.count - 1),
    isTransactional: b.transactional ?? false,
    recordCount: b.count,
    maxTimestamp: b.timestamp ?? 1000n,
  };
}

/** The header bytes of a batch with no record bytes (recordCount is kept for the accessors). */
export function headerBytes(b: TestBatch, baseOffset: bigint): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_SIZE);
  buf.writeBigInt64BE(baseOffset, BATCH_BASE_OFFSET);
  buf.writeInt32BE(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt8(2, BATCH_MAGIC);
  buf.writeInt16BE(b.transactional ? ATTR_TRANSACTIONAL : 0, BATCH_ATTRIBUTES);
  buf.writeInt32BE(b.count - 1, BATCH_LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(b.timestamp ?? 1000n, BATCH_BASE_TIMESTAMP);
  buf.writeBigInt64BE(b.timestamp ?? 1000n, BATCH_MAX_TIMESTAMP);
  buf.writeBigInt64BE(b.producerId, BATCH_PRODUCER_ID);
  buf.writeInt16BE(b.epoch, BATCH_PRODUCER_EPOCH);
  buf.writeInt32BE(b.seq, BATCH_BASE_SEQUENCE);
  buf.writeInt32BE(b.count, BATCH_RECORD_COUNT);
  return buf;
}

/** A control batch holding one end-transaction marker record. */
export function markerBytes(producerId: bigint, epoch: number, baseOffset: bigint, commit: boolean, coordinatorEpoch: number, timestamp = 1000n): Buffer {
  return encodeRecordBatch(createEndTxnMarkerBatch({
    producerId,
    producerEpoch: epoch,
    type: commit ? ControlRecordType.Commit : ControlRecordType.Abort,
    coordinatorEpoch,
    timestamp,
    baseOffset,
  }));
}

export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pstate-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
