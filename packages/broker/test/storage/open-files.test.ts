// Segment descriptors are opened lazily and the idle ones closed beyond the engine's bound
// (issue 13 item 3); running out of descriptors fails the one operation with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLog, FileStorageEngine } from '../../src/storage/file-engine.js';
import { StorageIoError } from '../../src/storage/errors.js';
import { OpenFiles, defaultOpenFileCapacity, processOpenFileLimit } from '../../src/storage/open-files.js';
import { defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

test('60 partitions of 3 segments each with 8 open files at most: written, read, reopened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-open-files-'));
  try {
    const before = openDescriptors();
    const config = defaultLogConfig({ segmentBytes: 4096 });
    let engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0, maxOpenFiles: 8 });
    for (let round = 0; round < 3; round++) {
      // Files with appends waiting to be written stay open; once written, the bound holds again.
      for (let p = 0; p < 60; p++) engine.openLog('t', p, config).append(sizedBatch(2, 3000), { leaderEpoch: 0, nowMs: Date.now() });
      await engine.whenWritesDone();
      assert.ok(engine.stager.openFiles.size <= 8, `open: ${engine.stager.openFiles.size}`);
    }
    for (let p = 0; p < 60; p++) await (engine.openLog('t', p, config) as FileLog).whenBackgroundFlushed();
    assert.ok(openDescriptors() - before <= 8 + 2, `descriptors: ${openDescriptors() - before} more than before: ${readdirSync('/proc/self/fd').map((f) => { try { return readlinkSync(`/proc/self/fd/${f}`); } catch { return '?'; } }).filter((l) => l.includes(dir)).slice(0, 5).join(', ')}`);
    for (let p = 0; p < 60; p++) {
      const log = engine.openLog('t', p, config);
      assert.equal(log.segments().length, 3);
      assert.deepEqual(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).map((b) => b.baseOffset), [0, 2, 4]);
    }
    assert.ok(engine.stager.openFiles.size <= 8);
    assert.ok(engine.stager.openFiles.evicted > 100, `closed idle: ${engine.stager.openFiles.evicted}`);
    engine.close();
    engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0, maxOpenFiles: 8 });
    for (let p = 0; p < 60; p++) assert.equal(engine.openLog('t', p, config).logEndOffset, 6n);
    assert.ok(engine.stager.openFiles.size <= 8);
    engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('EMFILE: idle files are closed and the open retried; when that is not enough the operation fails with a clear StorageIoError', () => {
  const files = new OpenFiles(100);
  let idleClosed = 0;
  const idle = { closeIfIdle: () => (idleClosed++, true) };
  const busy = { closeIfIdle: () => false };
  files.open(idle, '/a', () => 3);
  files.open(busy, '/b', () => 4);
  const emfile = (): never => {
    throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
  };
  let attempts = 0;
  assert.equal(files.open({ closeIfIdle: () => true }, '/c', () => (++attempts === 1 ? emfile() : 5)), 5);
  assert.equal(idleClosed, 1, 'the idle file was closed to make room');
  assert.throws(() => files.open({ closeIfIdle: () => true }, '/d', emfile), (e: unknown) => e instanceof StorageIoError && /^Too many open files: cannot open \/d \(EMFILE;/.test(e.message));
  assert.throws(() => files.open({ closeIfIdle: () => true }, '/e', () => { throw Object.assign(new Error('nope'), { code: 'EACCES' }); }), /nope/);
});

test('the bound is half of the process limit', () => {
  const limit = processOpenFileLimit();
  assert.ok(limit !== null && limit > 0);
  assert.equal(defaultOpenFileCapacity(), Math.max(16, Math.floor(Math.min(limit, 1 << 20) / 2)));
});
