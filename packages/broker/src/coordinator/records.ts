/**
 * The records of `__consumer_offsets`, in Kafka's format: key = int16 record type (the key
 * schema's version) + the key struct; value = int16 value version + the value struct; a null
 * value is a tombstone. Kafka writes OffsetCommitKey as type 1 and GroupMetadataKey as type 2;
 * OffsetCommitValue as v3 (v1 when it carries an expire timestamp), GroupMetadataValue as v3.
 * Types 3+ (KIP-848 consumer-group records) are decoded as `other` and skipped by the classic
 * coordinator.
 */
import {
  Reader, Writer,
  decodeGroupMetadataKey, decodeGroupMetadataValue, decodeOffsetCommitKey, decodeOffsetCommitValue,
  encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, encodeOffsetCommitValue,
  type GroupMetadataValue, type OffsetCommitValue,
} from '@samsa/protocol';

export const OFFSET_COMMIT_KEY_TYPE = 1;
export const GROUP_METADATA_KEY_TYPE = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;

/** A record as written to the log: serialized key and (nullable) value. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

export type DecodedCoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | { type: 'other'; keyType: number };

export function offsetCommitRecord(group: string, topic: string, partition: number, value: OffsetCommitValue): CoordinatorRecord {
  const version = value.expireTimestamp !== undefined && value.expireTimestamp >= 0n ? 1 : 3;
  const v = new Writer(64).int16(version);
  encodeOffsetCommitValue(v, version, value);
  return { key: offsetCommitKey(group, topic, partition), value: v.toBuffer() };
}

export function offsetCommitTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  return { key: offsetCommitKey(group, topic, partition), value: null };
}

function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64).int16(OFFSET_COMMIT_KEY_TYPE);
  encodeOffsetCommitKey(w, OFFSET_COMMIT_KEY_TYPE, { group, topic, partition });
  return w.toBuffer();
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue): CoordinatorRecord {
  const v = new Writer(256).int16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValue(v, GROUP_METADATA_VALUE_VERSION, value);
  return { key: groupMetadataKey(group), value: v.toBuffer() };
}

export function groupMetadataTombstone(group: string): CoordinatorRecord {
  return { key: groupMetadataKey(group), value: null };
}

function groupMetadataKey(group: string): Buffer {
  const w = new Writer(32).int16(GROUP_METADATA_KEY_TYPE);
  encodeGroupMetadataKey(w, GROUP_METADATA_KEY_TYPE, { group });
  return w.toBuffer();
}

/** Decodes one record of the internal topic; throws ProtocolDecodeError on malformed bytes. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedCoordinatorRecord {
  const kr = new Reader(key);
  const keyType = kr.int16();
  if (keyType === 0 || keyType === 1) {
    const k = decodeOffsetCommitKey(kr, keyType);
    if (value === null) return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const version = vr.int16();
    // Newer value versions stay readable: fields are only ever appended, so read as the highest we know.
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: decodeOffsetCommitValue(vr, Math.min(version, 4)) };
  }
  if (keyType === GROUP_METADATA_KEY_TYPE) {
    const k = decodeGroupMetadataKey(kr, keyType);
    if (value === null) return { type: 'group', group: k.group, value: null };
    const vr = new Reader(value);
    const version = vr.int16();
    return { type: 'group', group: k.group, value: decodeGroupMetadataValue(vr, Math.min(version, 4)) };
  }
  return { type: 'other', keyType };
}
