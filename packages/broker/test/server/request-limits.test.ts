// Counts a client sends are bounded before work or allocation proportional to them
// (src/server/request-limits.ts). The reproduction from issue 13: a 45-byte CreateTopics with
// validate_only=true and 16,580,609 partitions froze the event loop and grew the heap to
// 2.6 GB; it must be answered with an error within 100 ms while another client keeps producing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode, Writer, encodeRequestHeader } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { createLogger, startBroker, type TestBroker } from '../../src/testkit/index.js';
import { EXCESSIVELY_LARGE_BATCH, MAX_REQUEST_ELEMENTS, MAX_RECORDS_PER_USER_OP } from '../../src/server/request-limits.js';
import { WireClient } from '../testkit/wire-client.js';

/** Produces one record per round on its own connection until stopped; counts acknowledged rounds. */
function steadyProducer(tb: TestBroker): { stop: () => Promise<number>; rounds: () => number } {
  let done = false;
  let rounds = 0;
  const run = (async () => {
    const c = await WireClient.connect(tb.port, '127.0.0.1', 'steady');
    try {
      while (!done) {
        const records = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from(`v${rounds}`) }]));
        const r = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'steady', partitionData: [{ index: 0, records }] }] });
        assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
        rounds++;
      }
    } finally {
      c.close();
    }
  })();
  return { rounds: () => rounds, stop: async () => { done = true; await run; return rounds; } };
}

/** The request: CreateTopics v1, client id 'fuzz1', topic 'x', 16,580,609 partitions, validate_only. */
function partitionBomb(correlationId: number): Buffer {
  const w = new Writer(64);
  w.int32(0);
  encodeRequestHeader(w, 1, { requestApiKey: ApiKey.CreateTopics, requestApiVersion: 1, correlationId, clientId: 'fuzz1' });
  w.int32(1); // topics
  w.string('x');
  w.int32(16_580_609); // num_partitions
  w.int16(1); // replication_factor
  w.int32(0); // assignments
  w.int32(0); // configs
  w.int32(30_000); // timeout_ms
  w.int8(1); // validate_only
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

test('the 45-byte CreateTopics partition bomb is refused within 100 ms while another client keeps producing', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'steady' });
    const steady = steadyProducer(tb);
    while (steady.rounds() < 20) await new Promise((r) => setImmediate(r));
    const c = await WireClient.connect(tb.port);
    const bomb = partitionBomb(7);
    assert.equal(bomb.length, 45);
    const heapBefore = process.memoryUsage().heapUsed;
    const roundsBefore = steady.rounds();
    const sent = performance.now();
    const answer = c.expect(ApiKey.CreateTopics, 1, 7);
    c.sendRaw(bomb);
    const r = await answer;
    const elapsed = performance.now() - sent;
    assert.ok(elapsed < 100, `answered in ${elapsed.toFixed(1)} ms`);
    assert.deepEqual(r.topics.map((t: any) => [t.name, t.errorCode]), [['x', ErrorCode.POLICY_VIOLATION]]);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'no allocation proportional to the partition count');
    // The other client was never held up: it keeps producing after the bomb.
    while (steady.rounds() < roundsBefore + 20) await new Promise((r) => setImmediate(r));
    assert.equal(tb.broker.metadata.topic('x'), undefined);
    c.close();
    await steady.stop();
  } finally {
    await tb.stop();
  }
});

test('CreateTopics and CreatePartitions over 10,000 metadata records get POLICY_VIOLATION for every topic (Kafka KRaft); at the bound they work', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  const topic = (name: string, numPartitions: number, configs: Array<{ name: string; value: string }> = []) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs });
  try {
    // 2 topics x (1 + 5,000) records: over the bound together, though each alone is not.
    const over = await c.send(ApiKey.CreateTopics, 7, { topics: [topic('big-a', 5000), topic('big-b', 5000)], timeoutMs: 5000, validateOnly: false });
    for (const t of over.topics) {
      assert.equal(t.errorCode, ErrorCode.POLICY_VIOLATION, t.name);
      assert.equal(t.errorMessage, EXCESSIVELY_LARGE_BATCH);
    }
    assert.equal(tb.broker.metadata.topicsByName.size, 0);
    // A topic record plus 9,998 partitions plus a config record: exactly the bound.
    const at = await c.send(ApiKey.CreateTopics, 7, { topics: [topic('at-bound', MAX_RECORDS_PER_USER_OP - 2, [{ name: 'retention.ms', value: '1000' }])], timeoutMs: 5000, validateOnly: true });
    assert.equal(at.topics[0].errorCode, ErrorCode.NONE);
    assert.equal(at.topics[0].numPartitions, MAX_RECORDS_PER_USER_OP - 2);

    await tb.broker.topics.createTopic({ name: 'grow', numPartitions: 2 });
    const grow = await c.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 2 + MAX_RECORDS_PER_USER_OP + 1, assignments: null }], timeoutMs: 5000, validateOnly: true });
    assert.deepEqual(grow.results.map((x: any) => [x.name, x.errorCode, x.errorMessage]), [['grow', ErrorCode.POLICY_VIOLATION, EXCESSIVELY_LARGE_BATCH]]);
    const bomb = await c.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 2_147_483_647, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(bomb.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
    const ok = await c.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grow', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(ok.results[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.metadata.topic('grow')!.partitions.length, 4);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('a request whose arrays together exceed the element budget is refused while decoding (the connection closes), not materialised', async () => {
  const lines: string[] = [];
  const { createLogger } = await import('../../src/testkit/index.js');
  const tb = await startBroker({ logger: createLogger('test', { sink: (l) => lines.push(l), level: 'INFO' }) });
  const c = await WireClient.connect(tb.port);
  try {
    // Metadata v12: a compact array of MAX_REQUEST_ELEMENTS + 1 topics, each 18 bytes (uuid + empty
    // compact name + tags). Every count fits the frame; together they exceed the budget.
    const n = MAX_REQUEST_ELEMENTS + 1;
    const w = new Writer(n * 18 + 64);
    w.int32(0);
    encodeRequestHeader(w, 2, { requestApiKey: ApiKey.Metadata, requestApiVersion: 12, correlationId: 1, clientId: 'budget' });
    w.uvarint(n + 1);
    const entry = Buffer.alloc(18);
    entry[16] = 0; // null compact name
    for (let i = 0; i < n; i++) w.raw(entry);
    w.int8(0); // allow auto creation
    w.int8(0); // include topic authorized operations
    w.uvarint(0); // tags
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    c.sendRaw(frame);
    await c.closed;
    assert.ok(lines.some((l) => /element budget/.test(l)), lines.join('\n'));
    // The broker is fine: a fresh client is answered.
    const d = await WireClient.connect(tb.port);
    const md = await d.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.deepEqual(md.topics, []);
    d.close();
  } finally {
    c.close();
    await tb.stop();
  }
});

