/**
 * Preloaded into the broker by `cold-fetch.js --probe` (node --import): times every synchronous
 * file read (fs.readSync) on the broker's main thread, and on SIGUSR2 appends the running totals
 * (count, milliseconds, reads over 1 ms) as a JSON line to $SAMSA_SYNC_READ_PROBE. A synchronous
 * read that waits for the disk stalls every connection: this counts how long the event loop did.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';

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
  syncBuiltinESMExports(); // `import { readSync } from 'node:fs'` sees the timed one
  process.on('SIGUSR2', () => fs.appendFileSync(out, JSON.stringify(totals) + '\n'));
}
