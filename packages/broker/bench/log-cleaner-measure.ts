// Measurements, not a test: `node -C source --import tsx packages/broker/bench/log-cleaner-measure.ts`
// The broker-side cleaner over a real file log: time per background step (map/clean steps and
// the synchronous swap), event-loop delay while it runs, throughput.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { CompressionType } from '@samsa/protocol/records';
import { FileStorageEngine } from '../src/storage/file-engine.js';
import { LogCleaner } from '../src/storage/log-cleaner.js';
import { FakeClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';
import { buildLog, type Put } from '../test/storage/cleaner-helpers.js';
import { defaultLogConfig } from '../test/storage/conformance.js';

const BATCHES = 2000;
const PER_BATCH = 50;
const KEYS = 20_000;

for (const [codec, segmentBytes] of [[CompressionType.None, 1 << 20], [CompressionType.None, 64 << 20], [CompressionType.Lz4, 1 << 20]] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cleaner-measure-'));
  const clock = new FakeClock();
  const engine = new FileStorageEngine({ logDirs: [dir], now: () => clock.now(), checkpointIntervalMs: 0 });
  const config = defaultLogConfig({ cleanupPolicy: 'compact', segmentBytes, segmentMs: 60_000, minCleanableDirtyRatio: 0.01 });
  const log = engine.openLog('measure', 0, config);
  const groups: Put[][] = [];
  for (let b = 0; b < BATCHES; b++) groups.push(Array.from({ length: PER_BATCH }, (_, i) => ({ key: `key-${(b * PER_BATCH + i) % KEYS}`, value: 'x'.repeat(100) })));
  for (const batch of buildLog(groups, { compression: codec })) log.append(batch, { leaderEpoch: 0, nowMs: clock.now() });
  // A record past segment.ms rolls: everything before it is cleanable.
  log.append(buildLog([[{ key: 'last', value: 'v' }]], { timestamp: 10_000_000n })[0]!, { leaderEpoch: 0, nowMs: clock.now() });
  const sizeBefore = log.sizeBytes;
  const segmentsBefore = log.segments().length;
  const cleaner = new LogCleaner({
    clock, logs: () => [{ log, config }], logger: createLogger('measure', { level: 'ERROR' }),
    backoffMs: 15_000, dedupeBufferSize: 128 << 20, ioBufferSize: 512 * 1024,
  });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = performance.now();
  const done = await cleaner.cleanAll();
  const wall = performance.now() - t0;
  delay.disable();
  const s = cleaner.stats;
  const codecName = CompressionType[codec];
  console.log(
    `${codecName}, segment.bytes ${segmentBytes >> 20} MiB: ${done.length} cleaning(s) of ${(sizeBefore / 1e6).toFixed(1)} MB in ${segmentsBefore} segment(s) ` +
      `-> ${(log.sizeBytes / 1e6).toFixed(1)} MB; ${s.steps} steps, max step ${s.maxStepMs.toFixed(1)} ms (max swap ${s.maxSwapMs.toFixed(1)} ms), max CPU of a step ${s.maxStepCpuMs.toFixed(1)} ms, ` +
      `mean ${(s.totalStepMs / s.steps).toFixed(2)} ms; wall ${wall.toFixed(0)} ms (${((sizeBefore / 1e6) / (wall / 1000)).toFixed(0)} MB/s); ` +
      `event-loop delay max ${(delay.max / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms`,
  );
  engine.close();
  rmSync(dir, { recursive: true, force: true });
}
