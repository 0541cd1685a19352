/**
 * Consumed records decoded lazily: walking a batch bounds-checks each record and keeps where it
 * starts; one small object per record is made on hand-out. The key, value, headers and
 * timestamp are read from the record's bytes when accessed (views into them, no copies).
 * This is the consumer's hot path: at 1 KiB records it runs about a million times per GB.
 */
import { ProtocolDecodeError, type RecordHeader } from '@samsa/protocol';
import { TimestampType } from '@samsa/protocol/records';

/** What a consumer hands out per record. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
  readonly timestamp: bigint;
  /** 0 = CreateTime, 1 = LogAppendTime (Kafka's TimestampType ids); absent for v0 messages. */
  readonly timestampType?: number;
  /** The leader epoch the record was written in (its batch's partitionLeaderEpoch); absent for old message formats. */
  readonly leaderEpoch?: number | undefined;
}

/** Per-batch facts shared by its records. */
export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  readonly data: Buffer;
  readonly baseOffset: bigint;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly timestampType: number;
  /** The batch's partitionLeaderEpoch (-1: none). */
  readonly leaderEpoch: number;
  /** baseOffset / baseTimestamp as numbers when offsets stay exact in a double, else NaN. */
  readonly baseOffsetNumber: number;
  readonly baseTimestampNumber: number;
}

const EXACT = 2 ** 52;
const NO_HEADERS: RecordHeader[] = [];
Object.freeze(NO_HEADERS);

export function batchContext(topic: string, partition: number, data: Buffer, baseOffset: bigint, baseTimestamp: bigint, maxTimestamp: bigint, timestampType: number, leaderEpoch: number): BatchContext {
  const o = Number(baseOffset);
  const t = Number(baseTimestamp);
  return {
    topic,
    partition,
    data,
    baseOffset,
    baseTimestamp,
    maxTimestamp,
    timestampType,
    leaderEpoch,
    baseOffsetNumber: Math.abs(o) < EXACT ? o : Number.NaN,
    baseTimestampNumber: Math.abs(t) < EXACT ? t : Number.NaN,
  };
}

export class FetchedRecord implements ConsumedMessage {
  /**
   * Three fields, not one per record field: the record's bytes were bounds-checked when the
   * batch was read, and each getter re-reads the few varints it needs (tens of ns), which keeps
   * the object small (a `for await` loop makes one per record; the young-generation GC and the
   * page faults of its memory scale with their size).
   */
  constructor(
    private readonly batch: BatchContext,
    /** Where the record (its length varint) starts in batch.data. */
    private readonly pos: number,
    readonly offsetDelta: number,
  ) {}

  get topic(): string {
    return this.batch.topic;
  }

  get partition(): number {
    return this.batch.partition;
  }

  get offset(): bigint {
    const b = this.batch;
    return Number.isNaN(b.baseOffsetNumber) ? b.baseOffset + BigInt(this.offsetDelta) : BigInt(b.baseOffsetNumber + this.offsetDelta);
  }

  get timestamp(): bigint {
    const b = this.batch;
    if (b.timestampType === TimestampType.LogAppendTime) return b.maxTimestamp;
    const end = this.seekFields();
    const timestampDelta = varlong(b.data, end);
    return Number.isNaN(b.baseTimestampNumber) ? b.baseTimestamp + BigInt(timestampDelta) : BigInt(b.baseTimestampNumber + timestampDelta);
  }

  get timestampType(): number {
    return this.batch.timestampType;
  }

  get leaderEpoch(): number | undefined {
    return this.batch.leaderEpoch >= 0 ? this.batch.leaderEpoch : undefined;
  }

  get key(): Buffer | null {
    const data = this.batch.data;
    const end = this.seekKey();
    const length = varint(data, end);
    return length < 0 ? null : data.subarray(cursor, cursor + length);
  }

