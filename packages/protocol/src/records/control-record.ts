import { ProtocolDecodeError } from '../primitives/errors.js';
import { TimestampType } from './batch-header.js';
import type { BatchRecord, RecordBatchInput } from './record-batch.js';

/**
 * Control records (the records of a batch with the control attribute). Their key is
 * version int16 + type int16; an end-transaction marker's value is version int16 +
 * coordinatorEpoch int32.
 */
export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

export interface ControlRecordKey {
  version: number;
  type: ControlRecordType;
}

export interface EndTxnMarker {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  coordinatorEpoch: number;
}

const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VALUE_SIZE = 6;

export function encodeControlRecordKey(type: ControlRecordType, version = 0): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_KEY_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

export function decodeControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_KEY_SIZE) throw new ProtocolDecodeError(`control record key of ${key?.length ?? 'null'} bytes, need ${CONTROL_KEY_SIZE}`);
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) as ControlRecordType };
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

/** The marker a COMMIT/ABORT control record carries; null for other control record types. */
export function decodeEndTxnMarker(record: Pick<BatchRecord, 'key' | 'value'>): EndTxnMarker | null {
  const { type } = decodeControlRecordKey(record.key);
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return null;
  const v = record.value;
  // later versions may append fields: read what version 0 defines
  if (v === null || v.length < END_TXN_MARKER_VALUE_SIZE) throw new ProtocolDecodeError(`end transaction marker value of ${v?.length ?? 'null'} bytes, need ${END_TXN_MARKER_VALUE_SIZE}`);
  return { type, coordinatorEpoch: v.readInt32BE(2) };
}

export interface EndTxnMarkerBatchFields {
  producerId: bigint;
  producerEpoch: number;
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  coordinatorEpoch: number;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The transactional control batch that a transaction coordinator's marker writes. */
export function createEndTxnMarkerBatch(f: EndTxnMarkerBatchFields): RecordBatchInput {
  return {
    baseOffset: f.baseOffset ?? 0n,
    partitionLeaderEpoch: f.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    timestampType: TimestampType.CreateTime,
    baseTimestamp: f.timestamp,
    producerId: f.producerId,
    producerEpoch: f.producerEpoch,
    baseSequence: -1,
    records: [
      { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: encodeControlRecordKey(f.type), value: encodeEndTxnMarkerValue(f.coordinatorEpoch), headers: [] },
    ],
  };
}
