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

async function withEchoServer(
  async: boolean,
  run: (port: number, conns: Connection[], kept: Buffer[], pool: FrameBufferPool) => Promise<void>,
  durabilityBarrier: () => Error | null | Promise<Error | null> = () => null,
): Promise<void> {
  const conns: Connection[] = [];
  const kept: Buffer[] = [];
  const pool = new FrameBufferPool();
  const log = createLogger('test', { level: 'ERROR' });
  const server: Server = createServer({ noDelay: true }, (socket) => {
    conns.push(new Connection(socket, 'PLAINTEXT', echo(kept, async), {
      maxFrameBytes: 8 << 20, idleMs: 0, maxInFlight: 50, writeHighWater: 4 << 20,
      durabilityBarrier, readBuffers: { isLeased: () => false, release: () => false }, frameBuffers: pool,
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

/** A client connection that counts the response frames it got. */
async function client(port: number): Promise<{ socket: Socket; got: Buffer[]; responses: (n: number) => Promise<void> }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const decoder = new FrameDecoder(1 << 30);
  const got: Buffer[] = [];
  const waiters: Array<{ n: number; resolve: () => void; reject: (e: Error) => void }> = [];
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (f) => {
    got.push(Buffer.from(f));
    for (const w of waiters.filter((x) => got.length >= x.n)) w.resolve();
  }));
  socket.on('close', () => { for (const w of waiters) w.reject(new Error(`closed after ${got.length} of ${w.n} responses`)); });
  const responses = (n: number): Promise<void> => got.length >= n ? Promise.resolve() : new Promise((resolve, reject) => waiters.push({ n, resolve, reject }));
  return { socket, got, responses };
}

/** Writes `chunks` one per event-loop turn and collects `expected` response frames. */
async function exchange(port: number, chunks: Buffer[], expected: number): Promise<Buffer[]> {
  const c = await client(port);
  for (const chunk of chunks) {
    c.socket.write(chunk);
    await new Promise((r) => setImmediate(r));
  }
  await c.responses(expected);
  c.socket.destroy();
  return c.got;
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
    const c = await client(port);
    // One request at a time: each frame is back in the pool before its response is written.
    for (let i = 0; i < 40; i++) {
      c.socket.write(request(i, i % 2 === 0 ? 0 : 3, 300_000, i));
      await c.responses(i + 1);
    }
    assert.equal(conns[0]!.readsDirectly, true);
    assert.equal(pool.freshAllocations, 1, `${pool.freshAllocations} fresh frame buffers for 40 requests`);
    c.socket.destroy();
  });
});

test('a Produce frame is not reused before its response passed the durability barrier (the storage may still write from it)', async () => {
  let pass: (() => void) | null = null;
  let barrierCalls = 0;
  // The first barrier stays pending until released; later ones pass at once.
  const barrier = (): Promise<Error | null> | null => {
    if (barrierCalls++ > 0) return null;
    return new Promise((resolve) => { pass = () => resolve(null); });
  };
  await withEchoServer(false, async (port, conns, kept, pool) => {
    const c = await client(port);
    c.socket.write(request(0, 0, 300_000, 1));
    for (let turns = 0; kept.length < 1 || pass === null; turns++) {
      if (turns > 100_000) throw new Error('the first request never reached the barrier');
      await new Promise((r) => setImmediate(r));
    }
    // While the first response waits at the barrier, more requests of the same size class arrive.
    c.socket.write(Buffer.concat([request(1, 0, 300_000, 2), request(2, 0, 300_000, 3)]));
    for (let turns = 0; kept.length < 3; turns++) {
      if (turns > 100_000) throw new Error('the later requests never arrived');
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(c.got.length, 0, 'no response may pass a pending barrier');
    assert.ok(kept[1]!.buffer !== kept[0]!.buffer && kept[2]!.buffer !== kept[0]!.buffer, 'the first frame was reused while its barrier was pending');
    assert.ok(kept[0]!.every((b, i) => i < 8 || b === 1), 'the first frame changed while its barrier was pending');
    pass!();
    await c.responses(3);
    assert.deepEqual(c.got.map((r) => r.readInt32BE(0)), [0, 1, 2]);
    // Once past the barrier the memory is reused.
    c.socket.write(request(3, 0, 300_000, 4));
    await c.responses(4);
    assert.ok(kept[3]!.buffer === kept[0]!.buffer || kept[3]!.buffer === kept[1]!.buffer || kept[3]!.buffer === kept[2]!.buffer);
    assert.equal(conns[0]!.readsDirectly, true);
    assert.ok(pool.freshAllocations <= 3);
    c.socket.destroy();
  }, barrier);
});
