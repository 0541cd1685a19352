import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BATCH_ATTRIBUTES,
  BATCH_CRC,
  CompressionType,
  TimestampType,
  crc32c,
  decodeLegacyMessageSet,
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecordSet,
  encodeRecordBatch,
  toDecodedRecords,
  verifyBatchCrc,
  type BatchRecord,
  type RecordBatchInput,
} from '../../src/records/index.js';
import { ProtocolDecodeError } from '../../src/primitives/errors.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const nullableBytes = (max: number) => fc.option(bytes(max), { nil: null, freq: 4 });

const recordArb: fc.Arbitrary<BatchRecord> = fc.record({
  attributes: fc.integer({ min: 0, max: 255 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -(2 ** 51), max: 2 ** 51 })),
  offsetDelta: fc.oneof(fc.nat(100), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  key: nullableBytes(40),
  value: nullableBytes(300),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 12, unit: 'grapheme' }), value: nullableBytes(20) }, { noNullPrototype: true }), { maxLength: 4 }),
}, { noNullPrototype: true });

const batchArb: fc.Arbitrary<RecordBatchInput> = fc.record({
  baseOffset: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 40n }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  timestampType: fc.constantFrom(TimestampType.CreateTime, TimestampType.LogAppendTime),
  isTransactional: fc.boolean(),
  isControl: fc.boolean(),
  baseTimestamp: fc.oneof(fc.bigInt({ min: -1n, max: 2n ** 42n }), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })),
  producerId: fc.oneof(fc.constant(-1n), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  records: fc.array(recordArb, { maxLength: 12 }),
});

const codecArb = fc.constantFrom(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

test('encode -> decode returns the same batch and records, for every codec', () => {
  fc.assert(
    fc.property(batchArb, codecArb, (input, compression) => {
      const buf = encodeRecordBatch(input, { compression });
      assert.ok(verifyBatchCrc(buf));
      const b = decodeRecordBatch(buf);
      assert.equal(b.sizeInBytes, buf.length);
      assert.equal(b.baseOffset, input.baseOffset);
      assert.equal(b.partitionLeaderEpoch, input.partitionLeaderEpoch);
      assert.equal(b.magic, 2);
      assert.equal(b.compression, compression);
      assert.equal(b.timestampType, input.timestampType);
      assert.equal(b.isTransactional, input.isTransactional);
      assert.equal(b.isControl, input.isControl);
      assert.equal(b.producerId, input.producerId);
      assert.equal(b.producerEpoch, input.producerEpoch);
      assert.equal(b.baseSequence, input.baseSequence);
      assert.equal(b.baseTimestamp, input.baseTimestamp);
      assert.equal(b.recordCount, input.records.length);
      const deltas = input.records.map((r) => r.timestampDelta);
      assert.equal(b.maxTimestamp, input.baseTimestamp + BigInt(deltas.length > 0 ? Math.max(...deltas) : 0));
      assert.equal(b.lastOffsetDelta, input.records.at(-1)?.offsetDelta ?? 0);
      assert.deepEqual(b.records, input.records);
      const decoded = toDecodedRecords(b);
      decoded.forEach((d, i) => {
        const r = input.records[i]!;
        assert.equal(d.offset, input.baseOffset! + BigInt(r.offsetDelta));
        assert.equal(d.timestamp, input.timestampType === TimestampType.LogAppendTime ? b.maxTimestamp : input.baseTimestamp + BigInt(r.timestampDelta));
        assert.equal(d.key, r.key === null ? null : d.key);
      });
    }),
    { numRuns: 250 },
  );
});

test('several batches and a trailing partial batch: the complete ones decode, the partial one is left', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(batchArb, codecArb), { minLength: 1, maxLength: 4 }), fc.nat(), (inputs, cutSeed) => {
      const bufs = inputs.map(([b, c]) => encodeRecordBatch(b, { compression: c }));
      const all = Buffer.concat(bufs);
      assert.equal(decodeRecordBatches(all).length, bufs.length);
      const lastStart = all.length - bufs.at(-1)!.length;
      const cut = lastStart + (cutSeed % bufs.at(-1)!.length); // anywhere inside the last batch
      const partial = decodeRecordBatches(all.subarray(0, cut));
      assert.equal(partial.length, bufs.length - 1);
      assert.equal(decodeRecordSet(all.subarray(0, cut)).length, inputs.slice(0, -1).filter(([b]) => !b.isControl).reduce((n, [b]) => n + b.records.length, 0));
    }),
    { numRuns: 100 },
  );
});

test('flipping any bit of the CRC-covered region (or the CRC) is detected', () => {
  fc.assert(
    fc.property(batchArb, codecArb, fc.integer({ min: 1, max: 255 }), (input, compression, mask) => {
      const buf = encodeRecordBatch(input, { compression });
      for (let i = BATCH_CRC; i < buf.length; i++) {
        const bad = Buffer.from(buf);
        bad[i]! ^= mask;
        assert.equal(verifyBatchCrc(bad), false, `byte ${i}`);
        assert.throws(() => decodeRecordBatch(bad), (e: Error) => e instanceof ProtocolDecodeError && /CRC32C/.test(e.message));
      }
    }),
    { numRuns: 40 },
  );
});

/** Only ProtocolDecodeError may escape a decoder: anything else is a bug. */
function onlyDecodeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw new Error(`non-decode error ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
}

test('fuzz: random bytes and truncations only throw ProtocolDecodeError', () => {
  fc.assert(
    fc.property(bytes(400), (b) => {
      onlyDecodeErrors(() => decodeRecordBatches(b));
      onlyDecodeErrors(() => decodeRecordBatches(b, { verifyCrc: false }));
      onlyDecodeErrors(() => decodeRecordSet(b, { verifyCrc: false }));
      onlyDecodeErrors(() => decodeLegacyMessageSet(b, { verifyCrc: false }));
      onlyDecodeErrors(() => verifyBatchCrc(b));
    }),
    { numRuns: 2000 },
  );
});

test('fuzz: corrupted batches with a recomputed CRC only throw ProtocolDecodeError', () => {
  fc.assert(
    fc.property(
      batchArb,
      codecArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (input, compression, flips, cut) => {
        const bad = Buffer.from(encodeRecordBatch(input, { compression }));
        for (const [i, x] of flips) bad[BATCH_ATTRIBUTES + (i % (bad.length - BATCH_ATTRIBUTES))]! ^= x;
        bad.writeUInt32BE(crc32c(bad.subarray(BATCH_ATTRIBUTES)), BATCH_CRC);
        onlyDecodeErrors(() => decodeRecordBatches(bad));
        onlyDecodeErrors(() => decodeRecordBatch(bad.subarray(0, cut % bad.length), 0, { verifyCrc: false }));
        onlyDecodeErrors(() => decodeRecordSet(bad));
      },
    ),
    { numRuns: 600 },
  );
});
