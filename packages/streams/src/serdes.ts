/**
 * Serdes: how keys and values become bytes. The number serdes use Kafka's encodings (Long is an
 * 8-byte big-endian two's complement, Integer 4 bytes, Double an IEEE 754 big-endian double),
 * so a Java consumer with LongDeserializer reads what Samsa writes. null stays null (a tombstone).
 */
export interface Serde<T> {
  serialize(topic: string, data: T | null): Buffer | null;
  deserialize(topic: string, data: Buffer | null): T | null;
}

export class SerializationError extends Error {
  override readonly name = 'SerializationError';
}

function fixed<T>(size: number, cls: string, write: (b: Buffer, v: T) => void, read: (b: Buffer) => T): Serde<T> {
  return {
    serialize: (_t, v) => {
      if (v === null || v === undefined) return null;
      const b = Buffer.allocUnsafe(size);
      write(b, v);
      return b;
    },
    deserialize: (_t, b) => {
      if (b === null) return null;
      if (b.length !== size) throw new SerializationError(`Size of data received by ${cls} is not ${size}`);
      return read(b);
    },
  };
}

const stringSerde: Serde<string> = {
  serialize: (_t, v) => (v === null || v === undefined ? null : Buffer.from(v, 'utf8')),
  deserialize: (_t, b) => (b === null ? null : b.toString('utf8')),
};
const bytesSerde: Serde<Buffer> = {
  serialize: (_t, v) => v ?? null,
  deserialize: (_t, b) => b,
};
/** Long as a JS number (exact up to 2^53); LongDeserializer/LongSerializer compatible. */
const longSerde = fixed<number>(8, 'LongDeserializer', (b, v) => b.writeBigInt64BE(BigInt(Math.trunc(v))), (b) => Number(b.readBigInt64BE()));
const bigintSerde = fixed<bigint>(8, 'LongDeserializer', (b, v) => b.writeBigInt64BE(v), (b) => b.readBigInt64BE());
const integerSerde = fixed<number>(4, 'IntegerDeserializer', (b, v) => b.writeInt32BE(v | 0), (b) => b.readInt32BE());
const doubleSerde = fixed<number>(8, 'DoubleDeserializer', (b, v) => b.writeDoubleBE(v), (b) => b.readDoubleBE());

export const Serdes = {
  String: (): Serde<string> => stringSerde,
  ByteArray: (): Serde<Buffer> => bytesSerde,
  Long: (): Serde<number> => longSerde,
  /** Long as bigint, for values beyond 2^53. */
  BigLong: (): Serde<bigint> => bigintSerde,
  Integer: (): Serde<number> => integerSerde,
  Double: (): Serde<number> => doubleSerde,
  /** JSON text (UTF-8). */
  JSON: <T>(): Serde<T> => ({
    serialize: (_t, v) => (v === null || v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8')),
    deserialize: (_t, b) => {
      if (b === null) return null;
      try {
        return JSON.parse(b.toString('utf8')) as T;
      } catch (e) {
        throw new SerializationError(`invalid JSON: ${(e as Error).message}`);
      }
    },
  }),
};

/** Kafka's serde class names (default.key.serde / default.value.serde and the demo's properties). */
export function serdeByClassName(name: string): Serde<unknown> {
  const simple = name.replace(/^org\.apache\.kafka\.common\.serialization\.Serdes\$/, '').replace(/^org\.apache\.kafka\.common\.serialization\./, '');
  switch (simple) {
    case 'StringSerde':
      return stringSerde as Serde<unknown>;
    case 'ByteArraySerde':
    case 'BytesSerde':
      return bytesSerde as Serde<unknown>;
    case 'LongSerde':
      return longSerde as Serde<unknown>;
    case 'IntegerSerde':
      return integerSerde as Serde<unknown>;
    case 'DoubleSerde':
      return doubleSerde as Serde<unknown>;
    default:
      throw new Error(`Unknown serde class ${name}: StringSerde, ByteArraySerde, BytesSerde, LongSerde, IntegerSerde and DoubleSerde are available`);
  }
}

/** A key and the time window it belongs to (windowed aggregations' keys). */
export interface Windowed<K> {
  key: K;
  window: { start: number; end: number };
}

/**
 * Kafka's time-windowed key format: the inner key's bytes followed by the 8-byte window start
 * (TimeWindowedSerializer); the end is start + window size.
 */
export function timeWindowedSerde<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
  return {
    serialize: (t, w) => {
      if (w === null) return null;
      const k = inner.serialize(t, w.key) ?? Buffer.alloc(0);
      const b = Buffer.allocUnsafe(k.length + 8);
      k.copy(b, 0);
      b.writeBigInt64BE(BigInt(w.window.start), k.length);
      return b;
    },
    deserialize: (t, b) => {
      if (b === null) return null;
      if (b.length < 8) throw new SerializationError('windowed key shorter than its 8-byte window start');
      const start = Number(b.readBigInt64BE(b.length - 8));
      return { key: inner.deserialize(t, b.subarray(0, b.length - 8)) as K, window: { start, end: start + windowSizeMs } };
    },
  };
}

/** Kafka's session-windowed key format: key bytes, then the 8-byte end and 8-byte start. */
export function sessionWindowedSerde<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize: (t, w) => {
      if (w === null) return null;
      const k = inner.serialize(t, w.key) ?? Buffer.alloc(0);
      const b = Buffer.allocUnsafe(k.length + 16);
      k.copy(b, 0);
      b.writeBigInt64BE(BigInt(w.window.end), k.length);
      b.writeBigInt64BE(BigInt(w.window.start), k.length + 8);
      return b;
    },
    deserialize: (t, b) => {
      if (b === null) return null;
      if (b.length < 16) throw new SerializationError('session-windowed key shorter than its 16 bytes of window');
      return {
        key: inner.deserialize(t, b.subarray(0, b.length - 16)) as K,
        window: { end: Number(b.readBigInt64BE(b.length - 16)), start: Number(b.readBigInt64BE(b.length - 8)) },
      };
    },
  };
}
