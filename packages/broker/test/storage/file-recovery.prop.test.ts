/**
 * Crash recovery under random damage: whatever is cut off or scribbled over at the end of the
 * active segment, reopening yields exactly the batches that lie wholly before the damage, with
 * valid CRCs, and appends continue at the next offset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FileLog, FileStorageEngine } from '../../src/storage/file-engine.js';
import { buildBatch, parseBatches } from './batch-builder.js';
import { T0, defaultLogConfig } from './conformance.js';

describe('file engine crash recovery (fast-check)', () => {
  it('recovers the longest whole prefix after random tail damage', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 50, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.oneof(fc.constant(null), fc.uint8Array({ minLength: 1, maxLength: 200 })),
        fc.boolean(),
        (recordCounts, segmentKiB, cutAt, garbage, overwrite) => {
          const dir = mkdtempSync(join(tmpdir(), 'samsa-recovery-prop-'));
          const config = defaultLogConfig({ segmentBytes: segmentKiB * 10, indexIntervalBytes: 64 });
          try {
            let engine = new FileStorageEngine({ logDirs: [dir], now: () => T0, checkpointIntervalMs: 0 });
            let log = engine.openLog('r', 0, config) as FileLog;
            for (const [i, n] of recordCounts.entries()) {
              log.append(buildBatch({ records: Array.from({ length: n }, (_, j) => ({ value: Buffer.alloc((i * 7 + j) % 40, 0x42), timestamp: T0 + i })) }), { leaderEpoch: 0, nowMs: T0 });
            }
            const before = parseBatches(log.read(0n, 1 << 24, { minOneBatch: true }).records).map((b) => ({ ...b, bytes: Buffer.from(b.bytes) }));
            const active = log.segments().at(-1)!;
            const activeFile = join(log.dir, `${String(active.baseOffset).padStart(20, '0')}.log`);
            log.closeForDelete(); // crash: no flush, no checkpoint, no clean-shutdown marker
            const size = statSync(activeFile).size;
            const cut = Math.floor(cutAt * size);
            // damage: cut the file at `cut`, then optionally write garbage there (or over what follows)
            if (!overwrite) truncateSync(activeFile, cut);
            if (garbage !== null) {
              const fd = openSync(activeFile, 'r+');
              writeSync(fd, garbage, 0, garbage.length, cut);
              closeSync(fd);
            }
            engine = new FileStorageEngine({ logDirs: [dir], now: () => T0, checkpointIntervalMs: 0 });
            log = engine.openLog('r', 0, config) as FileLog;
            // Every batch wholly before the damage survives; what survives is a prefix of what was
            // written, byte for byte from the magic byte on (the CRC does not cover baseOffset and
            // partitionLeaderEpoch, so damage there can pass, as in Kafka).
            let pos = 0;
            let intact = 0;
            for (const b of before) {
              if (BigInt(b.baseOffset) >= active.baseOffset) {
                if (pos + b.size > cut) break;
                pos += b.size;
              }
              intact++;
            }
            const got = parseBatches(log.read(0n, 1 << 24, { minOneBatch: true }).records);
            assert.ok(got.length >= intact, `got ${got.length} batches, ${intact} were intact`);
            assert.ok(got.length <= before.length);
            assert.ok(got.every((b) => b.crcValid));
            for (let i = 0; i < got.length; i++) assert.deepEqual(got[i]!.bytes.subarray(16), before[i]!.bytes.subarray(16));
            const leo = got.length === 0 ? Number(active.baseOffset) : got.at(-1)!.lastOffset + 1;
            assert.equal(log.logEndOffset, BigInt(Math.max(leo, Number(log.segments().at(-1)!.baseOffset))));
            const next = log.append(buildBatch({ records: [{ value: null }] }), { leaderEpoch: 0, nowMs: T0 });
            assert.equal(next.baseOffset, log.logEndOffset - 1n);
            engine.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
