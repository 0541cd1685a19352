import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompressionType,
  ControlRecordType,
  TimestampType,
  createEndTxnMarkerBatch,
  createRecordBatch,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeRecordBatch,
  decodeRecordBatchHeaders,
  decodeRecordBatches,
  decodeRecordBatchesAsync,
  decodeRecordSet,
  decodeRecords,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  toDecodedRecords,
  verifyBatchCrc,
  type RecordBatchInput,
} from '../../src/records/index.js';
import { kafkajsDecodeBatch, kafkajsEncodeBatch, type KafkajsBatchInput } from './kafkajs-codecs.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const b = (s: string): Buffer => Buffer.from(s);

function kafkajsInput(compression: CompressionType): KafkajsBatchInput {
  return {
    compression,
    firstOffset: '1000',
    firstTimestamp: 1700000000000,
    maxTimestamp: 1700000000500,
    partitionLeaderEpoch: 5,
    lastOffsetDelta: 2,
    transactional: true,
    producerId: '4242',
    producerEpoch: 3,
    firstSequence: 17,
    records: [
      { offsetDelta: 0, timestampDelta: 0, key: b('k0'), value: b('v0'.repeat(200)), headers: { a: b('x'), b: [b('1'), b('2')] } },
      { offsetDelta: 1, timestampDelta: -100, key: null, value: b('v1') },
      { offsetDelta: 2, timestampDelta: 500, key: b('k2'), value: null },
    ],
  };
}

/** The same batch in our input form. */
const ourInput: RecordBatchInput = {
  baseOffset: 1000n,
  partitionLeaderEpoch: 5,
  isTransactional: true,
  baseTimestamp: 1700000000000n,
  producerId: 4242n,
  producerEpoch: 3,
  baseSequence: 17,
  records: [
    { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: b('k0'), value: b('v0'.repeat(200)), headers: [{ key: 'a', value: b('x') }, { key: 'b', value: b('1') }, { key: 'b', value: b('2') }] },
    { attributes: 0, timestampDelta: -100, offsetDelta: 1, key: null, value: b('v1'), headers: [] },
    { attributes: 0, timestampDelta: 500, offsetDelta: 2, key: b('k2'), value: null, headers: [] },
  ],
};

test('known answer: batches encoded by kafkajs (every codec) decode to the expected records', async () => {
  for (const compression of CODECS) {
    const buf = await kafkajsEncodeBatch(kafkajsInput(compression));
    assert.ok(verifyBatchCrc(buf), `${CompressionType[compression]} CRC`);
    const [batch, ...rest] = decodeRecordBatches(buf);
    assert.equal(rest.length, 0);
    assert.ok(batch);
    assert.equal(batch.compression, compression);
    assert.equal(batch.baseOffset, 1000n);
    assert.equal(batch.partitionLeaderEpoch, 5);
    assert.equal(batch.isTransactional, true);
    assert.equal(batch.isControl, false);
    assert.equal(batch.timestampType, TimestampType.CreateTime);
    assert.equal(batch.lastOffsetDelta, 2);
    assert.equal(batch.baseTimestamp, 1700000000000n);
    assert.equal(batch.maxTimestamp, 1700000000500n);
    assert.equal(batch.producerId, 4242n);
    assert.equal(batch.producerEpoch, 3);
    assert.equal(batch.baseSequence, 17);
    assert.deepEqual(batch.records, ourInput.records);
    assert.deepEqual(
      toDecodedRecords(batch).map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.length ?? null]),
      [[1000n, 1700000000000n, 'k0', 400], [1001n, 1699999999900n, null, 2], [1002n, 1700000000500n, 'k2', null]],
    );
  }
});

test('uncompressed and gzip batches are byte-identical to what kafkajs writes', async () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    const theirs = await kafkajsEncodeBatch(kafkajsInput(compression));
    const ours = encodeRecordBatch({ ...ourInput, maxTimestamp: 1700000000500n }, { compression });
    assert.deepEqual(ours, theirs, CompressionType[compression]);
  }
});

