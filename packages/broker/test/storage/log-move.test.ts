// The file engine's part of AlterReplicaLogDirs: future logs, the swap, and what startup does
// with a future log left by a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorageEngine, type FileLog } from '../../src/storage/file-engine.js';
import { MovableLog } from '../../src/storage/movable-log.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { T0, batchOf, defaultLogConfig } from './conformance.js';
import { sizedBatch } from './batch-builder.js';
import { LogDirMover } from '../../src/cluster/log-dir-mover.js';
import type { Partition } from '../../src/cluster/partition.js';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { createLogger } from '../../src/util/log.js';

const config = defaultLogConfig({ segmentBytes: 4096 });

function fill(log: PartitionLog, batches: number): void {
  for (let i = 0; i < batches; i++) log.append(batchOf(5, T0 + i, `r${i}`), { leaderEpoch: 0, nowMs: T0 });
}

function copyAll(from: PartitionLog, to: FileLog): void {
  while (to.logEndOffset < from.logEndOffset) {
    const { records } = from.read(to.logEndOffset, 64 * 1024, { minOneBatch: true });
    to.append(records, { leaderEpoch: 0, nowMs: T0, origin: 'replication' });
  }
}

/** Every batch of the log as bytes, from its start. */
function contents(log: PartitionLog): Buffer {
  return log.read(log.logStartOffset, 64 * 1024 * 1024, { minOneBatch: true, maxOffset: log.logEndOffset }).records;
}

function dirs(): { root: string; d1: string; d2: string } {
  const root = mkdtempSync(join(tmpdir(), 'samsa-log-move-'));
  return { root, d1: join(root, 'd1'), d2: join(root, 'd2') };
}

