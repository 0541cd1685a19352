import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { LeaderEpochFileCache, LEADER_EPOCH_CHECKPOINT } from '../../src/cluster/leader-epoch-cache.js';
import { Partition, type PartitionState } from '../../src/cluster/partition.js';
import { FileStorageEngine } from '../../src/storage/file-engine.js';
import { MemoryStorageEngine } from '../../src/storage/memory-engine.js';
import { buildBatch, parseBatches } from '../storage/batch-builder.js';
import { defaultLogConfig } from '../storage/conformance.js';

const now = (): number => 1_700_000_000_000;
const batch = (n: number, extra: { baseOffset?: number; partitionLeaderEpoch?: number } = {}): Buffer =>
  buildBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })), baseTimestamp: now(), ...extra });
const codeOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return ErrorCode.NONE;
};

test('leader epoch cache: assign, end offsets per epoch, truncation from both ends, Kafka file format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-epochs-'));
  try {
    const cache = new LeaderEpochFileCache(dir);
    cache.assign(0, 0n);
    cache.assign(0, 5n); // same epoch later: kept at its first offset
    cache.assign(2, 10n);
    cache.assign(5, 20n);
    assert.equal(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n3\n0 0\n2 10\n5 20\n');
    assert.deepEqual(cache.endOffsetFor(5, 30n), { epoch: 5, endOffset: 30n });
    assert.deepEqual(cache.endOffsetFor(2, 30n), { epoch: 2, endOffset: 20n });
    assert.deepEqual(cache.endOffsetFor(3, 30n), { epoch: 2, endOffset: 20n }, 'an unknown epoch answers the largest one below it');
    assert.deepEqual(cache.endOffsetFor(6, 30n), { epoch: -1, endOffset: -1n });
    cache.truncateFromEnd(15n);
    assert.deepEqual(cache.epochEntries.map((e) => [e.epoch, e.startOffset]), [[0, 0n], [2, 10n]]);
    cache.truncateFromStart(12n);
    assert.deepEqual(cache.epochEntries.map((e) => [e.epoch, e.startOffset]), [[2, 12n]]);
    assert.deepEqual(new LeaderEpochFileCache(dir).epochEntries, cache.epochEntries, 'reloaded from the file');
    // A lower epoch contradicts what is known: the newer entries go.
    cache.assign(1, 14n);
    assert.deepEqual(cache.epochEntries.map((e) => [e.epoch, e.startOffset]), [[1, 14n]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('partition: HW is the smallest ISR log end, consumers read up to it, followers to the log end, acks=all needs min ISR', () => {
  const engine = new MemoryStorageEngine({ now });
  const advanced: bigint[] = [];
  const p = new Partition(engine.openLog('t', 0, defaultLogConfig()), {
    localBrokerId: 1,
    listener: { onHighWatermarkAdvanced: (part) => advanced.push(part.highWatermark) },
  });
  const state: PartitionState = { leader: 1, leaderEpoch: 3, replicas: [1, 2], isr: [1, 2] };
  const consumerRead = { isolation: 'high-watermark', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: true } as const;

  assert.equal(codeOf(() => p.appendRecordsAsLeader(batch(1), { requiredAcks: 1, minInsyncReplicas: 1, nowMs: now() })), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p.makeLeader(state), true);
  const info = p.appendRecordsAsLeader(batch(3), { requiredAcks: -1, minInsyncReplicas: 2, nowMs: now() });
  assert.deepEqual([info.baseOffset, info.lastOffset, p.logEndOffset, p.highWatermark], [0n, 2n, 3n, 0n], 'HW waits for the follower');
  assert.equal(p.readRecords(0n, 1 << 20, consumerRead).records.length, 0, 'nothing above the HW for consumers');
  assert.equal(parseBatches(p.readRecords(0n, 1 << 20, { ...consumerRead, isolation: 'log-end', fetchOnlyFromLeader: false }).records).length, 1);
  assert.equal(p.checkEnoughReplicasReachOffset(3n, 2), null);

  assert.equal(p.updateFollowerFetchState(2, { logEndOffset: 3n, logStartOffset: 0n, nowMs: now() }), true);
  assert.equal(p.highWatermark, 3n);
  assert.equal(p.highWatermarkMetadata.relativePositionInSegment, p.log.logEndOffsetMetadata.relativePositionInSegment, 'HW at the LEO keeps its segment position');
  assert.deepEqual(advanced, [3n]);
  assert.equal(p.checkEnoughReplicasReachOffset(3n, 2), ErrorCode.NONE);
  const read = p.readRecords(0n, 1 << 20, consumerRead);
  assert.deepEqual([read.highWatermark, read.lastStableOffset, parseBatches(read.records)[0]!.partitionLeaderEpoch], [3n, 3n, 3]);

  // The ISR shrinks below min.insync.replicas: acks=all is refused before appending, acks=1 is not.
  p.makeLeader({ ...state, isr: [1] });
  assert.equal(codeOf(() => p.appendRecordsAsLeader(batch(1), { requiredAcks: -1, minInsyncReplicas: 2, nowMs: now() })), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(p.logEndOffset, 3n);
  p.appendRecordsAsLeader(batch(1), { requiredAcks: 1, minInsyncReplicas: 2, nowMs: now() });
  assert.equal(p.highWatermark, 4n, 'a single-replica ISR: HW = LEO after the append');

  // Leader epoch checks of client requests.
  assert.equal(codeOf(() => p.readRecords(0n, 100, { ...consumerRead, currentLeaderEpoch: 2 })), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(codeOf(() => p.readRecords(0n, 100, { ...consumerRead, currentLeaderEpoch: 4 })), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.deepEqual(p.lastOffsetForLeaderEpoch(-1, 3, true), { leaderEpoch: 3, endOffset: 4n });
});

test('partition: a follower keeps the leader offsets and epochs, truncates, takes the leader HW; state persists in Kafka files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-partition-'));
  try {
    const engine = new FileStorageEngine({ logDirs: [dir], now, checkpointIntervalMs: 0 });
    const log = engine.openLog('f', 0, defaultLogConfig());
    const p = new Partition(log, { localBrokerId: 2 });
    p.makeFollower({ leader: 1, leaderEpoch: 7, replicas: [1, 2], isr: [1, 2] });
    assert.equal(codeOf(() => p.readRecords(0n, 100, { isolation: 'high-watermark', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: true })), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const fromLeader = Buffer.concat([batch(2, { baseOffset: 0, partitionLeaderEpoch: 5 }), batch(3, { baseOffset: 2, partitionLeaderEpoch: 7 })]);
    p.appendRecordsAsFollower(Buffer.from(fromLeader), now());
    const stored = p.readRecords(0n, 1 << 20, { isolation: 'log-end', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: false }).records;
    assert.ok(stored.equals(fromLeader), 'byte for byte');
    assert.equal(readFileSync(join(log.dir!, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n2\n5 0\n7 2\n');
    p.updateHighWatermarkAsFollower(9n);
    assert.equal(p.highWatermark, 5n, 'capped by the local log end');
    p.truncateTo(2n);
    assert.deepEqual([p.logEndOffset, p.highWatermark], [2n, 2n]);
    assert.equal(readFileSync(join(log.dir!, LEADER_EPOCH_CHECKPOINT), 'utf8'), '0\n1\n5 0\n');
    engine.close();

    // A log written before epochs were checkpointed: the cache is rebuilt from batch headers.
    rmSync(join(dir, 'f-0', LEADER_EPOCH_CHECKPOINT));
    const engine2 = new FileStorageEngine({ logDirs: [dir], now, checkpointIntervalMs: 0 });
    const again = new Partition(engine2.openLog('f', 0, defaultLogConfig()), { localBrokerId: 2, initialHighWatermark: 1n });
    assert.deepEqual(again.epochCache.epochEntries.map((e) => [e.epoch, e.startOffset]), [[5, 0n]]);
    assert.equal(again.highWatermark, 1n, 'the checkpointed HW until leadership says otherwise');
    again.makeLeader({ leader: 2, leaderEpoch: 8, replicas: [2], isr: [2] });
    assert.deepEqual([again.highWatermark, again.epochCache.latestEpoch], [2n, 8]);
    engine2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unreadable leader-epoch-checkpoint is a storage error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-epochs-'));
  try {
    writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), '0\n1\nnot numbers\n');
    assert.throws(() => new LeaderEpochFileCache(dir), /malformed line 3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
