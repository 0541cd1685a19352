import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTR_DELETE_HORIZON,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchBaseTimestamp,
  batchCompression,
  batchLastOffset,
  batchRecordCount,
  CompressionType,
  decodeRecordBatch,
  isCodecAvailable,
} from '@samsa/protocol/records';
import {
  buildOffsetMap,
  cleanBatches,
  compactBatches,
  groupSegments,
  OffsetMap,
  planCompaction,
  runInBackground,
  runToCompletion,
} from '../../src/storage/cleaner.js';
import { ProducerStateManager } from '../../src/storage/producer-state.js';
import { markerBytes } from './producer-state-helpers.js';
import { buildLog, lastWins, readLog, type Put } from './cleaner-helpers.js';

const DAY = 86_400_000;
const NO_PRODUCERS = new Map();
const NOW = 10_000_000;

/** The same bytes in memory (a view of the input, not a copy). */
function assertSameView(a: Buffer | undefined, b: Buffer | undefined, msg?: string): void {
  assert.ok(a !== undefined && b !== undefined, msg);
  assert.ok(a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length, msg ?? 'not the same bytes');
}

const puts = (spec: string): Put[][] =>
  // "a=1 b=2 | a=3 b=~" : batches split by |, ~ = tombstone
  spec.split('|').map((g) =>
    g.trim().split(/\s+/).filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return { key: k!, value: v === '~' ? null : v! };
    }),
  );

function compact(batches: Buffer[], nowMs = NOW, deleteRetentionMs = DAY, producers = NO_PRODUCERS) {
  return compactBatches(batches, { nowMs, deleteRetentionMs, producers, endOffset: 1n << 40n });
}

test('the latest value per key wins; offsets are preserved; untouched batches are copied', () => {
  const log = buildLog(puts('a=1 b=1 c=1 | a=2 d=1 | b=2 | e=1 f=1'));
  const { batches, stats } = compact(log);
  const records = readLog(batches);
  assert.deepEqual(
    records.map((r) => [r.offset, r.key, r.value]),
    [[2n, 'c', '1'], [3n, 'a', '2'], [4n, 'd', '1'], [5n, 'b', '2'], [6n, 'e', '1'], [7n, 'f', '1']],
  );
  // batch 1 lost two records: rewritten, keeping its base offset and last offset delta
  assert.equal(batchBaseOffset(batches[0]!), 0n);
  assert.equal(batchLastOffset(batches[0]!), 2n);
  assert.equal(batchRecordCount(batches[0]!), 1);
  // the batches that kept everything are the very same bytes
  assertSameView(batches[1], log[1]);
  assertSameView(batches[3], log[3]);
  assert.equal(stats.batchesCopied, 3);
  assert.equal(stats.recordsRead, 8);
  assert.equal(stats.recordsRetained, 6);
  // compacting again changes nothing
  const again = compact(batches);
  assert.deepEqual(again.batches, batches);
});

test('tombstones get a delete horizon, are kept until it passes, then removed', () => {
  const log = buildLog(puts('a=1 b=1 | a=~ c=1 | c=2'), { timestamp: 5_000n });
  const first = compact(log, NOW, DAY);
  const r1 = readLog(first.batches);
  assert.deepEqual(r1.map((r) => [r.offset, r.key, r.value]), [[1n, 'b', '1'], [2n, 'a', null], [4n, 'c', '2']]);
  const tombstoneBatch = first.batches[1]!;
  assert.ok((batchAttributes(tombstoneBatch) & ATTR_DELETE_HORIZON) !== 0, 'delete horizon bit set');
  assert.equal(batchBaseTimestamp(tombstoneBatch), BigInt(NOW + DAY));
  assert.equal(r1[1]!.timestamp, 5_000n, 'the record keeps its own timestamp');
  assert.equal(batchLastOffset(tombstoneBatch), 3n);

  // before the horizon: kept as is (the batch is not rewritten again)
  const second = compact(first.batches, NOW + DAY - 1, DAY);
  assertSameView(second.batches[1], first.batches[1]);
  assert.deepEqual(readLog(second.batches).map((r) => r.offset), [1n, 2n, 4n]);
  // at the horizon: gone; the batch had nothing else and no producer, so it is removed
  const third = compact(second.batches, NOW + DAY, DAY);
  assert.deepEqual(readLog(third.batches).map((r) => [r.offset, r.key]), [[1n, 'b'], [4n, 'c']]);
  assert.equal(third.batches.length, 2);
});

