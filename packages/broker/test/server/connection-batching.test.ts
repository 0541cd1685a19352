/**
 * The connection corks its socket for the rest of an event-loop turn when data arrives, so the
 * responses of one turn leave in one writev. These tests pin what must not change because of it:
 * nothing is held back past the turn, and a close still sends what was answered before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const records = (): Buffer => encodeRecordBatch(createRecordBatch([{ value: Buffer.from('x') }]));

const produceBody = (topic: string, acks: number) => ({
  acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: records() }] }],
});

test('pipelined produce requests in one write are all answered, in order, with nothing left corked', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'batched' });
    const c = await WireClient.connect(tb.port);
    const frames: Buffer[] = [];
    const answers: Promise<any>[] = [];
    for (let i = 0; i < 50; i++) {
      const { frame, correlationId } = c.encode(ApiKey.Produce, 9, produceBody('batched', 1));
      frames.push(frame);
      answers.push(c.expect(ApiKey.Produce, 9, correlationId));
    }
    c.sendRaw(Buffer.concat(frames));
    const res = await Promise.all(answers);
    assert.deepEqual(res.map((r) => r.responses[0].partitionResponses[0].baseOffset), Array.from({ length: 50 }, (_, i) => BigInt(i)));
    assert.deepEqual(c.received, [...c.received].sort((a, b) => a - b));
    const conn = [...tb.broker.socketServers[0]!.allConnections()][0]!;
    assert.equal(conn.socket.writableCorked, 0);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('a long poll completed by another connection\'s append is answered at once, not at max_wait_ms', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'wake' });
    const consumer = await WireClient.connect(tb.port);
    const producer = await WireClient.connect(tb.port);
    const started = Date.now();
    const fetched = consumer.send(ApiKey.Fetch, 11, {
      maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'wake', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    // Once the fetch is parked in the purgatory (event-loop turns, not a timed sleep).
    for (let turns = 0; tb.broker.purgatory.size === 0; turns++) {
      if (turns > 100_000) throw new Error('the fetch never parked');
      await new Promise((r) => setImmediate(r));
    }
    await producer.send(ApiKey.Produce, 9, produceBody('wake', 1));
    const res = await fetched;
    assert.ok(res.responses[0].partitions[0].records.length > 0);
    assert.ok(Date.now() - started < 2000, `long poll answered after ${Date.now() - started} ms`);
    consumer.close();
    producer.close();
  } finally {
    await tb.stop();
  }
});

test('responses answered before a request that closes the connection are sent before the close', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'first' });
    const c = await WireClient.connect(tb.port);
    const good = c.encode(ApiKey.Produce, 9, produceBody('first', 1));
    const answered = c.expect(ApiKey.Produce, 9, good.correlationId);
    // acks=0 to an unknown topic: Kafka closes the connection so the client refreshes metadata.
    const bad = c.encode(ApiKey.Produce, 9, produceBody('missing', 0));
    c.sendRaw(Buffer.concat([good.frame, bad.frame]));
    await c.closed;
    assert.deepEqual(c.received, [good.correlationId]);
    const res = await answered;
    assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
  } finally {
    await tb.stop();
  }
});
