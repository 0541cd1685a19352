import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_BASE_SEQUENCE,
  BATCH_BASE_TIMESTAMP,
  BATCH_CRC,
  BATCH_HEADER_SIZE,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_MAX_TIMESTAMP,
  BATCH_PARTITION_LEADER_EPOCH,
  BATCH_PRODUCER_EPOCH,
  BATCH_PRODUCER_ID,
  BATCH_RECORD_COUNT,
  CompressionType,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  TimestampType,
} from './batch-header.js';
import { compress, compressSync, decompress, decompressSync, type CompressOptions } from './compression.js';
import { crc32c } from './crc32c.js';

/** RecordBatch v2 (Kafka's DefaultRecordBatch / DefaultRecord) encoding and decoding. */

export const RECORD_BATCH_MAGIC = 2;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as it is inside a v2 batch: offsets and timestamps relative to the batch's. */
export interface BatchRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record with absolute offset and timestamp, as a consumer sees it. */
export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** The decoded batch header; `recordsData` is the records section as on the wire (maybe compressed). */
export interface RecordBatchHeader {
  baseOffset: bigint;
  /** 12 + batchLength: the whole batch's size on the wire. */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  /** A view into the decoded buffer, no copy. */
  recordsData: Buffer;
}

export interface RecordBatch extends RecordBatchHeader {
  records: BatchRecord[];
}

/** What encodeRecordBatch needs; everything but baseTimestamp and records has Kafka's default. */
export interface RecordBatchInput {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
  /** Defaults to the last record's offsetDelta (0 when empty). */
  lastOffsetDelta?: number;
  baseTimestamp: bigint;
  /** Defaults to baseTimestamp + the largest timestampDelta. */
  maxTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  records: readonly BatchRecord[];
}

export interface EncodeBatchOptions extends CompressOptions {
  /** Overrides batch.compression. */
  compression?: CompressionType;
}

export interface DecodeBatchOptions {
  /** Check the CRC32C before decoding (default true). */
  verifyCrc?: boolean;
}

// ---------------------------------------------------------------------------------------------
// varints on (buffer, position) without a Writer: the encoder sizes everything first and writes
// into one allocation.

function uvarintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
}

