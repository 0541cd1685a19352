import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from './conformance.js';
import { FileStorageEngine } from '../../src/storage/file-engine.js';

let dirs: string[] = [];
runConformance({
  name: 'file',
  create: (now) => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-file-engine-'));
    dirs.push(dir);
    return new FileStorageEngine({ logDirs: [dir], now, checkpointIntervalMs: 0 });
  },
  cleanup: () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  },
});

// ---- file-engine-only behaviour ----------------------------------------------------------

import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync, readlinkSync } from 'node:fs';
import { FileLog } from '../../src/storage/file-engine.js';
import { T0, batchOf, defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';
import type { LogConfig } from '../../src/storage/partition-log.js';

const pad = (n: number) => String(n).padStart(20, '0');

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function readOffsetIndex(path: string): Array<[number, number]> {
  const b = readFileSync(path);
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 8 <= b.length; i += 8) out.push([b.readInt32BE(i), b.readInt32BE(i + 4)]);
  return out;
}

function readTimeIndex(path: string): Array<[number, number]> {
  const b = readFileSync(path);
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 12 <= b.length; i += 12) out.push([Number(b.readBigInt64BE(i)), b.readInt32BE(i + 8)]);
  return out;
}

describe('file engine on disk', () => {
  let root: string;
  let clock = T0;
  const now = () => clock;
  const engines: FileStorageEngine[] = [];
  const newEngine = (logDirs = [join(root, 'data')]) => {
    const e = new FileStorageEngine({ logDirs, now, checkpointIntervalMs: 0 });
    engines.push(e);
    return e;
  };
  /** Drops an engine without a clean shutdown: fds released, no flush, no marker, no checkpoint. */
  const crash = (engine: FileStorageEngine, ...logs: FileLog[]) => {
    for (const l of logs) l.closeForDelete();
    engines.splice(engines.indexOf(engine), 1);
  };
  const cfg = (o: Partial<LogConfig> = {}) => defaultLogConfig(o);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'samsa-file-disk-'));
    clock = T0;
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) e.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("lays out segments and indexes exactly as Kafka names and writes them", () => {
    const engine = newEngine();
    const log = engine.openLog('my.topic_x', 3, cfg({ segmentBytes: 1200, indexIntervalBytes: 100 })) as FileLog;
    const batches: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const b = sizedBatch(2, 150, T0 + i);
      log.append(b, { leaderEpoch: 0, nowMs: T0 });
      batches.push(b);
    }
    log.flush();
    const dir = join(root, 'data', 'my.topic_x-3');
    assert.equal(log.dir, dir);
    const segs = log.segments();
    assert.ok(segs.length >= 2);
    const files = readdirSync(dir).sort();
    const expected = segs.flatMap((s) => ['.index', '.log', '.timeindex'].map((x) => pad(Number(s.baseOffset)) + x)).sort();
    assert.deepEqual(files, expected);
    // Offset index of the first segment: (last offset - base, batch position) every > 100 bytes.
    const size = batches[0]!.length;
    const perSeg = Math.floor(1200 / size);
    const idx = readOffsetIndex(join(dir, pad(0) + '.index'));
    const expectIdx: Array<[number, number]> = [];
    for (let i = 1; i < perSeg; i++) expectIdx.push([2 * i + 1, i * size]);
    assert.deepEqual(idx, expectIdx);
    // Time index: (max timestamp so far, its batch's last offset), plus the closing entry.
    const tidx = readTimeIndex(join(dir, pad(0) + '.timeindex'));
    assert.deepEqual(tidx, expectIdx.map(([rel], i) => [T0 + i + 1, rel]));
    assert.equal(statSync(join(dir, pad(0) + '.log')).size, perSeg * size);
    assert.equal(Number(segs[1]!.baseOffset), 2 * perSeg);
  });

  it('reopens after a clean shutdown without recovery, with checkpoints and the marker', () => {
    let engine = newEngine();
    const log = engine.openLog('t', 0, cfg({ segmentBytes: 1000 }));
    for (let i = 0; i < 20; i++) log.append(batchOf(3, T0 + i), { leaderEpoch: 1, nowMs: T0 });
    log.deleteRecordsBefore(10n);
    const before = log.read(10n, 1 << 20, { minOneBatch: true }).records;
    engine.close();
    engines.splice(0);
    const data = join(root, 'data');
    assert.ok(existsSync(join(data, '.kafka_cleanshutdown')));
    assert.equal(readFileSync(join(data, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\nt 0 60\n');
    assert.equal(readFileSync(join(data, 'log-start-offset-checkpoint'), 'utf8'), '0\n1\nt 0 10\n');
    engine = newEngine();
    assert.ok(!existsSync(join(data, '.kafka_cleanshutdown')), 'marker removed at startup');
    assert.deepEqual(engine.existingLogs(), [{ topic: 't', partition: 0 }]);
    const again = engine.openLog('t', 0, cfg({ segmentBytes: 1000 })) as FileLog;
    assert.equal(again.recovery.segments, 0);
    assert.equal(again.logStartOffset, 10n);
    assert.equal(again.logEndOffset, 60n);
    assert.deepEqual(again.read(10n, 1 << 20, { minOneBatch: true }).records, before);
    assert.deepEqual(again.offsetForTimestamp(BigInt(T0 + 7)), { offset: 17n, timestamp: BigInt(T0 + 7), leaderEpoch: 1 });
    assert.deepEqual(again.offsetOfMaxTimestamp(), { offset: 59n, timestamp: BigInt(T0 + 21), leaderEpoch: 1 });
    assert.equal(again.append(batchOf(1), { leaderEpoch: 1, nowMs: T0 }).baseOffset, 60n);
  });

  it('recovers a torn tail after a crash: truncates to the last whole batch, rebuilds indexes, continues', () => {
    const config = cfg({ indexIntervalBytes: 1 });
    let engine = newEngine();
    let log = engine.openLog('t', 0, config) as FileLog;
    const appended: Buffer[] = [];
    for (let i = 0; i < 10; i++) {
      const b = batchOf(2, T0 + i);
      log.append(b, { leaderEpoch: 0, nowMs: T0 });
      appended.push(Buffer.from(b));
    }
    log.flush();
    const dir = log.dir;
    const indexBefore = readOffsetIndex(join(dir, pad(0) + '.index'));
    crash(engine, log);
    // Chop the last batch in half.
    const logFile = join(dir, pad(0) + '.log');
    const full = statSync(logFile).size;
    truncateSync(logFile, full - Math.floor(appended[9]!.length / 2));
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.recovery.segments, 1);
    assert.equal(log.logEndOffset, 18n);
    assert.equal(statSync(logFile).size, full - appended[9]!.length);
    assert.deepEqual(log.read(0n, 1 << 20, { minOneBatch: true }).records, Buffer.concat(appended.slice(0, 9)));
    // The rebuilt index equals the one written by the appends, minus the entry of the lost batch.
    assert.deepEqual(readOffsetIndex(join(dir, pad(0) + '.index')), indexBefore.filter(([rel]) => rel < 18));
    assert.equal(log.append(batchOf(2), { leaderEpoch: 0, nowMs: T0 }).baseOffset, 18n);
    assert.deepEqual(parseBatches(log.read(17n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset), [16, 18]);
  });

  it('recovers from garbage after the last batch and from a corrupt CRC', () => {
    const config = cfg();
    let engine = newEngine();
    let log = engine.openLog('t', 0, config) as FileLog;
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) sizes.push(log.append(batchOf(3, T0 + i), { leaderEpoch: 0, nowMs: T0 }) && batchOf(3, T0 + i).length);
    const dir = log.dir;
    crash(engine, log);
    const logFile = join(dir, pad(0) + '.log');
    const fd = openSync(logFile, 'r+');
    writeSync(fd, Buffer.from('garbage that is not a batch at all, longer than a header.........'), 0, undefined, statSync(logFile).size);
    closeSync(fd);
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.logEndOffset, 18n);
    assert.ok(log.recovery.truncatedBytes > 60);
    crash(engine, log);
    // Flip a byte inside the 4th batch's records: its CRC no longer matches.
    const offset4 = sizes[0]! * 3 + 70;
    const fd2 = openSync(logFile, 'r+');
    const b = Buffer.alloc(1);
    b[0] = 0x5a;
    writeSync(fd2, b, 0, 1, offset4);
    closeSync(fd2);
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.logEndOffset, 9n);
    assert.ok(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).every((x) => x.crcValid));
    assert.equal(log.append(batchOf(1), { leaderEpoch: 0, nowMs: T0 }).baseOffset, 9n);
  });

  it('recovers only from the recovery point; corruption there drops the later segments', async () => {
    const config = cfg({ segmentBytes: 500 });
    let engine = newEngine();
    let log = engine.openLog('t', 0, config) as FileLog;
    for (let i = 0; i < 20; i++) log.append(batchOf(3, T0 + i), { leaderEpoch: 0, nowMs: T0 });
    await log.whenBackgroundFlushed();
    const segs = log.segments();
    assert.ok(segs.length >= 4);
    // Rolled segments were fsynced in the background: the recovery point is the active segment's base.
    assert.equal(BigInt(log.recoveryPoint), segs[segs.length - 1]!.baseOffset);
    engine.checkpoint();
    const dir = log.dir;
    crash(engine, log);
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.recovery.segments, 1, 'only the active segment is recovered');
    assert.equal(log.logEndOffset, 60n);
    crash(engine, log);
    // Without a checkpoint everything is recovered; a corrupt 2nd segment loses everything after it.
    rmSync(join(root, 'data', 'recovery-point-offset-checkpoint'));
    const second = join(dir, pad(Number(segs[1]!.baseOffset)) + '.log');
    const fd = openSync(second, 'r+');
    writeSync(fd, Buffer.from([1, 2, 3, 4]), 0, 4, statSync(second).size - 10);
    closeSync(fd);
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.segments().length, 2);
    assert.ok(log.logEndOffset < segs[2]!.baseOffset);
    assert.ok(!existsSync(join(dir, pad(Number(segs[2]!.baseOffset)) + '.log')));
    assert.equal(log.append(batchOf(1), { leaderEpoch: 0, nowMs: T0 }).baseOffset, log.logEndOffset - 1n);
  });

  it('rebuilds a missing or torn index file', () => {
    const config = cfg({ segmentBytes: 500, indexIntervalBytes: 1 });
    let engine = newEngine();
    let log = engine.openLog('t', 0, config) as FileLog;
    for (let i = 0; i < 12; i++) log.append(batchOf(3, T0 + i), { leaderEpoch: 0, nowMs: T0 });
    const dir = log.dir;
    engine.close();
    engines.splice(0);
    const idx0 = join(dir, pad(0) + '.index');
    const good = readFileSync(idx0);
    assert.ok(good.length > 0);
    truncateSync(idx0, good.length - 3);
    engine = newEngine();
    log = engine.openLog('t', 0, config) as FileLog;
    assert.equal(log.recovery.segments, 1);
    assert.deepEqual(readFileSync(idx0), good);
    assert.equal(log.logEndOffset, 36n);
    assert.equal(parseBatches(log.read(4n, 1, { minOneBatch: true }).records)[0]!.baseOffset, 3);
  });

  it('deletes segment files on retention and DeleteRecords, and whole directories on topic deletion', () => {
    const engine = newEngine();
    const log = engine.openLog('del.me_now', 0, cfg({ segmentBytes: 200, retentionMs: 60_000 }));
    for (let i = 0; i < 10; i++) log.append(batchOf(3, T0 + i * 1000), { leaderEpoch: 0, nowMs: T0 });
    const dir = join(root, 'data', 'del.me_now-0');
    const segs = log.segments();
    log.applyRetention(Number(segs[1]!.maxTimestamp) + 60_001);
    assert.ok(!existsSync(join(dir, pad(0) + '.log')));
    assert.ok(!existsSync(join(dir, pad(Number(segs[1]!.baseOffset)) + '.index')));
    assert.ok(existsSync(join(dir, pad(Number(segs[2]!.baseOffset)) + '.log')));
    log.deleteRecordsBefore(segs[4]!.baseOffset);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.log')).sort(), segs.slice(4).map((s) => pad(Number(s.baseOffset)) + '.log'));
    // A stale -delete directory from an interrupted deletion is removed at startup, once the broker
    // has finished the deletion in its metadata (purgeDeletedLogs).
    mkdirSync(join(root, 'data', 'old-0.abc-delete'));
    writeFileSync(join(root, 'data', 'old-0.abc-delete', 'x.log'), 'x');
    engine.deleteLog('del.me_now', 0);
    assert.ok(!existsSync(dir));
    assert.deepEqual(readdirSync(join(root, 'data')).filter((f) => f.includes('del.me_now')), []);
    assert.deepEqual(engine.existingLogs(), []);
    engine.close();
    engines.splice(0);
    const restarted = newEngine();
    assert.ok(existsSync(join(root, 'data', 'old-0.abc-delete')));
    assert.equal(restarted.purgeDeletedLogs(), true);
    assert.ok(!existsSync(join(root, 'data', 'old-0.abc-delete')));
  });

  it('flushes by flush.messages (one fsync per write round) and spreads partitions over log dirs', async () => {
    const dirs = [join(root, 'a'), join(root, 'b')];
    const engine = newEngine(dirs);
    const logs = [0, 1, 2, 3].map((p) => engine.openLog('spread', p, cfg({ flushMessages: 5 })) as FileLog);
    assert.deepEqual(logs.map((l) => l.dir.startsWith(dirs[0]!) ? 'a' : 'b').sort(), ['a', 'a', 'b', 'b']);
    const l = logs[0]!;
    l.append(batchOf(3), { leaderEpoch: 0, nowMs: T0 });
    assert.equal(l.recoveryPoint, 0);
    l.append(batchOf(3), { leaderEpoch: 0, nowMs: T0 });
    assert.ok(engine.durabilityBarrier() instanceof Promise, 'the barrier waits for the fsync');
    await engine.whenWritesDone();
    assert.equal(l.recoveryPoint, 6);
  });

  it('flushes by flush.ms with the injected clock, and checkpoints periodically', async () => {
    const engine = new FileStorageEngine({ logDirs: [join(root, 'data')], now, checkpointIntervalMs: 20 });
    engines.push(engine);
    const log = engine.openLog('timed', 0, cfg({ flushMs: 1000 })) as FileLog;
    log.append(batchOf(2), { leaderEpoch: 0, nowMs: T0 + 999 });
    assert.equal(log.recoveryPoint, 0);
    log.append(batchOf(2), { leaderEpoch: 0, nowMs: T0 + 1000 });
    await engine.whenWritesDone();
    assert.equal(log.recoveryPoint, 4);
    log.append(batchOf(2), { leaderEpoch: 0, nowMs: T0 + 1000 });
    await engine.whenWritesDone();
    assert.equal(log.recoveryPoint, 4);
    // The periodic task flushes once flush.ms has passed on the injected clock, then checkpoints.
    clock = T0 + 5000;
    const deadline = Date.now() + 2000;
    const file = join(root, 'data', 'recovery-point-offset-checkpoint');
    while (Date.now() < deadline && !(existsSync(file) && readFileSync(file, 'utf8').includes('timed 0 6'))) await new Promise((r) => setTimeout(r, 10));
    assert.equal(readFileSync(file, 'utf8'), '0\n1\ntimed 0 6\n');
    assert.equal(log.recoveryPoint, 6);
    assert.equal(readFileSync(join(root, 'data', 'log-start-offset-checkpoint'), 'utf8'), '0\n1\ntimed 0 0\n');
  });

  it('completes a segment replacement interrupted after the .swap was written, discards a .cleaned', () => {
    const config = cfg({ segmentBytes: 200 });
    let engine = newEngine();
    let log = engine.openLog('compacted', 0, config) as FileLog;
    for (let i = 0; i < 10; i++) log.append(batchOf(3, T0 + i), { leaderEpoch: 0, nowMs: T0 });
    const all = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records);
    const segs = log.segments().map((s) => Number(s.baseOffset));
    assert.deepEqual(segs.slice(0, 3), [0, 6, 12]);
    const dir = log.dir;
    engine.close();
    engines.splice(0);
    // a finished cleaning of segments 0 and 6 (crash before the old segments were deleted) ...
    writeFileSync(join(dir, pad(0) + '.log.swap'), Buffer.concat([all[1]!.bytes, all[3]!.bytes]));
    // ... and an unfinished one of segment 12 (crash while writing .cleaned)
    writeFileSync(join(dir, pad(12) + '.log.cleaned'), all[4]!.bytes.subarray(0, 20));
    engine = newEngine();
    log = engine.openLog('compacted', 0, config) as FileLog;
    assert.deepEqual(log.segments().map((s) => Number(s.baseOffset)), [0, ...segs.slice(2)]);
    assert.deepEqual(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset), [3, 9, 12, 15, 18, 21, 24, 27]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.swap') || f.includes('.cleaned') || f.startsWith(pad(6))), []);
    assert.ok(existsSync(join(dir, pad(0) + '.index')));
    // and through the API, the files follow
    log.replaceSegments([12n], [Buffer.from(all[5]!.bytes)]);
    assert.equal(statSync(join(dir, pad(12) + '.log')).size, all[5]!.size);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.swap') || f.includes('.cleaned') || f.includes('.deleted')), []);
  });

  it('refuses topic names that would escape the log dir', () => {
    const engine = newEngine();
    for (const bad of ['../evil', 'a/b', '..', '']) assert.throws(() => engine.openLog(bad, 0, cfg()), /illegal topic name/);
  });

  it('closes every file descriptor', async () => {
    const before = openFds();
    const engine = newEngine();
    const log = engine.openLog('fds', 0, cfg({ segmentBytes: 300 })) as FileLog;
    for (let i = 0; i < 30; i++) log.append(batchOf(2, T0 + i), { leaderEpoch: 0, nowMs: T0 });
    log.read(0n, 1 << 20, { minOneBatch: true });
    log.offsetForTimestamp(BigInt(T0 + 3));
    assert.ok(openFds() > before);
    await log.whenBackgroundFlushed();
    engine.close();
    engines.splice(0);
    const leaked = readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    }).filter((p) => p.startsWith(root));
    assert.deepEqual(leaked, []);
    assert.ok(openFds() <= before + 1);
  });
});
