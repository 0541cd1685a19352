/**
 * MirrorMaker 2's internal record formats, byte for byte as Kafka writes them (Kafka's protocol
 * Schema types: STRING = int16 length + UTF-8, INT16/INT32/INT64 big-endian):
 * - offset sync (mm2-offset-syncs.<cluster>.internal): key {topic, partition}, value {upstreamOffset, offset};
 * - checkpoint (<source>.checkpoints.internal): key {group, topic, partition}, value
 *   {version int16 = 0}{upstreamOffset, offset, metadata};
 * - heartbeat (heartbeats): key {sourceClusterAlias, targetClusterAlias}, value {version = 0}{timestamp}.
 * Offsets are numbers here (exact to 2^53, as Connect's source offsets are JSON numbers).
 */

export interface OffsetSync {
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
}

export interface Checkpoint {
  group: string;
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
  metadata: string;
}

export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  timestamp: number;
}

export class MirrorRecordError extends Error {
  override readonly name = 'SchemaException';
}

type Field = { string: string } | { int16: number } | { int32: number } | { int64: number };

function encode(fields: Field[]): Buffer {
  const strings = fields.map((f) => ('string' in f ? Buffer.from(f.string, 'utf8') : null));
  const size = fields.reduce((n, f, i) => n + ('string' in f ? 2 + strings[i]!.length : 'int16' in f ? 2 : 'int32' in f ? 4 : 8), 0);
  const buf = Buffer.alloc(size);
  let at = 0;
  fields.forEach((f, i) => {
    if ('string' in f) {
      if (strings[i]!.length > 0x7fff) throw new MirrorRecordError(`String length ${strings[i]!.length} is larger than the maximum string length.`);
      at = buf.writeInt16BE(strings[i]!.length, at);
      at += strings[i]!.copy(buf, at);
    } else if ('int16' in f) at = buf.writeInt16BE(f.int16, at);
    else if ('int32' in f) at = buf.writeInt32BE(f.int32, at);
    else at = buf.writeBigInt64BE(BigInt(f.int64), at);
  });
  return buf;
}

/** Reads fields in order; a short or malformed buffer is a SchemaException, as in Kafka. */
class FieldReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.at + n > this.buf.length) throw new MirrorRecordError(`Error reading field '${what}': buffer underflow`);
  }

  string(what: string): string {
    this.need(2, what);
    const len = this.buf.readInt16BE(this.at);
    if (len < 0) throw new MirrorRecordError(`Error reading field '${what}': String length ${len} cannot be negative`);
    this.at += 2;
    this.need(len, what);
    const s = this.buf.toString('utf8', this.at, this.at + len);
    this.at += len;
    return s;
  }

  int16(what: string): number {
    this.need(2, what);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }

  int32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  int64(what: string): number {
    this.need(8, what);
    const v = Number(this.buf.readBigInt64BE(this.at));
    this.at += 8;
    return v;
  }
}

function reader(b: Buffer | null, what: string): FieldReader {
  if (b === null) throw new MirrorRecordError(`${what} is null`);
  return new FieldReader(b);
}

function version(r: FieldReader): void {
  const v = r.int16('version');
  if (v !== 0) throw new MirrorRecordError(`Unknown version ${v}`);
}

export const OffsetSyncFormat = {
  key: (s: OffsetSync): Buffer => encode([{ string: s.topic }, { int32: s.partition }]),
  value: (s: OffsetSync): Buffer => encode([{ int64: s.upstreamOffset }, { int64: s.downstreamOffset }]),
  decode(key: Buffer | null, value: Buffer | null): OffsetSync {
    const k = reader(key, 'key');
    const v = reader(value, 'value');
    return { topic: k.string('topic'), partition: k.int32('partition'), upstreamOffset: v.int64('upstreamOffset'), downstreamOffset: v.int64('offset') };
  },
};

export const CheckpointFormat = {
  key: (c: Checkpoint): Buffer => encode([{ string: c.group }, { string: c.topic }, { int32: c.partition }]),
  value: (c: Checkpoint): Buffer => encode([{ int16: 0 }, { int64: c.upstreamOffset }, { int64: c.downstreamOffset }, { string: c.metadata }]),
  decode(key: Buffer | null, value: Buffer | null): Checkpoint {
    const v = reader(value, 'value');
    version(v);
    const upstreamOffset = v.int64('upstreamOffset');
    const downstreamOffset = v.int64('offset');
    const metadata = v.string('metadata');
    const k = reader(key, 'key');
    return { group: k.string('group'), topic: k.string('topic'), partition: k.int32('partition'), upstreamOffset, downstreamOffset, metadata };
  },
};

export const HeartbeatFormat = {
  key: (h: Heartbeat): Buffer => encode([{ string: h.sourceClusterAlias }, { string: h.targetClusterAlias }]),
  value: (h: Heartbeat): Buffer => encode([{ int16: 0 }, { int64: h.timestamp }]),
  decode(key: Buffer | null, value: Buffer | null): Heartbeat {
    const v = reader(value, 'value');
    version(v);
    const timestamp = v.int64('timestamp');
    const k = reader(key, 'key');
    return { sourceClusterAlias: k.string('sourceClusterAlias'), targetClusterAlias: k.string('targetClusterAlias'), timestamp };
  },
};
