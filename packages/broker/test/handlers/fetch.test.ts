import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch, decodeRecordBatches } from '@samsa/protocol/records';
import { FakeClock, startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

/** Waits (event-loop turns, bounded) until `n` fetches are parked in the purgatory. */
async function untilParked(tb: { broker: { purgatory: { size: number } } }, n: number): Promise<void> {
  for (let turns = 0; tb.broker.purgatory.size < n; turns++) {
    if (turns > 100_000) throw new Error(`${n} fetch(es) never parked`);
    await nextTurn();
  }
}

const batch = (...values: string[]) => encodeRecordBatch(createRecordBatch(values.map((v) => ({ value: Buffer.from(v) }))));

function fetchReq(parts: Array<{ topic: string; partition?: number; offset: bigint; maxBytes?: number }>, o: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; sessionId?: number; sessionEpoch?: number; forgotten?: any[]; isolationLevel?: number } = {}) {
  const byTopic = new Map<string, any[]>();
  for (const p of parts) {
    if (!byTopic.has(p.topic)) byTopic.set(p.topic, []);
    byTopic.get(p.topic)!.push({ partition: p.partition ?? 0, fetchOffset: p.offset, partitionMaxBytes: p.maxBytes ?? 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n });
  }
  return {
    maxWaitMs: o.maxWaitMs ?? 0, minBytes: o.minBytes ?? 1, maxBytes: o.maxBytes ?? 1 << 24, isolationLevel: o.isolationLevel ?? 0,
    sessionId: o.sessionId ?? 0, sessionEpoch: o.sessionEpoch ?? -1,
    topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })), forgottenTopicsData: o.forgotten ?? [], rackId: '',
  };
}

async function produce(c: WireClient, topic: string, partition: number, records: Buffer): Promise<bigint> {
  const r = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  assert.equal(r.responses[0].partitionResponses[0].errorCode, 0);
  return r.responses[0].partitionResponses[0].baseOffset;
}

test('a long poll wakes up within a few ms of an append', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'lp' });
    const consumer = await WireClient.connect(tb.port);
    const producer = await WireClient.connect(tb.port);
    const t0 = Date.now();
    const pending = consumer.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'lp', offset: 0n }], { maxWaitMs: 10_000 }));
    await untilParked(tb, 1);
    const appendAt = Date.now();
    await produce(producer, 'lp', 0, batch('wake'));
    const res = await pending;
    const woke = Date.now() - appendAt;
    assert.ok(woke < 200, `woke ${woke} ms after the append`);
    assert.ok(Date.now() - t0 < 5000);
    const recs = decodeRecordBatches(res.responses[0].partitions[0].records);
    assert.equal(recs[0]!.records[0]!.value!.toString(), 'wake');
    assert.equal(tb.broker.purgatory.size, 0);
    consumer.close();
    producer.close();
  } finally {
    await tb.stop();
  }
});

test('a long poll completes at max_wait_ms (fake clock) with empty records', async () => {
  const clock = new FakeClock();
  const tb = await startBroker({ clock });
  try {
    await tb.broker.topics.createTopic({ name: 'idle' });
    const c = await WireClient.connect(tb.port);
    let done = false;
    const pending = c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'idle', offset: 0n }], { maxWaitMs: 30_000 })).then((r) => {
      done = true;
      return r;
    });
    await untilParked(tb, 1);
    clock.advance(29_999);
    assert.equal(tb.broker.purgatory.size, 1, 'still waiting 1 ms before max_wait_ms');
    assert.equal(done, false);
    clock.advance(1);
    const res = await pending;
    const p = res.responses[0].partitions[0];
    assert.equal(p.errorCode, 0);
    assert.equal(p.records.length, 0);
    assert.equal(p.highWatermark, 0n);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('min_bytes: the poll waits until enough bytes were appended', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'mb' });
    const c = await WireClient.connect(tb.port);
    const p2 = await WireClient.connect(tb.port);
    const one = batch('x');
    let done = false;
    const pending = c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'mb', offset: 0n }], { maxWaitMs: 10_000, minBytes: one.length * 3 })).then((r) => {
      done = true;
      return r;
    });
    await untilParked(tb, 1);
    await produce(p2, 'mb', 0, batch('x'));
    await produce(p2, 'mb', 0, batch('y'));
    assert.equal(tb.broker.purgatory.size, 1, 'two batches are not min_bytes yet');
    assert.equal(done, false);
    await produce(p2, 'mb', 0, batch('z'));
    const res = await pending;
    assert.equal(decodeRecordBatches(res.responses[0].partitions[0].records).length, 3);
    c.close();
    p2.close();
  } finally {
    await tb.stop();
  }
});