  get value(): Buffer | null {
    const data = this.batch.data;
    const end = this.seekValue();
    const length = varint(data, end);
    return length < 0 ? null : data.subarray(cursor, cursor + length);
  }

  get headers(): RecordHeader[] {
    const data = this.batch.data;
    const end = this.seekValue();
    const vl = varint(data, end);
    if (vl > 0) cursor += vl;
    const count = varint(data, end);
    if (count <= 0) return NO_HEADERS;
    const out = new Array<RecordHeader>(count);
    for (let i = 0; i < count; i++) {
      const kl = varint(data, end);
      const key = data.toString('utf8', cursor, cursor + kl);
      cursor += kl;
      const hl = varint(data, end);
      out[i] = { key, value: hl < 0 ? null : data.subarray(cursor, cursor + hl) };
      if (hl > 0) cursor += hl;
    }
    return out;
  }

  /** Puts `cursor` on the record's timestamp delta (past its length and attributes); returns the record's end. */
  private seekFields(): number {
    const data = this.batch.data;
    cursor = this.pos;
    const length = varint(data, data.length);
    const end = cursor + length;
    cursor++; // attributes
    return end;
  }

  /** Puts `cursor` on the record's key length; returns the record's end. */
  private seekKey(): number {
    const data = this.batch.data;
    const end = this.seekFields();
    varlong(data, end);
    varint(data, end);
    return end;
  }

  /** Puts `cursor` on the record's value length; returns the record's end. */
  private seekValue(): number {
    const data = this.batch.data;
    const end = this.seekKey();
    const kl = varint(data, end);
    if (kl > 0) cursor += kl;
    return end;
  }

  /** A plain object with every field (for logging, JSON, spreading). */
  toJSON(): ConsumedMessage {
    return { topic: this.topic, partition: this.partition, offset: this.offset, key: this.key, value: this.value, headers: this.headers, timestamp: this.timestamp, timestampType: this.timestampType, leaderEpoch: this.leaderEpoch };
  }
}

/** Shared read position of the varint readers below (module state: no cursor object per batch). */
let cursor = 0;

function varint(buf: Buffer, end: number): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (cursor >= end) throw new ProtocolDecodeError('truncated varint', cursor);
    const b = buf[cursor++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return (result >>> 1) ^ -(result & 1);
  }
  throw new ProtocolDecodeError('varint too long', cursor);
}

function varlong(buf: Buffer, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor >= end) throw new ProtocolDecodeError('truncated varlong', cursor);
    const b = buf[cursor++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    mul *= 128;
  }
  throw new ProtocolDecodeError('varlong too long', cursor);
}

/** Size of a RecordSlabs slab: below glibc's mmap threshold, so its memory comes from (and returns to) malloc's heap instead of fresh mappings. */
const SLAB_BYTES = 64 * 1024;

/**
 * Copies of fetched record bytes, packed into shared 64 KiB slabs: the consumer copies each
 * batch's records out of the Fetch response frame, so the frame's multi-MiB memory can be
 * reused for the next response while the records handed out stay valid however long they are
 * kept (a kept record keeps its slab alive, not the whole response). One copy per batch.
 */
export class RecordSlabs {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  /** Copies `src[start, end)`; returns the copy's buffer, its bytes at `copyStart` on (module field `copyStart`). */
  copy(src: Buffer, start: number, end: number): Buffer {
    const length = end - start;
    if (length > SLAB_BYTES / 2) {
      copyStart = 0;
      const own = Buffer.allocUnsafeSlow(length);
      src.copy(own, 0, start, end);
      return own;
    }
    if (this.used + length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    copyStart = this.used;
    src.copy(this.slab, this.used, start, end);
    this.used += length;
    return this.slab;
  }
}

/** Where RecordSlabs.copy() put the bytes in the buffer it returned (module state: no result object per batch). */
export let copyStart = 0;

/** Numbers kept per record in FetchedRecords.fields. */
const FIELDS = 3;
const F_BATCH = 0; // index into batches, or -1: a legacy (magic 0/1) record, F_OFFSET_DELTA then indexes `legacy`
const F_OFFSET_DELTA = 1;
const F_POS = 2; // where the record starts in its batch's data

/**
 * The records of one partition's fetched bytes, walked and bounds-checked once, with each
 * record's field positions in one typed array: the record objects are made when handed out
 * (at()), so a `for await` loop allocates them one at a time and they die young instead of
 * thousands per fetch surviving into the old generation.
 */
export class FetchedRecords {
  private fields: Float64Array;
  private readonly batches: BatchContext[] = [];
  private readonly legacy: ConsumedMessage[] = [];
  length = 0;