test('compressed batches stay compressed with their codec', () => {
  for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    if (!isCodecAvailable(codec)) continue;
    const groups: Put[][] = [];
    for (let b = 0; b < 5; b++) {
      groups.push(Array.from({ length: 20 }, (_, i) => ({ key: `k${(b * 20 + i) % 30}`, value: `v${b}-${i}-`.repeat(10) })));
    }
    const log = buildLog(groups, { compression: codec });
    const { batches } = compact(log);
    for (const b of batches) assert.equal(batchCompression(b), codec, `codec ${codec}`);
    const before = lastWins(readLog(log));
    const after = readLog(batches);
    assert.deepEqual(new Set(after.map((r) => r.offset)), before.offsets);
    assert.deepEqual(lastWins(after).values, before.values);
  }
});

test('the last batch of an active producer survives as an empty header; a marker without data gets its delete horizon', () => {
  // producer 7 writes a=1 then a=2 (same key): its last batch holds a=2 and survives anyway;
  // then a non-idempotent write supersedes a=2, emptying the producer's last batch
  const p7 = buildLog(puts('a=1 | a=2'), { producerId: 7n, producerEpoch: 3 });
  const later = buildLog(puts('a=3 | b=1'), {}, 2n);
  const marker = markerBytes(9n, 1, 4n, true, 5);
  const log = [...p7, ...later, marker];
  const state = new ProducerStateManager({ maxProducerIdExpirationMs: DAY, now: () => 0 });
  for (const b of log) state.replay(b);
  const { batches } = compactBatches(log, {
    nowMs: NOW, deleteRetentionMs: DAY, producers: state.lastDataOffsets(), endOffset: 1n << 40n,
  });
  // p7's first batch is gone; its last is an empty header with the same offsets and sequence
  assert.equal(batches.length, 4);
  const empty = batches[0]!;
  assert.equal(batchRecordCount(empty), 0);
  assert.equal(batchBaseOffset(empty), 1n);
  assert.equal(batchLastOffset(empty), 1n);
  assert.equal(batchBaseSequence(empty), 1);
  assert.equal(decodeRecordBatch(empty).producerEpoch, 3);
  // no data of producer 9's transaction is left: the marker starts waiting out delete.retention.ms (Kafka's first pass)
  assert.equal(batchBaseOffset(batches[3]!), 4n);
  assert.ok((batchAttributes(batches[3]!) & ATTR_DELETE_HORIZON) !== 0, 'marker has a delete horizon');
  assert.equal(batchBaseTimestamp(batches[3]!), BigInt(NOW + DAY));
  // the producer state rebuilt from the compacted log is the same
  const rebuilt = new ProducerStateManager({ maxProducerIdExpirationMs: DAY, now: () => 0 });
  for (const b of batches) rebuilt.replay(b);
  assert.deepEqual(rebuilt.activeProducers(), state.activeProducers());
  // without the producer state, the emptied batch goes
  assert.equal(compact(log).batches.length, 3);
});

test('keyless records are dropped; records past the map are kept', () => {
  const log = buildLog([[{ key: null, value: 'x' }, { key: 'a', value: '1' }], [{ key: 'a', value: '2' }]]);
  const { batches, stats } = compact(log);
  assert.deepEqual(readLog(batches).map((r) => [r.offset, r.key]), [[2n, 'a']]);
  assert.equal(stats.keylessRecords, 1);

  // a map limited to 4 entries stops before the batch that would overflow it
  const big = buildLog(puts('a=1 b=1 | c=1 d=1 | a=2 e=1 f=1 | b=2'));
  const map = new OffsetMap(4);
  const res = runToCompletion(buildOffsetMap(map, big, { startOffset: 0n, endOffset: 100n }));
  assert.deepEqual(res, { full: true, cleanUpTo: 4n, batchesRead: 2 });
  const out: Buffer[] = [];
  runToCompletion(
    cleanBatches(big, { map, nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS }),
    (chunk) => out.push(...chunk),
  );
  // nothing below the map's end is superseded within the map, and a=2, b=2 lie past it
  assert.equal(readLog(out).length, 8);
  // the next round starts at cleanUpTo and removes a=1, b=1
  const round2 = compactBatches(out, { nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS, firstDirtyOffset: 4n, endOffset: 100n });
  assert.deepEqual(readLog(round2.batches).map((r) => r.offset), [2n, 3n, 4n, 5n, 6n, 7n]);
});