test('max_bytes: the first partition gets at least one batch; partition max bytes limit the rest', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'mx', numPartitions: 2 });
    const c = await WireClient.connect(tb.port);
    const big = batch('v'.repeat(2000));
    await produce(c, 'mx', 0, big);
    await produce(c, 'mx', 0, big);
    await produce(c, 'mx', 1, big);
    const res = await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'mx', partition: 0, offset: 0n, maxBytes: 10 }, { topic: 'mx', partition: 1, offset: 0n, maxBytes: 10 }], { maxBytes: 100 }));
    const [p0, p1] = res.responses[0].partitions;
    assert.equal(decodeRecordBatches(p0.records).length, 1, 'exactly one batch despite the limits');
    assert.equal(p1.records.length, 0);
    // out of range
    const oor = await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'mx', offset: 99n }]));
    assert.equal(oor.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('fetch sessions: full fetch opens a session, incremental fetches send only news', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'sa' });
    await tb.broker.topics.createTopic({ name: 'sb' });
    const c = await WireClient.connect(tb.port);
    await produce(c, 'sa', 0, batch('a0'));
    const full = await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'sa', offset: 0n }, { topic: 'sb', offset: 0n }], { sessionId: 0, sessionEpoch: 0 }));
    const sessionId = full.sessionId;
    assert.ok(sessionId > 0);
    assert.equal(full.responses.length, 2);
    // epoch 1: update sa's offset; nothing new anywhere -> empty response
    const inc1 = await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'sa', offset: 1n }], { sessionId, sessionEpoch: 1 }));
    assert.equal(inc1.errorCode, 0);
    assert.equal(inc1.sessionId, sessionId);
    assert.equal(inc1.responses.length, 0);
    // new data on sb: the incremental fetch (with no partitions in it) returns sb only
    await produce(c, 'sb', 0, batch('b0'));
    const inc2 = await c.send(ApiKey.Fetch, 11, fetchReq([], { sessionId, sessionEpoch: 2 }));
    assert.deepEqual(inc2.responses.map((t: any) => t.topic), ['sb']);
    assert.equal(decodeRecordBatches(inc2.responses[0].partitions[0].records)[0]!.records[0]!.value!.toString(), 'b0');
    // forget sb; new data there is not reported
    await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'sb', offset: 1n }], { sessionId, sessionEpoch: 3 }));
    await produce(c, 'sb', 0, batch('b1'));
    const inc4 = await c.send(ApiKey.Fetch, 11, fetchReq([], { sessionId, sessionEpoch: 4, forgotten: [{ topic: 'sb', partitions: [0] }] }));
    assert.equal(inc4.responses.length, 0);
    // wrong epoch and unknown session
    const wrong = await c.send(ApiKey.Fetch, 11, fetchReq([], { sessionId, sessionEpoch: 9 }));
    assert.equal(wrong.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await c.send(ApiKey.Fetch, 11, fetchReq([], { sessionId: sessionId + 1, sessionEpoch: 1 }));
    assert.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    // epoch -1 closes the session
    await c.send(ApiKey.Fetch, 11, fetchReq([{ topic: 'sa', offset: 0n }], { sessionId, sessionEpoch: -1 }));
    assert.equal(tb.broker.fetchSessions.get(sessionId), undefined);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('fetch by topic id (v13+): unknown ids give UNKNOWN_TOPIC_ID', async () => {
  const tb = await startBroker();
  try {
    const t = await tb.broker.topics.createTopic({ name: 'ids' });
    const c = await WireClient.connect(tb.port);
    await produce(c, 'ids', 0, batch('i'));
    const body = (topicId: string) => ({ ...fetchReq([{ topic: '', offset: 0n }]), topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }] });
    const ok = await c.send(ApiKey.Fetch, 13, body(t.id));
    assert.equal(ok.responses[0].topicId, t.id);
    assert.equal(decodeRecordBatches(ok.responses[0].partitions[0].records).length, 1);
    const bad = await c.send(ApiKey.Fetch, 15, body('11111111-2222-4333-8444-555555555555'));
    assert.equal(bad.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    c.close();
  } finally {
    await tb.stop();
  }
});