  constructor(expectedRecords: number) {
    this.fields = new Float64Array(Math.max(expectedRecords, 1) * FIELDS);
  }

  /** The i-th record (a new object each call). */
  at(i: number): ConsumedMessage {
    const f = this.fields;
    const o = i * FIELDS;
    const b = f[o + F_BATCH]!;
    if (b < 0) return this.legacy[f[o + F_OFFSET_DELTA]!]!;
    return new FetchedRecord(this.batches[b]!, f[o + F_POS]!, f[o + F_OFFSET_DELTA]!);
  }

  /** Every record as an array (poll(), run(), eachBatch). */
  toArray(): ConsumedMessage[] {
    const out = new Array<ConsumedMessage>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  /** A magic 0/1 record (decoded eagerly: legacy message sets are rare and small). */
  pushLegacy(m: ConsumedMessage): void {
    const o = this.slot();
    this.fields[o + F_BATCH] = -1;
    this.fields[o + F_OFFSET_DELTA] = this.legacy.length;
    this.legacy.push(m);
  }

  /**
   * Adds the records of one batch's (uncompressed) records section `ctx.data[start, end)`
   * whose offset is at least `minOffsetDelta`. Throws ProtocolDecodeError on bytes that are
   * not `count` well-formed records.
   */
  readBatch(ctx: BatchContext, start: number, end: number, count: number, minOffsetDelta: number): void {
    const data = ctx.data;
    const batchIndex = this.batches.length;
    this.batches.push(ctx);
    cursor = start;
    for (let i = 0; i < count; i++) {
      const recordStart = cursor;
      const length = varint(data, end);
      const bodyStart = cursor;
      const bodyEnd = bodyStart + length;
      if (length < 6 || bodyEnd > end) throw new ProtocolDecodeError(`record length ${length} invalid`, bodyStart);
      cursor++; // attributes
      varlong(data, bodyEnd); // timestamp delta
      const offsetDelta = varint(data, bodyEnd);
      const keyLength = varint(data, bodyEnd);
      if (keyLength > 0) cursor += keyLength;
      const valueLength = cursor <= bodyEnd ? varint(data, bodyEnd) : -2;
      if (valueLength > 0) cursor += valueLength;
      const headerCount = cursor <= bodyEnd && valueLength >= -1 ? varint(data, bodyEnd) : -1;
      if (cursor > bodyEnd || headerCount < 0 || headerCount > bodyEnd - cursor) throw new ProtocolDecodeError('record fields exceed its length', bodyStart);
      if (offsetDelta >= minOffsetDelta) {
        const o = this.slot();
        const f = this.fields;
        f[o + F_BATCH] = batchIndex;
        f[o + F_OFFSET_DELTA] = offsetDelta;
        f[o + F_POS] = recordStart;
      }
      cursor = bodyEnd;
    }
    if (cursor !== end) throw new ProtocolDecodeError(`${end - cursor} bytes after the last of ${count} records`, cursor);
  }

  /** Offset into fields of a new record's slot (growing the array when a count was low). */
  private slot(): number {
    const o = this.length * FIELDS;
    if (o + FIELDS > this.fields.length) {
      const grown = new Float64Array(this.fields.length * 2);
      grown.set(this.fields);
      this.fields = grown;
    }
    this.length++;
    return o;
  }
}
