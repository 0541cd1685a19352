import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Writer } from '@samsa/protocol';
import { MIN_LEASED_READ, ReadBufferPool } from '../../src/storage/read-buffers.js';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { MemoryStorageEngine } from '../../src/storage/memory-engine.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { T0, defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';

const SLAB = 64 * 1024;
const MAX_POOLED = 16 * 1024;

interface Live {
  buf: Buffer;
  fill: number;
}

const overlaps = (a: Buffer, b: Buffer): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;

test('a slab never hands out overlapping live regions, and live bytes are never overwritten', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('read' as const), room: fc.integer({ min: 1, max: 20_000 }), keepPct: fc.integer({ min: 0, max: 100 }) }),
          fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
        ),
        { maxLength: 200 },
      ),
      (ops) => {
        const pool = new ReadBufferPool(SLAB, MAX_POOLED);
        const live: Live[] = [];
        let fill = 1;
        for (const op of ops) {
          if (op.kind === 'read') {
            const region = pool.reserve(op.room);
            assert.equal(region.length, op.room);
            for (const l of live) assert.ok(!overlaps(region, l.buf), 'a reservation overlaps a live lease');
            const keep = Math.floor((op.room * op.keepPct) / 100);
            region.fill(fill & 0xff, 0, keep);
            const got = pool.commit(keep);
            assert.equal(got.length, keep);
            if (keep > 0) live.push({ buf: got, fill: fill & 0xff });
            fill++;
          } else if (live.length > 0) {
            const [l] = live.splice(op.pick % live.length, 1);
            pool.release(l!.buf);
            assert.equal(pool.release(l!.buf), false, 'a second release is refused');
          }
          for (const l of live) assert.ok(l.buf.every((b) => b === l.fill), 'a live read was overwritten');
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('released slabs are reused; unreleased ones are left to the garbage collector', () => {
  const pool = new ReadBufferPool(SLAB, MAX_POOLED);
  for (let i = 0; i < 1000; i++) {
    pool.reserve(10_000);
    const a = pool.commit(9_000);
    pool.reserve(10_000);
    const b = pool.commit(10_000);
    assert.ok(pool.isLeased(a) && pool.isLeased(b));
    assert.ok(pool.release(a) && pool.release(b));
  }
  assert.equal(pool.slabsAllocated, 1, 'one slab serves reads that are released');

  const held: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    pool.reserve(16_000);
    held.push(pool.commit(16_000));
  }
  assert.ok(pool.slabsAllocated >= 5, 'reads still held need new slabs');
  const before = pool.slabsAllocated;
  for (const h of held) pool.release(h);
  for (let i = 0; i < 20; i++) {
    pool.reserve(16_000);
    pool.release(pool.commit(16_000));
  }
  assert.equal(pool.slabsAllocated, before, 'slabs emptied by releases come back');
});

test('small and oversized reads are plain buffers; foreign buffers are not released', () => {
  const pool = new ReadBufferPool(SLAB, MAX_POOLED);
  pool.reserve(8000).fill(7);
  const small = pool.commit(MIN_LEASED_READ - 1);
  assert.equal(small.length, MIN_LEASED_READ - 1);
  assert.equal(pool.isLeased(small), false, 'a small read is copied out (the Writer would copy it and never release it)');
  const next = pool.reserve(100);
  next.fill(9);
  pool.commit(0);
  assert.ok(small.every((b) => b === 7), 'the copy is independent of the slab');

  const big = pool.reserve(MAX_POOLED + 1);
  assert.equal(pool.commit(MAX_POOLED + 1), big);
  assert.equal(pool.isLeased(big), false);
  assert.equal(pool.release(Buffer.alloc(5000)), false);
  assert.throws(() => pool.commit(1), /without reserve/);
});

test('the protocol Writer keeps a leased read by reference, so the connection can release it', () => {
  const readBuffers = new ReadBufferPool();
  readBuffers.reserve(MIN_LEASED_READ).fill(3);
  const records = readBuffers.commit(MIN_LEASED_READ);
  assert.ok(readBuffers.isLeased(records));
  const chunks = new Writer().int32(1).bytes(records).chunks();
  assert.ok(chunks.includes(records), 'the records Buffer itself is a chunk of the response');
  assert.ok(readBuffers.release(records));
});

/** Engines under test for the read path across segment boundaries. */
function withLogs(fn: (log: PartitionLog, name: string, readBuffers: ReadBufferPool) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-read-buffers-'));
  const engines = [
    { name: 'file', engine: new FileStorageEngine({ logDirs: [dir], now: () => T0, checkpointIntervalMs: 0 }) },
    { name: 'memory', engine: new MemoryStorageEngine({ now: () => T0 }) },
  ];
  try {
    for (const { name, engine } of engines) {
      const log = engine.openLog('t', 0, defaultLogConfig({ segmentBytes: 20_000 }));
      fn(log, name, engine.readBuffers);
      engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('reads spanning segment boundaries return the same bytes as batch-by-batch reads, and stay intact after releases', () => {
  withLogs((log, name, readBuffers) => {
    const appended: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = sizedBatch(4, 3000 + 97 * i);
      log.append(b, { leaderEpoch: 0, nowMs: T0 });
      appended.push(b);
    }
    assert.ok(log.segments().length >= 5, `${name}: several segments`);
    const whole = Buffer.concat(appended);
    const batches = parseBatches(whole);
    const starts = log.segments().map((s) => Number(s.baseOffset));
    // From each segment start, the batch before it, and mid-segment: reads of many sizes.
    const held: Array<{ buf: Buffer; copy: Buffer }> = [];
    for (const from of [...starts, ...starts.map((s) => s - 1).filter((s) => s >= 0), 13, 50]) {
      const first = batches.findIndex((b) => b.lastOffset >= from);
      for (const maxBytes of [1, 5000, 20_000, 45_000, 1 << 20]) {
        const r = log.read(BigInt(from), maxBytes, { minOneBatch: true }).records;
        const got = parseBatches(r);
        assert.ok(got.length >= 1, `${name}: at least one batch from ${from}`);
        assert.equal(got[0]!.baseOffset, batches[first]!.baseOffset);
        const expected = Buffer.concat(batches.slice(first, first + got.length).map((b) => b.bytes));
        assert.ok(r.equals(expected), `${name}: bytes from ${from}, max ${maxBytes}`);
        assert.ok(got.length === 1 || r.length <= maxBytes, `${name}: within maxBytes`);
        if (first + got.length < batches.length) {
          assert.ok(r.length + batches[first + got.length]!.size > maxBytes || r.length > maxBytes, `${name}: as many whole batches as fit`);
        }
        held.push({ buf: r, copy: Buffer.from(r) });
      }
    }
    // Reads kept while later reads run are never overwritten; releasing some does not touch the others.
    for (let i = 0; i < held.length; i += 2) readBuffers.release(held[i]!.buf);
    for (const from of starts) log.read(BigInt(from), 1 << 20, { minOneBatch: true });
    for (let i = 1; i < held.length; i += 2) assert.ok(held[i]!.buf.equals(held[i]!.copy), `${name}: a held read changed`);
    for (let i = 1; i < held.length; i += 2) readBuffers.release(held[i]!.buf);
  });
});

test('a read stops at maxOffset inside a later segment', () => {
  withLogs((log, name) => {
    for (let i = 0; i < 20; i++) log.append(sizedBatch(2, 5000), { leaderEpoch: 0, nowMs: T0 });
    const got = parseBatches(log.read(0n, 1 << 20, { minOneBatch: true, maxOffset: 14n }).records);
    assert.equal(got.at(-1)!.lastOffset, 13, `${name}: the last batch below maxOffset`);
    assert.equal(got.length, 7);
  });
});
