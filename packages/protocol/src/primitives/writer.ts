import { ProtocolEncodeError } from './errors.js';
import type { TaggedFields } from './tagged.js';

/** Raw byte runs at least this long are referenced, not copied (record batches in Fetch). */
const ZERO_COPY_THRESHOLD = 4096;
/** 2^53 - 1: below this a bigint survives the trip through a double exactly. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.length === 36 ? uuid.replace(/-/g, '') : uuid;
  if (hex.length !== 32 || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new ProtocolEncodeError(`invalid uuid ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

export function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
}

/**
 * An append-only encoder. Small values go into a growable scratch buffer; large raw byte
 * runs (record batches) are kept by reference so a Fetch response is written to the socket
 * without copying the log data. `chunks()` gives the pieces for a vectored write,
 * `toBuffer()` one contiguous Buffer.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private readonly done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.doneBytes + (this.pos - this.start);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const size = Math.max(this.buf.length * 2, pending + n, 256);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  int8(v: number): this { this.ensure(1); this.buf.writeInt8(v, this.pos); this.pos += 1; return this; }
  uint8(v: number): this { this.ensure(1); this.buf[this.pos++] = v & 0xff; return this; }
  bool(v: boolean): this { this.ensure(1); this.buf[this.pos++] = v ? 1 : 0; return this; }
  int16(v: number): this { this.ensure(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; return this; }
  uint16(v: number): this { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; return this; }
  int32(v: number): this { this.ensure(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; return this; }
  uint32(v: number): this { this.ensure(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this; }
  int64(v: bigint): this {
    this.ensure(8);
    // Offsets and timestamps are safe integers: two int32 halves are several times cheaper
    // than Buffer#writeBigInt64BE, which works on bigints throughout.
    const n = Number(v);
    if (n >= -MAX_SAFE && n <= MAX_SAFE) {
      const hi = Math.floor(n / 4294967296);
      this.buf.writeInt32BE(hi, this.pos);
      this.buf.writeUInt32BE(n - hi * 4294967296, this.pos + 4);
    } else {
      this.buf.writeBigInt64BE(v, this.pos);
    }
    this.pos += 8;
    return this;
  }
  float64(v: number): this { this.ensure(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; return this; }

  uuid(v: string): this {
    this.ensure(16);
    uuidBytes(v).copy(this.buf, this.pos);
    this.pos += 16;
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  uvarlong(v: bigint): this {
    this.ensure(10);
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  varlong(v: bigint): this {
    return this.uvarlong((v << 1n) ^ (v >> 63n));
  }

  /** Zigzag varlong from a JS number (exact for safe integers); avoids bigint on hot paths. */
  varlongNumber(v: number): this {
    if (!Number.isSafeInteger(v) || Math.abs(v) >= 2 ** 52) return this.varlong(BigInt(v));
    let x = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 128) | 0x80;
      x = Math.floor(x / 128);
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Appends bytes; large runs are kept by reference instead of copied. */
  raw(data: Uint8Array): this {
    const n = data.length;
    if (n >= ZERO_COPY_THRESHOLD) {
      this.flushScratch();
      const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      this.done.push(b);
      this.doneBytes += n;
      return this;
    }
    this.ensure(n);
    this.buf.set(data, this.pos);
    this.pos += n;
    return this;
  }

  private flushScratch(): void {
    if (this.pos > this.start) {
      this.done.push(this.buf.subarray(this.start, this.pos));
      this.doneBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  private utf8(v: string): Buffer {
    return Buffer.from(v, 'utf8');
  }

  string(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new ProtocolEncodeError(`string of ${len} bytes exceeds int16 length`);
    this.int16(len);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, 'utf8');
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }

  compactString(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    this.uvarint(len + 1);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, 'utf8');
    return this;
  }

  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactString(v);
  }

  bytes(v: Uint8Array): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    return this.bytes(v);
  }

  compactBytes(v: Uint8Array): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactBytes(v);
  }

  array<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    return this.array(items, write);
  }

  compactArray<T>(items: readonly T[], write: (w: Writer, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) write(this, item);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null, write: (w: Writer, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    return this.compactArray(items, write);
  }

  /**
   * Writes a tagged-field section: `known` are (tag, encoder) pairs for fields with non-default
   * values, merged in tag order with preserved unknown fields.
   */
  taggedFields(known: ReadonlyArray<readonly [number, (w: Writer) => void]>, unknown: TaggedFields | undefined): this {
    const fields: { tag: number; data: Buffer }[] = [];
    for (const [tag, enc] of known) {
      const w = new Writer(64);
      enc(w);
      fields.push({ tag, data: w.toBuffer() });
    }
    if (unknown !== undefined) for (const f of unknown) fields.push(f);
    if (fields.length > 1) fields.sort((a, b) => a.tag - b.tag);
    this.uvarint(fields.length);
    for (const f of fields) {
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return this;
  }

  /** A whole tagged-field section holding only preserved unknown fields (count 0 if none). */
  rawTaggedFields(unknown: TaggedFields | undefined): this {
    if (unknown === undefined || unknown.length === 0) return this.uvarint(0);
    this.uvarint(unknown.length);
    for (const f of unknown) this.taggedField(f.tag, f.data);
    return this;
  }

  /**
   * Writes unknown[index..] whose tag is below `tag` and returns the next index: generated
   * encoders interleave preserved unknown fields with known ones in tag order.
   */
  rawTaggedFieldsBefore(unknown: TaggedFields | undefined, index: number, tag: number): number {
    if (unknown === undefined) return index;
    let i = index;
    while (i < unknown.length && unknown[i]!.tag < tag) {
      this.taggedField(unknown[i]!.tag, unknown[i]!.data);
      i++;
    }
    return i;
  }

  /** One tagged field: tag, size, payload. */
  taggedField(tag: number, data: Uint8Array): this {
    this.uvarint(tag);
    this.uvarint(data.length);
    return this.raw(data);
  }

  /** Overwrites an int32 at an absolute position (length prefixes written before the body). */
  patchInt32(absolutePos: number, v: number): void {
    let base = 0;
    for (const chunk of this.done) {
      if (absolutePos < base + chunk.length) {
        if (absolutePos + 4 > base + chunk.length) throw new ProtocolEncodeError('patch straddles chunks');
        chunk.writeInt32BE(v, absolutePos - base);
        return;
      }
      base += chunk.length;
    }
    const rel = absolutePos - this.doneBytes;
    if (rel < 0 || this.start + rel + 4 > this.pos) throw new ProtocolEncodeError('patch position out of range');
    this.buf.writeInt32BE(v, this.start + rel);
  }

  /** The encoded bytes as pieces for a vectored write. The writer must not be used after. */
  chunks(): Buffer[] {
    this.flushScratch();
    return this.done;
  }

  /** The encoded bytes as one Buffer. */
  toBuffer(): Buffer {
    if (this.done.length === 0) return this.buf.subarray(this.start, this.pos);
    this.flushScratch();
    return this.done.length === 1 ? this.done[0]! : Buffer.concat(this.done, this.doneBytes);
  }
}