function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Safe-integer varlongs only (|v| < 2^52); checked by the caller. */
function varlongSize(v: number): number {
  let x = zigzag64(v);
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

function writeUvarint(buf: Buffer, pos: number, v: number): number {
  let x = v >>> 0;
  while (x >= 0x80) {
    buf[pos++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  buf[pos++] = x;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUvarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let x = zigzag64(v);
  while (x >= 0x80) {
    buf[pos++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  buf[pos++] = x;
  return pos;
}

const MAX_DELTA = 2 ** 52;

function checkInt32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new ProtocolEncodeError(`${name} ${v} is not an int32`);
}

// ---------------------------------------------------------------------------------------------
// encoding

interface SizedRecord {
  bodySize: number;
  headerKeys: Buffer[] | null;
}

function sizeRecord(r: BatchRecord): SizedRecord {
  if (!Number.isSafeInteger(r.timestampDelta) || Math.abs(r.timestampDelta) >= MAX_DELTA) {
    throw new ProtocolEncodeError(`timestampDelta ${r.timestampDelta} out of range`);
  }
  checkInt32('offsetDelta', r.offsetDelta);
  let size = 1 + varlongSize(r.timestampDelta) + varintSize(r.offsetDelta);
  size += r.key === null ? 1 : varintSize(r.key.length) + r.key.length;
  size += r.value === null ? 1 : varintSize(r.value.length) + r.value.length;
  size += varintSize(r.headers.length);
  let headerKeys: Buffer[] | null = null;
  if (r.headers.length > 0) {
    headerKeys = new Array<Buffer>(r.headers.length);
    for (let i = 0; i < r.headers.length; i++) {
      const h = r.headers[i]!;
      const k = Buffer.from(h.key, 'utf8');
      headerKeys[i] = k;
      size += varintSize(k.length) + k.length;
      size += h.value === null ? 1 : varintSize(h.value.length) + h.value.length;
    }
  }
  return { bodySize: size, headerKeys };
}

function writeRecord(buf: Buffer, pos: number, r: BatchRecord, s: SizedRecord): number {
  pos = writeVarint(buf, pos, s.bodySize);
  buf[pos++] = r.attributes & 0xff;
  pos = writeVarlong(buf, pos, r.timestampDelta);
  pos = writeVarint(buf, pos, r.offsetDelta);
  if (r.key === null) pos = writeVarint(buf, pos, -1);
  else {
    pos = writeVarint(buf, pos, r.key.length);
    buf.set(r.key, pos);
    pos += r.key.length;
  }
  if (r.value === null) pos = writeVarint(buf, pos, -1);
  else {
    pos = writeVarint(buf, pos, r.value.length);
    buf.set(r.value, pos);
    pos += r.value.length;
  }
  pos = writeVarint(buf, pos, r.headers.length);
  for (let i = 0; i < r.headers.length; i++) {
    const k = s.headerKeys![i]!;
    pos = writeVarint(buf, pos, k.length);
    buf.set(k, pos);
    pos += k.length;
    const v = r.headers[i]!.value;
    if (v === null) pos = writeVarint(buf, pos, -1);
    else {
      pos = writeVarint(buf, pos, v.length);
      buf.set(v, pos);
      pos += v.length;
    }
  }
  return pos;
}

/** Encodes the records section into a new buffer, after `prefix` bytes left for the header. */
function encodeRecords(records: readonly BatchRecord[], prefix: number): Buffer {
  const sized = new Array<SizedRecord>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const s = sizeRecord(records[i]!);
    sized[i] = s;
    total += varintSize(s.bodySize) + s.bodySize;
  }
  const buf = Buffer.allocUnsafe(prefix + total);
  let pos = prefix;
  for (let i = 0; i < records.length; i++) pos = writeRecord(buf, pos, records[i]!, sized[i]!);
  return buf;
}

function attributesOf(batch: RecordBatchInput, compression: CompressionType): number {
  let a = compression & ATTR_COMPRESSION_MASK;
  if (batch.timestampType === TimestampType.LogAppendTime) a |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  if (batch.isTransactional === true) a |= ATTR_TRANSACTIONAL;
  if (batch.isControl === true) a |= ATTR_CONTROL;
  if (batch.hasDeleteHorizon === true) a |= ATTR_DELETE_HORIZON;
  return a;
}

/** Writes the 61-byte header into `buf` (records already at 61..end) and the CRC32C. */
function finishBatch(buf: Buffer, batch: RecordBatchInput, compression: CompressionType): Buffer {
  const records = batch.records;
  if (compression < CompressionType.None || compression > CompressionType.Zstd) throw new ProtocolEncodeError(`unknown compression type ${compression}`);
  let maxDelta = records.length > 0 ? records[0]!.timestampDelta : 0;
  for (let i = 1; i < records.length; i++) if (records[i]!.timestampDelta > maxDelta) maxDelta = records[i]!.timestampDelta;
  const lastOffsetDelta = batch.lastOffsetDelta ?? (records.length > 0 ? records[records.length - 1]!.offsetDelta : 0);
  checkInt32('lastOffsetDelta', lastOffsetDelta);
  buf.writeBigInt64BE(batch.baseOffset ?? 0n, BATCH_BASE_OFFSET);
  buf.writeInt32BE(buf.length - BATCH_LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(batch.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BATCH_PARTITION_LEADER_EPOCH);
  buf.writeInt8(RECORD_BATCH_MAGIC, BATCH_MAGIC);
  buf.writeInt16BE(attributesOf(batch, compression), BATCH_ATTRIBUTES);
  buf.writeInt32BE(lastOffsetDelta, BATCH_LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(batch.baseTimestamp, BATCH_BASE_TIMESTAMP);
  buf.writeBigInt64BE(batch.maxTimestamp ?? (records.length > 0 ? batch.baseTimestamp + BigInt(maxDelta) : batch.baseTimestamp), BATCH_MAX_TIMESTAMP);
  buf.writeBigInt64BE(batch.producerId ?? NO_PRODUCER_ID, BATCH_PRODUCER_ID);
  buf.writeInt16BE(batch.producerEpoch ?? NO_PRODUCER_EPOCH, BATCH_PRODUCER_EPOCH);
  buf.writeInt32BE(batch.baseSequence ?? NO_SEQUENCE, BATCH_BASE_SEQUENCE);
  buf.writeInt32BE(records.length, BATCH_RECORD_COUNT);
  buf.writeUInt32BE(crc32c(buf.subarray(BATCH_ATTRIBUTES)), BATCH_CRC);
  return buf;
}

function withHeaderRoom(compressed: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
  compressed.copy(buf, BATCH_HEADER_SIZE);
  return buf;
}

/**
 * Encodes a RecordBatch v2 and its CRC32C (over attributes..end). Uncompressed batches are
 * written with one allocation; compressed ones compress the records section, then frame it.
 */
export function encodeRecordBatch(batch: RecordBatchInput, opts: EncodeBatchOptions = {}): Buffer {
  const compression = opts.compression ?? batch.compression ?? CompressionType.None;
  if (compression === CompressionType.None) {
    return finishBatch(encodeRecords(batch.records, BATCH_HEADER_SIZE), batch, CompressionType.None);
  }
  const compressed = compressSync(compression, encodeRecords(batch.records, 0), opts);
  return finishBatch(withHeaderRoom(compressed), batch, compression);
}

/** As encodeRecordBatch, compressing on the libuv thread pool. */
export async function encodeRecordBatchAsync(batch: RecordBatchInput, opts: EncodeBatchOptions = {}): Promise<Buffer> {
  const compression = opts.compression ?? batch.compression ?? CompressionType.None;
  if (compression === CompressionType.None) return encodeRecordBatch(batch, opts);
  const compressed = await compress(compression, encodeRecords(batch.records, 0), opts);
  return finishBatch(withHeaderRoom(compressed), batch, compression);
}

// ---------------------------------------------------------------------------------------------
// decoding

/** Checks the CRC32C of the batch at `pos` (throws ProtocolDecodeError if it is not all there). */
export function verifyBatchCrc(buf: Buffer, pos = 0): boolean {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) throw new ProtocolDecodeError('truncated record batch header', pos);
  const length = buf.readInt32BE(pos + BATCH_LENGTH);
  const end = pos + BATCH_LOG_OVERHEAD + length;
  if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD || end > buf.length) throw new ProtocolDecodeError(`record batch length ${length} invalid or exceeds data`, pos);
  return crc32c(buf.subarray(pos + BATCH_ATTRIBUTES, end)) === buf.readUInt32BE(pos + BATCH_CRC);
}

/** Decodes the header of the v2 batch at `pos`, without touching the records. */
export function decodeRecordBatchHeader(buf: Buffer, pos = 0, opts: DecodeBatchOptions = {}): RecordBatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) throw new ProtocolDecodeError('truncated record batch header', pos);
  const length = buf.readInt32BE(pos + BATCH_LENGTH);
  const size = BATCH_LOG_OVERHEAD + length;
  if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) throw new ProtocolDecodeError(`record batch length ${length} too small`, pos + BATCH_LENGTH);
  if (pos + size > buf.length) throw new ProtocolDecodeError(`record batch of ${size} bytes exceeds data (${buf.length - pos} left)`, pos);
  const magic = buf.readInt8(pos + BATCH_MAGIC);
  if (magic !== RECORD_BATCH_MAGIC) throw new ProtocolDecodeError(`record batch magic ${magic}, expected 2`, pos + BATCH_MAGIC);
  const crc = buf.readUInt32BE(pos + BATCH_CRC);
  if (opts.verifyCrc !== false && crc32c(buf.subarray(pos + BATCH_ATTRIBUTES, pos + size)) !== crc) {
    throw new ProtocolDecodeError('record batch CRC32C mismatch', pos + BATCH_CRC);
  }
  const attributes = buf.readInt16BE(pos + BATCH_ATTRIBUTES);
  const compression = (attributes & ATTR_COMPRESSION_MASK) as CompressionType;
  if (compression > CompressionType.Zstd) throw new ProtocolDecodeError(`unknown compression type ${compression as number}`, pos + BATCH_ATTRIBUTES);
  const recordCount = buf.readInt32BE(pos + BATCH_RECORD_COUNT);
  if (recordCount < 0) throw new ProtocolDecodeError(`negative record count ${recordCount}`, pos + BATCH_RECORD_COUNT);
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH_BASE_OFFSET),
    sizeInBytes: size,
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH_PARTITION_LEADER_EPOCH),
    magic,
    crc,
    attributes,
    compression,
    timestampType: (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + BATCH_LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH_BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + BATCH_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BATCH_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BATCH_BASE_SEQUENCE),
    recordCount,
    recordsData: buf.subarray(pos + BATCH_HEADER_SIZE, pos + size),
  };
}

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_SIZE = 7;

