import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';

/** Writer.int64 takes a number path for safe integers; it must match Buffer's bigint encoding everywhere. */
const expected = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};

test('int64 writes the same bytes as writeBigInt64BE, on both sides of the safe-integer range', () => {
  const edges = [0n, -1n, 1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
  for (const v of edges) assert.deepEqual(new Writer(8).int64(v).toBuffer(), expected(v), String(v));
  fc.assert(
    fc.property(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n })), (v) => {
      const w = new Writer(2);
      w.int8(7).int64(v);
      const buf = w.toBuffer();
      assert.deepEqual(buf.subarray(1), expected(v));
      const r = new Reader(buf, 1);
      assert.equal(r.int64(), v);
    }),
    { numRuns: 2000 },
  );
});