test('planCompaction: dirty ratio, min lag, the active segment, grouping', () => {
  const seg = (base: bigint, size: number, ts: bigint) => ({ baseOffset: base, sizeBytes: size, maxTimestamp: ts });
  const segments = [seg(0n, 1000, 100n), seg(100n, 1000, 200n), seg(200n, 1000, 300n), seg(300n, 10, 400n)];
  const config = { minCompactionLagMs: 0, minCleanableDirtyRatio: 0.5 };
  const base = { segments, logStartOffset: 0n, logEndOffset: 310n, nowMs: 1000, config };
  // never cleaned: everything below the active segment is dirty
  const p = planCompaction(base)!;
  assert.equal(p.firstDirtyOffset, 0n);
  assert.equal(p.firstUncleanableOffset, 300n);
  assert.equal(p.dirtyRatio, 1);
  assert.deepEqual(p.segments.map((s) => s.baseOffset), [0n, 100n, 200n]);
  // checkpoint at 200: 1/3 dirty is below 0.5
  assert.equal(planCompaction({ ...base, firstDirtyOffset: 200n }), null);
  assert.equal(planCompaction({ ...base, firstDirtyOffset: 200n, force: true })!.dirtyBytes, 1000);
  assert.equal(planCompaction({ ...base, firstDirtyOffset: 100n })!.dirtyRatio, 2 / 3);
  // min.compaction.lag.ms keeps the segment with a record at 300 (newer than 1000 - 750) dirty-but-uncleanable
  const lagged = planCompaction({ ...base, config: { ...config, minCompactionLagMs: 750 } })!;
  assert.equal(lagged.firstUncleanableOffset, 200n);
  // max.compaction.lag.ms forces a low-ratio clean of old dirty data
  assert.ok(planCompaction({ ...base, firstDirtyOffset: 200n, config: { ...config, maxCompactionLagMs: 500 } }));
  // only an active segment, or a checkpoint at the end: nothing to do
  assert.equal(planCompaction({ ...base, segments: [seg(0n, 10, 1n)] }), null);
  assert.equal(planCompaction({ ...base, firstDirtyOffset: 300n }), null);
  // the last stable offset caps the round; a segment it cuts is rewritten whole (its end is the next segment's base)
  const stable = planCompaction({ ...base, lastStableOffset: 150n })!;
  assert.equal(stable.firstUncleanableOffset, 150n);
  assert.deepEqual(stable.segments.map((s) => s.baseOffset), [0n, 100n]);
  assert.deepEqual(stable.segmentEnds, [100n, 200n]);
  assert.equal(planCompaction({ ...base, lastStableOffset: 0n }), null, 'an open transaction at the log start: nothing cleanable');
  assert.deepEqual(groupSegments(segments, 2000).map((g) => g.map((s) => s.baseOffset)), [[0n, 100n], [200n, 300n]]);
  assert.deepEqual(groupSegments([seg(0n, 5000, 1n), seg(1n, 1, 1n)], 2000).length, 2);
});

test('cleaning runs in bounded steps interleaved with other work', async () => {
  const groups: Put[][] = Array.from({ length: 200 }, (_, b) => Array.from({ length: 10 }, (_, i) => ({ key: `k${(b * 10 + i) % 97}`, value: `${b}` })));
  const log = buildLog(groups);
  const map = new OffsetMap();
  let interleaved = 0;
  const countInterleaving = () => { setImmediate(() => interleaved++); };
  await runInBackground(buildOffsetMap(map, log, { startOffset: 0n, endOffset: 2000n, batchesPerStep: 10 }), countInterleaving);
  const out: Buffer[] = [];
  const stats = await runInBackground(
    cleanBatches(log, { map, nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS, batchesPerStep: 10 }),
    (chunk) => { out.push(...chunk); countInterleaving(); },
  );
  assert.equal(stats.batchesRead, 200);
  assert.ok(interleaved >= 30, `other immediates ran between steps (${interleaved})`);
  assert.equal(readLog(out).length, 97);
});
