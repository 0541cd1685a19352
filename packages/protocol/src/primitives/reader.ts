import { ProtocolDecodeError } from './errors.js';
import type { TaggedFields } from './tagged.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A cursor over a Buffer. Every read checks bounds and throws ProtocolDecodeError, so a
 * truncated or hostile frame can never produce a RangeError or read past the frame.
 */
export class Reader {
  pos: number;
  readonly end: number;
  /**
   * Array elements this reader may still decode (shared with the readers of its tagged
   * fields). A server sets it so a request's counts cannot make decoding allocate far more
   * than the frame's bytes: a 2-byte struct decodes into an object of ~60 bytes.
   */
  elementBudget = Infinity;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (n < 0 || p + n > this.end) throw new ProtocolDecodeError(`need ${n} bytes, ${this.end - p} left`, p);
    this.pos = p + n;
    return p;
  }

  int8(): number { return this.buf.readInt8(this.need(1)); }
  uint8(): number { return this.buf[this.need(1)]!; }
  bool(): boolean { return this.buf[this.need(1)] !== 0; }
  int16(): number { return this.buf.readInt16BE(this.need(2)); }
  uint16(): number { return this.buf.readUInt16BE(this.need(2)); }
  int32(): number { return this.buf.readInt32BE(this.need(4)); }
  uint32(): number { return this.buf.readUInt32BE(this.need(4)); }
  int64(): bigint { return this.buf.readBigInt64BE(this.need(8)); }
  float64(): number { return this.buf.readDoubleBE(this.need(8)); }

  uuid(): string {
    const p = this.need(16);
    const h = this.buf.toString('hex', p, p + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new ProtocolDecodeError('truncated varint', start);
      const b = this.buf[this.pos++]!;
      if (shift === 28) {
        if (b > 0x0f) throw new ProtocolDecodeError('varint too long', start);
        return (result + b * 2 ** 28) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  /** Zigzag signed varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Unsigned LEB128 up to 10 bytes, as bigint. */
  uvarlong(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtocolDecodeError('truncated varlong', start);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtocolDecodeError('varlong too long', start);
  }

  /** Zigzag signed varlong (int64) as bigint. */
  varlong(): bigint {
    const u = this.uvarlong();
    return (u >> 1n) ^ -(u & 1n);
  }

  /**
   * Zigzag varlong as a JS number; exact for |v| < 2^53, which covers record timestamp and
   * offset deltas in practice. Falls back to the bigint path when longer than 7 bytes.
   */
  varlongNumber(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new ProtocolDecodeError('truncated varlong', start);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // zigzag decode without 32-bit ops
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    this.pos = start;
    return Number(this.varlong());
  }

  private stringOfLength(len: number): string {
    const p = this.need(len);
    return utf8.decode(this.buf.subarray(p, p + len));
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolDecodeError('null string in non-nullable field', this.pos - 2);
    return this.stringOfLength(len);
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    return this.stringOfLength(len);
  }

  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolDecodeError('null compact string in non-nullable field', this.pos);
    return this.stringOfLength(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.stringOfLength(n - 1);
  }

  /** Bytes are returned as a view into the frame (no copy). */
  private bytesOfLength(len: number): Buffer {
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolDecodeError('null bytes in non-nullable field', this.pos - 4);
    return this.bytesOfLength(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.bytesOfLength(len);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolDecodeError('null compact bytes in non-nullable field', this.pos);
    return this.bytesOfLength(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.bytesOfLength(n - 1);
  }

  /** Raw bytes of a known length (e.g. varint-prefixed record keys). */
  raw(len: number): Buffer {
    return this.bytesOfLength(len);
  }

  /** Array length (int32); -1 means null. Guards against lengths that cannot fit. */
  arrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n < -1) throw new ProtocolDecodeError(`negative array length ${n}`, this.pos - 4);
    if (n > 0 && n * minElementSize > this.remaining) throw new ProtocolDecodeError(`array length ${n} exceeds frame`, this.pos - 4);
    if (n > 0) this.spend(n, this.pos - 4);
    return n;
  }

  /** Compact array length (unsigned varint N+1); -1 means null. */
  compactArrayLength(minElementSize = 1): number {
    const n = this.uvarint() - 1;
    if (n > 0 && n * minElementSize > this.remaining) throw new ProtocolDecodeError(`array length ${n} exceeds frame`, this.pos);
    if (n > 0) this.spend(n, this.pos);
    return n;
  }

  private spend(n: number, at: number): void {
    if (n > this.elementBudget) throw new ProtocolDecodeError(`array of ${n} elements exceeds the request's remaining element budget of ${this.elementBudget}`, at);
    this.elementBudget -= n;
  }

  array<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.arrayLength(minElementSize);
    if (n < 0) throw new ProtocolDecodeError('null array in non-nullable field', this.pos - 4);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  nullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.arrayLength(minElementSize);
    if (n < 0) return null;
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  compactArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.compactArrayLength(minElementSize);
    if (n < 0) throw new ProtocolDecodeError('null compact array in non-nullable field', this.pos);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  compactNullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.compactArrayLength(minElementSize);
    if (n < 0) return null;
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  /**
   * Reads a tagged-field section. Known tags are handed to `onKnown` (which returns false if it
   * does not know the tag); unknown ones are kept raw so that re-encoding preserves them.
   */
  taggedFields(onKnown?: (tag: number, r: Reader, size: number) => boolean): TaggedFields | undefined {
    const count = this.uvarint();
    if (count > this.remaining) throw new ProtocolDecodeError(`tagged field count ${count} exceeds frame`, this.pos);
    let unknown: TaggedFields | undefined;
    let lastTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= lastTag) throw new ProtocolDecodeError(`tagged fields out of order (${tag} after ${lastTag})`, this.pos);
      lastTag = tag;
      const size = this.uvarint();
      const start = this.pos;
      const fieldEnd = start + size;
      if (fieldEnd > this.end) throw new ProtocolDecodeError(`tagged field ${tag} of ${size} bytes exceeds frame`, start);
      if (onKnown !== undefined) {
        const sub = new Reader(this.buf, start, fieldEnd);
        sub.elementBudget = this.elementBudget;
        const known = onKnown(tag, sub, size);
        this.elementBudget = sub.elementBudget;
        if (known) {
          this.pos = fieldEnd;
          continue;
        }
      }
      (unknown ??= []).push({ tag, data: this.buf.subarray(start, fieldEnd) });
      this.pos = fieldEnd;
    }
    return unknown;
  }
}
