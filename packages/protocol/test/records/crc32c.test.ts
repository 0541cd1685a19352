import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { crc32, crc32c } from '../../src/records/index.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
const kafkajsCrc32 = require('kafkajs/src/protocol/crc32') as (e: { buffer: Buffer }) => number;

test('crc32c check value (RFC 3720) and crc32 check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeroes
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('crc32c and crc32 agree with kafkajs and continue across chunks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(3000), (bytes, cut) => {
      const b = Buffer.from(bytes);
      const at = Math.min(cut, b.length);
      assert.equal(crc32c(b), kafkajsCrc32C(b) >>> 0);
      assert.equal(crc32(b), kafkajsCrc32({ buffer: b }) >>> 0);
      assert.equal(crc32c(b.subarray(at), crc32c(b.subarray(0, at))), crc32c(b));
    }),
    { numRuns: 300 },
  );
});
