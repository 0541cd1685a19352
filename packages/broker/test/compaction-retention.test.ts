// Log compaction and retention through a real broker (file storage, injected clock, wire client).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { CompressionType, createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { CLEANER_OFFSET_CHECKPOINT } from '../src/storage/log-cleaner.js';
import { FakeClock, startBroker, type TestBroker } from '../src/testkit/index.js';
import { createLogger } from '../src/util/log.js';
import { WireClient } from './testkit/wire-client.js';

const quiet = createLogger('test', { level: 'ERROR' });

interface Rec { offset: bigint; key: string | null; value: string | null }
interface Put { key: string | null; value: string | null }

interface BatchOptions { timestamp: number; producerId?: bigint; epoch?: number; seq?: number; compression?: CompressionType }

function batch(puts: Put[], o: BatchOptions): Buffer {
  return encodeRecordBatch(createRecordBatch(
    puts.map((p) => ({ key: p.key === null ? null : Buffer.from(p.key), value: p.value === null ? null : Buffer.from(p.value), timestamp: BigInt(o.timestamp) })),
    {
      producerId: o.producerId ?? -1n, producerEpoch: o.epoch ?? -1, baseSequence: o.seq ?? -1,
      ...(o.compression !== undefined ? { compression: o.compression } : {}),
    },
  ));
}

async function produce(c: WireClient, topic: string, records: Buffer, partition = 0, version = 8): Promise<any> {
  const r = await c.send(ApiKey.Produce, version, { acks: -1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return r.responses[0].partitionResponses[0];
}

async function fetchOnce(c: WireClient, topic: string, offset: bigint, partition = 0): Promise<{ errorCode: number; records: Rec[]; highWatermark: bigint; logStartOffset: bigint; bytes: Buffer }> {
  const r = await c.send(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 24, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = r.responses[0].partitions[0];
  const records: Rec[] = [];
  if (p.records !== null && p.records.length > 0) {
    for (const b of decodeRecordBatches(p.records)) {
      for (const x of b.records) records.push({ offset: b.baseOffset + BigInt(x.offsetDelta), key: x.key?.toString() ?? null, value: x.value?.toString() ?? null });
    }
  }
  return { errorCode: p.errorCode, records, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset, bytes: p.records ?? Buffer.alloc(0) };
}

/** Every record from `from` to the high watermark (bounded number of fetches). */
async function fetchAll(c: WireClient, topic: string, from: bigint, partition = 0): Promise<Rec[]> {
  const out: Rec[] = [];
  let offset = from;
  for (let i = 0; i < 100; i++) {
    const r = await fetchOnce(c, topic, offset, partition);
    assert.equal(r.errorCode, ErrorCode.NONE);
    const fresh = r.records.filter((x) => x.offset >= offset);
    out.push(...fresh);
    if (fresh.length === 0) break;
    offset = fresh[fresh.length - 1]!.offset + 1n;
    if (offset >= r.highWatermark) break;
  }
  return out;
}

async function earliestOffset(c: WireClient, topic: string, partition = 0): Promise<bigint> {
  const r = await c.send(ApiKey.ListOffsets, 4, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -2n }] }] });
  const p = r.topics[0].partitions[0];
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p.offset;
}