test("kafkajs's decoder reads what we write, every codec (snappy in xerial framing)", async () => {
  for (const compression of CODECS) {
    const decoded = await kafkajsDecodeBatch(await encodeRecordBatchAsync(ourInput, { compression }));
    assert.equal(decoded.firstOffset, '1000');
    assert.equal(decoded.producerId, '4242');
    assert.equal(decoded.inTransaction, true);
    assert.deepEqual(
      decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString().length ?? null, Object.keys(r.headers)]),
      [['1000', '1700000000000', 'k0', 400, ['a', 'b']], ['1001', '1699999999900', null, 2, []], ['1002', '1700000000500', 'k2', null, []]],
      CompressionType[compression],
    );
    assert.deepEqual(decoded.records[0]!.headers.b, [b('1'), b('2')]);
  }
});

test('lazy decoding: headers first, records on demand, keys and values are views into the input', async () => {
  const buf = Buffer.concat(CODECS.map((compression) => encodeRecordBatch(ourInput, { compression })));
  const headers = decodeRecordBatchHeaders(buf);
  assert.equal(headers.length, CODECS.length);
  assert.equal(headers[0]!.recordsData.buffer, buf.buffer, 'recordsData is a view');
  const plain = decodeRecords(headers[0]!);
  assert.equal(plain[0]!.key!.buffer, buf.buffer, 'uncompressed keys are views, not copies');
  for (const h of headers) assert.deepEqual(decodeRecords(h), ourInput.records);
  const asyncBatches = await decodeRecordBatchesAsync(buf);
  for (const batch of asyncBatches) assert.deepEqual(batch.records, ourInput.records);
});

test('LogAppendTime batches give every record the max timestamp', () => {
  const buf = encodeRecordBatch({ ...ourInput, timestampType: TimestampType.LogAppendTime, maxTimestamp: 1800000000000n });
  const batch = decodeRecordBatch(buf);
  assert.deepEqual(toDecodedRecords(batch).map((r) => r.timestamp), [1800000000000n, 1800000000000n, 1800000000000n]);
});

test('createRecordBatch computes deltas from absolute timestamps', () => {
  const input = createRecordBatch(
    [{ value: b('a'), timestamp: 2000n }, { key: b('k'), value: b('b'), timestamp: 1500n, headers: [{ key: 'h', value: null }] }, { value: null }],
    { now: 2600n, compression: CompressionType.Zstd, producerId: 9n },
  );
  const batch = decodeRecordBatch(encodeRecordBatch(input));
  assert.equal(batch.compression, CompressionType.Zstd);
  assert.equal(batch.producerId, 9n);
  assert.equal(batch.maxTimestamp, 2600n);
  assert.deepEqual(toDecodedRecords(batch).map((r) => [r.offset, r.timestamp]), [[0n, 2000n], [1n, 1500n], [2n, 2600n]]);
});

test('end-transaction markers: control batch, Kafka key/value layout, decodable back', () => {
  for (const type of [ControlRecordType.Commit, ControlRecordType.Abort] as const) {
    const buf = encodeRecordBatch(createEndTxnMarkerBatch({ producerId: 77n, producerEpoch: 2, type, coordinatorEpoch: 5, timestamp: 123n, baseOffset: 40n }));
    const batch = decodeRecordBatch(buf);
    assert.equal(batch.isControl, true);
    assert.equal(batch.isTransactional, true);
    assert.equal(batch.producerId, 77n);
    assert.equal(batch.baseSequence, -1);
    const [rec] = batch.records;
    assert.deepEqual([...rec!.key!], [0, 0, 0, type]);
    assert.deepEqual([...rec!.value!], [0, 0, 0, 0, 0, 5]);
    assert.deepEqual(decodeControlRecordKey(rec!.key), { version: 0, type });
    assert.deepEqual(decodeEndTxnMarker(rec!), { type, coordinatorEpoch: 5 });
    assert.equal(decodeRecordSet(buf).length, 0, 'control records are not user records');
    assert.equal(decodeRecordSet(buf, { includeControl: true }).length, 1);
  }
  assert.equal(decodeEndTxnMarker({ key: Buffer.from([0, 0, 0, 2]), value: null }), null, 'leader change is not a txn marker');
});
