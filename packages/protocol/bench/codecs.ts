/**
 * Micro-benchmarks of the record layer: CRC32C, the four codecs, RecordBatch encode/decode.
 * Run: `npx tsc -b && node packages/protocol/dist/bench/codecs.js` (or with tsx and -C source).
 * Data: JSON-ish records of ~1 KiB, 16 per batch (~16 KiB), as a typical producer batch.
 * Loops yield to the event loop after each MiB processed, as a server does between requests:
 * napi codecs return external buffers whose finalizers only run then, and a loop that never
 * yields makes them look ~5x slower than they are on Node 20.
 */
import os from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import {
  CompressionType,
  compress,
  compressSync,
  crc32c,
  decodeRecordBatches,
  decompress,
  decompressSync,
  encodeRecordBatch,
  toDecodedRecords,
  type BatchRecord,
} from '../src/records/index.js';
import { crc32cSlicingBy8 } from './crc32c-js.js';

const MEASURE_MS = Number(process.env.BENCH_MS ?? 250);
/** Best of several rounds: the machine may be shared, and interference only ever slows a round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

let seed = 42;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const WORDS = ['order', 'user', 'created', 'updated', 'status', 'pending', 'shipped', 'amount', 'currency', 'EUR', 'USD', 'items', 'sku', 'quantity', 'price', 'address', 'street', 'city', 'country', 'email'];
const word = (): string => WORDS[Math.floor(rnd() * WORDS.length)]!;

function jsonRecord(i: number): Buffer {
  const o = {
    id: i,
    ts: 1700000000000 + Math.floor(rnd() * 1e6),
    type: word(),
    user: { id: Math.floor(rnd() * 1e6), email: `user${Math.floor(rnd() * 1e5)}@example.com`, name: `${word()} ${word()}` },
    items: [] as unknown[],
  };
  while (JSON.stringify(o).length < 950) o.items.push({ sku: `SKU-${Math.floor(rnd() * 1e6).toString(36)}`, quantity: Math.floor(rnd() * 10), price: Math.round(rnd() * 10000) / 100, note: word() });
  return Buffer.from(JSON.stringify(o));
}

const RECORDS_PER_BATCH = 16;
const BATCHES = 256; // ~4 MiB
const recordSets: BatchRecord[][] = [];
for (let b = 0; b < BATCHES; b++) {
  const rs: BatchRecord[] = [];
  for (let i = 0; i < RECORDS_PER_BATCH; i++) {
    rs.push({ attributes: 0, timestampDelta: i, offsetDelta: i, key: Buffer.from(`key-${b}-${i}`), value: jsonRecord(b * RECORDS_PER_BATCH + i), headers: [{ key: 'trace-id', value: Buffer.from(`${b}-${i}`) }] });
  }
  recordSets.push(rs);
}
const payloads = recordSets.map((rs) => Buffer.concat(rs.map((r) => r.value!)));
const payloadBytes = payloads.reduce((n, p) => n + p.length, 0);

interface Row { what: string; mbps: number; extra?: string }
const rows: Row[] = [];

async function measure(what: string, bytesPerOp: number[], op: (i: number) => unknown, extra?: string): Promise<number> {
  for (let i = 0; i < Math.min(32, bytesPerOp.length); i++) await op(i); // warm up
  let best = 0;
  let bestOps = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const [mbps, opsPerSec] = await measureRound(bytesPerOp, op);
    if (mbps > best) [best, bestOps] = [mbps, opsPerSec];
  }
  rows.push({ what, mbps: best, ...(extra !== undefined ? { extra } : {}) });
  return bestOps;
}

async function measureRound(bytesPerOp: number[], op: (i: number) => unknown): Promise<[number, number]> {
  let ops = 0;
  let bytes = 0;
  let sinceYield = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MEASURE_MS) {
    for (let i = 0; i < bytesPerOp.length; i++) {
      const r = op(i);
      if (r instanceof Promise) await r;
      bytes += bytesPerOp[i]!;
      sinceYield += bytesPerOp[i]!;
      ops++;
      if (sinceYield >= 1 << 20) {
        sinceYield = 0;
        await tick();
      }
    }
  }
  const secs = (performance.now() - t0) / 1000;
  return [bytes / 1e6 / secs, ops / secs];
}

const sizes = payloads.map((p) => p.length);
const small = payloads.map((p) => p.subarray(0, 200));

await measure('crc32c @node-rs/crc32, 16 KiB', sizes, (i) => crc32c(payloads[i]!));
await measure('crc32c pure-JS slicing-by-8, 16 KiB', sizes, (i) => crc32cSlicingBy8(payloads[i]!));
await measure('crc32c @node-rs/crc32, 200 B', small.map((s) => s.length), (i) => crc32c(small[i]!));
await measure('crc32c pure-JS slicing-by-8, 200 B', small.map((s) => s.length), (i) => crc32cSlicingBy8(small[i]!));

for (const type of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
  const name = CompressionType[type].toLowerCase();
  const compressed = payloads.map((p) => compressSync(type, p));
  const ratio = (payloadBytes / compressed.reduce((n, c) => n + c.length, 0)).toFixed(2);
  await measure(`${name} compress (sync)`, sizes, (i) => compressSync(type, payloads[i]!), `ratio ${ratio}`);
  await measure(`${name} decompress (sync)`, sizes, (i) => decompressSync(type, compressed[i]!));
  await measure(`${name} compress (async, one at a time)`, sizes, (i) => compress(type, payloads[i]!));
  await measure(`${name} decompress (async, one at a time)`, sizes, (i) => decompress(type, compressed[i]!));
}

const batchSizes = recordSets.map((rs) => rs.reduce((n, r) => n + r.value!.length + r.key!.length, 0));
for (const type of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
  const name = CompressionType[type].toLowerCase();
  const encoded = recordSets.map((records) => encodeRecordBatch({ baseTimestamp: 1700000000000n, records }, { compression: type }));
  const enc = await measure(`batch encode, ${name}`, batchSizes, (i) => encodeRecordBatch({ baseTimestamp: 1700000000000n, records: recordSets[i]! }, { compression: type }));
  const dec = await measure(`batch decode (CRC + records + offsets), ${name}`, batchSizes, (i) => toDecodedRecords(decodeRecordBatches(encoded[i]!)[0]!));
  rows.at(-2)!.extra = `${((enc * RECORDS_PER_BATCH) / 1e6).toFixed(2)} M records/s`;
  rows.at(-1)!.extra = `${((dec * RECORDS_PER_BATCH) / 1e6).toFixed(2)} M records/s`;
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`# @samsa/protocol record codecs — ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.arch()}`);
console.log(`# ${BATCHES} batches of ${RECORDS_PER_BATCH} JSON records (~${Math.round(payloadBytes / BATCHES / 1024)} KiB/batch); MB/s of uncompressed bytes, best of ${ROUNDS} x ${MEASURE_MS} ms; load average ${os.loadavg()[0]!.toFixed(2)}`);
console.log('| benchmark | MB/s | notes |');
console.log('|---|---:|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.mbps.toFixed(0)} | ${r.extra ?? ''} |`);
