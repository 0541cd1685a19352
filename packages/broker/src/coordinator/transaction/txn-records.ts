/**
 * The records of `__transaction_state`, in Kafka's format (TransactionLog.scala): key = int16
 * key version (0) + TransactionLogKey; value = int16 value version + TransactionLogValue, null
 * for a tombstone (an expired transactional id). Kafka writes value version 0 unless the
 * transaction uses transaction protocol version 2; we write 0 and read 0 and 1.
 */
import { Reader, Writer, decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue } from '@samsa/protocol';
import type { CoordinatorRecord } from '../records.js';

/** Kafka's TransactionState ids, as stored in transactionStatus. */
export enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

/** The names Kafka's tools print (TransactionState.stateName). */
export const TXN_STATE_NAMES: Record<TxnState, string> = {
  [TxnState.Empty]: 'Empty',
  [TxnState.Ongoing]: 'Ongoing',
  [TxnState.PrepareCommit]: 'PrepareCommit',
  [TxnState.PrepareAbort]: 'PrepareAbort',
  [TxnState.CompleteCommit]: 'CompleteCommit',
  [TxnState.CompleteAbort]: 'CompleteAbort',
  [TxnState.Dead]: 'Dead',
  [TxnState.PrepareEpochFence]: 'PrepareEpochFence',
};

export interface TxnLogEntry {
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic -> partitions */
  partitions: Map<string, Set<number>>;
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
}

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

function keyOf(transactionalId: string): Buffer {
  const w = new Writer(32).int16(KEY_VERSION);
  encodeTransactionLogKey(w, KEY_VERSION, { transactionalId });
  return w.toBuffer();
}

export function txnRecord(transactionalId: string, e: TxnLogEntry): CoordinatorRecord {
  const v = new Writer(128).int16(VALUE_VERSION);
  encodeTransactionLogValue(v, VALUE_VERSION, {
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    transactionTimeoutMs: e.timeoutMs,
    transactionStatus: e.state,
    // Kafka writes no partitions for Empty; the complete states carry none either (cleared on completion).
    transactionPartitions: e.state === TxnState.Empty ? null : [...e.partitions].map(([topic, ps]) => ({ topic, partitionIds: [...ps].sort((a, b) => a - b) })),
    transactionLastUpdateTimestampMs: BigInt(e.lastUpdateTimestampMs),
    transactionStartTimestampMs: BigInt(e.startTimestampMs),
  });
  return { key: keyOf(transactionalId), value: v.toBuffer() };
}

export function txnTombstone(transactionalId: string): CoordinatorRecord {
  return { key: keyOf(transactionalId), value: null };
}

/** Decodes a record; null for a key version this coordinator does not own (never written by Kafka). */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): { transactionalId: string; entry: TxnLogEntry | null } | null {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== KEY_VERSION) return null;
  const { transactionalId } = decodeTransactionLogKey(kr, keyVersion);
  if (value === null) return { transactionalId, entry: null };
  const vr = new Reader(value);
  const version = vr.int16();
  const v = decodeTransactionLogValue(vr, Math.min(version, 1));
  const partitions = new Map<string, Set<number>>();
  for (const t of v.transactionPartitions ?? []) partitions.set(t.topic, new Set(t.partitionIds));
  return {
    transactionalId,
    entry: {
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      lastUpdateTimestampMs: Number(v.transactionLastUpdateTimestampMs),
      startTimestampMs: Number(v.transactionStartTimestampMs),
    },
  };
}
