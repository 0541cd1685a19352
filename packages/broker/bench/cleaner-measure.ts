// Measurements, not a test: `node -C source --import tsx packages/broker/bench/cleaner-measure.ts`
// (producer-state hot path cost per batch; cleaner throughput and longest background step).
import { performance } from 'node:perf_hooks';
import { CompressionType } from '@samsa/protocol/records';
import { ProducerStateManager } from '../src/storage/producer-state.js';
import { buildOffsetMap, cleanBatches, OffsetMap, runInBackground } from '../src/storage/cleaner.js';
import { buildLog, type Put } from '../test/storage/cleaner-helpers.js';

// 1. hot path: checkAndPrepare + onAppended per batch
{
  const s = new ProducerStateManager({ maxProducerIdExpirationMs: 86_400_000, now: () => 0 });
  const N = 1_000_000; const P = 1000;
  const seqs = new Int32Array(P);
  let off = 0n;
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    const pid = BigInt(i % P);
    const seq = seqs[i % P]!;
    const h = { producerId: pid, producerEpoch: 0, baseSequence: seq, lastSequence: seq + 9, isTransactional: false, recordCount: 10, maxTimestamp: 1n };
    if (s.checkAndPrepare(h).kind !== 'append') throw new Error('dup');
    s.onAppended(h, off, off + 9n); off += 10n; seqs[i % P] = seq + 10;
  }
  const ms = performance.now() - t;
  console.log(`producer state: ${N} batches (${P} producers) in ${ms.toFixed(0)} ms = ${(ms * 1000 / N).toFixed(2)} us/batch`);
}
// 2. cleaner
for (const codec of [CompressionType.None, CompressionType.Lz4, CompressionType.Zstd]) {
  const groups: Put[][] = [];
  for (let b = 0; b < 2000; b++) groups.push(Array.from({ length: 50 }, (_, i) => ({ key: `key-${(b * 50 + i) % 20000}`, value: 'x'.repeat(100) })));
  const log = buildLog(groups, { compression: codec });
  const bytes = log.reduce((a, b) => a + b.length, 0);
  const map = new OffsetMap();
  let maxStep = 0; let last = performance.now();
  const stepTimer = () => { const n = performance.now(); maxStep = Math.max(maxStep, n - last); };
  const t0 = performance.now();
  last = t0;
  const job1 = buildOffsetMap(map, log, { startOffset: 0n, endOffset: 1n << 40n });
  await runInBackground(job1, () => { stepTimer(); }, (fn) => setImmediate(() => { last = performance.now(); fn(); }));
  const t1 = performance.now();
  let outBytes = 0;
  await runInBackground(cleanBatches(log, { map, nowMs: 0, deleteRetentionMs: 1, producers: new Map() }), (c) => { stepTimer(); for (const b of c) outBytes += b.length; }, (fn) => setImmediate(() => { last = performance.now(); fn(); }));
  const t2 = performance.now();
  console.log(`cleaner codec=${codec}: 100000 records, ${(bytes / 1e6).toFixed(1)} MB -> ${(outBytes / 1e6).toFixed(1)} MB; map ${(t1 - t0).toFixed(0)} ms, clean ${(t2 - t1).toFixed(0)} ms (${(100000 / ((t2 - t0) / 1000) / 1e3).toFixed(0)}k records/s), longest step ${maxStep.toFixed(1)} ms (64 batches x 50 records)`);
}
