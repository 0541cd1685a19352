import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCH_CRC, CompressionType, encodeRecordBatch, ProtocolDecodeError } from '@samsa/protocol';
import { decodeFetched, decodeFetchedRecords } from '../src/consumer.js';
import { type ConsumedMessage, RecordSlabs } from '../src/fetched-record.js';

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

test('records copied into slabs keep their key, value and headers after the fetched bytes are overwritten (property)', async () => {
  const fc = (await import('fast-check')).default;
  const bytes = fc.option(fc.uint8Array({ maxLength: 40_000 }).map((a) => Buffer.from(a)), { nil: null, freq: 5 });
  const record = fc.record({ key: bytes, value: bytes, header: fc.option(fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), { nil: null }) });
  const slabs = new RecordSlabs();
  const earlier: Array<{ messages: ConsumedMessage[]; expected: Array<{ key: Buffer | null; value: Buffer | null; header: Buffer | null }> }> = [];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(record, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(CompressionType.None, CompressionType.Gzip), async (batches, compression) => {
      let offset = 0n;
      const fetched = Buffer.concat(batches.map((rs) => {
        const b = encodeRecordBatch({ baseOffset: offset, baseTimestamp: 1000n, compression, records: rs.map((r, i) => ({ offsetDelta: i, timestampDelta: i, key: r.key, value: r.value, headers: [{ key: 'h', value: r.header }] })) } as never);
        offset += BigInt(rs.length);
        return b;
      }));
      const { records } = await decodeFetchedRecords('t', 0, fetched, 0n, null, true, slabs);
      fetched.fill(0xee); // the consumer reuses a response's memory for the next response
      earlier.push({ messages: records.toArray(), expected: batches.flat() });
      // Every batch decoded so far, not only this one: later copies must not land on earlier records.
      for (const { messages, expected } of earlier) {
        assert.equal(messages.length, expected.length);
        messages.forEach((m, i) => {
          assert.deepEqual(m.key, expected[i]!.key);
          assert.deepEqual(m.value, expected[i]!.value);
          assert.deepEqual(m.headers[0]!.value, expected[i]!.header);
        });
      }
    }),
    { numRuns: 40 },
  );
});
