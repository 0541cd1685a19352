/**
 * What one small produce request costs the broker: one connection sends acks=1 Produce v9
 * requests of one 1 KiB record, one at a time (each waits for its answer), to a 1-partition
 * topic, after 3,000 warm-up requests. Prints requests/s and the broker's CPU per request: the
 * whole process (/proc/<pid>/stat: main thread, libuv's pool, V8's threads) and its main thread
 * alone (/proc/<pid>/schedstat). A cost per request, where bench/broker.ts measures per byte.
 *
 *   node bench/dist/small-produce.js [--broker-root DIR] [--requests 20000] [--profile DIR]
 *
 * --broker-root runs `samsa server` from another built checkout (compares builds); --profile
 * runs it with `node --cpu-prof` (summarize with bench/dist/profile-summary.js).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { BrokerProcess, mainThreadCpuSeconds, repoRoot } from './broker-process.js';
import { createTopic, PipelinedConnection, produceOne } from './wire.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const root = resolve(arg('--broker-root', repoRoot));
const requests = Number(arg('--requests', '20000'));
const profileDir = arg('--profile', '');

const broker = await BrokerProcess.start({ storage: 'file', build: 'dist', root, profileDir: profileDir === '' ? undefined : profileDir });
try {
  const conn = await PipelinedConnection.open('127.0.0.1', broker.port);
  await createTopic(conn, 'small', 1);
  const record = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.alloc(1024, 0x62) }]));
  for (let i = 0; i < 3000; i++) await produceOne(conn, 'small', record);
  const cpu0 = broker.cpuSeconds();
  const main0 = mainThreadCpuSeconds(broker.pid);
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) await produceOne(conn, 'small', record);
  const s = (performance.now() - t0) / 1000;
  const perRequest = (seconds: number): string => `${((seconds / requests) * 1e6).toFixed(1)} us`;
  console.log(`broker ${root}: ${requests} requests in ${(s * 1000).toFixed(0)} ms (${(requests / s).toFixed(0)}/s); broker CPU per request ${perRequest(broker.cpuSeconds() - cpu0)}, main thread ${perRequest(mainThreadCpuSeconds(broker.pid) - main0)}`);
  conn.close();
} finally {
  await broker.stop();
}
