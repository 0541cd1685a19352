// Property: compaction keeps exactly the last record of each key, and nothing else changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CompressionType } from '@samsa/protocol/records';
import { compactBatches, OffsetMap, buildOffsetMap, cleanBatches, runToCompletion } from '../../src/storage/cleaner.js';
import { buildLog, lastWins, readLog, type Put } from './cleaner-helpers.js';

const DAY = 86_400_000;
const NOW = 50_000_000;
const NO_PRODUCERS = new Map();

const putArb: fc.Arbitrary<Put> = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ключ', '\u0000\u00ff'),
  value: fc.option(fc.string({ maxLength: 12 }), { freq: 5 }),
});
const logArb = fc.array(fc.array(putArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 25, size: 'max' });
const codecArb = fc.constantFrom(CompressionType.None, CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd, CompressionType.Snappy);

test('compacted log = last-wins map; survivors = last offset per key; tombstones go after the horizon', () => {
  fc.assert(
    fc.property(logArb, codecArb, (groups, codec) => {
      const log = buildLog(groups, { compression: codec });
      const original = readLog(log);
      const expected = lastWins(original);

      const first = compactBatches(log, { nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS, endOffset: 1n << 40n });
      const after = readLog(first.batches);
      assert.deepEqual(lastWins(after).values, expected.values);
      assert.deepEqual(new Set(after.map((r) => r.offset)), expected.offsets);
      assert.equal(after.length, expected.offsets.size);
      // offsets ascend, each record is exactly the original at that offset
      const byOffset = new Map(original.map((r) => [r.offset, r]));
      let prev = -1n;
      for (const r of after) {
        assert.ok(r.offset > prev);
        prev = r.offset;
        assert.deepEqual(r, byOffset.get(r.offset));
      }

      // after delete.retention.ms, the tombstones are gone too
      const second = compactBatches(first.batches, { nowMs: NOW + DAY, deleteRetentionMs: DAY, producers: NO_PRODUCERS, endOffset: 1n << 40n });
      const final = readLog(second.batches);
      const live = new Map([...expected.values].filter(([, v]) => v !== null));
      assert.deepEqual(lastWins(final).values, live);
      assert.equal(final.length, live.size);
    }),
    { numRuns: 150 },
  );
});

test('cleaning in rounds with a small offset map converges to the same log', () => {
  fc.assert(
    fc.property(logArb, fc.integer({ min: 1, max: 6 }), (groups, maxEntries) => {
      let batches = buildLog(groups);
      const expected = lastWins(readLog(batches));
      const end = 1n << 40n;
      let checkpoint = 0n;
      for (let round = 0; round < 200 && checkpoint < end; round++) {
        const map = new OffsetMap(maxEntries);
        const { cleanUpTo } = runToCompletion(buildOffsetMap(map, batches, { startOffset: checkpoint, endOffset: end }));
        const out: Buffer[] = [];
        runToCompletion(
          cleanBatches(batches, { map, nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS, batchesPerStep: 3 }),
          (chunk) => out.push(...chunk),
        );
        batches = out;
        // a map that cannot hold even one batch still advances by that batch
        checkpoint = cleanUpTo > checkpoint ? cleanUpTo : end;
      }
      // a final full round (as the next cleaning would do from the log start)
      const final = compactBatches(batches, { nowMs: NOW, deleteRetentionMs: DAY, producers: NO_PRODUCERS, endOffset: end });
      const after = readLog(final.batches);
      assert.deepEqual(new Set(after.map((r) => r.offset)), expected.offsets);
      assert.deepEqual(lastWins(after).values, expected.values);
    }),
    { numRuns: 100 },
  );
});
