/**
 * The structure-aware fuzz soak (`npm run fuzz:soak`): a `samsa server` process (memory
 * storage) takes FUZZ_CASES (default 1,000,000) generated requests from 16 hostile connections
 * while a steady client produces and fetches. Reports cases, answers, closes, hangs, bad
 * responses, whether the broker crashed, its peak RSS (VmHWM) and the steady client's slowest
 * round. FUZZ_SEED=<n> replays; exit code 1 on a hang, crash or steady-client failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireClient } from '../test/testkit/wire-client.js';
import { freePort, startServer } from '../test/support/server-process.js';
import { FUZZ_TOPICS, runStructuredFuzz, steadyClient, type FuzzStats } from '../test/fuzz/structured-fuzz.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env['FUZZ_CASES'] ?? 1_000_000);
const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 4 * 3600_000);

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? -1 : Math.round(Number(m[1]) / 1024);
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-fuzz-soak-'));
const port = await freePort();
const props = join(dir, 'server.properties');
writeFileSync(props, [`listeners=PLAINTEXT://127.0.0.1:${port}`, `log.dirs=${join(dir, 'logs')}`, 'offsets.topic.replication.factor=1', 'socket.request.max.bytes=16777216', 'group.initial.rebalance.delay.ms=0', ''].join('\n'));
const server = await startServer(props, ['--storage', 'memory'], { LOG_DIR: join(dir, 'server-logs') });
let crashed: number | null | 'none' = 'none';
void server.exited.then((code) => (crashed = code));
const pid = server.child.pid!;
const started = Date.now();
let stats: FuzzStats | null = null;
let steadyResult: { rounds: number; slowestMs: number } | null = null;
let steadyError: string | null = null;
try {
  const admin = await WireClient.connect(port);
  await admin.send(19, 7, { topics: ['steady', ...FUZZ_TOPICS.slice(0, 2)].map((name) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  const served = (await admin.send(18, 3, { clientSoftwareName: 'soak', clientSoftwareVersion: '1' })).apiKeys;
  admin.close();
  const steady = steadyClient(port, 'steady');
  console.log(`fuzz soak: seed ${SEED}, ${CASES} cases, broker pid ${pid} on port ${port}`);
  stats = await runStructuredFuzz({
    port, seed: SEED, served, cases: CASES, budgetMs: BUDGET_MS, concurrency: 16, mustEndMs: 10_000, mayWaitMs: 300,
    onHang: (h) => console.log(`${new Date().toISOString()} hang: ${h}`),
    onProgress: (s) => console.log(`${new Date().toISOString()} ${s.cases} cases, ${s.answered} answered, ${s.closed} closed, ${s.waited} waited, ${s.hangs.length} hangs; steady rounds ${steady.rounds()}; broker peak RSS ${peakRssMb(pid)} MB`),
  });
  try {
    steadyResult = await steady.stop();
  } catch (e) {
    steadyError = (e as Error).message;
  }
} finally {
  const rss = crashed === 'none' ? peakRssMb(pid) : -1;
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    seed: SEED, cases: stats?.cases ?? 0, seconds: Math.round(seconds), casesPerSecond: Math.round((stats?.cases ?? 0) / seconds),
    answered: stats?.answered, closed: stats?.closed, waited: stats?.waited, hangs: stats?.hangs.length, badResponses: stats?.badResponses.length,
    crashed: crashed !== 'none', brokerPeakRssMb: rss, steady: steadyResult, steadyError,
    unexpectedErrors: (server.stderr().match(/Unexpected error/g) ?? []).length,
  };
  console.log(JSON.stringify(summary, null, 2));
  for (const h of stats?.hangs.slice(0, 10) ?? []) console.log(`hang: ${h}`);
  for (const b of stats?.badResponses.slice(0, 10) ?? []) console.log(`bad response: ${b}`);
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
  if (summary.crashed || (summary.hangs ?? 0) > 0 || steadyError !== null || summary.unexpectedErrors > 0) process.exitCode = 1;
}