test('a Metadata request naming 100,000 unknown topics with auto-creation on creates none (over 10,000 metadata records, as Kafka\'s controller refuses it); at the bound they are created', async () => {
  const tb = await startBroker({ config: { 'auto.create.topics.enable': 'true', 'num.partitions': '1' } });
  try {
    const c = await WireClient.connect(tb.port);
    const names = Array.from({ length: 100_000 }, (_, i) => `auto-${i}`);
    const t0 = performance.now();
    const r = await c.send(ApiKey.Metadata, 12, { topics: names.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })), allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    const elapsed = performance.now() - t0;
    assert.equal(r.topics.length, names.length);
    assert.ok(r.topics.every((t: any) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    assert.equal(tb.broker.metadata.topicsByName.size, 0, 'no topic was created');
    assert.ok(elapsed < 15_000, `answered in ${elapsed.toFixed(0)} ms`);
    // 5,000 topics of one partition: 10,000 records, the bound itself.
    const atBound = names.slice(0, 5000);
    const ok = await c.send(ApiKey.Metadata, 12, { topics: atBound.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })), allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    assert.ok(ok.topics.every((t: any) => t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE));
    assert.equal(tb.broker.metadata.topicsByName.size, 5000);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('AlterPartitionReassignments over 3,000 partitions of one topic is one write of the topic, not one per partition (was 11 s, quadratic)', async () => {
  const tb = await startBroker({ logger: createLogger('kafka.server.KafkaServer', { sink: () => {}, level: 'WARN' }) });
  try {
    await tb.broker.topics.createTopic({ name: 'wide', numPartitions: 3000 });
    const c = await WireClient.connect(tb.port);
    const t0 = performance.now();
    const r = await c.send(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 30_000, topics: [{ name: 'wide', partitions: Array.from({ length: 3000 }, (_, p) => ({ partitionIndex: p, replicas: [0] })) }] });
    const elapsed = performance.now() - t0;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.responses[0].partitions.length, 3000);
    assert.ok(r.responses[0].partitions.every((p: any) => p.errorCode === ErrorCode.NONE));
    assert.ok(elapsed < 3000, `answered in ${elapsed.toFixed(0)} ms`);
    // Cancelling what is not moving answers NO_REASSIGNMENT_IN_PROGRESS per partition, as before.
    const cancel = await c.send(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 30_000, topics: [{ name: 'wide', partitions: [{ partitionIndex: 7, replicas: null }, { partitionIndex: 3000, replicas: [0] }] }] });
    assert.deepEqual(cancel.responses[0].partitions.map((p: any) => p.errorCode), [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('a Metadata request naming one 3,000-partition topic 2,000 times answers it once, as Kafka does (the soak\'s 1.8 GB, 17 s request)', async () => {
  const tb = await startBroker({ logger: createLogger('kafka.server.KafkaServer', { sink: () => {}, level: 'WARN' }) });
  try {
    await tb.broker.topics.createTopic({ name: 'wide', numPartitions: 3000 });
    const c = await WireClient.connect(tb.port);
    const t0 = performance.now();
    const r = await c.send(ApiKey.Metadata, 5, { topics: Array.from({ length: 2000 }, () => ({ name: 'wide' })), allowAutoTopicCreation: false });
    const elapsed = performance.now() - t0;
    assert.equal(r.topics.length, 1);
    assert.equal(r.topics[0].partitions.length, 3000);
    assert.ok(elapsed < 3000, `answered in ${elapsed.toFixed(0)} ms`);
    c.close();
  } finally {
    await tb.stop();
  }
});
