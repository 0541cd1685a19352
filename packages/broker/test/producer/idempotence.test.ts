import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { FakeClock, startBroker, type TestBroker } from '../../src/testkit/index.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { PRODUCER_ID_BLOCK_KEY, ProducerIdManager, decodeBlock } from '../../src/producer/producer-id-manager.js';
import { listSnapshots } from '../../src/storage/producer-state.js';
import { WireClient } from '../testkit/wire-client.js';

interface IdemBatch { producerId: bigint; epoch: number; seq: number; values: string[]; now?: number }

function idemBatch(b: IdemBatch): Buffer {
  return encodeRecordBatch(createRecordBatch(b.values.map((v) => ({ key: null, value: Buffer.from(v) })), {
    producerId: b.producerId, producerEpoch: b.epoch, baseSequence: b.seq, ...(b.now !== undefined ? { now: BigInt(b.now) } : {}),
  }));
}

async function produce(c: WireClient, topic: string, records: Buffer, version = 7, partition = 0): Promise<{ errorCode: number; baseOffset: bigint; logAppendTimeMs: bigint; errorMessage?: string | null }> {
  const r = await c.send(ApiKey.Produce, version, { acks: -1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return r.responses[0].partitionResponses[0];
}

async function fetchValues(c: WireClient, tb: TestBroker, topic: string, partition = 0): Promise<string[]> {
  const topicId = tb.broker.metadata.topic(topic)!.id;
  const r = await c.send(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 24, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = r.responses[0].partitions[0];
  assert.equal(p.errorCode, 0);
  return decodeRecordBatches(p.records).flatMap((b) => b.records.map((x) => x.value!.toString()));
}

async function initProducerId(c: WireClient, version: number, body: Record<string, unknown> = {}): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
  return c.send(ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 60000, ...body });
}

async function describeProducers(c: WireClient, topic: string, partitions: number[]): Promise<any[]> {
  const r = await c.send(ApiKey.DescribeProducers, 0, { topics: [{ name: topic, partitionIndexes: partitions }] });
  return r.topics[0].partitions;
}

async function withBroker(fn: (tb: TestBroker, c: WireClient) => Promise<void>, opts: Parameters<typeof startBroker>[0] = {}): Promise<void> {
  const tb = await startBroker(opts);
  const c = await WireClient.connect(tb.port);
  try {
    await fn(tb, c);
  } finally {
    c.close();
    await tb.stop();
  }
}

test('InitProducerId v0-v5 without a transactional id: a new id every time, epoch 0, both APIs advertised', () => withBroker(async (tb, c) => {
  const versions = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  const byKey = new Map(versions.apiKeys.map((k: any) => [k.apiKey, k]));
  assert.deepEqual(byKey.get(ApiKey.InitProducerId), { apiKey: ApiKey.InitProducerId, minVersion: 0, maxVersion: 5 });
  assert.deepEqual(byKey.get(ApiKey.DescribeProducers), { apiKey: ApiKey.DescribeProducers, minVersion: 0, maxVersion: 0 });

  const ids = new Set<bigint>();
  for (let v = 0; v <= 5; v++) {
    for (let i = 0; i < 3; i++) {
      const r = await initProducerId(c, v);
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.producerEpoch, 0);
      assert.ok(r.producerId >= 0n);
      ids.add(r.producerId);
    }
  }
  assert.equal(ids.size, 18);
  // KIP-360 (v3+) with the current id and epoch: Kafka's coordinator still hands out a new id for
  // a producer without a transactional id.
  const first = await initProducerId(c, 4);
  const again = await initProducerId(c, 4, { producerId: first.producerId, producerEpoch: 7 });
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.producerEpoch, 0);
  assert.notEqual(again.producerId, first.producerId);
  // A half-given pair is malformed.
  assert.equal((await initProducerId(c, 3, { producerId: 5n, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await initProducerId(c, 5, { producerId: -1n, producerEpoch: 2 })).errorCode, ErrorCode.INVALID_REQUEST);
  // A transactional id goes to its transaction coordinator, which this broker is not before
  // FindCoordinator created __transaction_state (as Kafka: NOT_COORDINATOR, the client looks it up).
  const txn = await initProducerId(c, 4, { transactionalId: 'tx-1' });
  assert.equal(txn.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(txn.producerId, -1n);
  assert.equal((await initProducerId(c, 1, { transactionalId: '' })).errorCode, ErrorCode.INVALID_REQUEST);
}));

test('producer id blocks: reserved in the metadata store, never reused by a new manager on the same store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-pid-'));
  try {
    const store1 = new LocalMetadataStore(dir);
    const m1 = new ProducerIdManager(store1, 0, 10n);
    const seen = new Set<bigint>();
    // concurrent requests share a reservation and still get distinct ids
    const firstBatch = await Promise.all(Array.from({ length: 25 }, () => m1.generateProducerId()));
    for (const id of firstBatch) seen.add(id);
    assert.equal(seen.size, 25);
    assert.deepEqual([...seen].sort((a, b) => Number(a - b)), Array.from({ length: 25 }, (_, i) => BigInt(i)));
    const stored = decodeBlock((await store1.get(PRODUCER_ID_BLOCK_KEY))!.value);
    assert.deepEqual(stored, { brokerId: 0, start: 20n, end: 29n });
    await store1.close();
    // "restart": a fresh store from the same directory continues after the last reserved block
    const store2 = new LocalMetadataStore(dir);
    const m2 = new ProducerIdManager(store2, 0, 10n);
    const next = await m2.generateProducerId();
    assert.equal(next, 30n);
    // two managers (brokers) on one store never overlap
    const m3 = new ProducerIdManager(store2, 1, 10n);
    const a = await Promise.all(Array.from({ length: 15 }, () => m2.generateProducerId()));
    const b = await Promise.all(Array.from({ length: 15 }, () => m3.generateProducerId()));
    const all = new Set([...a, ...b, next, ...seen]);
    assert.equal(all.size, 25 + 1 + 30);
    await store2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('duplicates are acknowledged with the original offsets and written once; gaps are rejected', () => withBroker(async (tb, c) => {
  await tb.broker.topics.createTopic({ name: 'idem' });
  const { producerId } = await initProducerId(c, 4);
  const b0 = idemBatch({ producerId, epoch: 0, seq: 0, values: ['a', 'b', 'c'] });
  const b1 = idemBatch({ producerId, epoch: 0, seq: 3, values: ['d'] });
  const r0 = await produce(c, 'idem', Buffer.from(b0));
  assert.equal(r0.errorCode, 0);
  assert.equal(r0.baseOffset, 0n);
  assert.equal((await produce(c, 'idem', Buffer.from(b1))).baseOffset, 3n);
  // retries of both batches (the client never saw the responses): same offsets, nothing appended
  const d0 = await produce(c, 'idem', Buffer.from(b0));
  assert.equal(d0.errorCode, 0);
  assert.equal(d0.baseOffset, 0n);
  const d1 = await produce(c, 'idem', Buffer.from(b1), 9);
  assert.equal(d1.errorCode, 0);
  assert.equal(d1.baseOffset, 3n);
  assert.equal(tb.broker.partitions.getPartition('idem', 0)!.log.logEndOffset, 4n);
  // a gap (sequence 5 after 3) and a replay of an old, no longer retained sequence
  const gap = await produce(c, 'idem', idemBatch({ producerId, epoch: 0, seq: 5, values: ['x'] }));
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(gap.baseOffset, -1n);
  const overlap = await produce(c, 'idem', idemBatch({ producerId, epoch: 0, seq: 2, values: ['x', 'y'] }));
  assert.equal(overlap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // the next in-order batch is still accepted
  assert.equal((await produce(c, 'idem', idemBatch({ producerId, epoch: 0, seq: 4, values: ['e'] }))).baseOffset, 4n);
  assert.deepEqual(await fetchValues(c, tb, 'idem'), ['a', 'b', 'c', 'd', 'e']);
  // an idempotent batch without a sequence is malformed (Kafka's LogValidator)
  assert.equal((await produce(c, 'idem', idemBatch({ producerId, epoch: 0, seq: -1, values: ['z'] }))).errorCode, ErrorCode.INVALID_RECORD);
  // a producer without an id is never checked
  for (let i = 0; i < 2; i++) assert.equal((await produce(c, 'idem', idemBatch({ producerId: -1n, epoch: -1, seq: -1, values: ['plain'] }))).errorCode, 0);
  // Produce v3+ carries exactly one batch per partition
  const two = Buffer.concat([idemBatch({ producerId, epoch: 0, seq: 5, values: ['f'] }), idemBatch({ producerId, epoch: 0, seq: 6, values: ['g'] })]);
  assert.equal((await produce(c, 'idem', two)).errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(await fetchValues(c, tb, 'idem'), ['a', 'b', 'c', 'd', 'e', 'plain', 'plain']);
}));

test('epoch fencing: an older epoch is INVALID_PRODUCER_EPOCH, a new epoch restarts at sequence 0', () => withBroker(async (tb, c) => {
  await tb.broker.topics.createTopic({ name: 'fence' });
  const producerId = 4242n;
  assert.equal((await produce(c, 'fence', idemBatch({ producerId, epoch: 0, seq: 0, values: ['e0'] }))).errorCode, 0);
  // the client bumps its epoch (Java does this locally for idempotent producers): sequence 0 again
  assert.equal((await produce(c, 'fence', idemBatch({ producerId, epoch: 1, seq: 0, values: ['e1'] }))).errorCode, 0);
  for (const v of [3, 7, 8, 11]) {
    const stale = await produce(c, 'fence', idemBatch({ producerId, epoch: 0, seq: 1, values: ['zombie'] }), v);
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, `produce v${v}`);
  }
  // a newer epoch must start at 0
  assert.equal((await produce(c, 'fence', idemBatch({ producerId, epoch: 2, seq: 5, values: ['bad'] }))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal((await produce(c, 'fence', idemBatch({ producerId, epoch: 1, seq: 1, values: ['e1b'] }))).errorCode, 0);
  assert.deepEqual(await fetchValues(c, tb, 'fence'), ['e0', 'e1', 'e1b']);
}));

test('DescribeProducers lists the active producers per partition; expiry runs on the broker clock', async () => {
  const clock = new FakeClock();
  await withBroker(async (tb, c) => {
    await tb.broker.topics.createTopic({ name: 'desc', numPartitions: 2 });
    const now = clock.now();
    assert.equal((await produce(c, 'desc', idemBatch({ producerId: 10n, epoch: 3, seq: 0, values: ['a', 'b'], now }), 7, 0)).errorCode, 0);
    assert.equal((await produce(c, 'desc', idemBatch({ producerId: 11n, epoch: 0, seq: 0, values: ['c'], now }), 7, 0)).errorCode, 0);
    assert.equal((await produce(c, 'desc', idemBatch({ producerId: 10n, epoch: 3, seq: 0, values: ['d', 'e', 'f'], now: now + 5 }), 7, 1)).errorCode, 0);
    const parts = await describeProducers(c, 'desc', [0, 1, 7]);
    assert.equal(parts.length, 3);
    assert.equal(parts[0].errorCode, 0);
    const p0 = [...parts[0].activeProducers].sort((a: any, b: any) => Number(a.producerId - b.producerId));
    assert.deepEqual(p0.map((p: any) => ({ ...p })), [
      { producerId: 10n, producerEpoch: 3, lastSequence: 1, lastTimestamp: BigInt(now), coordinatorEpoch: -1, currentTxnStartOffset: -1n },
      { producerId: 11n, producerEpoch: 0, lastSequence: 0, lastTimestamp: BigInt(now), coordinatorEpoch: -1, currentTxnStartOffset: -1n },
    ]);
    assert.deepEqual(parts[1].activeProducers.map((p: any) => [p.producerId, p.lastSequence, p.lastTimestamp]), [[10n, 2, BigInt(now + 5)]]);
    assert.equal(parts[2].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const unknown = await c.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'no-such-topic', partitionIndexes: [0] }] });
    assert.equal(unknown.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    // producer.id.expiration.ms = 60 s, checked every 10 s: nothing expires before 60 s of idleness
    clock.advance(50_000);
    assert.equal((await describeProducers(c, 'desc', [0]))[0].activeProducers.length, 2);
    assert.equal((await produce(c, 'desc', idemBatch({ producerId: 11n, epoch: 0, seq: 1, values: ['g'], now: clock.now() }), 7, 0)).errorCode, 0);
    clock.advance(20_000);
    const after = await describeProducers(c, 'desc', [0, 1]);
    assert.deepEqual(after[0].activeProducers.map((p: any) => p.producerId), [11n]);
    assert.equal(after[1].activeProducers.length, 0);
    // an expired producer is unknown again: any sequence is accepted (KIP-360)
    assert.equal((await produce(c, 'desc', idemBatch({ producerId: 10n, epoch: 3, seq: 77, values: ['h'], now: clock.now() }), 7, 0)).errorCode, 0);
  }, { clock, config: { 'producer.id.expiration.ms': '60000', 'producer.id.expiration.check.interval.ms': '10000' } });
});

test('file storage: producer ids and producer state survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-idem-restart-'));
  try {
    const ids = new Set<bigint>();
    let producerId = -1n;
    const b = (seq: number, values: string[]) => idemBatch({ producerId, epoch: 0, seq, values });
    let last: Buffer = Buffer.alloc(0);
    await withBroker(async (tb, c) => {
      await tb.broker.topics.createTopic({ name: 'durable', configs: { 'segment.bytes': '1024' } });
      for (let i = 0; i < 5; i++) ids.add((await initProducerId(c, 4)).producerId);
      producerId = [...ids][0]!;
      // enough batches to roll several segments (snapshots at rolls), then a clean stop (snapshot at close)
      for (let seq = 0; seq < 40; seq++) {
        last = b(seq, [`v${seq}-${'x'.repeat(60)}`]);
        assert.equal((await produce(c, 'durable', Buffer.from(last))).errorCode, 0);
      }
    }, { storage: 'file', dataDir });
    // snapshots from the rolls and from the clean close, in Kafka's file naming
    const snapshots = listSnapshots(join(dataDir, 'durable-0'));
    assert.ok(snapshots.length >= 1 && snapshots.at(-1)!.offset === 40n, JSON.stringify(snapshots.map((x) => x.file)));
    await withBroker(async (tb, c) => {
      for (let i = 0; i < 5; i++) {
        const id = (await initProducerId(c, 4)).producerId;
        assert.ok(!ids.has(id), `producer id ${id} handed out twice across a restart`);
        ids.add(id);
      }
      const dup = await produce(c, 'durable', Buffer.from(last));
      assert.equal(dup.errorCode, 0);
      assert.equal(dup.baseOffset, 39n);
      assert.equal(tb.broker.partitions.getPartition('durable', 0)!.log.logEndOffset, 40n);
      assert.equal((await produce(c, 'durable', b(41, ['gap']))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal((await produce(c, 'durable', b(40, ['next']))).baseOffset, 40n);
    }, { storage: 'file', dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('producer state follows the hosted logs: a deleted and recreated topic starts empty', () => withBroker(async (tb, c) => {
  const pm = tb.broker.producers!;
  assert.ok(pm !== null);
  await tb.broker.topics.createTopic({ name: 'recreated', numPartitions: 3 });
  assert.equal(pm.attachedLogCount, 3); // attached at open, before any request
  assert.equal((await produce(c, 'recreated', idemBatch({ producerId: 99n, epoch: 0, seq: 0, values: ['a'] }))).errorCode, 0);
  assert.equal((await produce(c, 'recreated', idemBatch({ producerId: 99n, epoch: 0, seq: 5, values: ['gap'] }))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  await tb.broker.topics.deleteTopic('recreated');
  assert.equal(pm.attachedLogCount, 0);
  await tb.broker.topics.createTopic({ name: 'recreated', numPartitions: 1 });
  assert.equal(pm.attachedLogCount, 1);
  // no state left from the deleted topic: the producer is unknown, any sequence goes
  assert.equal((await produce(c, 'recreated', idemBatch({ producerId: 99n, epoch: 0, seq: 5, values: ['b'] }))).errorCode, 0);
  assert.deepEqual((await describeProducers(c, 'recreated', [0]))[0].activeProducers.map((p: any) => [p.producerId, p.lastSequence]), [[99n, 5]]);
}));
