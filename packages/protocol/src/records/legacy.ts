import { ProtocolDecodeError } from '../primitives/errors.js';
import { BATCH_LENGTH, BATCH_LOG_OVERHEAD, BATCH_MAGIC, CompressionType, TimestampType } from './batch-header.js';
import { decompressSync } from './compression.js';
import { crc32 } from './crc32c.js';
import { decodeRecordBatch, scanBatches, toDecodedRecords, type DecodeBatchOptions, type DecodedRecord } from './record-batch.js';

/**
 * Legacy message sets, magic 0 and 1 (read only: Samsa writes RecordBatch v2). Each entry is
 * offset int64, size int32, crc int32 (plain CRC32 over magic..end), magic int8, attributes int8,
 * [timestamp int64, magic 1 only], key bytes, value bytes. A compressed entry is a wrapper whose
 * value is a compressed message set: for magic 1 the inner offsets are relative and the wrapper
 * carries the last inner message's absolute offset; for magic 0 they are absolute.
 */

export const NO_TIMESTAMP = -1n;
const LEGACY_ATTR_COMPRESSION_MASK = 0x07;
const LEGACY_ATTR_TIMESTAMP_TYPE = 0x08;
/** crc + magic + attributes + key length + value length. */
const MIN_MESSAGE_SIZE_V0 = 14;
const MIN_MESSAGE_SIZE_V1 = 22;

/** One legacy message as stored (the wrapper, for compressed ones). */
export interface LegacyMessage {
  offset: bigint;
  crc: number;
  magic: 0 | 1;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  /** -1n (no timestamp) for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  sizeInBytes: number;
}

function nullableBytes(buf: Buffer, pos: number, end: number): [Buffer | null, number] {
  if (end - pos < 4) throw new ProtocolDecodeError('truncated legacy message', pos);
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len < 0) return [null, pos];
  if (len > end - pos) throw new ProtocolDecodeError(`legacy message field of ${len} bytes exceeds the message`, pos - 4);
  return [buf.subarray(pos, pos + len), pos + len];
}

/** Decodes the complete legacy message at `pos` (its size field says where it ends). */
export function decodeLegacyMessage(buf: Buffer, pos = 0, opts: DecodeBatchOptions = {}): LegacyMessage {
  if (pos < 0 || buf.length - pos < BATCH_LOG_OVERHEAD) throw new ProtocolDecodeError('truncated legacy message', pos);
  const size = buf.readInt32BE(pos + BATCH_LENGTH);
  const end = pos + BATCH_LOG_OVERHEAD + size;
  if (size < MIN_MESSAGE_SIZE_V0 || end > buf.length) throw new ProtocolDecodeError(`legacy message size ${size} invalid or exceeds data`, pos + BATCH_LENGTH);
  const crc = buf.readUInt32BE(pos + 12);
  const magic = buf.readInt8(pos + BATCH_MAGIC);
  if (magic !== 0 && magic !== 1) throw new ProtocolDecodeError(`legacy message magic ${magic}`, pos + BATCH_MAGIC);
  if (magic === 1 && size < MIN_MESSAGE_SIZE_V1) throw new ProtocolDecodeError(`legacy v1 message size ${size} too small`, pos + BATCH_LENGTH);
  if (opts.verifyCrc !== false && crc32(buf.subarray(pos + BATCH_MAGIC, end)) !== crc) {
    throw new ProtocolDecodeError('legacy message CRC32 mismatch', pos + 12);
  }
  const attributes = buf.readInt8(pos + 17);
  let p = pos + 18;
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    timestamp = buf.readBigInt64BE(p);
    p += 8;
  }
  const [key, afterKey] = nullableBytes(buf, p, end);
  const [value, afterValue] = nullableBytes(buf, afterKey, end);
  if (afterValue !== end) throw new ProtocolDecodeError(`${end - afterValue} bytes after the legacy message's value`, afterValue);
  const compression = (attributes & LEGACY_ATTR_COMPRESSION_MASK) as CompressionType;
  if (compression > CompressionType.Zstd) throw new ProtocolDecodeError(`unknown compression type ${compression as number}`, pos + 17);
  return {
    offset: buf.readBigInt64BE(pos),
    crc,
    magic,
    attributes,
    compression,
    timestampType: magic === 1 && (attributes & LEGACY_ATTR_TIMESTAMP_TYPE) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    timestamp,
    key,
    value,
    sizeInBytes: size + BATCH_LOG_OVERHEAD,
  };
}

/** Appends the records of the legacy entry `m` (unwrapping a compressed one) to `out`. */
function pushLegacyRecords(m: LegacyMessage, opts: DecodeBatchOptions, out: DecodedRecord[]): void {
  if (m.compression === CompressionType.None) {
    out.push({ offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: [] });
    return;
  }
  if (m.value === null) throw new ProtocolDecodeError('compressed legacy message with a null value');
  const inner = decompressSync(m.compression, m.value, { legacy: true });
  const messages: LegacyMessage[] = [];
  let pos = 0;
  while (pos < inner.length) {
    const im = decodeLegacyMessage(inner, pos, opts); // a partial inner message is corruption, not a fetch boundary
    if (im.compression !== CompressionType.None) throw new ProtocolDecodeError('nested compressed legacy message', pos);
    if (im.magic !== m.magic) throw new ProtocolDecodeError(`inner message magic ${im.magic} differs from wrapper magic ${m.magic}`, pos);
    messages.push(im);
    pos += im.sizeInBytes;
  }
  if (messages.length === 0) return;
  // magic 1: inner offsets are relative; the wrapper holds the last one's absolute offset
  const base = m.magic === 1 ? m.offset - messages[messages.length - 1]!.offset : 0n;
  const logAppend = m.magic === 1 && m.timestampType === TimestampType.LogAppendTime;
  for (const im of messages) {
    out.push({ offset: base + im.offset, timestamp: logAppend ? m.timestamp : im.timestamp, key: im.key, value: im.value, headers: [] });
  }
}

/** Records of every complete legacy message in `buf` (trailing partial message ignored). */
export function decodeLegacyMessageSet(buf: Buffer, opts: DecodeBatchOptions = {}): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const p of scanBatches(buf).positions) pushLegacyRecords(decodeLegacyMessage(buf, p, opts), opts, out);
  return out;
}

/**
 * Records of every complete entry in `buf`, whatever its magic (v2 batches and legacy messages
 * may share a log or a Fetch response). Control batches are skipped unless `includeControl`.
 */
export function decodeRecordSet(buf: Buffer, opts: DecodeBatchOptions & { includeControl?: boolean } = {}): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const p of scanBatches(buf).positions) {
    if (buf.readInt32BE(p + BATCH_LENGTH) <= BATCH_MAGIC - BATCH_LOG_OVERHEAD) throw new ProtocolDecodeError('entry too short for a magic byte', p);
    const magic = buf.readInt8(p + BATCH_MAGIC);
    if (magic === 2) {
      const batch = decodeRecordBatch(buf, p, opts);
      if (batch.isControl && opts.includeControl !== true) continue;
      for (const r of toDecodedRecords(batch)) out.push(r);
    } else {
      pushLegacyRecords(decodeLegacyMessage(buf, p, opts), opts, out);
    }
  }
  return out;
}