test('completeMove swaps a caught-up future log in: same bytes and offsets in the new dir, observers follow, old dir deleted', async () => {
  const { root, d1, d2 } = dirs();
  const engine = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
  try {
    const log = new MovableLog(engine.openLog('t', 0, config));
    assert.equal(engine.logDirOf('t', 0), d1);
    const moved: Array<string | null> = [];
    log.addObserver({ onDirChange: (dir) => moved.push(dir) });
    fill(log, 40);
    const expected = Buffer.from(contents(log));
    const future = engine.openFutureLog('t', 0, d2, config, log.logStartOffset);
    assert.match(future.dir, /\/d2\/t-0\.[0-9a-f]{32}-future$/);
    copyAll(log, future);
    await future.whenWritten();
    engine.completeMove(log.current as FileLog, future, d2, config, (next) => log.swap(next));
    assert.deepEqual(moved, [join(d2, 't-0')]);
    assert.equal(log.dir, join(d2, 't-0'));
    assert.equal(engine.logDirOf('t', 0), d2);
    assert.ok(contents(log).equals(expected));
    fill(log, 1); // appends go to the new log
    assert.equal(log.logEndOffset, 205n);
    assert.ok(existsSync(join(d2, 't-0')) && !readdirSync(d2).some((n) => n.endsWith('-future')));
    for (let i = 0; i < 100 && readdirSync(d1).some((n) => n.startsWith('t-0')); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(readdirSync(d1).filter((n) => n.startsWith('t-0')), []);
    engine.close();
    // After a clean restart the log is found in its new dir.
    const again = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    const reopened = again.openLog('t', 0, config);
    assert.equal(reopened.dir, join(d2, 't-0'));
    assert.equal(reopened.logEndOffset, 205n);
    again.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('startup after a crash between the swap\'s renames promotes the future log; with the current log present the future one waits to be resumed', () => {
  const { root, d1, d2 } = dirs();
  try {
    const engine = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    const log = engine.openLog('t', 0, config);
    fill(log, 30);
    const expected = Buffer.from(contents(log));
    const future = engine.openFutureLog('t', 0, d2, config, log.logStartOffset);
    copyAll(log, future);
    future.close();
    // The crash: no clean shutdown, the current dir was already renamed for deletion.
    renameSync(join(d1, 't-0'), join(d1, 't-0.0123456789abcdef0123456789abcdef-delete'));
    const after = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    assert.deepEqual(after.existingLogs(), [{ topic: 't', partition: 0 }]);
    assert.equal(after.takeFutureLogDir('t', 0), undefined);
    const promoted = after.openLog('t', 0, config);
    assert.equal(promoted.dir, join(d2, 't-0'));
    assert.ok(contents(promoted).equals(expected));
    // The replaced log's -delete directory goes once the broker purges deleted logs at startup.
    assert.equal(after.purgeDeletedLogs(), true);
    assert.deepEqual(readdirSync(d1).filter((n) => n.startsWith('t-0')), []);
    after.close();

    // A future log beside its current log (crash mid-copy): kept for the move to resume.
    const third = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    const current = third.openLog('t', 0, config);
    const partial = third.openFutureLog('t', 0, d1, config, current.logStartOffset);
    partial.append(current.read(0n, 100, { minOneBatch: true }).records, { leaderEpoch: 0, nowMs: T0, origin: 'replication' });
    partial.close();
    const fourth = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    const found = fourth.takeFutureLogDir('t', 0);
    assert.equal(found?.logDir, d1);
    assert.equal(fourth.openLog('t', 0, config).dir, join(d2, 't-0'));
    const resumed = fourth.openFutureLog('t', 0, d1, config, 0n, found);
    assert.equal(resumed.logEndOffset, 5n, 'the copy resumes where it stopped');
    fourth.deleteFutureLog(resumed);
    assert.ok(!existsSync(found!.path));
    fourth.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a preferred log dir set before the partition exists places its log there', () => {
  const { root, d1, d2 } = dirs();
  try {
    const engine = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
    engine.setPreferredLogDir('later', 0, d2);
    assert.equal(engine.openLog('later', 0, config).dir, join(d2, 'later-0'));
    assert.equal(engine.findLogDir(`${d2}/`), d2);
    assert.equal(engine.findLogDir(join(root, 'd3')), undefined);
    engine.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a move copies what the current log holds even when it is truncated and rewritten meanwhile (a follower\'s divergent tail)', async () => {
  const { root, d1, d2 } = dirs();
  const engine = new FileStorageEngine({ logDirs: [d1, d2], checkpointIntervalMs: 0 });
  try {
    const log = new MovableLog(engine.openLog('t', 0, config));
    for (let i = 0; i < 200; i++) log.append(sizedBatch(5, 4000, T0 + i), { leaderEpoch: 0, nowMs: T0 }); // 1000 records, ~800 KB
    const lines: string[] = [];
    const mover = new LogDirMover(engine, new BrokerConfig({ 'replica.alter.log.dirs.io.max.bytes.per.second': String(1024 * 1024) }), createLogger('test', { sink: (l) => lines.push(l) }));
    const partition = { topic: 't', partition: 0, log } as unknown as Partition;
    assert.equal(mover.alter('t', 0, d2, partition, true, () => config), 0);
    // The copy is under way (50 KB steps at 1 MB/s): cut the current log below the copy and write other records.
    for (let i = 0; i < 400 && (mover.future('t', 0)?.sizeBytes ?? 0) < 100_000; i++) await new Promise((r) => setTimeout(r, 2));
    const copied = mover.future('t', 0)!;
    assert.ok(copied.sizeBytes >= 100_000 && copied.offsetLag > 0n, `${copied.sizeBytes} bytes copied, lag ${copied.offsetLag}`);
    log.truncateTo(50n);
    // Past where the copy was: only the truncation itself tells the future log its tail is gone.
    for (let i = 0; i < 40; i++) log.append(batchOf(5, T0 + 1000 + i, `new${i}`), { leaderEpoch: 1, nowMs: T0 });
    const expected = Buffer.from(contents(log));
    for (let i = 0; i < 400 && mover.future('t', 0) !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(mover.future('t', 0), undefined, lines.join('\n'));
    assert.equal(log.dir, join(d2, 't-0'));
    assert.ok(contents(log).equals(expected), 'the moved log holds the rewritten records, not the cut ones');
  } finally {
    engine.close();
    rmSync(root, { recursive: true, force: true });
  }
});
