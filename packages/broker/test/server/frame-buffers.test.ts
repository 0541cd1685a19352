import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameBufferPool } from '../../src/server/frame-buffers.js';

test('the frame pool keeps what a burst of requests held at its peak, within its cap, and only its own buffers', () => {
  const pool = new FrameBufferPool(256 << 20);
  const burst = (): Buffer[] => Array.from({ length: 40 }, () => pool.take(1_000_000));
  const first = burst();
  assert.equal(pool.freshAllocations, 40);
  assert.ok(first.every((b) => b.length === 1_000_000 && pool.owns(b)));
  for (const b of first) pool.give(b);
  assert.equal(pool.idleBytes, 40 << 20, 'a 40 MiB peak keeps 40 MiB idle');
  const second = burst();
  assert.equal(pool.freshAllocations, 40, 'the second burst reuses every buffer');
  assert.ok(second.every((b) => !first.includes(b) && first.some((f) => f.buffer === b.buffer)));
  // Giving back twice, or a buffer the pool never handed out, changes nothing.
  pool.give(second[0]!);
  pool.give(second[0]!);
  pool.give(Buffer.alloc(1_000_000));
  assert.equal(pool.idleBytes, 1 << 20);
  assert.equal(pool.owns(second[0]!), false);

  const capped = new FrameBufferPool(8 << 20);
  const many = Array.from({ length: 40 }, () => capped.take(1_000_000));
  for (const b of many) capped.give(b);
  assert.equal(capped.idleBytes, 8 << 20, 'never above the cap');
  // Small frames are ordinary allocations, outside the pool.
  assert.equal(capped.owns(capped.take(100)), false);
});