/** Waits (bounded) until `cond` holds, letting setImmediate-driven cleaner steps run. */
async function until(cond: () => boolean, what: string, maxMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > maxMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The expected survivors of a cleaning: the last record of each key below `cleanUpTo`, everything from there on. */
function expectedAfterCleaning(log: Rec[], cleanUpTo: bigint, dropTombstones = false): Rec[] {
  const last = new Map<string, bigint>();
  for (const r of log) if (r.offset < cleanUpTo && r.key !== null) last.set(r.key, r.offset);
  return log.filter((r) => (r.offset >= cleanUpTo ? true : r.key !== null && last.get(r.key) === r.offset && !(dropTombstones && r.value === null)));
}

test('compaction end to end: latest value per key, offsets kept, tombstones expire, idempotent producer continues, survives a restart', async () => {
  const clock = new FakeClock(Date.now());
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-compaction-'));
  const config = { 'log.cleaner.backoff.ms': '5000' };
  let tb: TestBroker | null = await startBroker({ storage: 'file', dataDir, clock, config, logger: quiet });
  let c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({
      name: 'kv', numPartitions: 1,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '60000' },
    });
    const init = await c.send(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const pid: bigint = init.producerId;
    const epoch: number = init.producerEpoch;
    const produced: Rec[] = [];
    let seq = 0;
    const put = async (key: string, value: string | null) => {
      const r = await produce(c, 'kv', batch([{ key, value }], { timestamp: clock.now(), producerId: pid, epoch, seq: seq++ }));
      assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage);
      produced.push({ offset: r.baseOffset, key, value });
    };
    for (let i = 0; i < 100; i++) await put(`k${i % 5}`, `v${i}`);
    await put('k4', null); // tombstone at offset 100
    for (let i = 0; i < 20; i++) await put(`k${i % 4}`, `w${i}`);
    const log = tb.broker.partitions.getPartition('kv', 0)!.log;
    const segmentsBefore = log.segments().length;
    assert.ok(segmentsBefore > 5, `small segments: ${segmentsBefore}`);
    const activeBase = log.segments().at(-1)!.baseOffset;
    assert.ok(activeBase > 101n, 'the tombstone is below the active segment');

    // The background cleaner runs after log.cleaner.backoff.ms on the broker clock.
    const cleaner = tb.broker.logCleaner!;
    assert.ok(cleaner !== null, 'log.cleaner.enable defaults to true');
    clock.advance(5000);
    await until(() => cleaner.stats.cleanings >= 1, 'the background cleaning');
    await cleaner.cleanAll();
    assert.equal(cleaner.checkpointOf(log), activeBase);

    const afterFirst = await fetchAll(c, 'kv', 0n);
    assert.deepEqual(afterFirst, expectedAfterCleaning(produced, activeBase));
    assert.ok(afterFirst.some((r) => r.key === 'k4' && r.value === null), 'the tombstone survives for delete.retention.ms');
    assert.equal(readFileSync(join(dataDir, CLEANER_OFFSET_CHECKPOINT), 'utf8'), `0\n1\nkv 0 ${activeBase}\n`);

    // delete.retention.ms later the tombstone goes (the cleaner wakes on its backoff timer).
    const before = cleaner.stats.cleanings;
    clock.advance(65_000);
    await until(() => cleaner.stats.cleanings > before, 'the cleaning after the delete horizon');
    await cleaner.cleanAll();
    const afterSecond = await fetchAll(c, 'kv', 0n);
    assert.deepEqual(afterSecond, expectedAfterCleaning(produced, activeBase, true));
    assert.ok(!afterSecond.some((r) => r.key === 'k4'));
    assert.equal(cleaner.stats.aborted, 0);

    // The idempotent producer goes on: next sequence accepted, a retry of it is a duplicate.
    const next = batch([{ key: 'k0', value: 'after' }], { timestamp: clock.now(), producerId: pid, epoch, seq });
    const r1 = await produce(c, 'kv', Buffer.from(next));
    assert.equal(r1.errorCode, ErrorCode.NONE);
    const r2 = await produce(c, 'kv', Buffer.from(next));
    assert.equal(r2.errorCode, ErrorCode.NONE);
    assert.equal(r2.baseOffset, r1.baseOffset, 'duplicate detected');
    produced.push({ offset: r1.baseOffset, key: 'k0', value: 'after' });
    seq++;
    const skipped = await produce(c, 'kv', batch([{ key: 'k0', value: 'gap' }], { timestamp: clock.now(), producerId: pid, epoch, seq: seq + 5 }));
    assert.equal(skipped.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'sequence checks still work');

    // Other writers supersede the producer's last record; once cleaned, its batch stays as an
    // empty header so the producer's sequence survives (Kafka keeps it the same way).
    for (let i = 0; i < 30; i++) {
      const r = await produce(c, 'kv', batch([{ key: `k${i % 3}`, value: `z${i}` }], { timestamp: clock.now() }));
      produced.push({ offset: r.baseOffset, key: `k${i % 3}`, value: `z${i}` });
    }
    await cleaner.cleanAll();
    const cleanedTo = cleaner.checkpointOf(log)!;
    assert.ok(cleanedTo > r1.baseOffset);
    const raw = await fetchOnce(c, 'kv', 0n);
    const header = decodeRecordBatches(raw.bytes).find((b) => b.producerId === pid && b.baseOffset === r1.baseOffset);
    assert.ok(header !== undefined && header.records.length === 0, 'the producer\'s last batch is kept as an empty header');
    assert.equal(header.baseSequence, seq - 1);
    const expectedLog = await fetchAll(c, 'kv', 0n);
    assert.deepEqual(expectedLog, expectedAfterCleaning(produced, cleanedTo, true));

    // Restart with the producer snapshots gone: the state is rebuilt from the compacted log.
    c.close();
    await tb.stop();
    for (const f of readdirSync(join(dataDir, 'kv-0'))) if (f.endsWith('.snapshot')) rmSync(join(dataDir, 'kv-0', f));
    tb = await startBroker({ storage: 'file', dataDir, clock, config, logger: quiet });
    c = await WireClient.connect(tb.port);
    assert.deepEqual(await fetchAll(c, 'kv', 0n), expectedLog);
    const relog = tb.broker.partitions.getPartition('kv', 0)!.log;
    assert.equal(tb.broker.logCleaner!.checkpointOf(relog), cleanedTo);
    const retry = await produce(c, 'kv', Buffer.from(next));
    assert.equal(retry.errorCode, ErrorCode.NONE);
    assert.equal(retry.baseOffset, r1.baseOffset, 'a retry of the compacted-away batch is still a duplicate');
    const r3 = await produce(c, 'kv', batch([{ key: 'k1', value: 'restarted' }], { timestamp: clock.now(), producerId: pid, epoch, seq }));
    assert.equal(r3.errorCode, ErrorCode.NONE, r3.errorMessage);
    assert.equal(r3.baseOffset, relog.logEndOffset - 1n);
  } finally {
    c.close();
    await tb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('cleanup.policy=compact,delete: compaction and time retention both apply', async () => {
  const clock = new FakeClock(Date.now());
  const tb = await startBroker({ storage: 'file', clock, logger: quiet });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({
      name: 'cd', numPartitions: 1,
      configs: { 'cleanup.policy': 'compact,delete', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01', 'retention.ms': '60000' },
    });
    const produced: Rec[] = [];
    const put = async (key: string, value: string) => {
      const r = await produce(c, 'cd', batch([{ key, value }], { timestamp: clock.now() }));
      assert.equal(r.errorCode, ErrorCode.NONE);
      produced.push({ offset: r.baseOffset, key, value });
    };
    for (let i = 0; i < 60; i++) await put(`k${i % 3}`, `old${i}`);
    const log = tb.broker.partitions.getPartition('cd', 0)!.log;
    const activeBase = log.segments().at(-1)!.baseOffset;
    await tb.broker.logCleaner!.cleanAll();
    assert.deepEqual(await fetchAll(c, 'cd', 0n), expectedAfterCleaning(produced, activeBase));

    // Two minutes on, fresh records roll new segments; retention drops the old ones (compacted or not).
    clock.advance(120_000);
    for (let i = 0; i < 30; i++) await put(`k${i % 3}`, `new${i}`);
    tb.broker.applyRetention();
    const start = await earliestOffset(c, 'cd');
    assert.ok(start > 0n && start <= 60n, `log start moved to ${start}`);
    const left = await fetchAll(c, 'cd', start);
    assert.ok(left.every((r) => r.offset >= start));
    assert.ok(left.filter((r) => r.value!.startsWith('old')).length <= 10, 'the old compacted segments are gone');
    assert.equal(left.filter((r) => r.value!.startsWith('new')).length, 30);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('retention.ms on the broker clock: old segments go, the log start moves, a consumer at an old offset gets OFFSET_OUT_OF_RANGE', async () => {
  const clock = new FakeClock(Date.now());
  const tb = await startBroker({ storage: 'file', clock, logger: quiet, config: { 'log.retention.check.interval.ms': '1000' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'ret', numPartitions: 1, configs: { 'segment.bytes': '1024', 'retention.ms': '60000' } });
    for (let i = 0; i < 50; i++) assert.equal((await produce(c, 'ret', batch([{ key: null, value: `old${i}` }], { timestamp: clock.now() }))).errorCode, ErrorCode.NONE);
    assert.equal(await earliestOffset(c, 'ret'), 0n);
    clock.advance(61_000); // also fires the retention timer: nothing is new yet, but only the active segment may stay
    for (let i = 0; i < 20; i++) assert.equal((await produce(c, 'ret', batch([{ key: null, value: `new${i}` }], { timestamp: clock.now() }))).errorCode, ErrorCode.NONE);
    clock.advance(1000); // the retention check runs
    const log = tb.broker.partitions.getPartition('ret', 0)!.log;
    const start = await earliestOffset(c, 'ret');
    assert.equal(start, log.logStartOffset);
    assert.ok(start > 0n && start <= 50n, `log start ${start}`);
    assert.equal(log.segments()[0]!.baseOffset, start);
    const stale = await fetchOnce(c, 'ret', 0n);
    assert.equal(stale.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    const values = (await fetchAll(c, 'ret', start)).map((r) => r.value!);
    assert.ok(values.filter((v) => v.startsWith('new')).length === 20);
    assert.equal(log.logEndOffset, 70n);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('retention.bytes keeps the log within one segment of the limit and never deletes the active segment', async () => {
  const clock = new FakeClock(Date.now());
  const tb = await startBroker({ storage: 'file', clock, logger: quiet });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'rb', numPartitions: 2, configs: { 'segment.bytes': '1024', 'retention.bytes': '3000' } });
    await tb.broker.topics.createTopic({ name: 'rb0', numPartitions: 1, configs: { 'segment.bytes': '1024', 'retention.bytes': '0' } });
    for (let i = 0; i < 100; i++) {
      assert.equal((await produce(c, 'rb', batch([{ key: null, value: `value-${i}` }], { timestamp: clock.now() }))).errorCode, ErrorCode.NONE);
      assert.equal((await produce(c, 'rb0', batch([{ key: null, value: `value-${i}` }], { timestamp: clock.now() }))).errorCode, ErrorCode.NONE);
    }
    const log = tb.broker.partitions.getPartition('rb', 0)!.log;
    const log0 = tb.broker.partitions.getPartition('rb0', 0)!.log;
    assert.ok(log.sizeBytes > 6000);
    tb.broker.applyRetention();
    const largest = Math.max(...log.segments().map((s) => s.sizeBytes));
    assert.ok(log.sizeBytes >= 3000 && log.sizeBytes < 3000 + largest, `size ${log.sizeBytes} with retention.bytes 3000`);
    assert.equal(await earliestOffset(c, 'rb'), log.logStartOffset);
    assert.ok(log.logStartOffset > 0n);
    assert.equal(log.logEndOffset, 100n);
    // retention.bytes=0: everything but the active segment goes; its records stay readable.
    assert.equal(log0.segments().length, 1);
    const active = await fetchAll(c, 'rb0', log0.logStartOffset);
    assert.ok(active.length > 0 && active.at(-1)!.value === 'value-99');
    assert.equal(log0.logEndOffset, 100n);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('a compacted topic refuses records without a key (INVALID_RECORD with record errors); other partitions are unaffected', async () => {
  const tb = await startBroker({ logger: quiet });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'ck', numPartitions: 2, configs: { 'cleanup.policy': 'compact' } });
    await tb.broker.topics.createTopic({ name: 'plain', numPartitions: 1 });
    const now = Date.now();
    const r = await c.send(ApiKey.Produce, 8, {
      acks: -1, timeoutMs: 1000, transactionalId: null,
      topicData: [
        { name: 'ck', partitionData: [
          { index: 0, records: batch([{ key: 'a', value: '1' }, { key: null, value: '2' }, { key: null, value: '3' }], { timestamp: now }) },
          { index: 1, records: batch([{ key: 'a', value: '1' }, { key: 'b', value: null }], { timestamp: now }) },
        ] },
        { name: 'plain', partitionData: [{ index: 0, records: batch([{ key: null, value: 'x' }], { timestamp: now }) }] },
      ],
    });
    const ck = r.responses[0].partitionResponses;
    assert.equal(ck[0].errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(ck[0].recordErrors.map((e: any) => e.batchIndex), [1, 2]);
    assert.match(ck[0].recordErrors[0].batchIndexErrorMessage, /Compacted topic cannot accept message without key in topic partition ck-0/);
    assert.match(ck[0].errorMessage, /2 record errors/);
    assert.equal(ck[1].errorCode, ErrorCode.NONE);
    assert.equal(r.responses[1].partitionResponses[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.partitions.getPartition('ck', 0)!.log.logEndOffset, 0n, 'nothing of the refused batch was written');
    assert.equal(tb.broker.partitions.getPartition('ck', 1)!.log.logEndOffset, 2n);

    // Compressed batches are looked into too.
    const gz = await produce(c, 'ck', batch([{ key: 'a', value: '1' }, { key: null, value: '2' }], { timestamp: now, compression: CompressionType.Gzip }));
    assert.equal(gz.errorCode, ErrorCode.INVALID_RECORD);
    const gzOk = await produce(c, 'ck', batch([{ key: 'a', value: '1' }], { timestamp: now, compression: CompressionType.Gzip }));
    assert.equal(gzOk.errorCode, ErrorCode.NONE);
    // Older produce versions (no record errors field) still get INVALID_RECORD.
    const v3 = await produce(c, 'ck', batch([{ key: null, value: '1' }], { timestamp: now }), 1, 3);
    assert.equal(v3.errorCode, ErrorCode.INVALID_RECORD);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('log.cleaner.enable=false: no cleaner, nothing compacted', async () => {
  const tb = await startBroker({ logger: quiet, config: { 'log.cleaner.enable': 'false' } });
  try {
    assert.equal(tb.broker.logCleaner, null);
    assert.ok(!existsSync(join(tmpdir(), 'nonexistent', CLEANER_OFFSET_CHECKPOINT)));
  } finally {
    await tb.stop();
  }
});

test('kafkajs consumes a compacted log (offset gaps, an empty producer header) to its end', async () => {
  const { Kafka, logLevel } = await import('kafkajs');
  // The system clock: the group coordinator's join waits run on the broker clock.
  const clock = { now: () => Date.now() };
  const tb = await startBroker({ storage: 'file', logger: quiet });
  const c = await WireClient.connect(tb.port);
  const kafka = new Kafka({ clientId: 'compaction', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 300 } });
  const consumer = kafka.consumer({ groupId: 'compaction-reader', maxWaitTimeInMs: 50 });
  try {
    await tb.broker.topics.createTopic({ name: 'kjs', numPartitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' } });
    const init = await c.send(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
    const produced: Rec[] = [];
    for (let i = 0; i < 40; i++) {
      const idempotent = i === 20; // its only batch ends up empty after cleaning
      const r = await produce(c, 'kjs', batch([{ key: `k${i % 4}`, value: `v${i}` }], idempotent ? { timestamp: clock.now(), producerId: init.producerId, epoch: init.producerEpoch, seq: 0 } : { timestamp: clock.now() }));
      assert.equal(r.errorCode, ErrorCode.NONE);
      produced.push({ offset: r.baseOffset, key: `k${i % 4}`, value: `v${i}` });
    }
    await tb.broker.logCleaner!.cleanAll();
    const log = tb.broker.partitions.getPartition('kjs', 0)!.log;
    const expected = expectedAfterCleaning(produced, tb.broker.logCleaner!.checkpointOf(log)!);
    assert.ok(expected.length < produced.length);
    const seen: Rec[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'kjs', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push({ offset: BigInt(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? null }); } });
    await until(() => seen.length >= expected.length, 'kafkajs to read the compacted log', 10_000);
    assert.deepEqual(seen, expected);
  } finally {
    await consumer.disconnect().catch(() => {});
    c.close();
    await tb.stop();
  }
});
