import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTR_DELETE_HORIZON, batchAttributes, decodeRecordBatches } from '@samsa/protocol/records';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { MemoryStorageEngine } from '../../src/storage/memory-engine.js';
import { CLEANER_OFFSET_CHECKPOINT, LogCleaner, type CleanableLog } from '../../src/storage/log-cleaner.js';
import type { LogConfig, PartitionLog, StorageEngine } from '../../src/storage/partition-log.js';
import { splitBatches } from '../../src/storage/cleaner.js';
import { FakeClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';
import { defaultLogConfig } from './conformance.js';
import { buildLog, readLog, type Put } from './cleaner-helpers.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const quiet = createLogger('test', { level: 'ERROR' });

interface Harness {
  name: string;
  create(now: () => number): { engine: StorageEngine; dir: string | null };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const harnesses: Harness[] = [
  { name: 'memory', create: (now) => ({ engine: new MemoryStorageEngine({ now }), dir: null }) },
  {
    name: 'file',
    create: (now) => {
      const dir = mkdtempSync(join(tmpdir(), 'samsa-cleaner-'));
      dirs.push(dir);
      return { engine: new FileStorageEngine({ logDirs: [dir], now, checkpointIntervalMs: 0 }), dir };
    },
  },
];

function compactConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return defaultLogConfig({ cleanupPolicy: 'compact', segmentBytes: 600, minCleanableDirtyRatio: 0.01, deleteRetentionMs: DAY, ...overrides });
}

/** Appends one batch per put (`key=value`, `key=` for a tombstone) at the given timestamp. */
function appendPuts(log: PartitionLog, spec: string, ts: number): void {
  const puts: Put[] = spec.split(' ').filter((s) => s !== '').map((s) => {
    const [k, v] = s.split('=') as [string, string];
    return { key: k, value: v === '' ? null : v, timestamp: BigInt(ts) };
  });
  for (const b of buildLog(puts.map((p) => [p]))) log.append(b, { leaderEpoch: 0, nowMs: ts });
}

function readAll(log: PartitionLog): ReturnType<typeof readLog> {
  const { records } = log.read(log.logStartOffset, 1 << 24, { minOneBatch: true });
  return readLog([...splitBatches(records)]);
}

function newCleaner(clock: FakeClock, logs: CleanableLog[], extra: Partial<ConstructorParameters<typeof LogCleaner>[0]> = {}): LogCleaner {
  return new LogCleaner({
    clock, logs: () => logs, logger: quiet, backoffMs: 15_000, dedupeBufferSize: 1 << 20, ioBufferSize: 4096, ...extra,
  });
}

for (const h of harnesses) {
  describe(`log cleaner (${h.name} engine)`, () => {
    it('keeps the latest value per key below the active segment, offsets preserved, and checkpoints progress', async () => {
      const clock = new FakeClock(T0);
      const { engine, dir } = h.create(() => clock.now());
      const config = compactConfig();
      const log = engine.openLog('kv', 0, config);
      for (let i = 0; i < 60; i++) appendPuts(log, `k${i % 4}=v${i}`, T0 + i);
      const segmentsBefore = log.segments().length;
      const sizeBefore = log.sizeBytes;
      assert.ok(segmentsBefore > 5, `tiny segments: ${segmentsBefore}`);
      const activeBase = log.segments().at(-1)!.baseOffset;
      const cleaner = newCleaner(clock, [{ log, config }]);
      const done = await cleaner.cleanAll();
      assert.equal(done.length, 1);
      assert.equal(done[0]!.cleanedUpTo, activeBase);
      assert.equal(cleaner.checkpointOf(log), activeBase);

      const records = readAll(log);
      const below = records.filter((r) => r.offset < activeBase);
      // Below the active segment: one record per key, its latest value there.
      assert.equal(new Set(below.map((r) => r.key)).size, below.length);
      for (const r of below) {
        const n = Number(r.value!.slice(1));
        assert.equal(r.offset, BigInt(n), 'offsets are preserved');
        assert.ok(n + 4 >= Number(activeBase), `${r.key}=${r.value} is superseded below the active segment`);
      }
      // The active segment is untouched.
      const active = records.filter((r) => r.offset >= activeBase);
      assert.deepEqual(active.map((r) => r.offset), Array.from({ length: 60 - Number(activeBase) }, (_, i) => activeBase + BigInt(i)));
      assert.equal(log.logEndOffset, 60n);
      assert.ok(log.sizeBytes < sizeBefore / 2, `${log.sizeBytes} bytes left of ${sizeBefore}`);
      assert.ok(cleaner.stats.steps > 0 && cleaner.stats.maxStepMs > 0);

      if (dir !== null) {
        const text = readFileSync(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8');
        assert.equal(text, `0\n1\nkv 0 ${activeBase}\n`);
      }
      // Nothing dirty any more: no second cleaning.
      assert.equal(await cleaner.cleanFilthiest(), null);
      // The next cleaning groups the now small segments into fewer (Kafka's groupSegmentsBySize).
      for (let i = 60; i < 70; i++) appendPuts(log, `k${i % 4}=v${i}`, T0 + i);
      assert.ok((await cleaner.cleanFilthiest()) !== null);
      assert.ok(log.segments().length < segmentsBefore / 2, `${log.segments().length} segments of ${segmentsBefore}`);
      assert.deepEqual(readAll(log).filter((r) => r.offset < log.segments().at(-1)!.baseOffset).map((r) => r.key).sort(), ['k0', 'k1', 'k2', 'k3']);
      engine.close();
    });

    it('tombstones survive delete.retention.ms, then the next cleaning removes them', async () => {
      const clock = new FakeClock(T0);
      const { engine } = h.create(() => clock.now());
      const config = compactConfig({ deleteRetentionMs: 60_000 });
      const log = engine.openLog('kv', 0, config);
      appendPuts(log, 'a=1 b=1 c=1 a=2 b= c=2 a=3', T0);
      for (let i = 0; i < 20; i++) appendPuts(log, `x=${i}`, T0); // pushes the tombstone out of the active segment
      const cleaner = newCleaner(clock, [{ log, config }]);
      await cleaner.cleanAll();
      let recs = readAll(log);
      const tomb = recs.find((r) => r.key === 'b');
      assert.ok(tomb !== undefined && tomb.value === null, 'the tombstone stays for delete.retention.ms');
      const { records } = log.read(log.logStartOffset, 1 << 24, { minOneBatch: true });
      const horizonBatches = [...splitBatches(records)].filter((b) => (batchAttributes(b) & ATTR_DELETE_HORIZON) !== 0);
      assert.equal(horizonBatches.length, 1);

      clock.advance(30_000);
      assert.equal(await cleaner.cleanFilthiest(), null, 'before the horizon nothing is due');
      clock.advance(30_001);
      const r = await cleaner.cleanFilthiest();
      assert.ok(r !== null && r.forced, 'a passed delete horizon forces a cleaning');
      recs = readAll(log);
      assert.equal(recs.find((x) => x.key === 'b'), undefined, 'the tombstone is gone');
      assert.deepEqual(recs.filter((x) => x.key === 'a').map((x) => x.value), ['3']);
      assert.equal(await cleaner.cleanFilthiest(), null, 'no endless forced cleanings');
      engine.close();
    });

    it('picks the filthiest log first and leaves logs below min.cleanable.dirty.ratio alone', async () => {
      const clock = new FakeClock(T0);
      const { engine } = h.create(() => clock.now());
      const loose = compactConfig();
      const strict = compactConfig({ minCleanableDirtyRatio: 0.5 });
      const deleteOnly = defaultLogConfig({ segmentBytes: 600 });
      const a = engine.openLog('a', 0, loose);
      const b = engine.openLog('b', 0, loose);
      const c = engine.openLog('c', 0, strict);
      const d = engine.openLog('d', 0, deleteOnly);
      for (let i = 0; i < 40; i++) {
        appendPuts(a, `k${i % 2}=${i}`, T0);
        appendPuts(b, `k${i}=${i}`, T0);
        appendPuts(c, `k${i}=${i}`, T0);
        appendPuts(d, `k${i % 2}=${i}`, T0);
      }
      const cleaner = newCleaner(clock, [
        { log: a, config: loose }, { log: b, config: loose }, { log: c, config: strict }, { log: d, config: deleteOnly },
      ]);
      const all = await cleaner.cleanAll();
      assert.deepEqual(new Set(all.map((x) => x.topic)), new Set(['a', 'b', 'c']));
      assert.equal(cleaner.checkpointOf(d), undefined, 'cleanup.policy=delete is never compacted');

      // New dirt: a is almost all dirty, b a little (over 0.01), c a little (under its 0.5).
      for (let i = 0; i < 40; i++) appendPuts(a, `k${i % 2}=again${i}`, T0);
      for (let i = 0; i < 16; i++) {
        appendPuts(b, `k${i}=again${i}`, T0);
        appendPuts(c, `k${i}=again${i}`, T0);
      }
      const first = await cleaner.cleanFilthiest();
      const second = await cleaner.cleanFilthiest();
      assert.equal(first?.topic, 'a');
      assert.equal(second?.topic, 'b');
      assert.ok(first.dirtyRatio > second.dirtyRatio);
      assert.equal(await cleaner.cleanFilthiest(), null, 'c stays below its min.cleanable.dirty.ratio');
      engine.close();
    });

    it('appends go on between steps; a log changed under the cleaner aborts the round, the next one succeeds', async () => {
      const clock = new FakeClock(T0);
      const { engine } = h.create(() => clock.now());
      const config = compactConfig({ cleanupPolicy: 'compact,delete', retentionMs: 1000 });
      const log = engine.openLog('kv', 0, config);
      for (let i = 0; i < 80; i++) appendPuts(log, `k${i % 5}=v${i}`, T0 + i);
      let stepsSeen = 0;
      let appendedDuring = 0;
      let retentionDone = false;
      // A scheduler that runs other work between cleaner steps (as the event loop would).
      const schedule = (fn: () => void): void => {
        setImmediate(() => {
          stepsSeen++;
          if (stepsSeen % 3 === 0 && appendedDuring < 10) {
            appendPuts(log, `k9=during${appendedDuring++}`, T0 + 1000);
          }
          if (stepsSeen === 8 && !retentionDone) {
            retentionDone = true;
            clock.advance(10_000);
            log.applyRetention(clock.now()); // deletes segments the cleaner is working on
          }
          fn();
        });
      };
      const cleaner = newCleaner(clock, [{ log, config }], { schedule, batchesPerStep: 2, maxGroupBytes: 1200 });
      const first = await cleaner.cleanFilthiest();
      assert.equal(first, null, 'the first round was aborted');
      assert.equal(cleaner.stats.aborted, 1);
      assert.ok(appendedDuring > 0);
      for (let i = 0; i < 30; i++) appendPuts(log, `k${i % 3}=w${i}`, clock.now());
      const second = await cleaner.cleanAll();
      assert.ok(second.length >= 1);
      const recs = readAll(log);
      const activeBase = log.segments().at(-1)!.baseOffset;
      const keys = recs.filter((r) => r.offset < activeBase).map((r) => r.key);
      assert.equal(new Set(keys).size, keys.length, 'one record per key below the active segment');
      assert.equal(log.logEndOffset, BigInt(80 + appendedDuring + 30));
      engine.close();
    });

    it('stop() drops a cleaning in progress and leaves the log readable', async () => {
      const clock = new FakeClock(T0);
      const { engine } = h.create(() => clock.now());
      const config = compactConfig();
      const log = engine.openLog('kv', 0, config);
      for (let i = 0; i < 60; i++) appendPuts(log, `k${i % 4}=v${i}`, T0);
      const cleaner = newCleaner(clock, [{ log, config }], { batchesPerStep: 1 });
      const p = cleaner.cleanFilthiest();
      await new Promise((r) => setImmediate(r));
      await cleaner.stop();
      assert.equal(await p, null);
      assert.equal(readAll(log).length, 60);
      engine.close();
    });
  });
}

describe('log cleaner checkpoint file', () => {
  it('is read back at startup in Kafka format and entries of logs no longer hosted are dropped', async () => {
    const clock = new FakeClock(T0);
    const dir = mkdtempSync(join(tmpdir(), 'samsa-cleaner-'));
    dirs.push(dir);
    let engine = new FileStorageEngine({ logDirs: [dir], now: () => clock.now(), checkpointIntervalMs: 0 });
    const config = compactConfig();
    let a = engine.openLog('a', 0, config);
    const b = engine.openLog('b', 3, config);
    for (let i = 0; i < 40; i++) {
      appendPuts(a, `k${i % 3}=${i}`, T0);
      appendPuts(b, `k${i % 3}=${i}`, T0);
    }
    let cleaner = newCleaner(clock, [{ log: a, config }, { log: b, config }]);
    await cleaner.cleanAll();
    const text = readFileSync(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8').split('\n');
    assert.equal(text[0], '0');
    assert.equal(text[1], '2');
    const cpA = cleaner.checkpointOf(a)!;
    assert.ok(text.includes(`a 0 ${cpA}`) && text.includes(`b 3 ${cleaner.checkpointOf(b)}`));
    engine.close();

    // Restart: only a is hosted now.
    engine = new FileStorageEngine({ logDirs: [dir], now: () => clock.now(), checkpointIntervalMs: 0 });
    a = engine.openLog('a', 0, config);
    cleaner = newCleaner(clock, [{ log: a, config }]);
    cleaner.loadCheckpoints([dir]);
    assert.equal(cleaner.checkpointOf(a), cpA);
    assert.equal(await cleaner.cleanFilthiest(), null, 'already clean after the restart');
    assert.equal(readFileSync(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8'), `0\n1\na 0 ${cpA}\n`);
    assert.ok(existsSync(join(dir, 'a-0')));
    const values = decodeRecordBatches(a.read(0n, 1 << 20, { minOneBatch: true }).records).flatMap((x) => x.records.map((r) => r.value!.toString()));
    assert.ok(values.includes('39'));
    engine.close();
  });
});
