/**
 * The structure-aware fuzz soak (`npm run fuzz:soak`): a `samsa server` process (memory
 * storage) takes FUZZ_CASES (default 1,000,000) generated requests from 16 hostile connections
 * while a steady client produces and fetches. Reports cases, answers, closes, hangs, bad
 * responses, whether the broker crashed, its peak RSS (VmHWM) and the steady client's slowest
 * round. FUZZ_SEED=<n> replays (bench/fuzz-replay.ts replays from a case on, or single cases);
 * exit code 1 on a hang, crash or steady-client failure.
 */
import { runStructuredFuzz, steadyClient, type FuzzStats } from '../test/fuzz/structured-fuzz.js';
import { peakRssMb, startFuzzServer } from './fuzz-server.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env['FUZZ_CASES'] ?? 1_000_000);
const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 4 * 3600_000);

const broker = await startFuzzServer();
const { port, pid, server } = broker;
let crashed: number | null | 'none' = 'none';
void server.exited.then((code) => (crashed = code));
const started = Date.now();
let stats: FuzzStats | null = null;
let steadyResult: { rounds: number; slowestMs: number } | null = null;
let steadyError: string | null = null;
try {
  const steady = steadyClient(port, 'steady');
  console.log(`fuzz soak: seed ${SEED}, ${CASES} cases, broker pid ${pid} on port ${port}`);
  stats = await runStructuredFuzz({
    port, seed: SEED, served: broker.served, cases: CASES, budgetMs: BUDGET_MS, concurrency: 16, mustEndMs: 10_000, mayWaitMs: 300,
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
  await broker.stop();
  if (summary.crashed || (summary.hangs ?? 0) > 0 || steadyError !== null || summary.unexpectedErrors > 0) process.exitCode = 1;
}
