/**
 * Builds one RecordBatch v2 incrementally: each record is encoded into the batch buffer as it
 * is appended (so batch.size is exact and closing costs one CRC, plus compression if any).
 * The header (61 bytes) is filled in by close(). Not encodeRecordBatch: that sizes and writes
 * a finished record list in one go, so the producer would learn batch.size only at the end.
 */
import { varintSize } from '@samsa/protocol';
import {
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
  RECORD_BATCH_MAGIC,
  compress,
  crc32c,
} from '@samsa/protocol/records';

/** Zigzag size for a safe integer (timestamp deltas can exceed int32). */
function varlongSize(v: number): number {
  let x = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

function writeVarlong(buf: Buffer, pos: number, v: number): number {
  let x = v >= 0 ? v * 2 : -v * 2 - 1;
  while (x >= 0x80) {
    buf[pos++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  buf[pos++] = x;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  let x = ((v << 1) ^ (v >> 31)) >>> 0;
  while (x >= 0x80) {
    buf[pos++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  buf[pos++] = x;
  return pos;
}

export interface HeaderInput {
  key: string;
  value: Buffer | null;
}

/** Encoded size of a record at the given deltas (length prefix included). */
export function recordSize(offsetDelta: number, timestampDelta: number, key: Buffer | null, value: Buffer | null, headers: readonly HeaderInput[] | undefined): number {
  const body = recordBodySize(offsetDelta, timestampDelta, key, value, headers);
  return varintSize(body) + body;
}

/** Size of a record's body (after its length prefix). */
function recordBodySize(offsetDelta: number, timestampDelta: number, key: Buffer | null, value: Buffer | null, headers: readonly HeaderInput[] | undefined): number {
  let body = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  body += key === null ? 1 : varintSize(key.length) + key.length;
  body += value === null ? 1 : varintSize(value.length) + value.length;
  const hc = headers === undefined ? 0 : headers.length;
  body += varintSize(hc);
  for (let i = 0; i < hc; i++) {
    const h = headers![i]!;
    const kl = Buffer.byteLength(h.key, 'utf8');
    body += varintSize(kl) + kl + (h.value === null ? 1 : varintSize(h.value.length) + h.value.length);
  }
  return body;
}

/**
 * Reuses batch.size buffers once their batch is acknowledged: a fresh 16 KiB buffer per batch
 * costs page faults on every first write, which showed as a large share of the producer's CPU.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(readonly size: number, private readonly max: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer nothing refers to any more (other sizes are left to the GC). */
  give(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.max) this.free.push(buf);
  }
}

export class BatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  count = 0;
  baseTimestamp = 0;
  maxTimestamp = 0;
  readonly createdAt: number;

  constructor(capacity: number, now: number, pool?: BufferPool) {
    const size = Math.max(capacity, BATCH_HEADER_SIZE + 64);
    this.buf = pool !== undefined && pool.size === size ? pool.take() : Buffer.allocUnsafe(size);
    this.createdAt = now;
  }

  /** The buffer records are written into (for a BufferPool once the batch is done with). */
  get backing(): Buffer {
    return this.buf;
  }

  /** Bytes allocated for the batch (batch.size, or one oversized record's size). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Bytes used so far (header included). */
  get size(): number {
    return this.pos;
  }

  /**
   * Appends a record; returns its encoded size, or -1 if it does not fit in the remaining
   * capacity (a record that fits no batch gets a batch of its own: the buffer grows when empty).
   */
  append(timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly HeaderInput[] | undefined): number {
    if (this.count === 0) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    }
    const tsDelta = timestamp - this.baseTimestamp;
    const offsetDelta = this.count;
    const body = recordBodySize(offsetDelta, tsDelta, key, value, headers);
    const total = varintSize(body) + body;
    if (this.pos + total > this.buf.length) {
      if (this.count > 0) return -1;
      const bigger = Buffer.allocUnsafe(this.pos + total);
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, body);
    buf[p++] = 0; // attributes
    p = writeVarlong(buf, p, tsDelta);
    p = writeVarint(buf, p, offsetDelta);
    if (key === null) p = writeVarint(buf, p, -1);
    else {
      p = writeVarint(buf, p, key.length);
      key.copy(buf, p);
      p += key.length;
    }
    if (value === null) p = writeVarint(buf, p, -1);
    else {
      p = writeVarint(buf, p, value.length);
      value.copy(buf, p);
      p += value.length;
    }
    const hc = headers === undefined ? 0 : headers.length;
    p = writeVarint(buf, p, hc);
    for (let i = 0; i < hc; i++) {
      const h = headers![i]!;
      const kl = Buffer.byteLength(h.key, 'utf8');
      p = writeVarint(buf, p, kl);
      p += buf.write(h.key, p, 'utf8');
      if (h.value === null) p = writeVarint(buf, p, -1);
      else {
        p = writeVarint(buf, p, h.value.length);
        h.value.copy(buf, p);
        p += h.value.length;
      }
    }
    this.pos = p;
    this.count++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    return total;
  }

  /** Whether one more record of about `bytes` would still fit. */
  hasRoomFor(bytes: number): boolean {
    return this.pos + bytes <= this.buf.length;
  }

  /** The finished batch (records section compressed if asked), CRC filled in. */
  async close(compression: CompressionType, producerId: bigint, producerEpoch: number, baseSequence: number, transactional = false): Promise<Buffer> {
    let out: Buffer;
    if (compression === CompressionType.None) {
      out = this.buf.subarray(0, this.pos);
    } else {
      const compressed = await compress(compression, this.buf.subarray(BATCH_HEADER_SIZE, this.pos));
      out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
      compressed.copy(out, BATCH_HEADER_SIZE);
    }
    out.writeBigInt64BE(0n, BATCH_BASE_OFFSET);
    out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, BATCH_LENGTH);
    out.writeInt32BE(NO_PARTITION_LEADER_EPOCH, BATCH_PARTITION_LEADER_EPOCH);
    out.writeInt8(RECORD_BATCH_MAGIC, BATCH_MAGIC);
    out.writeInt16BE(compression | (transactional ? ATTR_TRANSACTIONAL : 0), BATCH_ATTRIBUTES); // codec, CreateTime, transactional bit
    out.writeInt32BE(this.count - 1, BATCH_LAST_OFFSET_DELTA);
    out.writeBigInt64BE(BigInt(this.baseTimestamp), BATCH_BASE_TIMESTAMP);
    out.writeBigInt64BE(BigInt(this.maxTimestamp), BATCH_MAX_TIMESTAMP);
    stampProducer(out, producerId, producerEpoch, baseSequence);
    out.writeInt32BE(this.count, BATCH_RECORD_COUNT);
    out.writeUInt32BE(crc32c(out.subarray(BATCH_ATTRIBUTES)), BATCH_CRC);
    return out;
  }
}

/** Writes producer id, epoch and base sequence (no CRC update). */
function stampProducer(buf: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  buf.writeBigInt64BE(producerId, BATCH_PRODUCER_ID);
  buf.writeInt16BE(producerEpoch, BATCH_PRODUCER_EPOCH);
  buf.writeInt32BE(baseSequence, BATCH_BASE_SEQUENCE);
}

/** Re-stamps a closed batch with a new producer epoch / sequence (KIP-360 epoch bump) and its CRC. */
export function restampBatch(buf: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  stampProducer(buf, producerId, producerEpoch, baseSequence);
  buf.writeUInt32BE(crc32c(buf.subarray(BATCH_ATTRIBUTES)), BATCH_CRC);
}
