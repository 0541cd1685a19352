import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FileSegment, WriteStager } from '../../src/storage/segment.js';
import { StorageIoError } from '../../src/storage/errors.js';

function withSegment(fn: (seg: FileSegment, dir: string, stager: WriteStager) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-staged-'));
    const stager = new WriteStager();
    const seg = FileSegment.create(stager, dir, 0, Date.now(), 1 << 20);
    try {
      await fn(seg, dir, stager);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('staged appends reach the file when flushPendingWrites runs, before the turn ends', withSegment(async (_seg, dir, stager) => {
  const seg = _seg;
  seg.write(Buffer.from('hello '));
  seg.write(Buffer.from('world'));
  const logPath = join(dir, '00000000000000000000.log');
  assert.equal(readFileSync(logPath).length, 0, 'small appends are staged, not written one by one');
  assert.equal(stager.flushPendingWrites(), null);
  assert.equal(readFileSync(logPath, 'utf8'), 'hello world');
  closeSync(seg.fd);
}));

test('a failed staged write is reported to every caller in that turn, then the segment refuses appends', withSegment(async (seg, dir, stager) => {
  seg.write(Buffer.from('lost bytes'));
  // Swap the segment's descriptor for a read-only one so the deferred write fails (EBADF).
  const writable = seg.fd;
  seg.fd = openSync(join(dir, '00000000000000000000.log'), 'r');
  const first = stager.flushPendingWrites();
  assert.ok(first instanceof Error, 'the connection that flushes sees the failure');
  assert.ok(stager.flushPendingWrites() instanceof Error, 'a second connection answering in the same turn sees it too');
  await nextTurn();
  assert.equal(stager.flushPendingWrites(), null, 'the failure is not reported past its turn');
  assert.throws(() => seg.write(Buffer.from('more')), StorageIoError);
  closeSync(seg.fd);
  closeSync(writable);
}));
