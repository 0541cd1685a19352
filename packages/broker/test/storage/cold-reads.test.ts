// Issue 9 item 3: a fetch of data that may not be in the page cache (older than this process)
// reads it off the event loop into memory first (prepareRead), and the read then copies it from
// there: the event loop never waits for the disk, and cold reads never take the thread-pool
// threads that segment writes (and so producers' acknowledgements) need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, read as readAsync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { COLD_READ_SLOTS } from '../../src/storage/segment.js';
import { defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';

const config = defaultLogConfig({ segmentBytes: 64 * 1024 });

/** Writes `batches` batches of 4 records (~4 KB) to each partition of `t`, with an engine that is then closed. */
function writeLogs(dir: string, partitions: number, batches: number): void {
  const engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  for (let p = 0; p < partitions; p++) {
    const log = engine.openLog('t', p, config);
    for (let i = 0; i < batches; i++) log.append(sizedBatch(4, 4000), { leaderEpoch: 0, nowMs: Date.now() });
  }
  engine.close();
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samsa-cold-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('prepareRead: data from before the restart is read off the event loop; appended data needs nothing', withDir(async (dir) => {
  writeLogs(dir, 1, 40);
  const engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  const log = engine.openLog('t', 0, config);
  const warming = log.prepareRead!(0n, 32 * 1024, true);
  assert.ok(warming instanceof Promise, 'older than this process: read off the event loop first');
  const prepared = await warming;
  assert.ok(prepared.bytes >= 32 * 1024);
  assert.equal(log.prepareRead!(0n, 32 * 1024, true), null, 'in memory now');
  assert.equal(parseBatches(log.read(0n, 32 * 1024, { minOneBatch: true }).records)[0]!.baseOffset, 0);
  prepared.release();
  assert.ok(log.prepareRead!(0n, 32 * 1024, true) instanceof Promise, 'released: cold again');
  // Appends roll into segments this process created: hot.
  let last = 0n;
  for (let i = 0; i < 6; i++) last = log.append(sizedBatch(4, 16000), { leaderEpoch: 0, nowMs: Date.now() }).baseOffset;
  assert.equal(log.prepareRead!(last, 1 << 20, true), null, 'the new appends are hot');
  assert.equal(log.prepareRead!(log.logEndOffset, 1 << 20, true), null, 'nothing to read at the log end');
  await engine.stager.whenIdle();
  engine.close();
}));

test('the read after prepareRead copies what was read off the event loop: it does not read the file again', withDir(async (dir) => {
  writeLogs(dir, 1, 14); // 56 KB in one segment; an index entry every 4 KiB
  const engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  const log = engine.openLog('t', 0, config);
  // Offset 29 is inside the 8th batch: found through the index, then scanned off the event loop.
  const prepared = (await log.prepareRead!(29n, 12_000, true))!;
  const reads = engine.stager.coldReads;
  const first = Buffer.from(log.read(29n, 12_000, { minOneBatch: true }).records);
  assert.deepEqual(parseBatches(first).map((b) => b.baseOffset), [28, 32]);
  // The file's bytes change under the read (zeros): a read of the file would see them.
  const fd = openSync(join(dir, 't-0', '00000000000000000000.log'), constants.O_WRONLY);
  writeSync(fd, Buffer.alloc(64 * 1024));
  closeSync(fd);
  assert.deepEqual(log.read(29n, 12_000, { minOneBatch: true }).records, first, 'the bytes read off the event loop');
  assert.equal(engine.stager.coldReads, reads, 'no read after prepareRead');
  prepared.release();
  engine.close();
}));

test('cold reads stuck on the disk hold at most COLD_READ_SLOTS pool threads: appends are written meanwhile', withDir(async (dir) => {
  const partitions = 6; // more than libuv's 4 pool threads
  writeLogs(dir, partitions, 4);
  const engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  // Every cold pread first waits on a pool thread for a byte from a FIFO: a disk as slow as the test wants.
  const gatePath = join(dir, 'gate');
  execFileSync('mkfifo', [gatePath]);
  const gate = openSync(gatePath, constants.O_RDWR);
  let started = 0;
  const realRead = engine.stager.readFile;
  engine.stager.readFile = ((fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (e: Error | null, n: number, b: Buffer) => void) => {
    started++;
    readAsync(gate, Buffer.alloc(1), 0, 1, null, (err) => (err !== null ? cb(err, 0, buf) : realRead(fd, buf, offset, length, position, cb)));
  }) as typeof realRead;
  try {
    const logs = Array.from({ length: partitions }, (_, p) => engine.openLog('t', p, config));
    const prepared = logs.map((l) => l.prepareRead!(0n, 1 << 20, true)!);
    for (let turns = 0; started < COLD_READ_SLOTS; turns++) {
      assert.ok(turns < 100_000, 'the cold reads never started');
      await nextTurn();
    }
    // A produce on another partition: its write needs a pool thread, and finds one.
    const hot = engine.openLog('hot', 0, config);
    hot.append(sizedBatch(1, 1000), { leaderEpoch: 0, nowMs: Date.now() });
    let timer: NodeJS.Timeout | undefined;
    const written = await Promise.race([
      Promise.resolve(engine.durabilityBarrier()).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000))),
    ]);
    clearTimeout(timer);
    assert.equal(written, true, 'the append was written while cold reads were stuck');
    assert.equal(started, COLD_READ_SLOTS, 'the other cold reads wait for a slot, not for a pool thread');
    writeSync(gate, Buffer.alloc(partitions)); // the disk answers
    const done = await Promise.all(prepared);
    for (const [p, log] of logs.entries()) {
      assert.equal(parseBatches(log.read(0n, 1 << 20, { minOneBatch: true }).records).length, 4, `partition ${p}`);
      done[p]!.release();
    }
    await engine.stager.whenIdle();
  } finally {
    writeSync(gate, Buffer.alloc(partitions)); // no pool thread stays blocked, whatever failed
    closeSync(gate);
    engine.close();
  }
}));

test('a first batch larger than the fetch is read from memory whole, not partly from the file', withDir(async (dir) => {
  const big = defaultLogConfig({ segmentBytes: 4 << 20 });
  const writer = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  const w = writer.openLog('t', 0, big);
  for (let i = 0; i < 3; i++) w.append(sizedBatch(4, 200_000), { leaderEpoch: 0, nowMs: Date.now() });
  writer.close();
  const engine = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  const log = engine.openLog('t', 0, big);
  // maxBytes far below the batch: the read returns the whole first batch (minOneBatch), which
  // reaches past what prepareRead reads from where locate starts scanning.
  const prepared = (await log.prepareRead!(0n, 1000, true))!;
  const first = Buffer.from(log.read(0n, 1000, { minOneBatch: true }).records);
  assert.deepEqual(parseBatches(first).map((b) => [b.baseOffset, b.crcValid]), [[0, true]]);
  const fd = openSync(join(dir, 't-0', '00000000000000000000.log'), constants.O_WRONLY);
  writeSync(fd, Buffer.alloc(1 << 20));
  closeSync(fd);
  assert.ok(log.read(0n, 1000, { minOneBatch: true }).records.equals(first), 'every byte of the batch from what prepareRead read');
  assert.equal(log.prepareRead!(0n, 1000, true), null, 'what prepareRead read covers the read');
  prepared.release();
  engine.close();
}));
