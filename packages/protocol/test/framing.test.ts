import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError, frameResponse, peekRequestHeader, frameRequest } from '../src/framing.js';

function frame(payload: Buffer): Buffer {
  return Buffer.concat(frameRequest([payload]));
}

function collect(dec: FrameDecoder, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) dec.push(c, (f) => out.push(Buffer.from(f)));
  return out;
}

test('frames inside one chunk are views into the chunk (no copy)', () => {
  const a = Buffer.from('hello');
  const b = Buffer.from('kafka!');
  const chunk = Buffer.concat([frame(a), frame(b)]);
  const seen: Buffer[] = [];
  new FrameDecoder().push(chunk, (f) => seen.push(f));
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.buffer, chunk.buffer);
  assert.equal(seen[0]!.toString(), 'hello');
  assert.equal(seen[1]!.toString(), 'kafka!');
});

test('frames split at every byte boundary are reassembled', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('0123456789abcdef'), Buffer.alloc(300, 7)];
  const stream = Buffer.concat(payloads.map(frame));
  for (let cut = 0; cut <= stream.length; cut++) {
    const got = collect(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(got, payloads, `cut at ${cut}`);
  }
  // one byte at a time
  const bytes = [...stream].map((x) => Buffer.from([x]));
  assert.deepEqual(collect(new FrameDecoder(), bytes), payloads);
});

test('property: any chunking of a frame stream yields the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.array(fc.boolean(), { maxLength: 10 }),
      (payloads, cuts, grants) => {
        const frames = payloads.map((p) => Buffer.from(p));
        const stream = Buffer.concat(frames.map(frame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((x, y) => x - y);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(stream.subarray(prev, p));
          prev = p;
        }
        chunks.push(stream.subarray(prev));
        // Frames whose memory is granted are copied together as they come; the others are
        // held in pieces and allocated whole at the end: both yield the same frames.
        let sizes = 0;
        let allocated = 0;
        const dec = new FrameDecoder(
          1 << 20,
          (size) => { allocated++; return Buffer.alloc(size, 0xee); },
          () => grants[sizes++ % Math.max(1, grants.length)] ?? true,
        );
        assert.deepEqual(collect(dec, chunks), frames);
        assert.equal(dec.bufferedBytes, 0);
        assert.equal(sizes, frames.length);
        assert.ok(allocated <= frames.length);
      },
    ),
  );
});

test('an oversized or negative size prefix throws before buffering the body', () => {
  const dec = new FrameDecoder(100);
  const big = Buffer.alloc(4);
  big.writeInt32BE(101);
  assert.throws(() => dec.push(big, () => {}), FrameTooLargeError);
  const neg = Buffer.alloc(4);
  neg.writeInt32BE(-1);
  assert.throws(() => new FrameDecoder(100).push(neg, () => {}), FrameTooLargeError);
  // prefix split across chunks is still checked
  const d2 = new FrameDecoder(100);
  d2.push(big.subarray(0, 2), () => {});
  assert.throws(() => d2.push(big.subarray(2), () => {}), /exceeds limit 100/);
  // exactly at the limit is fine
  const ok = frame(Buffer.alloc(100));
  assert.equal(collect(new FrameDecoder(100), [ok]).length, 1);
});

test('peekRequestHeader reads the fixed-offset fields', () => {
  const h = Buffer.alloc(10);
  h.writeInt16BE(18, 0);
  h.writeInt16BE(3, 2);
  h.writeInt32BE(-5, 4);
  assert.deepEqual(peekRequestHeader(h), { apiKey: 18, apiVersion: 3, correlationId: -5 });
  assert.equal(peekRequestHeader(Buffer.alloc(7)), null);
});

test('frameResponse writes size, correlation id, tagged fields for header v1, body by reference', () => {
  const body = Buffer.alloc(5000, 1);
  const v0 = frameResponse(42, 0, [body]);
  assert.equal(v0[1], body);
  assert.equal(v0[0]!.readInt32BE(0), 4 + 5000);
  assert.equal(v0[0]!.readInt32BE(4), 42);
  const v1 = Buffer.concat(frameResponse(7, 1, [Buffer.from([9])]));
  assert.deepEqual([...v1], [0, 0, 0, 6, 0, 0, 0, 7, 0, 9]);
});

test('property: reading into one reused buffer and straight into frames yields the same frames, none a view on the reused buffer', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 0, max: 5000 })), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 2000 }),
      fc.array(fc.boolean(), { maxLength: 10 }),
      (specs, readSizes, minDirect, grants) => {
        // Payloads: small literal ones and larger filled ones (a size), each with its own byte pattern.
        const frames = specs.map((s, i) => (typeof s === 'number' ? Buffer.alloc(s, (i * 37 + 11) & 0xff) : Buffer.from(s)));
        const stream = Buffer.concat(frames.map(frame));
        let sizes = 0;
        const dec = new FrameDecoder(1 << 20, (size) => Buffer.alloc(size, 0xee), () => grants[sizes++ % Math.max(1, grants.length)] ?? true, true);
        const scratch = Buffer.alloc(700);
        const got: Buffer[] = [];
        let pos = 0;
        for (let r = 0; pos < stream.length; r++) {
          // A socket read: at most readSizes[r] bytes, into the frame when the decoder offers it.
          const want = readSizes[r % readSizes.length]!;
          const target = dec.directTarget(minDirect);
          if (target !== null) {
            const n = Math.min(want, target.length, stream.length - pos);
            stream.copy(target, 0, pos, pos + n);
            pos += n;
            dec.directFilled(n, (f) => got.push(f));
          } else {
            const n = Math.min(want, scratch.length, stream.length - pos);
            stream.copy(scratch, 0, pos, pos + n);
            pos += n;
            dec.push(scratch.subarray(0, n), (f) => got.push(f));
            scratch.fill(0xaa); // the next read overwrites it: nothing may still point into it
          }
        }
        assert.deepEqual(got, frames);
        assert.ok(got.every((f) => f.length === 0 || f.buffer !== scratch.buffer));
        assert.equal(dec.bufferedBytes, 0);
        assert.equal(dec.directTarget(1), null);
      },
    ),
    { numRuns: 300 },
  );
});

test('directFilled without a pending direct read is refused', () => {
  assert.throws(() => new FrameDecoder().directFilled(1, () => {}), RangeError);
});
