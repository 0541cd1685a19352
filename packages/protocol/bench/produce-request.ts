/**
 * Produce request codec throughput: decode (header + body, as the broker does per request) and
 * encode (as a client does) of a Produce request carrying one 16 KiB record batch, at v7 (the
 * last classic version, kafkajs/librdkafka's) and v9/v11 (flexible, Java/franz-go/platformatic).
 * Run: `cd /work/main && node -C source --import tsx packages/protocol/bench/produce-request.ts`
 * (or `npx tsc -b && node packages/protocol/dist/bench/produce-request.js`).
 * BENCH_MS (default 500) per round, best of BENCH_ROUNDS (default 5). MB/s counts frame bytes.
 * The record batch is carried by reference both ways (Reader views, Writer raw chunks), so the
 * figures are mostly per-request overhead; the CRC row adds the check a broker makes per batch.
 */
import os from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { decodeProduceRequest, encodeProduceRequest, type ProduceRequest } from '../src/generated/produce.js';
import { decodeRequestHeader, encodeRequestHeader } from '../src/generated/request-header.js';
import { apis, ApiKey } from '../src/apis.js';
import { Reader } from '../src/primitives/reader.js';
import { Writer } from '../src/primitives/writer.js';
import { type BatchRecord, encodeRecordBatch, verifyBatchCrc } from '../src/records/index.js';

const MEASURE_MS = Number(process.env['BENCH_MS'] ?? 500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const BATCH_BYTES = 16 * 1024;

/** A 16 KiB (exactly 16,384 bytes) uncompressed batch: ~1 KiB records, deterministic content. */
function batch16k(): Buffer {
  const records: BatchRecord[] = [];
  for (let i = 0; i < 16; i++) {
    const value = Buffer.alloc(1000, `payload-${i}-abcdefghijklmnopqrstuvwxyz-`);
    records.push({ attributes: 0, timestampDelta: i, offsetDelta: i, key: Buffer.from(`key-${i}`), value, headers: [{ key: 'trace-id', value: Buffer.from(`trace-${i}`) }] });
  }
  // pad the last value until the batch is exactly BATCH_BYTES (a varint may grow by a byte)
  for (;;) {
    const encoded = encodeRecordBatch({ baseTimestamp: 1_700_000_000_000n, records });
    const diff = BATCH_BYTES - encoded.length;
    if (diff === 0) return encoded;
    const last = records[records.length - 1]!;
    last.value = Buffer.alloc(last.value!.length + diff, 'z');
  }
}

const records = batch16k();
const request: ProduceRequest = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30_000,
  topicData: [{ name: 'bench-topic', partitionData: [{ index: 0, records }] }],
};
const produceApi = apis[ApiKey.Produce]!;

function encodeFrame(version: number, correlationId: number): Writer {
  const w = new Writer(512);
  encodeRequestHeader(w, produceApi.requestHeaderVersion(version), { requestApiKey: ApiKey.Produce, requestApiVersion: version, correlationId, clientId: 'bench-producer' });
  encodeProduceRequest(w, version, request);
  return w;
}

function decodeFrame(frame: Buffer, version: number): ProduceRequest {
  const r = new Reader(frame);
  decodeRequestHeader(r, produceApi.requestHeaderVersion(version));
  return decodeProduceRequest(r, version);
}

interface Row { version: number; what: string; reqPerSec: number; mbps: number }
const rows: Row[] = [];
let sink = 0;

async function measure(version: number, what: string, frameBytes: number, op: () => void): Promise<void> {
  for (let i = 0; i < 2000; i++) op(); // warm up
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(MEASURE_MS) * 1_000_000n;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 256; i++) op();
      n += 256;
      now = process.hrtime.bigint();
      if ((n & 4095) === 0) await tick(); // let GC finalizers and timers run, as a server would
    }
    const perSec = n / (Number(now - start) / 1e9);
    if (perSec > best) best = perSec;
  }
  rows.push({ version, what, reqPerSec: best, mbps: (best * frameBytes) / 1e6 });
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('Produce request codec benchmark');
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.arch()}, node ${process.version}`);
  console.log(`batch: ${records.length} bytes (uncompressed, one partition); ${MEASURE_MS} ms x best of ${ROUNDS}`);
  for (const version of [7, 9, 11]) {
    const frame = encodeFrame(version, 1).toBuffer();
    const decoded = decodeFrame(frame, version);
    if (!decoded.topicData[0]!.partitionData[0]!.records!.equals(records)) throw new Error('round trip lost the batch');
    await measure(version, 'decode', frame.length, () => {
      sink += decodeFrame(frame, version).timeoutMs;
    });
    await measure(version, 'decode + batch CRC32C', frame.length, () => {
      const m = decodeFrame(frame, version);
      const b = m.topicData[0]!.partitionData[0]!.records!;
      if (verifyBatchCrc(b, 0)) sink++;
    });
    await measure(version, 'encode (chunks)', frame.length, () => {
      sink += encodeFrame(version, 2).chunks().length;
    });
    await measure(version, 'encode (one buffer)', frame.length, () => {
      sink += encodeFrame(version, 2).toBuffer().length;
    });
    let correlationId = 0;
    await measure(version, 'decode + re-encode', frame.length, () => {
      const m = decodeFrame(frame, version);
      const w = new Writer(512);
      encodeRequestHeader(w, produceApi.requestHeaderVersion(version), { requestApiKey: ApiKey.Produce, requestApiVersion: version, correlationId: correlationId++, clientId: 'bench-producer' });
      encodeProduceRequest(w, version, m);
      sink += w.chunks().length;
    });
    console.log(`v${version}: frame ${frame.length} bytes (header v${produceApi.requestHeaderVersion(version)})`);
  }
  console.log('');
  console.log('version  operation                 requests/s        MB/s');
  for (const r of rows) {
    console.log(`v${String(r.version).padEnd(7)} ${r.what.padEnd(24)} ${Math.round(r.reqPerSec).toLocaleString('en-US').padStart(11)} ${r.mbps.toFixed(0).padStart(11)}`);
  }
  if (sink === 0.5) console.log(sink); // keep the results alive
}

await main();
