import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CompressionType, compress, compressSync, decompress, decompressSync } from '../../src/records/index.js';
import { ProtocolDecodeError, ProtocolEncodeError } from '../../src/primitives/errors.js';
import { kafkajsSnappy, lz4jsCompress, lz4jsDecompress } from './kafkajs-codecs.js';

const require = createRequire(import.meta.url);
const xxh32 = (require('lz4js/xxh32.js') as { hash(seed: number, src: Uint8Array, index: number, len: number): number }).hash;

const CODECS = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => `{"id":${i},"name":"record ${i % 17}"}`).join(',').slice(0, n));

test('every codec round trips, sync and async in any combination', async () => {
  for (const type of CODECS) {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), text(1000), text(100_000), randomBytes(70_000)]) {
      const a = compressSync(type, data);
      const b = await compress(type, data);
      assert.deepEqual(decompressSync(type, a), data, `${CompressionType[type]} sync`);
      assert.deepEqual(await decompress(type, a), data);
      assert.deepEqual(decompressSync(type, b), data);
      assert.deepEqual(await decompress(type, b), data);
    }
  }
});

test('compression levels are honoured for gzip and zstd', () => {
  const data = text(200_000);
  for (const type of [CompressionType.Gzip, CompressionType.Zstd]) {
    const fast = compressSync(type, data, { level: 1 });
    const small = compressSync(type, data, { level: 9 });
    assert.ok(small.length < fast.length, `${CompressionType[type]} level 9 is smaller`);
    assert.deepEqual(decompressSync(type, small), data);
  }
});

test('snappy is written in xerial framing like the Java client: header, then 32 KiB blocks', () => {
  const data = text(100_000);
  const out = compressSync(CompressionType.Snappy, data);
  assert.deepEqual([...out.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  assert.equal(out.readInt32BE(8), 1);
  assert.equal(out.readInt32BE(12), 1);
  let pos = 16;
  let blocks = 0;
  while (pos < out.length) {
    pos += 4 + out.readInt32BE(pos);
    blocks++;
  }
  assert.equal(pos, out.length);
  assert.equal(blocks, Math.ceil(data.length / 32768));
});

test('snappy: kafkajs-snappy reads our xerial frames; we read its raw snappy', async () => {
  const data = text(100_000);
  assert.deepEqual(await kafkajsSnappy.decompress(compressSync(CompressionType.Snappy, data)), data);
  const raw = await kafkajsSnappy.compress({ buffer: data });
  assert.notEqual(raw[0], 0x82);
  assert.deepEqual(decompressSync(CompressionType.Snappy, raw), data);
  assert.deepEqual(await decompress(CompressionType.Snappy, raw), data);
});

test('lz4 is the LZ4 frame format Kafka reads: independent blocks, no block checksums', () => {
  const data = text(200_000);
  const out = compressSync(CompressionType.Lz4, data);
  assert.equal(out.readUInt32LE(0), 0x184d2204);
  assert.equal(out[4], 0x60); // version 01, block independence
  assert.ok([0x40, 0x50, 0x60, 0x70].includes(out[5]!), 'a standard max block size (lz4-flex picks 256 KiB for this input)');
  assert.equal(compressSync(CompressionType.Lz4, text(16_000))[5], 0x40, '64 KiB blocks for a 16 KiB batch, as Java');
  assert.equal(out[6], (xxh32(0, out, 4, 2) >>> 8) & 0xff);
  assert.deepEqual(lz4jsDecompress(out), data, 'another implementation reads it');
  assert.deepEqual(decompressSync(CompressionType.Lz4, lz4jsCompress(data)), data, 'we read linked 4 MiB blocks too');
});

test('lz4: the pre-0.10 frame-descriptor checksum is accepted for legacy messages only', async () => {
  const data = text(5000);
  const broken = Buffer.from(compressSync(CompressionType.Lz4, data));
  broken[6] = (xxh32(0, broken, 0, 6) >>> 8) & 0xff; // old Kafka hashed the magic number too
  assert.notEqual(broken[6], compressSync(CompressionType.Lz4, data)[6]);
  assert.throws(() => decompressSync(CompressionType.Lz4, broken), ProtocolDecodeError);
  assert.deepEqual(decompressSync(CompressionType.Lz4, broken, { legacy: true }), data);
  assert.deepEqual(await decompress(CompressionType.Lz4, broken, { legacy: true }), data);
});

test('zstd: frames without a content size and concatenated frames decode (streaming writers)', () => {
  const rawFrame = (content: Buffer): Buffer => {
    const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])]; // no content size, no checksum
    for (let i = 0; i < content.length; i += 1000) {
      const chunk = content.subarray(i, i + 1000);
      const h = (chunk.length << 3) | (i + 1000 >= content.length ? 1 : 0); // raw block
      parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), chunk);
    }
    return Buffer.concat(parts);
  };
  const a = text(5500);
  const b = Buffer.from('second frame');
  assert.deepEqual(decompressSync(CompressionType.Zstd, rawFrame(a)), a);
  assert.deepEqual(decompressSync(CompressionType.Zstd, Buffer.concat([rawFrame(a), compressSync(CompressionType.Zstd, b)])), Buffer.concat([a, b]));
});

test('unknown compression types: a decode error when reading, an encode error when writing', async () => {
  for (const t of [5, 6, 7, -1]) {
    assert.throws(() => decompressSync(t as CompressionType, Buffer.from('abc')), (e: Error) => e instanceof ProtocolDecodeError && /unknown compression type/.test(e.message));
    await assert.rejects(decompress(t as CompressionType, Buffer.from('abc')), ProtocolDecodeError);
    assert.throws(() => compressSync(t as CompressionType, Buffer.from('abc')), ProtocolEncodeError);
  }
  assert.equal(decompressSync(CompressionType.None, Buffer.from('abc')).toString(), 'abc');
});

test('corrupt or truncated compressed data only ever throws ProtocolDecodeError', async () => {
  const data = text(20_000);
  for (const type of CODECS) {
    const good = compressSync(type, data);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.nat(good.length - 1).map((n) => good.subarray(0, n)),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const c = Buffer.from(good);
            c[i] ^= x;
            return c;
          }),
        ),
        async (bad) => {
          for (const run of [() => decompressSync(type, bad), () => decompress(type, bad)]) {
            try {
              await run(); // some corruptions still decode (e.g. inside a literal run)
            } catch (e) {
              assert.ok(e instanceof ProtocolDecodeError, `${CompressionType[type]}: ${(e as Error).name}: ${(e as Error).message}`);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  }
});
