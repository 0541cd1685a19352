/**
 * The storage conformance suite: every StorageEngine runs these cases (memory-engine.test.ts,
 * file-engine.test.ts), so both engines keep the same semantics.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { LogConfig, LogObserver, PartitionLog, StorageEngine } from '../../src/storage/partition-log.js';
import { CorruptRecordError, LogClosedError, OffsetOutOfRangeError, RecordBatchTooLargeError } from '../../src/storage/errors.js';
import { buildBatch, parseBatches, sizedBatch } from './batch-builder.js';

export const T0 = 1_700_000_000_000;
const LONG_MAX = 9223372036854775807;

export function defaultLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return {
    segmentBytes: 1024 * 1024 * 1024,
    segmentMs: 7 * 24 * 3600 * 1000,
    retentionMs: 7 * 24 * 3600 * 1000,
    retentionBytes: -1,
    segmentIndexBytes: 10 * 1024 * 1024,
    indexIntervalBytes: 4096,
    flushMessages: LONG_MAX,
    flushMs: LONG_MAX,
    cleanupPolicy: 'delete',
    deleteRetentionMs: 86_400_000,
    minCompactionLagMs: 0,
    minCleanableDirtyRatio: 0.5,
    fileDeleteDelayMs: 60_000,
    messageTimestampType: 'CreateTime',
    maxMessageBytes: 1_048_588,
    ...overrides,
  };
}

/** How a test suite builds an engine over fresh storage. */
export interface EngineHarness {
  name: string;
  /** A new engine on empty storage; `now` is the injected clock. */
  create(now: () => number): StorageEngine;
  /** Removes whatever storage create() used. */
  cleanup(): void;
}

