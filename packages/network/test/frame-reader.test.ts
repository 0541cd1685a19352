import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARENA_MIN_BYTES, FrameReader } from '../src/frame-reader.js';

/** Plays a byte stream into the reader as a socket would: each read fills (part of) the buffer it asks for. */
function play(stream: Buffer, readSizes: () => number): Buffer[] {
  const frames: Buffer[] = [];
  const reader = new FrameReader((f) => frames.push(Buffer.from(f)), (e) => {
    throw e;
  });
  let p = 0;
  while (p < stream.length) {
    const target = reader.onread.buffer();
    const n = Math.min(target.length, stream.length - p, readSizes());
    stream.copy(target, 0, p, p + n);
    reader.onread.callback(n, target);
    p += n;
  }
  return frames;
}

test('frames of every size come out whole and in order, however the reads split them', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const sizes = [0, 1, 3, 4095, 4096, 65535, 65536, 70000, 300000, 12, 2 * 1024 * 1024];
  const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
  const stream = Buffer.concat(payloads.flatMap((b) => {
    const h = Buffer.alloc(4);
    h.writeInt32BE(b.length);
    return [h, b];
  }));
  for (const reads of [() => 1 + rnd(7), () => 1 + rnd(100000), () => 65536, () => Number.MAX_SAFE_INTEGER]) {
    const frames = play(stream, reads);
    assert.equal(frames.length, payloads.length);
    frames.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i} (${sizes[i]} bytes)`));
  }
});

test('a negative size prefix is reported, not thrown into the socket', () => {
  const errors: Error[] = [];
  const reader = new FrameReader(() => {}, (e) => errors.push(e));
  const target = reader.onread.buffer();
  target.writeInt32BE(-5, 0);
  reader.onread.callback(4, target);
  assert.match(errors[0]!.message, /invalid frame size -5/);
});

test('a recycled large frame is read into again; frames not recycled keep their bytes (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 64 * 1024, max: 600_000 })), recycle: fc.boolean(), fill: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 200_000 }),
      (specs, readSize) => {
        const kept: Array<{ frame: Buffer; fill: number }> = [];
        let spareMemory: ArrayBufferLike | null = null;
        let i = 0;
        const reader: FrameReader = new FrameReader(
          (frame) => {
            const spec = specs[i++]!;
            assert.equal(frame.length, spec.size);
            assert.ok(frame.every((b) => b === spec.fill), 'frame delivered whole');
            if (spec.size >= ARENA_MIN_BYTES && spareMemory !== null && spareMemory.byteLength >= spec.size) assert.equal(frame.buffer, spareMemory, 'the recycled memory is reused');
            if (frame.buffer === spareMemory) spareMemory = null;
            if (spec.recycle && spec.size >= ARENA_MIN_BYTES) {
              if (spareMemory === null || spareMemory.byteLength < frame.buffer.byteLength) spareMemory = frame.buffer;
              reader.recycle(frame);
            } else kept.push({ frame, fill: spec.fill });
          },
          (e) => {
            throw e;
          },
        );
        const stream = Buffer.concat(specs.flatMap((s) => {
          const h = Buffer.alloc(4);
          h.writeInt32BE(s.size);
          return [h, Buffer.alloc(s.size, s.fill)];
        }));
        for (let p = 0; p < stream.length;) {
          const target = reader.onread.buffer();
          const n = Math.min(target.length, stream.length - p, readSize);
          stream.copy(target, 0, p, p + n);
          reader.onread.callback(n, target);
          p += n;
        }
        assert.equal(i, specs.length);
        for (const { frame, fill } of kept) assert.ok(frame.every((b) => b === fill), 'a frame not recycled is never written to again');
      },
    ),
    { numRuns: 30 },
  );
});

/** Feeds one frame of `size` bytes; returns the memory the reader read its body into. */
function feedFrame(reader: FrameReader, size: number): ArrayBufferLike {
  const head = reader.onread.buffer();
  head.writeInt32BE(size, 0);
  reader.onread.callback(4, head);
  const body = reader.onread.buffer();
  reader.onread.callback(size, body);
  return body.buffer;
}

test('recycle() takes only whole large frames: views into the middle of a buffer and pooled buffers are ignored', () => {
  const reader = new FrameReader(() => {}, () => {});
  const big = Buffer.allocUnsafeSlow(ARENA_MIN_BYTES * 2);
  reader.recycle(big.subarray(16));
  reader.recycle(Buffer.allocUnsafe(100));
  assert.notEqual(feedFrame(reader, ARENA_MIN_BYTES), big.buffer);
  reader.recycle(big.subarray(0, ARENA_MIN_BYTES));
  assert.equal(feedFrame(reader, ARENA_MIN_BYTES + 1), big.buffer);
  assert.notEqual(feedFrame(reader, ARENA_MIN_BYTES + 1), big.buffer, 'lent out once, not twice');
});

test('small frames from Node\'s buffer pool are never recyclable, however large Buffer.poolSize is', () => {
  const poolSize = Buffer.poolSize;
  Buffer.poolSize = 4 * ARENA_MIN_BYTES; // a pool as large as an arena: its first slice starts at byte 0 of it
  try {
    const frames: Buffer[] = [];
    const reader = new FrameReader((f) => frames.push(f), (e) => assert.fail(e));
    for (let i = 0; i < 200; i++) feedFrame(reader, 3000);
    assert.ok(frames.some((f) => f.byteOffset === 0 && f.buffer.byteLength >= ARENA_MIN_BYTES), 'a frame at the start of a new pool');
    assert.deepEqual(frames.filter((f) => FrameReader.recyclable(f)), [], 'recycling one would lend Node\'s shared pool memory to a later frame');
  } finally {
    Buffer.poolSize = poolSize;
  }
});
