import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  CompressionType,
  compressSync,
  decodeLegacyMessage,
  decodeLegacyMessageSet,
  decodeRecordSet,
  encodeRecordBatch,
  createRecordBatch,
  type DecodedRecord,
} from '../../src/records/index.js';
import { ProtocolDecodeError } from '../../src/primitives/errors.js';
import { kafkajsEncodeMessageSet, kafkajsInnerMessageSet, kafkajsWrapMessageSet } from './kafkajs-codecs.js';

const require = createRequire(import.meta.url);
const xxh32 = (require('lz4js/xxh32.js') as { hash(seed: number, src: Uint8Array, index: number, len: number): number }).hash;
const hex = (...parts: string[]): Buffer => Buffer.from(parts.join('').replace(/\s/g, ''), 'hex');
const view = (rs: DecodedRecord[]) => rs.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null]);

// Built by hand from the message format in Kafka's implementation docs; CRCs from zlib's crc32.
const V0_SET = hex(
  '0000000000000005', '00000014', 'a4cdab3a', '00', '00', '00000001 6b', '00000005 68656c6c6f', // offset 5: key "k", value "hello"
  '0000000000000006', '0000000e', '795748e0', '00', '00', 'ffffffff', '00000000', // offset 6: null key, empty value
);
const V1_SET = hex(
  '0000000000000028', '0000001b', '84056f3e', '01', '00', '0000018bcfe5687b', '00000003 6b6579', '00000002 7631',
  '0000000000000029', '00000016', '5b41f4e3', '01', '00', 'ffffffffffffffff', 'ffffffff', 'ffffffff',
);
// magic 1 gzip wrapper (LogAppendTime, timestamp 5000, offset 101) around inner messages at relative offsets 0 and 1
const V1_GZIP_WRAPPER = hex(
  '0000000000000065', '0000005b', 'b8db0c4b', '01', '09', '0000000000001388', 'ffffffff', '00000045',
  '1f8b0800000000000203636080031963cda858462887f90590604c0412ac699945c525506190b42c7f92a20d4c1dfb0590681290602b4e4dcecf4b0100cde3add551000000',
);

test('known answer: hand-built magic 0 and magic 1 message sets', () => {
  assert.deepEqual(view(decodeLegacyMessageSet(V0_SET)), [[5n, -1n, 'k', 'hello'], [6n, -1n, null, '']]);
  assert.deepEqual(view(decodeLegacyMessageSet(V1_SET)), [[40n, 1700000000123n, 'key', 'v1'], [41n, -1n, null, null]]);
  const m = decodeLegacyMessage(V1_SET, 0);
  assert.equal(m.crc, 0x84056f3e);
  assert.equal(m.magic, 1);
  assert.equal(m.sizeInBytes, 39);
});

test('known answer: a magic 1 gzip wrapper: relative inner offsets, LogAppendTime from the wrapper', () => {
  assert.deepEqual(view(decodeLegacyMessageSet(V1_GZIP_WRAPPER)), [[100n, 5000n, 'a', 'first'], [101n, 5000n, 'b', 'second']]);
  const createTime = Buffer.from(V1_GZIP_WRAPPER);
  createTime[17] = 0x01; // CreateTime: inner timestamps count (CRC no longer matches)
  assert.deepEqual(view(decodeLegacyMessageSet(createTime, { verifyCrc: false })), [[100n, 1000n, 'a', 'first'], [101n, 2000n, 'b', 'second']]);
  assert.throws(() => decodeLegacyMessageSet(createTime), /CRC32 mismatch/);
});

test('a trailing partial legacy message is left out; a corrupt one throws ProtocolDecodeError', () => {
  for (let cut = 0; cut < V0_SET.length; cut++) {
    const n = decodeLegacyMessageSet(V0_SET.subarray(0, cut)).length;
    assert.equal(n, cut < 32 ? 0 : 1, `cut at ${cut}`);
  }
  const crcCovered = (i: number) => (i >= 12 && i < 39) || i >= 39 + 12; // crc..end of each message (offsets and sizes are not covered)
  for (let i = 0; i < V1_SET.length; i++) {
    if (!crcCovered(i)) continue;
    const bad = Buffer.from(V1_SET);
    bad[i] ^= 0x5a;
    assert.throws(() => decodeLegacyMessageSet(bad), ProtocolDecodeError, `byte ${i}`);
  }
});

const entries = [
  { key: Buffer.from('k1'), value: Buffer.from('one'), timestamp: 1111 },
  { key: null, value: Buffer.from('two'.repeat(50)), timestamp: 2222 },
  { key: Buffer.from('k3'), value: null, timestamp: 3333 },
];

test('known answer: legacy message sets written by kafkajs (v0, v1; none, gzip, snappy, lz4)', async () => {
  for (const version of [0, 1] as const) {
    for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
      const set = await kafkajsEncodeMessageSet(version, compression, entries);
      if (compression !== CompressionType.None) set.writeBigInt64BE(502n, 0); // the broker assigns the wrapper's offset
      const records = decodeLegacyMessageSet(set);
      const offsets = compression === CompressionType.None ? [-1n, -1n, -1n] : version === 1 ? [500n, 501n, 502n] : [0n, 1n, 2n];
      const ts = (t: bigint) => (version === 0 ? -1n : t);
      assert.deepEqual(
        view(records),
        [[offsets[0], ts(1111n), 'k1', 'one'], [offsets[1], ts(2222n), null, 'two'.repeat(50)], [offsets[2], ts(3333n), 'k3', null]],
        `v${version} ${CompressionType[compression]}`,
      );
    }
  }
});

test('lz4 in a magic 0 wrapper with the pre-0.10 header checksum decodes', () => {
  const inner = kafkajsInnerMessageSet(0, entries);
  const frame = Buffer.from(compressSync(CompressionType.Lz4, inner));
  frame[6] = (xxh32(0, frame, 0, 6) >>> 8) & 0xff; // checksum over magic + descriptor, as old Kafka wrote it
  const set = kafkajsWrapMessageSet(0, CompressionType.Lz4, frame);
  assert.deepEqual(decodeLegacyMessageSet(set).map((r) => r.value?.toString() ?? null), ['one', 'two'.repeat(50), null]);
});

test('decodeRecordSet reads legacy messages and v2 batches side by side', () => {
  const v2 = encodeRecordBatch(createRecordBatch([{ value: Buffer.from('new') }], { baseOffset: 42n, now: 9n }));
  const mixed = Buffer.concat([V0_SET, V1_SET, v2, v2.subarray(0, 20)]);
  assert.deepEqual(view(decodeRecordSet(mixed)).map((r) => r[0]), [5n, 6n, 40n, 41n, 42n]);
  assert.throws(() => decodeLegacyMessageSet(v2), /legacy message magic 2/);
});

test('a compressed wrapper inside a wrapper is refused', () => {
  const innerWrapper = kafkajsWrapMessageSet(1, CompressionType.Gzip, compressSync(CompressionType.Gzip, kafkajsInnerMessageSet(1, entries)));
  const outer = kafkajsWrapMessageSet(1, CompressionType.Gzip, compressSync(CompressionType.Gzip, innerWrapper));
  assert.throws(() => decodeLegacyMessageSet(outer), /nested compressed/);
});