/** A batch of `n` records with values `${tag}-${i}` and timestamps ts, ts+1, ... */
export function batchOf(n: number, ts = T0, tag = 'v'): Buffer {
  return buildBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`), timestamp: ts + i })), baseTimestamp: ts });
}

const append = (log: PartitionLog, buf: Buffer, nowMs = T0, leaderEpoch = 0) => log.append(buf, { leaderEpoch, nowMs });

export function runConformance(harness: EngineHarness): void {
  describe(`storage conformance: ${harness.name}`, () => {
    let clock = T0;
    let engine: StorageEngine;
    const now = () => clock;
    const open = (overrides: Partial<LogConfig> = {}, topic = 'orders', partition = 0) => engine.openLog(topic, partition, defaultLogConfig(overrides));

    beforeEach(() => {
      clock = T0;
      engine = harness.create(now);
    });
    afterEach(() => {
      engine.close();
      harness.cleanup();
    });

    it('starts empty', () => {
      const log = open();
      assert.equal(log.logStartOffset, 0n);
      assert.equal(log.logEndOffset, 0n);
      assert.equal(log.logEndOffset, 0n);
      assert.equal(log.sizeBytes, 0);
      assert.equal(log.read(0n, 1024, { minOneBatch: true }).records.length, 0);
      assert.throws(() => log.read(1n, 1024, { minOneBatch: true }), OffsetOutOfRangeError);
      assert.equal(log.offsetForTimestamp(0n), null);
      assert.equal(log.offsetOfMaxTimestamp(), null);
      assert.equal(log.segments().length, 1);
    });

    it('assigns offsets in place and stamps the leader epoch', () => {
      const log = open();
      const b1 = batchOf(3);
      const info1 = append(log, b1, T0, 7);
      assert.deepEqual(info1, { baseOffset: 0n, lastOffset: 2n, logAppendTime: -1n, logStartOffset: 0n, recordCount: 3 });
      assert.equal(b1.readBigInt64BE(0), 0n);
      assert.equal(b1.readInt32BE(12), 7);
      const multi = Buffer.concat([batchOf(2), batchOf(5)]);
      const info2 = append(log, multi, T0, 7);
      assert.equal(info2.baseOffset, 3n);
      assert.equal(info2.lastOffset, 9n);
      assert.equal(info2.recordCount, 7);
      assert.equal(log.logEndOffset, 10n);
      assert.equal(log.sizeBytes, b1.length + multi.length);
      const all = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
      assert.deepEqual(all.map((b) => [b.baseOffset, b.lastOffset]), [[0, 2], [3, 4], [5, 9]]);
      assert.ok(all.every((b) => b.crcValid && b.partitionLeaderEpoch === 7));
    });

    it('reads the batch containing the offset, whole batches within maxBytes', () => {
      const log = open();
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const b = batchOf(4, T0, `b${i}`);
        sizes.push(b.length);
        append(log, b);
      }
      // offset 6 lies in the second batch [4, 7]
      let r = parseBatches(log.read(6n, 1 << 20, { minOneBatch: true }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [4, 8, 12, 16]);
      // exactly two batches fit
      r = parseBatches(log.read(4n, sizes[1]! + sizes[2]!, { minOneBatch: true }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [4, 8]);
      // one byte short of two batches: one batch
      r = parseBatches(log.read(4n, sizes[1]! + sizes[2]! - 1, { minOneBatch: true }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [4]);
      // smaller than one batch: minOneBatch decides
      r = parseBatches(log.read(4n, 10, { minOneBatch: true }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [4]);
      assert.equal(log.read(4n, 10, { minOneBatch: false }).records.length, 0);
      // maxOffset is exclusive on batch starts
      r = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true, maxOffset: 8n }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [0, 4]);
      r = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true, maxOffset: 9n }).records);
      assert.deepEqual(r.map((b) => b.baseOffset), [0, 4, 8]);
      assert.equal(log.read(8n, 1 << 20, { minOneBatch: true, maxOffset: 8n }).records.length, 0);
      // at the log end: nothing; past it: out of range
      const end = log.read(20n, 1 << 20, { minOneBatch: true });
      assert.equal(end.records.length, 0);
      assert.equal(end.logEndOffset, 20n);
      assert.throws(() => log.read(21n, 1 << 20, { minOneBatch: true }), (e: unknown) => e instanceof OffsetOutOfRangeError && e.offset === 21n && e.logEndOffset === 20n);
    });

    it('returns batches byte-identical to what was appended', () => {
      const log = open();
      const appended: Buffer[] = [];
      for (let i = 0; i < 20; i++) {
        const b = sizedBatch(1 + (i % 5), 100 + i * 37, T0 + i);
        append(log, b);
        appended.push(Buffer.from(b));
      }
      assert.deepEqual(log.read(0n, 1 << 20, { minOneBatch: true }).records, Buffer.concat(appended));
    });

    it('rolls on segment.bytes and reads across segments', () => {
      const log = open({ segmentBytes: 1000 });
      const b = sizedBatch(2, 300);
      for (let i = 0; i < 10; i++) append(log, Buffer.from(b));
      const segs = log.segments();
      assert.ok(segs.length >= 4, `expected several segments, got ${segs.length}`);
      assert.ok(segs.every((s) => s.sizeBytes <= 1000));
      assert.equal(segs[0]!.baseOffset, 0n);
      for (let i = 1; i < segs.length; i++) assert.ok(segs[i]!.baseOffset > segs[i - 1]!.baseOffset);
      assert.equal(segs.reduce((a, s) => a + s.sizeBytes, 0), log.sizeBytes);
      const all = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
      assert.deepEqual(all.map((x) => x.baseOffset), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      const mid = parseBatches(log.read(5n, 3 * b.length, { minOneBatch: true }).records);
      assert.deepEqual(mid.map((x) => x.baseOffset), [4, 6, 8]);
    });

    it('rejects a batch larger than segment.bytes and malformed input, leaving the log unchanged', () => {
      const log = open({ segmentBytes: 500 });
      append(log, batchOf(1));
      assert.throws(() => append(log, sizedBatch(1, 600)), RecordBatchTooLargeError);
      const good = batchOf(2);
      assert.throws(() => append(log, good.subarray(0, good.length - 1)), CorruptRecordError);
      assert.throws(() => append(log, Buffer.alloc(0)), CorruptRecordError);
      const badMagic = Buffer.from(good);
      badMagic[16] = 1;
      assert.throws(() => append(log, badMagic), CorruptRecordError);
      assert.equal(log.logEndOffset, 1n);
      assert.equal(append(log, good).baseOffset, 1n);
    });

    it('rolls on segment.ms, measured from the first batch timestamp', () => {
      const log = open({ segmentMs: 1000 });
      append(log, batchOf(1, T0));
      append(log, batchOf(1, T0 + 500));
      assert.equal(log.segments().length, 1);
      append(log, batchOf(1, T0 + 1001));
      assert.deepEqual(log.segments().map((s) => s.baseOffset), [0n, 2n]);
    });

    it('rolls when the offset index is full', () => {
      // 16 bytes = 2 offset index entries, 1 time index entry; one entry per batch after the first.
      const log = open({ segmentIndexBytes: 24, indexIntervalBytes: 1 });
      for (let i = 0; i < 8; i++) append(log, batchOf(1, T0 + i));
      assert.ok(log.segments().length >= 3, `segments: ${log.segments().length}`);
      const all = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
      assert.deepEqual(all.map((x) => x.baseOffset), [0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it('stamps LogAppendTime and recomputes the CRC', () => {
      const log = open({ messageTimestampType: 'LogAppendTime' });
      const info = append(log, batchOf(3, T0 - 5000), T0 + 42);
      assert.equal(info.logAppendTime, BigInt(T0 + 42));
      const [b] = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
      assert.ok(b!.crcValid);
      assert.equal(b!.maxTimestamp, T0 + 42);
      assert.equal(b!.attributes & 0x08, 0x08);
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0)), { offset: 0n, timestamp: BigInt(T0 + 42), leaderEpoch: 0 });
    });

    it('finds offsets by timestamp per record and the max timestamp', () => {
      const log = open({ segmentBytes: 400 });
      // batch i holds records with timestamps T0 + 10*i + j
      for (let i = 0; i < 10; i++) append(log, batchOf(3, T0 + 10 * i), T0, i);
      assert.ok(log.segments().length > 1);
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0 - 1)), { offset: 0n, timestamp: BigInt(T0), leaderEpoch: 0 });
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0 + 21)), { offset: 7n, timestamp: BigInt(T0 + 21), leaderEpoch: 2 });
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0 + 23)), { offset: 9n, timestamp: BigInt(T0 + 30), leaderEpoch: 3 });
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0 + 92)), { offset: 29n, timestamp: BigInt(T0 + 92), leaderEpoch: 9 });
      assert.equal(log.offsetForTimestamp(BigInt(T0 + 93)), null);
      assert.deepEqual(log.offsetOfMaxTimestamp(), { offset: 29n, timestamp: BigInt(T0 + 92), leaderEpoch: 9 });
      // not below the log start offset
      log.deleteRecordsBefore(8n);
      assert.equal(log.offsetForTimestamp(BigInt(T0))!.offset, 8n);
    });

    it('offsetOfMaxTimestamp names the first record carrying the max', () => {
      const log = open();
      append(log, buildBatch({ records: [{ value: null, timestamp: T0 + 5 }, { value: null, timestamp: T0 + 9 }, { value: null, timestamp: T0 + 1 }] }));
      append(log, buildBatch({ records: [{ value: null, timestamp: T0 + 9 }, { value: null, timestamp: T0 + 9 }] }));
      assert.deepEqual(log.offsetOfMaxTimestamp(), { offset: 1n, timestamp: BigInt(T0 + 9), leaderEpoch: 0 });
    });

    it('DeleteRecords moves the log start offset and drops whole segments below it', () => {
      const log = open({ segmentBytes: 200 });
      for (let i = 0; i < 10; i++) append(log, batchOf(3));
      const before = log.segments();
      assert.ok(before.length > 2);
      const target = before[2]!.baseOffset + 1n;
      assert.equal(log.deleteRecordsBefore(target), target);
      assert.equal(log.logStartOffset, target);
      assert.equal(log.segments()[0]!.baseOffset, before[2]!.baseOffset);
      assert.throws(() => log.read(target - 1n, 1024, { minOneBatch: true }), OffsetOutOfRangeError);
      // reading at a log start inside a batch returns that whole batch
      const first = parseBatches(log.read(target, 1 << 20, { minOneBatch: true }).records)[0]!;
      assert.ok(first.baseOffset <= Number(target) && first.lastOffset >= Number(target));
      // never backwards
      assert.equal(log.deleteRecordsBefore(1n), target);
      assert.throws(() => log.deleteRecordsBefore(31n), OffsetOutOfRangeError);
      assert.equal(log.deleteRecordsBefore(30n), 30n);
      assert.equal(log.read(30n, 1024, { minOneBatch: true }).records.length, 0);
      assert.equal(log.segments().length, 1);
      assert.equal(append(log, batchOf(1)).baseOffset, 30n);
    });

    it('applies time retention to whole non-active segments', () => {
      const log = open({ segmentBytes: 200, retentionMs: 60_000 });
      for (let i = 0; i < 12; i++) append(log, batchOf(3, T0 + i * 10_000), T0 + i * 10_000);
      const segs = log.segments();
      assert.ok(segs.length > 3);
      const nowMs = Number(segs[1]!.maxTimestamp) + 60_001;
      log.applyRetention(nowMs);
      const after = log.segments();
      assert.equal(after[0]!.baseOffset, segs[2]!.baseOffset);
      assert.equal(log.logStartOffset, segs[2]!.baseOffset);
      // far in the future: everything but the active segment goes
      log.applyRetention(T0 + 10 * 86_400_000);
      assert.equal(log.segments().length, 1);
      assert.equal(log.segments()[0]!.baseOffset, segs[segs.length - 1]!.baseOffset);
      assert.equal(log.logEndOffset, 36n);
    });

    it('applies size retention, oldest first, never the active segment', () => {
      const log = open({ segmentBytes: 200, retentionBytes: 500, retentionMs: -1 });
      for (let i = 0; i < 20; i++) append(log, batchOf(3));
      assert.ok(log.sizeBytes > 1500);
      log.applyRetention(T0);
      assert.ok(log.sizeBytes <= 500 + 200, `size ${log.sizeBytes}`);
      // removing one more segment would have gone below retention.bytes
      assert.ok(log.sizeBytes - log.segments()[0]!.sizeBytes < 500);
      assert.equal(log.logStartOffset, log.segments()[0]!.baseOffset);
      assert.equal(log.logEndOffset, 60n);
      const retained = parseBatches(log.read(log.logStartOffset, 1 << 20, { minOneBatch: true }).records);
      assert.equal(retained[retained.length - 1]!.lastOffset, 59);
      log.updateConfig(defaultLogConfig({ segmentBytes: 200, retentionBytes: 0, retentionMs: -1 }));
      log.applyRetention(T0);
      assert.equal(log.segments().length, 1);
    });

    it('does not apply time or size retention to compact-only logs', () => {
      const log = open({ segmentBytes: 500, retentionBytes: 0, retentionMs: 0, cleanupPolicy: 'compact' });
      for (let i = 0; i < 10; i++) append(log, batchOf(3));
      const n = log.segments().length;
      log.applyRetention(T0 + 86_400_000);
      assert.equal(log.segments().length, n);
      assert.equal(log.logStartOffset, 0n);
    });

    it('notifies observers', () => {
      const log = open({ segmentBytes: 500 });
      const events: string[] = [];
      const observer: LogObserver = {
        onAppend: (b, info) => events.push(`append ${info.baseOffset}-${info.lastOffset} ${parseBatches(b).length}`),
        onRoll: (base) => events.push(`roll ${base}`),
        onLogStartOffsetChange: (lso) => events.push(`lso ${lso}`),
        onClose: (leo) => events.push(`close ${leo}`),
      };
      log.addObserver(observer);
      append(log, Buffer.concat([batchOf(2), batchOf(2)]));
      append(log, sizedBatch(1, 400));
      log.deleteRecordsBefore(4n);
      log.close();
      assert.deepEqual(events, ['append 0-3 2', 'roll 4', 'append 4-4 1', 'lso 4', 'close 5']);
      log.removeObserver(observer);
    });

    it('stores replicated batches with their offsets, allowing gaps', () => {
      const log = open();
      const a = buildBatch({ records: [{ value: null }, { value: null }], baseOffset: 0, partitionLeaderEpoch: 3 });
      const b = buildBatch({ records: [{ value: null }], baseOffset: 5, partitionLeaderEpoch: 4 });
      log.append(Buffer.concat([a, b]), { leaderEpoch: 9, nowMs: T0, origin: 'replication' });
      assert.equal(log.logEndOffset, 6n);
      const got = parseBatches(log.read(3n, 1 << 20, { minOneBatch: true }).records);
      assert.deepEqual(got.map((x) => [x.baseOffset, x.partitionLeaderEpoch]), [[5, 4]]);
      assert.throws(() => log.append(buildBatch({ records: [{ value: null }], baseOffset: 2 }), { leaderEpoch: 9, nowMs: T0, origin: 'replication' }), CorruptRecordError);
      assert.equal(append(log, batchOf(1)).baseOffset, 6n);
    });

    it('truncates for replication: whole batches from the one holding the offset, later segments dropped', () => {
      const log = open({ segmentBytes: 200 });
      const truncations: bigint[] = [];
      log.addObserver({ onTruncate: (leo) => truncations.push(leo) });
      for (let i = 0; i < 10; i++) append(log, batchOf(3, T0 + i));
      const segs = log.segments();
      assert.ok(segs.length >= 4);
      log.truncateTo(100n); // past the end: nothing
      assert.equal(log.logEndOffset, 30n);
      log.truncateTo(14n); // inside batch [12, 14]: that batch goes too
      assert.equal(log.logEndOffset, 12n);
      assert.ok(log.segments().every((s) => s.baseOffset <= 12n));
      assert.deepEqual(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset), [0, 3, 6, 9]);
      assert.equal(log.sizeBytes, log.segments().reduce((a, s) => a + s.sizeBytes, 0));
      assert.deepEqual(log.offsetOfMaxTimestamp(), { offset: 11n, timestamp: BigInt(T0 + 5), leaderEpoch: 0 });
      assert.equal(append(log, batchOf(2, T0 + 50)).baseOffset, 12n);
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0 + 6)), { offset: 12n, timestamp: BigInt(T0 + 50), leaderEpoch: 0 });
      log.truncateTo(6n); // exactly at a batch (and segment) boundary
      assert.equal(log.logEndOffset, 6n);
      log.truncateFullyAndStartAt(1000n);
      assert.equal(log.logStartOffset, 1000n);
      assert.equal(log.logEndOffset, 1000n);
      assert.deepEqual(log.segments().map((s) => [s.baseOffset, s.sizeBytes]), [[1000n, 0]]);
      assert.equal(append(log, batchOf(1)).baseOffset, 1000n);
      assert.throws(() => log.read(999n, 10, { minOneBatch: true }), OffsetOutOfRangeError);
      assert.deepEqual(truncations, [12n, 6n, 1000n]);
    });

    it('replaces segments with compacted batches, keeping offsets', () => {
      const log = open({ segmentBytes: 200 });
      for (let i = 0; i < 10; i++) append(log, batchOf(3, T0 + 10 * i, `k${i}`));
      const segs = log.segments();
      assert.ok(segs.length >= 4);
      const all = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
      // Keep only the second batch of each of the first two segments (offsets 3-5 and 9-11).
      const kept = all.filter((b) => b.baseOffset === 3 || b.baseOffset === 9).map((b) => Buffer.from(b.bytes));
      const sizeBefore = log.sizeBytes;
      log.replaceSegments([segs[0]!.baseOffset, segs[1]!.baseOffset], kept);
      const after = log.segments();
      assert.deepEqual(after.map((s) => s.baseOffset), [0n, ...segs.slice(2).map((s) => s.baseOffset)]);
      assert.equal(after[0]!.sizeBytes, kept[0]!.length + kept[1]!.length);
      assert.equal(log.sizeBytes, sizeBefore - segs[0]!.sizeBytes - segs[1]!.sizeBytes + after[0]!.sizeBytes);
      assert.deepEqual(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset), [3, 9, 12, 15, 18, 21, 24, 27]);
      // an offset inside a compacted-away range reads from the next batch
      assert.deepEqual(parseBatches(log.read(6n, 1, { minOneBatch: true }).records).map((b) => b.baseOffset), [9]);
      assert.deepEqual(log.offsetForTimestamp(BigInt(T0)), { offset: 3n, timestamp: BigInt(T0 + 10), leaderEpoch: 0 });
      assert.equal(Number(after[0]!.maxTimestamp), T0 + 32);
      // everything compacted away: an empty segment remains
      log.replaceSegments([after[1]!.baseOffset], []);
      assert.equal(log.segments()[1]!.sizeBytes, 0);
      assert.deepEqual(parseBatches(log.read(10n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset).slice(0, 2), [9, Number(after[2]!.baseOffset)]);
      assert.throws(() => log.replaceSegments([log.segments().at(-1)!.baseOffset], []), /active/);
      assert.throws(() => log.replaceSegments([0n, after[2]!.baseOffset], []), /consecutive/);
      assert.throws(() => log.replaceSegments([0n], [Buffer.from(all[9]!.bytes)]), CorruptRecordError);
      assert.equal(append(log, batchOf(1)).baseOffset, 30n);
    });

    it('manages logs per topic-partition, including names with dots and underscores', () => {
      const names = ['a.b', 'a_b', 'a-b', '__consumer_offsets'];
      for (const t of names) for (const p of [0, 1]) append(open({}, t, p), batchOf(p + 1));
      const listed = engine.existingLogs().map((l) => `${l.topic}/${l.partition}`).sort();
      assert.deepEqual(listed, names.flatMap((t) => [`${t}/0`, `${t}/1`]).sort());
      assert.equal(open({}, 'a.b', 1).logEndOffset, 2n);
      assert.equal(open({}, 'a_b', 0).logEndOffset, 1n);
      engine.deleteLog('a.b', 1);
      assert.ok(!engine.existingLogs().some((l) => l.topic === 'a.b' && l.partition === 1));
      const fresh = open({}, 'a.b', 1);
      assert.equal(fresh.logEndOffset, 0n);
      assert.equal(open({}, 'a.b', 0).logEndOffset, 1n);
    });

    it('rejects use after close', () => {
      const log = open();
      append(log, batchOf(1));
      log.close();
      assert.throws(() => append(log, batchOf(1)), LogClosedError);
      assert.throws(() => log.read(0n, 10, { minOneBatch: true }), LogClosedError);
      const again = open();
      assert.equal(again.logEndOffset, 1n);
    });
  });
}
