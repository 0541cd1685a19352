// Issue 13 item 4: a flipped byte in the oldest segment, before the first recovery checkpoint,
// made recovery delete two later segments (8,172 acknowledged records) and log nothing. Recovery
// now works as Kafka's LogLoader: segments from the recovery point (all of them when there is no
// checkpoint yet) are checked; a corrupt batch truncates its segment at the last valid batch and,
// as Kafka does, the unflushed segments after it are deleted; every truncation and every deleted
// segment is a WARN line with the partition, segment base offset, offsets and reason, and the
// recovery reports its progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { segmentFileName } from '../../src/storage/segment.js';
import { Logger } from '../../src/util/log.js';
import { defaultLogConfig } from './conformance.js';
import { parseBatches, sizedBatch } from './batch-builder.js';

const RECORDS_PER_BATCH = 10;

test('a flipped byte in the oldest segment before the first checkpoint: that segment keeps its valid batches, later segments go, each step a WARN line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-recovery-log-'));
  try {
    const config = defaultLogConfig({ segmentBytes: 20 * 1024 });
    // The first broker: 3 segments of ~4 batches, then a crash (no checkpoint, no clean-shutdown marker).
    const first = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
    const log = first.openLog('t', 0, config);
    for (let i = 0; i < 12; i++) log.append(sizedBatch(RECORDS_PER_BATCH, 4500), { leaderEpoch: 0, nowMs: Date.now() });
    await first.whenWritesDone();
    const bases = log.segments().map((s) => Number(s.baseOffset));
    assert.ok(bases.length >= 3, `segments: ${bases}`);
    const end = Number(log.logEndOffset);

    // Flip a byte inside the third batch of the oldest segment (its records: the CRC no longer matches).
    const oldest = join(dir, 't-0', segmentFileName(0, '.log'));
    const fd = openSync(oldest, 'r+');
    const bytes = Buffer.alloc(64 * 1024);
    const size = readSync(fd, bytes, 0, bytes.length, 0);
    const batches = parseBatches(bytes.subarray(0, size));
    const hit = batches[2]!;
    const at = hit.bytes.byteOffset - bytes.byteOffset + hit.size - 10;
    writeSync(fd, Buffer.from([bytes[at]! ^ 0xff]), 0, 1, at);
    closeSync(fd);

    const lines: string[] = [];
    const logger = new Logger('kafka.log.LogManager', (line) => lines.push(line), 0);
    const second = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0, logger });
    const recovered = second.openLog('t', 0, config);
    // What Kafka keeps: the oldest segment up to the corrupt batch; nothing after it.
    assert.equal(Number(recovered.logEndOffset), hit.baseOffset);
    assert.deepEqual(recovered.segments().map((s) => Number(s.baseOffset)), [0]);
    for (const base of bases.slice(1)) assert.equal(existsSync(join(dir, 't-0', segmentFileName(base, '.log'))), false);
    const read = recovered.read(0n, 1 << 20, { minOneBatch: true });
    assert.deepEqual(parseBatches(read.records).map((b) => [b.baseOffset, b.crcValid]), batches.slice(0, 2).map((b) => [b.baseOffset, true]));

    const warn = lines.filter((l) => l.includes(' WARN '));
    const prefix = `[LogLoader partition=t-0, dir=${dir}]`;
    const corruptAt = hit.bytes.byteOffset - bytes.byteOffset;
    assert.ok(warn.some((l) => l.includes(prefix) && l.includes(`Found invalid messages in log segment ${oldest} at byte offset ${corruptAt}: CRC32C mismatch in the batch with offsets [${hit.baseOffset}, ${hit.lastOffset}]`)), lines.join('\n'));
    assert.ok(warn.some((l) => l.includes(prefix) && l.includes(`Corruption found in segment 0, truncating to offset ${hit.baseOffset}`)), lines.join('\n'));
    for (let i = 1; i < bases.length; i++) {
      const last = i + 1 < bases.length ? bases[i + 1]! - 1 : end - 1;
      assert.ok(warn.some((l) => l.includes(prefix) && l.includes(`Deleting segment ${bases[i]} (offsets ${bases[i]} to ${last},`) && l.includes('as part of log recovery')), `segment ${bases[i]}:\n${lines.join('\n')}`);
    }
    assert.ok(lines.some((l) => l.includes(` INFO Attempting recovery for all logs in ${dir} since no clean shutdown file was found: recovering the segments of 1 partitions`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`INFO Recovered ${bases.length} segments of 1 partitions in ${dir}`)), lines.join('\n'));
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress lines while many partitions recover', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-recovery-progress-'));
  try {
    const first = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0 });
    for (let p = 0; p < 6; p++) first.openLog('p', p, defaultLogConfig()).append(sizedBatch(2, 200), { leaderEpoch: 0, nowMs: Date.now() });
    first.close();
    // An unclean shutdown: the marker is gone.
    rmSync(join(dir, '.kafka_cleanshutdown'));
    const lines: string[] = [];
    // Interval 0: every step reports (the default is 10 s).
    const second = new FileStorageEngine({ logDirs: [dir], checkpointIntervalMs: 0, logger: new Logger('x', (l) => lines.push(l), 0), recoveryProgressIntervalMs: 0 });
    for (let p = 0; p < 6; p++) second.openLog('p', p, defaultLogConfig());
    const progress = lines.filter((l) => l.includes(`Recovering 6 partitions in ${dir}:`));
    assert.ok(progress.length >= 4, lines.join('\n'));
    assert.match(progress.at(-1)!, /5 done \(83%\), \d+ segments recovered so far/);
    assert.ok(lines.at(-1)!.includes(`Recovered 6 segments of 6 partitions in ${dir}`), lines.join('\n'));
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
