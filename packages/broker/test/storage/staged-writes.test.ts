import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FileSegment, WriteStager } from '../../src/storage/segment.js';
import { StorageIoError } from '../../src/storage/errors.js';

function withSegment(fn: (seg: FileSegment, logPath: string, stager: WriteStager) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-staged-'));
    const stager = new WriteStager();
    const seg = FileSegment.create(stager, dir, 0, Date.now(), 1 << 20);
    try {
      await fn(seg, join(dir, '00000000000000000000.log'), stager);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Appends like the log does: write, then grow the segment's size. */
function append(seg: FileSegment, text: string | Buffer): void {
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  seg.write(data);
  seg.size += data.length;
}

function readAll(seg: FileSegment): string {
  const out = Buffer.alloc(seg.size);
  assert.equal(seg.readInto(out, 0, seg.size, 0), seg.size);
  return out.toString();
}

test('appends are readable at once, written off the event loop, and in the file when the durability barrier resolves', withSegment(async (seg, logPath, stager) => {
  append(seg, 'hello ');
  append(seg, 'world');
  assert.equal(readFileSync(logPath).length, 0, 'nothing written synchronously');
  assert.equal(readAll(seg), 'hello world', 'staged bytes are read from memory');
  const barrier = stager.durabilityBarrier();
  assert.ok(barrier instanceof Promise);
  append(seg, '!'); // during the write: goes in the next round
  assert.equal(readAll(seg), 'hello world!');
  assert.equal(await barrier, null);
  assert.ok(readFileSync(logPath, 'utf8').startsWith('hello world'));
  assert.equal(await stager.durabilityBarrier(), null);
  assert.equal(readFileSync(logPath, 'utf8'), 'hello world!');
  assert.equal(stager.durabilityBarrier(), null, 'nothing left to write');
  assert.equal(stager.unwrittenBytes, 0);
  // A large append spans staging buffers and is read back whole.
  const big = Buffer.alloc(200_000, 7);
  append(seg, big);
  assert.ok(Buffer.from(readAll(seg), 'latin1').length > 0);
  await stager.whenIdle();
  assert.equal(readFileSync(logPath).length, 12 + big.length);
  seg.close();
}));

test('a truncation during an in-flight write cuts the file after it lands; later appends follow the cut', withSegment(async (seg, logPath, stager) => {
  append(seg, 'aaaa');
  await stager.whenIdle();
  append(seg, 'bbbb');
  const inFlight = stager.durabilityBarrier();
  seg.truncateTo(2);
  append(seg, 'cc');
  assert.equal(readAll(seg), 'aacc');
  await inFlight;
  await stager.whenIdle();
  assert.equal(readFileSync(logPath, 'utf8'), 'aacc');
  seg.close();
}));

test('a failed write is reported to every barrier of that turn and rolled back; appends are then written at once, failing while the file cannot take them', withSegment(async (seg, logPath, stager) => {
  append(seg, 'kept ');
  await stager.whenIdle();
  let lost = -1;
  seg.onWriteFailure = (lostBytes) => (lost = lostBytes);
  append(seg, 'lost bytes');
  // Swap the segment's descriptor for a read-only one so the write fails (EBADF).
  const writable = seg.fd;
  seg.fd = openSync(logPath, 'r');
  const first = await stager.durabilityBarrier();
  assert.ok(first instanceof Error, 'the connection waiting on the write sees the failure');
  assert.ok(stager.durabilityBarrier() instanceof Error, 'a second connection answering in the same turn sees it too');
  assert.equal(lost, 'lost bytes'.length, 'the log is told what was lost');
  assert.equal(seg.size, 'kept '.length, 'the segment is back at the last append in the file');
  assert.equal(readAll(seg), 'kept ');
  await nextTurn();
  assert.equal(stager.durabilityBarrier(), null, 'the failure is not reported past its turn');
  assert.throws(() => seg.write(Buffer.from('more')), StorageIoError, 'still failing: the append fails at once');
  assert.equal(seg.size, 'kept '.length);
  closeSync(seg.fd);
  seg.fd = writable;
  append(seg, 'back');
  assert.equal(readFileSync(logPath, 'utf8'), 'kept back', 'written synchronously once it works again');
  assert.equal(stager.durabilityBarrier(), null);
  append(seg, '!');
  await stager.whenIdle();
  assert.equal(readFileSync(logPath, 'utf8'), 'kept back!', 'and asynchronously after that');
  seg.close();
}));

test('appends the caller keeps until the barrier are written from its memory when large, copied when small; a truncation of them still holds', withSegment(async (seg, logPath, stager) => {
  const keep = (data: Buffer): void => {
    seg.write(data, true);
    seg.size += data.length;
  };
  const small = Buffer.alloc(100, 1);
  const large = Buffer.alloc(100_000, 2);
  keep(small);
  keep(large);
  keep(Buffer.from('tail'));
  // The small one was copied into staging: the caller may change it. The large one is written
  // from the caller's memory (the contract: unchanged until the barrier), seen by reads as is.
  small.fill(9);
  // (Changing the large one breaks that contract; here it shows that its bytes were not copied.)
  large[500] = 7;
  const staged = Buffer.alloc(seg.size);
  seg.readInto(staged, 0, seg.size, 0);
  assert.equal(staged[0], 1, 'a small append is copied');
  assert.equal(staged[100], 2);
  assert.equal(staged[600], 7, 'a large kept append is read from the caller\'s memory, not from a copy');
  assert.equal(await stager.durabilityBarrier(), null);
  const file = readFileSync(logPath);
  assert.equal(file.length, 100 + 100_000 + 4);
  assert.ok(file.subarray(0, 100).every((b) => b === 1));
  assert.ok(file.subarray(100, 100_100).every((b, i) => b === (i === 500 ? 7 : 2)), 'and written from it');
  assert.equal(file.subarray(100_100).toString(), 'tail');
  // The caller's memory never becomes a staging buffer of the engine.
  const taken = new Set<Buffer>();
  for (let i = 0; i < 64; i++) taken.add(stager.takeStagingBuffer());
  assert.ok(![...taken].some((b) => b.buffer === large.buffer));
  for (const b of taken) stager.giveBackStagingBuffer(b);
  // A kept append cut by a truncation before it is written leaves only what was kept.
  keep(Buffer.alloc(50_000, 3));
  seg.truncateTo(100_104 + 10_000);
  seg.size = 100_104 + 10_000;
  await stager.whenIdle();
  const cut = readFileSync(logPath);
  assert.equal(cut.length, 100_104 + 10_000);
  assert.ok(cut.subarray(100_104).every((b) => b === 3));
  seg.close();
}));
