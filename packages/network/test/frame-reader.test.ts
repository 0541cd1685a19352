import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from '../src/frame-reader.js';

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
