// Issue 9 item 3: a fetch of data that may not be in the page cache (older than this process,
// not read lately) reads it on the thread pool before the synchronous read, so the event loop
// never waits for the disk; data appended by this process is read at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';

test('prepareRead: data from before the restart is warmed off the event loop once; appended data needs no warming', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cold-'));
  try {
    const config = defaultLogConfig({ segmentBytes: 64 * 1024 });
    let engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
    let log = engine.openLog('t', 0, config);
    for (let i = 0; i < 40; i++) log.append(sizedBatch(4, 4000), { leaderEpoch: 0, nowMs: Date.now() });
    assert.equal((await log.prepareRead!(0n, 1 << 20, true))?.bytes ?? 0, 0, 'written by this process: in the page cache');
    engine.close();

    engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
    log = engine.openLog('t', 0, config);
    const warming = log.prepareRead!(0n, 32 * 1024, true);
    assert.ok(warming instanceof Promise, 'older than this process: read on the thread pool first');
    const prepared = await warming;
    assert.equal(log.prepareRead!(0n, 32 * 1024, true), null, 'in memory');
    const read = log.read(0n, 32 * 1024, { minOneBatch: true });
    assert.equal(parseBatches(read.records)[0]!.baseOffset, 0);
    prepared.release();
    assert.ok(log.prepareRead!(0n, 32 * 1024, true) instanceof Promise, 'released: cold again');
    assert.ok(log.prepareRead!(100n, 32 * 1024, true) instanceof Promise, 'another cold range');
    // Appends roll into segments this process created: hot.
    let last = 0n;
    for (let i = 0; i < 6; i++) last = log.append(sizedBatch(4, 16000), { leaderEpoch: 0, nowMs: Date.now() }).baseOffset;
    assert.equal(log.prepareRead!(last, 1 << 20, true), null, 'the new appends are hot');
    assert.equal(log.prepareRead!(log.logEndOffset, 1 << 20, true), null, 'nothing to read at the log end');
    engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
