import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCH_CRC, CompressionType, encodeRecordBatch, ProtocolDecodeError } from '@samsa/protocol';
import { decodeFetched } from '../src/consumer.js';

const batch = (): Buffer =>
  encodeRecordBatch({
    baseOffset: 100n,
    baseTimestamp: 1_700_000_000_000n,
    records: [
      { offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [] },
      { offsetDelta: 1, timestampDelta: 5, key: null, value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }] },
      { offsetDelta: 2, timestampDelta: 9, key: Buffer.from('k2'), value: null, headers: [] },
    ],
  } as never);

test('records decode lazily to the same fields an eager decoder gives; records below the fetch offset are skipped', async () => {
  const { messages, nextOffset } = await decodeFetched('t', 3, batch(), 101n, null);
  assert.equal(nextOffset, 103n);
  assert.deepEqual(
    messages.map((m) => [m.topic, m.partition, m.offset, m.timestamp, m.key?.toString() ?? null, m.value?.toString() ?? null, m.headers.map((h) => [h.key, h.value?.toString() ?? null])]),
    [
      ['t', 3, 101n, 1_700_000_000_005n, null, 'v1', [['h', 'x'], ['n', null]]],
      ['t', 3, 102n, 1_700_000_000_009n, 'k2', null, []],
    ],
  );
  assert.deepEqual(JSON.parse(JSON.stringify(messages[1], (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).offset, '102');
});

test('check.crcs: a corrupted batch is refused by default and passed through when the check is off', async () => {
  const b = batch();
  b.writeUInt32BE((b.readUInt32BE(BATCH_CRC) ^ 1) >>> 0, BATCH_CRC);
  await assert.rejects(decodeFetched('t', 0, b, 0n, null), ProtocolDecodeError);
  const { messages } = await decodeFetched('t', 0, b, 0n, null, false);
  assert.equal(messages.length, 3);
});

test('records of several batches, a compressed one holding more records than its bytes suggest, keep their own batch facts', async () => {
  const many = Array.from({ length: 400 }, (_, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from('aaaaaaaa'), headers: [] }));
  const bytes = Buffer.concat([
    encodeRecordBatch({ baseOffset: 10n, baseTimestamp: 1000n, records: [{ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('A'), headers: [] }, { offsetDelta: 1, timestampDelta: 1, key: Buffer.from('b'), value: Buffer.from('B'), headers: [] }] } as never),
    // gzip: 400 records in fewer bytes than 400 x 8, so the records store grows past its first size
    encodeRecordBatch({ baseOffset: 12n, baseTimestamp: 5000n, compression: CompressionType.Gzip, records: many } as never),
  ]);
  const { messages, nextOffset } = await decodeFetched('t', 1, bytes, 11n, null);
  assert.equal(nextOffset, 412n);
  assert.equal(messages.length, 401);
  assert.deepEqual([messages[0]!.offset, messages[0]!.timestamp, messages[0]!.key?.toString(), messages[0]!.value?.toString()], [11n, 1001n, 'b', 'B']);
  assert.deepEqual([messages[400]!.offset, messages[400]!.timestamp, messages[400]!.key, messages[400]!.value?.toString()], [411n, 5399n, null, 'aaaaaaaa']);
  assert.deepEqual(messages.map((m) => m.offset), Array.from({ length: 401 }, (_, i) => BigInt(11 + i)));
});
