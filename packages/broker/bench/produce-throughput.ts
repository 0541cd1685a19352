/**
 * Produce throughput over loopback: one connection, 16 KiB batches, pipelined requests
 * (acks=1), memory or file storage. Usage:
 *   node -C source --import tsx packages/broker/bench/produce-throughput.ts [memory|file] [seconds] [depth]
 */
import { connect } from 'node:net';
import { ApiKey, encodeRequestHeader, Writer, apis } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker } from '../src/testkit/index.js';

const storage = (process.argv[2] ?? 'memory') as 'memory' | 'file';
const seconds = Number(process.argv[3] ?? 5);
const depth = Number(process.argv[4] ?? 32);
const BATCH_BYTES = 16 * 1024;

const tb = await startBroker({ storage, config: { 'log.segment.bytes': String(256 << 20), 'log.retention.bytes': String(512 << 20) } });
await tb.broker.topics.createTopic({ name: 'bench' });

const records = Array.from({ length: 16 }, () => ({ value: Buffer.alloc(BATCH_BYTES / 16 - 20, 0x61) }));
const batch = encodeRecordBatch(createRecordBatch(records));
const api = apis[ApiKey.Produce]!;
function frame(correlationId: number): Buffer {
  const w = new Writer(batch.length + 128);
  w.int32(0);
  encodeRequestHeader(w, api.requestHeaderVersion(7), { requestApiKey: 0, requestApiVersion: 7, correlationId, clientId: 'bench' });
  api.encodeRequest(w, 7, { acks: 1, timeoutMs: 30000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
  const f = Buffer.concat(w.chunks());
  f.writeInt32BE(f.length - 4, 0);
  return f;
}
// Pre-encode a pool of frames so the client side is cheap.
const pool = Array.from({ length: depth * 2 }, (_, i) => frame(i));

const socket = connect({ port: tb.port, host: '127.0.0.1' });
await new Promise((r) => socket.once('connect', r));
socket.setNoDelay(true);
let sent = 0;
let acked = 0;
let pendingBytes = 0;
let stopAt = 0;
let buffered: Buffer = Buffer.alloc(0);
const done = new Promise<void>((resolve) => {
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let pos = 0;
    while (buffered.length - pos >= 4) {
      const size = buffered.readInt32BE(pos);
      if (buffered.length - pos - 4 < size) break;
      pos += 4 + size;
      acked++;
    }
    buffered = buffered.subarray(pos);
    if (Date.now() < stopAt) {
      while (sent - acked < depth) socket.write(pool[sent++ % pool.length]!);
    } else if (acked === sent) resolve();
  });
});
const start = Date.now();
stopAt = start + seconds * 1000;
while (sent < depth) socket.write(pool[sent++ % pool.length]!);
await done;
const elapsed = (Date.now() - start) / 1000;
void pendingBytes;
const mb = (acked * batch.length) / (1024 * 1024);
console.log(`${storage}: ${acked} produce requests of ${batch.length} B in ${elapsed.toFixed(2)} s = ${(mb / elapsed).toFixed(1)} MiB/s, ${(acked / elapsed).toFixed(0)} req/s (depth ${depth})`);
socket.destroy();
await tb.stop();
