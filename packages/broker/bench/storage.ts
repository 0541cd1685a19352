/**
 * Storage engine throughput: append of 16 KiB batches and sequential reads (1 MiB fetches),
 * file engine (page cache, no fsync) and memory engine, plus fsync-per-append latency.
 *
 *   node -C source --import tsx packages/broker/bench/storage.ts [totalMiB=1024] [dir=os.tmpdir()]
 * or after `npx tsc -b`: node packages/broker/dist/bench/storage.js
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileStorageEngine } from '../src/storage/file-engine.js';
import { MemoryStorageEngine } from '../src/storage/memory-engine.js';
import type { LogConfig, PartitionLog, StorageEngine } from '../src/storage/partition-log.js';
import { crc32c } from '@samsa/protocol/records';

const totalMiB = Number(process.argv[2] ?? 1024);
const baseDir = process.argv[3] ?? tmpdir();
const BATCH_BYTES = 16 * 1024;
const LONG_MAX = 9223372036854775807;

const config = (o: Partial<LogConfig> = {}): LogConfig => ({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 86_400_000,
  retentionMs: -1,
  retentionBytes: -1,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: LONG_MAX,
  flushMs: LONG_MAX,
  cleanupPolicy: 'delete',
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60_000,
  messageTimestampType: 'CreateTime',
  maxMessageBytes: 1_048_588,
  ...o,
});

/** A valid uncompressed v2 batch of 16 records totalling `bytes`. */
function makeBatch(bytes: number, seed: number): Buffer {
  const records = 16;
  const recordBytes = Math.floor((bytes - 61) / records);
  const valueLen = recordBytes - 8; // length varint(2) + attrs + tsDelta + offsetDelta + key(-1) + valueLen varint(2) + headers
  const buf = Buffer.alloc(61 + records * recordBytes);
  let p = 61;
  for (let i = 0; i < records; i++) {
    const bodyLen = recordBytes - 2;
    buf[p++] = ((bodyLen << 1) & 0x7f) | 0x80;
    buf[p++] = (bodyLen << 1) >> 7;
    buf[p++] = 0; // attributes
    buf[p++] = 0; // timestamp delta
    buf[p++] = i << 1; // offset delta
    buf[p++] = 1; // key length -1
    buf[p++] = ((valueLen << 1) & 0x7f) | 0x80;
    buf[p++] = (valueLen << 1) >> 7;
    buf.fill(97 + ((seed + i) % 26), p, p + valueLen);
    p += valueLen;
    buf[p - 1] = 0; // header count 0 (last byte of the record)
  }
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt32BE(records - 1, 23);
  buf.writeBigInt64BE(BigInt(Date.now()), 27);
  buf.writeBigInt64BE(BigInt(Date.now()), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(records, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

function machine(): string {
  const cpu = cpus();
  let fsType = '?';
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    let best = '';
    for (const m of mounts) if (m[1] && baseDir.startsWith(m[1]) && m[1].length > best.length) (best = m[1]), (fsType = `${m[2]} (${m[0]})`);
  } catch {
    /* not Linux */
  }
  return [
    `cpu: ${cpu[0]?.model ?? '?'} x${cpu.length}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `os: ${platform()} ${release()} ${arch()}`,
    `node: ${process.version}`,
    `dir: ${baseDir} on ${fsType}`,
  ].join('\n');
}

function appendRun(log: PartitionLog, batches: Buffer[], totalBytes: number): { mbps: number; appends: number; seconds: number } {
  const n = Math.ceil(totalBytes / BATCH_BYTES);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) log.append(batches[i % batches.length]!, { leaderEpoch: 0, nowMs: Date.now() });
  const seconds = (performance.now() - t0) / 1000;
  return { mbps: (n * batches[0]!.length) / 2 ** 20 / seconds, appends: n, seconds };
}

function readRun(log: PartitionLog, fetchBytes: number): { mbps: number; seconds: number; bytes: number } {
  let offset = log.logStartOffset;
  let bytes = 0;
  const t0 = performance.now();
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, fetchBytes, { minOneBatch: true });
    if (records.length === 0) break;
    bytes += records.length;
    // the next fetch starts after the last batch returned
    let p = 0;
    let last = 0n;
    while (p < records.length) {
      last = records.readBigInt64BE(p) + BigInt(records.readInt32BE(p + 23));
      p += 12 + records.readInt32BE(p + 8);
    }
    offset = last + 1n;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { mbps: bytes / 2 ** 20 / seconds, seconds, bytes };
}

/** A consumer at the tail: each append of a small batch is fetched right away from where the last fetch ended. */
function tailLatency(log: PartitionLog, batch: Buffer, count: number): number {
  let next = log.logEndOffset;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    log.append(batch, { leaderEpoch: 0, nowMs: Date.now() });
    const { records } = log.read(next, 1024 * 1024, { minOneBatch: true });
    next += BigInt(records.readInt32BE(23) + 1);
  }
  return ((performance.now() - t0) * 1000) / count;
}

function fsyncLatency(engine: StorageEngine, batches: Buffer[], count: number): number {
  const log = engine.openLog('bench-fsync', 0, config({ flushMessages: 1 }));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) log.append(batches[i % batches.length]!, { leaderEpoch: 0, nowMs: Date.now() });
  return (performance.now() - t0) / count;
}

const batches = Array.from({ length: 64 }, (_, i) => makeBatch(BATCH_BYTES, i));
const totalBytes = totalMiB * 2 ** 20;
console.log('# storage engine benchmark');
console.log(machine());
console.log(`batch: ${batches[0]!.length} bytes (16 records), volume: ${totalMiB} MiB per run\n`);

const dir = mkdtempSync(join(baseDir, 'samsa-bench-storage-'));
try {
  const file = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
  const log = file.openLog('bench', 0, config());
  appendRun(log, batches, 64 * 2 ** 20); // warm-up
  const a = appendRun(log, batches, totalBytes);
  console.log(`file   append: ${a.mbps.toFixed(0)} MiB/s (${(a.appends / a.seconds).toFixed(0)} appends/s, ${a.seconds.toFixed(2)} s)`);
  const r = readRun(log, 1024 * 1024);
  console.log(`file   read (1 MiB fetches, page cache): ${r.mbps.toFixed(0)} MiB/s (${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${r.seconds.toFixed(2)} s)`);
  const r64 = readRun(log, 64 * 1024);
  console.log(`file   read (64 KiB fetches): ${r64.mbps.toFixed(0)} MiB/s`);
  const small = makeBatch(1024, 1);
  console.log(`file   tail append+fetch of 1 KiB batches: ${tailLatency(file.openLog('bench-tail', 0, config()), small, 20_000).toFixed(1)} us/op`);
  const lat = fsyncLatency(file, batches, 200);
  console.log(`file   append with fsync per append (flush.messages=1): ${lat.toFixed(2)} ms/append`);
  file.close();

  const mem = new MemoryStorageEngine();
  const mlog = mem.openLog('bench', 0, config());
  const memBytes = Math.min(totalBytes, 512 * 2 ** 20);
  const ma = appendRun(mlog, batches, memBytes);
  console.log(`memory append: ${ma.mbps.toFixed(0)} MiB/s (${(ma.appends / ma.seconds).toFixed(0)} appends/s)`);
  const mr = readRun(mlog, 1024 * 1024);
  console.log(`memory read (1 MiB fetches): ${mr.mbps.toFixed(0)} MiB/s`);
  console.log(`memory tail append+fetch of 1 KiB batches: ${tailLatency(mem.openLog('bench-tail', 0, config()), makeBatch(1024, 1), 20_000).toFixed(1)} us/op`);
  mem.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
