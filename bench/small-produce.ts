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
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { freePort, mainThreadCpuSeconds, processCpuSeconds, repoRoot } from './broker-process.js';
import { createTopic, PipelinedConnection } from './wire.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const root = resolve(arg('--broker-root', repoRoot));
const requests = Number(arg('--requests', '20000'));
const profileDir = arg('--profile', '');

const dir = mkdtempSync(join(tmpdir(), 'samsa-small-produce-'));
const port = await freePort();
writeFileSync(join(dir, 'server.properties'), `listeners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${join(dir, 'logs')}\noffsets.topic.replication.factor=1\n`);
const profile = profileDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
const broker = spawn(process.execPath, [...profile, join(root, 'packages/cli/dist/src/bin/samsa.js'), 'server', join(dir, 'server.properties')], { stdio: 'ignore', env: { ...process.env, SAMSA_LOG: 'WARN' } });
try {
  let conn: PipelinedConnection | null = null;
  for (const deadline = Date.now() + 60_000; conn === null; ) {
    try {
      conn = await PipelinedConnection.open('127.0.0.1', port);
    } catch (e) {
      if (Date.now() > deadline || broker.exitCode !== null) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await createTopic(conn, 'small', 1);
  const record = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.alloc(1024, 0x62) }]));
  const produce = async (): Promise<void> => {
    const r = await conn.request<any>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'small', partitionData: [{ index: 0, records: Buffer.from(record) }] }] });
    const code = r.responses[0].partitionResponses[0].errorCode;
    if (code !== ErrorCode.NONE) throw new Error(`produce: error ${code}`);
  };
  for (let i = 0; i < 3000; i++) await produce();
  const pid = broker.pid!;
  const cpu0 = processCpuSeconds(pid);
  const main0 = mainThreadCpuSeconds(pid);
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) await produce();
  const s = (performance.now() - t0) / 1000;
  const perRequest = (seconds: number): string => `${((seconds / requests) * 1e6).toFixed(1)} us`;
  console.log(`broker ${root}: ${requests} requests in ${(s * 1000).toFixed(0)} ms (${(requests / s).toFixed(0)}/s); broker CPU per request ${perRequest(processCpuSeconds(pid) - cpu0)}, main thread ${perRequest(mainThreadCpuSeconds(pid) - main0)}`);
  conn.socket.destroy();
} finally {
  const exited = new Promise((r) => broker.once('exit', r));
  broker.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