/**
 * A bounds-checked cursor specialised for records (plain functions over module state would be
 * faster still, but this keeps the decoder re-entrant). Every overrun throws ProtocolDecodeError.
 */
class RecordCursor {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  varint(): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.end) throw new ProtocolDecodeError('truncated varint', p);
      const b = buf[p++]!;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        if (shift === 28 && b > 0x0f) break;
        this.pos = p;
        return (result >>> 1) ^ -(result & 1);
      }
    }
    throw new ProtocolDecodeError('varint too long', this.pos);
  }

  /** Zigzag varlong as a number; deltas beyond 2^53 lose precision (never seen in practice). */
  varlong(): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) throw new ProtocolDecodeError('truncated varlong', p);
      const b = buf[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = p;
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    throw new ProtocolDecodeError('varlong too long', this.pos);
  }

  /** varint-length-prefixed bytes, -1 = null; a view, not a copy. */
  nullableBytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) return null; // Java reads any negative length as null
    const p = this.pos;
    if (len > this.end - p) throw new ProtocolDecodeError(`${len} bytes exceed record data`, p);
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  string(): string {
    const len = this.varint();
    const p = this.pos;
    if (len < 0) throw new ProtocolDecodeError(`invalid header key length ${len}`, p);
    if (len > this.end - p) throw new ProtocolDecodeError(`${len} bytes exceed record data`, p);
    this.pos = p + len;
    return this.buf.toString('utf8', p, p + len);
  }
}

