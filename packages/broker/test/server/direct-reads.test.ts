/**
 * Plain-TCP connections read into memory they choose: the rest of a large frame straight from
 * the kernel, everything else through one reused read buffer whose frames are copied out.
 * Frames must come out byte for byte whatever the chunking of the stream, and a frame must
 * not change after it was handed over (the read buffer and pooled frames are reused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { FrameDecoder, frameResponse } from '@samsa/protocol/framing';
import { Connection, type Dispatcher } from '../../src/server/connection.js';
import { FrameBufferPool } from '../../src/server/frame-buffers.js';
import { createLogger } from '../../src/util/log.js';

/** Answers each request with its own bytes (the correlation id is bytes 4..8 of any request header). */
const echo = (kept: Buffer[], async: boolean): Dispatcher => ({
  dispatch(frame) {
    kept.push(frame);
    const answer = (): Buffer[] => frameResponse(frame.readInt32BE(4), 0, [Buffer.from(frame)]);
    return async ? new Promise((r) => setImmediate(() => r(answer()))) : answer();
  },
});

function request(correlationId: number, apiKey: number, bodyBytes: number, fill: number): Buffer {
  const payload = Buffer.alloc(8 + bodyBytes, fill);
  payload.writeInt16BE(apiKey, 0);
  payload.writeInt16BE(0, 2);
  payload.writeInt32BE(correlationId, 4);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

async function withEchoServer(async: boolean, run: (port: number, conns: Connection[], kept: Buffer[], pool: FrameBufferPool) => Promise<void>): Promise<void> {
  const conns: Connection[] = [];
  const kept: Buffer[] = [];
  const pool = new FrameBufferPool();
  const log = createLogger('test', { level: 'ERROR' });
  const server: Server = createServer({ noDelay: true }, (socket) => {
    conns.push(new Connection(socket, 'PLAINTEXT', echo(kept, async), {
      maxFrameBytes: 8 << 20, idleMs: 0, maxInFlight: 50, writeHighWater: 4 << 20,
      durabilityBarrier: () => null, readBuffers: { isLeased: () => false, release: () => false }, frameBuffers: pool,
    }, log, () => {}));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await run((server.address() as { port: number }).port, conns, kept, pool);
  } finally {
    for (const c of conns) c.close();
    server.close();
  }
}

/** Writes `chunks` one per event-loop turn and collects `expected` response frames. */
async function exchange(port: number, chunks: Buffer[], expected: number): Promise<Buffer[]> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const decoder = new FrameDecoder(1 << 30);
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, (f) => {
      got.push(Buffer.from(f));
      if (got.length === expected) resolve();
    }));
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${got.length} of ${expected} responses`)));
  });
  for (const c of chunks) {
    socket.write(c);
    await new Promise((r) => setImmediate(r));
  }
  if (expected > 0) await done;
  socket.destroy();
  return got;
}

test('property: requests in any chunking are echoed byte for byte over direct reads, and stay intact after dispatch', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ apiKey: fc.constantFrom(0, 3, 18), body: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 8000, max: 400_000 })) }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 10 }),
      fc.boolean(),
      async (specs, cuts, async) => {
        await withEchoServer(async, async (port, conns, kept) => {
          const frames = specs.map((s, i) => request(i, s.apiKey, s.body, (i * 53 + 7) & 0xff));
          const stream = Buffer.concat(frames);
          const chunks: Buffer[] = [];
          for (let at = 0, k = 0; at < stream.length; k++) {
            const n = cuts[k % cuts.length]!;
            chunks.push(stream.subarray(at, at + n));
            at += n;
          }
          const responses = await exchange(port, chunks, frames.length);
          assert.equal(conns[0]!.readsDirectly, true);
          assert.deepEqual(responses.map((r) => r.subarray(4)), frames.map((f) => f.subarray(4)));
          // Frames kept by the dispatcher: non-Produce ones are its own copies and must be unchanged
          // even after the pool and the read buffer were reused for later requests.
          kept.forEach((k, i) => {
            if (specs[i]!.apiKey !== 0) assert.ok(k.equals(frames[i]!.subarray(4)), `request ${i} changed after dispatch`);
          });
        });
      },
    ),
    { numRuns: 25 },
  );
});

test('large requests reuse pooled frame memory instead of allocating per request', async () => {
  await withEchoServer(false, async (port, conns, _kept, pool) => {
    const frames = Array.from({ length: 40 }, (_, i) => request(i, 0, 300_000, i));
    const responses = await exchange(port, frames, frames.length);
    assert.equal(responses.length, 40);
    assert.equal(conns[0]!.readsDirectly, true);
    // One request at a time is read and answered: a handful of buffers serve all 40.
    assert.ok(pool.freshAllocations <= 4, `${pool.freshAllocations} fresh frame buffers for 40 requests`);
  });
});
