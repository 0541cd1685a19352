/**
 * Replays part of a fuzz soak against a fresh broker (bench/fuzz-server.ts), to find why a case
 * hung. FUZZ_SEED=<n> as the soak had it, then either
 *   FUZZ_FROM=<case> FUZZ_CASES=<count>: cases FROM.. FROM+COUNT-1 from 16 connections, as in the
 *     soak (cases before FROM are generated and dropped, so the broker lacks the state they made);
 *   FUZZ_ONLY=<case>,<case>...: each listed case alone, one after another, on a fresh connection.
 * Prints every case slower than FUZZ_SLOW_MS (default 1000) and each hang, with its frame in hex,
 * and the broker's peak RSS; FUZZ_RSS_STEP_MB=<n> also prints each case whose end saw the broker's
 * peak RSS grow by n MB or more since the last case (with 16 connections, one of the cases in
 * flight then did it).
 */
import { runStructuredFuzz, type FuzzCase, type Outcome } from '../test/fuzz/structured-fuzz.js';
import { peakRssMb, startFuzzServer } from './fuzz-server.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0);
const SLOW_MS = Number(process.env['FUZZ_SLOW_MS'] ?? 1000);
const only = (process.env['FUZZ_ONLY'] ?? '').split(',').filter((s) => s !== '').map(Number);
const broker = await startFuzzServer();
const describe = (c: FuzzCase, outcome: Outcome, ms: number): string =>
  `case ${c.correlationId} ${c.api.name} v${c.version}${c.mutated ? ' (mutated)' : ''}, ${c.frame.length} bytes: ${outcome} after ${ms} ms; frame ${c.frame.toString('hex').slice(0, 400)}`;
try {
  if (only.length > 0) {
    for (const n of only) {
      await runStructuredFuzz({
        port: broker.port, seed: SEED, served: broker.served, firstCase: n, cases: 1, budgetMs: 60_000, concurrency: 1, mustEndMs: 30_000, mayWaitMs: 300,
        onCase: (got, outcome, ms) => console.log(describe(got, outcome, ms)),
      });
    }
  } else {
    const first = Number(process.env['FUZZ_FROM'] ?? 1);
    const cases = Number(process.env['FUZZ_CASES'] ?? 1000);
    const started = Date.now();
    const rssStepMb = Number(process.env['FUZZ_RSS_STEP_MB'] ?? 0);
    let lastPeak = peakRssMb(broker.pid);
    const stats = await runStructuredFuzz({
      port: broker.port, seed: SEED, served: broker.served, firstCase: first, cases, budgetMs: 3600_000, concurrency: 16, mustEndMs: 10_000, mayWaitMs: 300,
      onCase: (c, outcome, ms) => {
        if (ms >= SLOW_MS) console.log(`${new Date().toISOString()} ${describe(c, outcome, ms)}`);
        if (rssStepMb > 0) {
          const peak = peakRssMb(broker.pid);
          if (peak - lastPeak >= rssStepMb) console.log(`${new Date().toISOString()} peak RSS ${lastPeak} -> ${peak} MB at the end of ${describe(c, outcome, ms)}`);
          lastPeak = peak;
        }
      },
      onProgress: (s) => console.log(`${new Date().toISOString()} ${s.cases} cases, ${s.hangs.length} hangs; broker peak RSS ${peakRssMb(broker.pid)} MB`),
    });
    console.log(`${stats.cases} cases from ${first} in ${Date.now() - started} ms: ${stats.answered} answered, ${stats.closed} closed, ${stats.waited} waited, ${stats.hangs.length} hangs`);
  }
  console.log(`broker peak RSS ${peakRssMb(broker.pid)} MB`);
  // Time to look at the broker before it stops (e.g. `kill -USR2 <pid>` for a heap snapshot).
  const holdMs = Number(process.env['FUZZ_HOLD_MS'] ?? 0);
  if (holdMs > 0) {
    console.log(`holding broker pid ${broker.pid} for ${holdMs} ms`);
    await new Promise((r) => setTimeout(r, holdMs));
  }
} finally {
  await broker.stop();
}
