/**
 * Minimal RecordBatch v2 writer/reader for storage tests: valid headers, uncompressed records
 * and a correct CRC32C, independent of the protocol package's encoder.
 */
export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  /** absolute timestamp (ms); defaults to the batch's base timestamp */
  timestamp?: number;
}

export interface TestBatchOptions {
  records: TestRecord[];
  baseOffset?: number;
  baseTimestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
  partitionLeaderEpoch?: number;
}

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function testCrc32c(buf: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < buf.length; i++) crc = CRC_TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function varint(out: number[], value: number): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1; // zigzag, exact for |value| < 2^52
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function encodeRecord(r: TestRecord, offsetDelta: number, timestampDelta: number): Buffer {
  const body: number[] = [0];
  varint(body, timestampDelta);
  varint(body, offsetDelta);
  const parts: Buffer[] = [];
  const head: number[] = [];
  const key = r.key ?? null;
  const tail1: number[] = [];
  varint(tail1, key === null ? -1 : key.length);
  const tail2: number[] = [];
  varint(tail2, r.value === null ? -1 : r.value.length);
  const headers: number[] = [];
  varint(headers, 0);
  const content = Buffer.concat([
    Buffer.from(body),
    Buffer.from(tail1),
    key ?? Buffer.alloc(0),
    Buffer.from(tail2),
    r.value ?? Buffer.alloc(0),
    Buffer.from(headers),
  ]);
  varint(head, content.length);
  parts.push(Buffer.from(head), content);
  return Buffer.concat(parts);
}

export function buildBatch(opts: TestBatchOptions): Buffer {
  const n = opts.records.length;
  if (n === 0) throw new Error('a batch needs records');
  const baseTimestamp = opts.baseTimestamp ?? opts.records[0]!.timestamp ?? 1_700_000_000_000;
  let maxTimestamp = -1;
  const recs = opts.records.map((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    return encodeRecord(r, i, ts - baseTimestamp);
  });
  const records = Buffer.concat(recs);
  const buf = Buffer.alloc(61 + records.length);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(opts.attributes ?? 0, 21);
  buf.writeInt32BE(n - 1, 23);
  buf.writeBigInt64BE(BigInt(baseTimestamp), 27);
  buf.writeBigInt64BE(BigInt(maxTimestamp), 35);
  buf.writeBigInt64BE(opts.producerId ?? -1n, 43);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, 53);
  buf.writeInt32BE(n, 57);
  records.copy(buf, 61);
  buf.writeUInt32BE(testCrc32c(buf.subarray(21)), 17);
  return buf;
}

/** A batch of `count` records whose values pad it to about `approxBytes`. */
export function sizedBatch(count: number, approxBytes: number, timestamp = 1_700_000_000_000): Buffer {
  const per = Math.max(0, Math.floor((approxBytes - 61) / count) - 8);
  const value = Buffer.alloc(per, 0x61);
  return buildBatch({ records: Array.from({ length: count }, () => ({ value })), baseTimestamp: timestamp });
}

export interface ParsedBatch {
  baseOffset: number;
  lastOffset: number;
  size: number;
  crcValid: boolean;
  maxTimestamp: number;
  attributes: number;
  partitionLeaderEpoch: number;
  /** the batch bytes (a view) */
  bytes: Buffer;
}

/** Splits concatenated batches; throws on a partial batch. */
export function parseBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 61) throw new Error(`partial batch header at ${pos}`);
    const size = 12 + buf.readInt32BE(pos + 8);
    if (pos + size > buf.length) throw new Error(`partial batch at ${pos}`);
    const bytes = buf.subarray(pos, pos + size);
    const baseOffset = Number(bytes.readBigInt64BE(0));
    out.push({
      baseOffset,
      lastOffset: baseOffset + bytes.readInt32BE(23),
      size,
      crcValid: testCrc32c(bytes.subarray(21)) === bytes.readUInt32BE(17),
      maxTimestamp: Number(bytes.readBigInt64BE(35)),
      attributes: bytes.readInt16BE(21),
      partitionLeaderEpoch: bytes.readInt32BE(12),
      bytes,
    });
    pos += size;
  }
  return out;
}
