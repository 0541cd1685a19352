import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
test('varint round trip', () => {
  const w = new Writer();
  w.varint(-300).uvarint(2 ** 32 - 1).varlong(-(2n ** 63n)).varlongNumber(-123456789012);
  const r = new Reader(w.toBuffer());
  assert.equal(r.varint(), -300);
  assert.equal(r.uvarint(), 2 ** 32 - 1);
  assert.equal(r.varlong(), -(2n ** 63n));
  assert.equal(r.varlongNumber(), -123456789012);
});
