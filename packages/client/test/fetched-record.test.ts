import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCH_CRC, encodeRecordBatch, ProtocolDecodeError } from '@samsa/protocol';
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
