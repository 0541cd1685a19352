/**
 * Preloaded into the broker by `cold-fetch.js --probe` (node --import): times every synchronous
 * file read (fs.readSync) on the broker's main thread, every async file write (fs.writev) and
 * read (fs.read) on libuv's thread pool from call to callback, and the event loop's delay. On
 * SIGUSR2 it appends a JSON line to $SAMSA_SYNC_READ_PROBE: the running totals of the
 * synchronous reads (count, milliseconds, reads over 1 ms), and the percentiles of the pool
 * latencies and of the loop delay since the previous signal. A synchronous read that waits for
 * the disk stalls every connection; a slow pool write holds every produce response behind it
 * (responses wait for their appends to reach the page cache); a long loop delay is the main
 * thread busy. Which of them moves tells where a concurrent producer's latency goes.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Percentiles in ms of what was recorded since the last take(). */
export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

class Latencies {
  private ms: number[] = [];
  add(ms: number): void {
    if (this.ms.length < 1_000_000) this.ms.push(ms);
  }
  take(): Percentiles {
    const s = this.ms.sort((a, b) => a - b);
    this.ms = [];
    const at = (q: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
    return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 };
  }
}

/** Wraps an async fs call so its callback records the time since the call. */
function timedAsync<F extends (...args: never[]) => void>(fn: F, into: Latencies): F {
  return function timed(this: unknown, ...args: unknown[]): void {
    const cb = args.at(-1) as (...r: unknown[]) => void;
    const t = performance.now();
    args[args.length - 1] = (...r: unknown[]): void => {
      into.add(performance.now() - t);
      cb(...r);
    };
    (fn as unknown as (...a: unknown[]) => void).apply(this, args);
  } as unknown as F;
}

const out = process.env['SAMSA_SYNC_READ_PROBE'];
if (out !== undefined) {
  const totals = { reads: 0, ms: 0, over1ms: 0 };
  const readSync = fs.readSync;
  fs.readSync = function timedReadSync(this: unknown, ...args: Parameters<typeof fs.readSync>): number {
    const t = performance.now();
    try {
      return (readSync as (...a: unknown[]) => number).apply(this, args);
    } finally {
      const ms = performance.now() - t;
      totals.reads++;
      totals.ms += ms;
      if (ms > 1) totals.over1ms++;
    }
  } as typeof fs.readSync;
  const poolWrites = new Latencies();
  const poolReads = new Latencies();
  fs.writev = timedAsync(fs.writev, poolWrites);
  fs.read = timedAsync(fs.read, poolReads);
  syncBuiltinESMExports(); // `import { readSync } from 'node:fs'` sees the timed one
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('SIGUSR2', () => {
    const loopDelay: Percentiles = { n: loop.count, p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
    loop.reset();
    fs.appendFileSync(out, JSON.stringify({ ...totals, poolWrites: poolWrites.take(), poolReads: poolReads.take(), loopDelay }) + '\n');
  });
}