/** Parses `count` records that fill `data[start, end)` exactly. */
export function parseRecords(data: Buffer, count: number, start = 0, end = data.length): BatchRecord[] {
  if (count > (end - start) / MIN_RECORD_SIZE) throw new ProtocolDecodeError(`record count ${count} cannot fit in ${end - start} bytes`, start);
  const c = new RecordCursor(data, start, end);
  const out = new Array<BatchRecord>(count);
  for (let i = 0; i < count; i++) {
    const length = c.varint();
    const bodyStart = c.pos;
    if (length < MIN_RECORD_SIZE - 1 || length > end - bodyStart) throw new ProtocolDecodeError(`record length ${length} invalid`, bodyStart);
    const attributes = data[c.pos++]!;
    const timestampDelta = c.varlong();
    const offsetDelta = c.varint();
    const key = c.nullableBytes();
    const value = c.nullableBytes();
    const headerCount = c.varint();
    if (headerCount < 0 || headerCount > (bodyStart + length - c.pos) / 2) throw new ProtocolDecodeError(`invalid header count ${headerCount}`, c.pos);
    const headers = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const hk = c.string();
      headers[h] = { key: hk, value: c.nullableBytes() };
    }
    if (c.pos !== bodyStart + length) throw new ProtocolDecodeError(`record length ${length} does not match its contents (${c.pos - bodyStart})`, bodyStart);
    out[i] = { attributes, timestampDelta, offsetDelta, key, value, headers };
  }
  if (c.pos !== end) throw new ProtocolDecodeError(`${end - c.pos} bytes after the last of ${count} records`, c.pos);
  return out;
}

/** The batch's records, decompressing (synchronously) if needed. Keys/values are views. */
export function decodeRecords(header: RecordBatchHeader): BatchRecord[] {
  const data = decompressSync(header.compression, header.recordsData);
  return parseRecords(data, header.recordCount);
}

/** As decodeRecords, decompressing on the libuv thread pool. */
export async function decodeRecordsAsync(header: RecordBatchHeader): Promise<BatchRecord[]> {
  const data = await decompress(header.compression, header.recordsData);
  return parseRecords(data, header.recordCount);
}

/** Decodes one complete v2 batch at `pos`, records included. */
export function decodeRecordBatch(buf: Buffer, pos = 0, opts: DecodeBatchOptions = {}): RecordBatch {
  const header = decodeRecordBatchHeader(buf, pos, opts) as RecordBatch;
  header.records = decodeRecords(header);
  return header;
}

/**
 * Where each complete batch in `buf` starts and how long it is. A trailing partial batch (a
 * Fetch response may end with one) is left out; `end` is where the complete ones end.
 */
export function scanBatches(buf: Buffer, start = 0): { positions: number[]; end: number } {
  const positions: number[] = [];
  let pos = start;
  while (buf.length - pos >= BATCH_LOG_OVERHEAD) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH);
    // legacy message sets (magic 0/1) share this 12-byte prefix, so this scans them too
    if (length < 0) throw new ProtocolDecodeError(`negative batch length ${length}`, pos + BATCH_LENGTH);
    const size = BATCH_LOG_OVERHEAD + length;
    if (size > buf.length - pos) break;
    positions.push(pos);
    pos += size;
  }
  return { positions, end: pos };
}

/** Headers of every complete batch in `buf`, records not decoded (decodeRecords on demand). */
export function decodeRecordBatchHeaders(buf: Buffer, opts: DecodeBatchOptions = {}): RecordBatchHeader[] {
  return scanBatches(buf).positions.map((p) => decodeRecordBatchHeader(buf, p, opts));
}

/** Every complete batch in `buf` with its records; stops cleanly before a trailing partial batch. */
export function decodeRecordBatches(buf: Buffer, opts: DecodeBatchOptions = {}): RecordBatch[] {
  return scanBatches(buf).positions.map((p) => decodeRecordBatch(buf, p, opts));
}

/** As decodeRecordBatches, decompressing on the libuv thread pool. */
export async function decodeRecordBatchesAsync(buf: Buffer, opts: DecodeBatchOptions = {}): Promise<RecordBatch[]> {
  const headers = decodeRecordBatchHeaders(buf, opts) as RecordBatch[];
  const records = await Promise.all(headers.map((h) => decodeRecordsAsync(h)));
  for (let i = 0; i < headers.length; i++) headers[i]!.records = records[i]!;
  return headers;
}

/** Absolute offsets and timestamps (LogAppendTime batches: every record gets maxTimestamp). */
export function toDecodedRecords(batch: RecordBatch): DecodedRecord[] {
  const records = batch.records;
  const out = new Array<DecodedRecord>(records.length);
  const logAppend = batch.timestampType === TimestampType.LogAppendTime;
  // offsets and timestamps fit doubles in practice: one BigInt() per field, no bigint adds
  const baseOffset = Number(batch.baseOffset);
  const baseTimestamp = Number(batch.baseTimestamp);
  const offsetExact = Number.isSafeInteger(baseOffset) && Math.abs(baseOffset) < MAX_DELTA;
  const timestampExact = Number.isSafeInteger(baseTimestamp) && Math.abs(baseTimestamp) < MAX_DELTA;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    out[i] = {
      offset: offsetExact ? BigInt(baseOffset + r.offsetDelta) : batch.baseOffset + BigInt(r.offsetDelta),
      timestamp: logAppend ? batch.maxTimestamp : timestampExact ? BigInt(baseTimestamp + r.timestampDelta) : batch.baseTimestamp + BigInt(r.timestampDelta),
      key: r.key,
      value: r.value,
      headers: r.headers,
    };
  }
  return out;
}

/** One record of a batch being built: absolute timestamp, deltas computed by createRecordBatch. */
export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: bigint;
}

/**
 * Builds a batch from plain records (offset deltas 0..n-1; baseTimestamp = the first record's
 * timestamp, or `now`), ready for encodeRecordBatch.
 */
export function createRecordBatch(
  records: readonly RecordInput[],
  fields: Omit<RecordBatchInput, 'records' | 'baseTimestamp'> & { now?: bigint } = {},
): RecordBatchInput {
  const now = fields.now ?? BigInt(Date.now());
  const baseTimestamp = records[0]?.timestamp ?? now;
  const base = Number(baseTimestamp);
  const out = new Array<BatchRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    out[i] = {
      attributes: 0,
      timestampDelta: r.timestamp === undefined ? Number(now - baseTimestamp) : Number(r.timestamp) - base,
      offsetDelta: i,
      key: r.key ?? null,
      value: r.value,
      headers: r.headers ?? [],
    };
  }
  const { now: _now, ...rest } = fields;
  return { ...rest, baseTimestamp, records: out };
}
