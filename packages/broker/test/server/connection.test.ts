import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKey, ErrorCode, Reader, decodeApiVersionsResponse } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const fetchBody = (topic: string, offset: bigint, maxWaitMs: number, partitionMaxBytes = 1 << 20) => ({
  maxWaitMs, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  forgottenTopicsData: [], rackId: '',
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

test('pipelined requests are answered in request order, even when an earlier one waits', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'order' });
    const c = await WireClient.connect(tb.port);
    const slow = c.send(ApiKey.Fetch, 11, fetchBody('order', 0n, 300));
    const fast = [c.send(ApiKey.ApiVersions, 2, {}), c.send(ApiKey.Metadata, 6, { topics: null, allowAutoTopicCreation: false })];
    await Promise.all([slow, ...fast]);
    assert.equal(c.received.length, 3);
    assert.deepEqual(c.received, [...c.received].sort((a, b) => a - b));
    c.close();
  } finally {
    await tb.stop();
  }
});

test('acks=0 produce gets no response and keeps later responses in order', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'fire' });
    const c = await WireClient.connect(tb.port);
    const records = encodeRecordBatch(createRecordBatch([{ value: Buffer.from('x') }]));
    const { frame } = c.encode(ApiKey.Produce, 7, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'fire', partitionData: [{ index: 0, records }] }] });
    c.sendRaw(frame);
    const v = await c.send(ApiKey.ApiVersions, 2, {});
    assert.equal(v.errorCode, 0);
    assert.equal(c.received.length, 1);
    assert.equal(tb.broker.partitions.getPartition('fire', 0)!.log.logEndOffset, 1n);
    // acks=0 with an error closes the connection (Kafka's way of telling the client)
    const bad = c.encode(ApiKey.Produce, 7, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'missing', partitionData: [{ index: 0, records }] }] });
    c.sendRaw(bad.frame);
    await c.closed;
  } finally {
    await tb.stop();
  }
});

test('ApiVersions in an unknown version gets a v0 UNSUPPORTED_VERSION answer with the api list (KIP-511)', async () => {
  const tb = await startBroker();
  try {
    const c = await WireClient.connect(tb.port);
    // v99 header: apiKey, version, correlation id, client id, empty tagged fields, and a body we cannot know
    const body = Buffer.from([0, 18, 0, 99, 0, 0, 0, 7, 0, 4, 0x61, 0x62, 0x63, 0x64, 0, 0x42, 0x42]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const p = c.expect<Buffer>(18, 0, 7, true);
    c.sendRaw(Buffer.concat([size, body]));
    const frame = await p;
    const r = new Reader(frame, 4); // response header v0: correlation id only
    const res = decodeApiVersionsResponse(r, 0);
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(res.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion >= 3));
    assert.equal(c.isClosed, false);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('garbage closes only the offending connection; other clients keep working', async () => {
  const tb = await startBroker();
  try {
    const good = await WireClient.connect(tb.port);
    const cases: Buffer[] = [
      Buffer.from([0, 0, 0, 10, 0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]), // unknown api key 32639
      Buffer.from([0, 0, 0, 8, 0, 3, 0, 99, 0, 0, 0, 1]), // Metadata v99
      Buffer.from([0, 0, 0, 12, 0, 3, 0, 6, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff]), // Metadata v6, truncated body
      Buffer.from([0, 0, 0, 3, 1, 2, 3]), // shorter than a header
      Buffer.from([0xff, 0xff, 0xff, 0xff]), // negative size
      Buffer.from([0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 1]), // Produce v2: advertised but refused as Kafka 4 does
    ];
    for (const bytes of cases) {
      const bad = await WireClient.connect(tb.port);
      bad.sendRaw(bytes);
      await bad.closed;
      const v = await good.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'good', clientSoftwareVersion: '1' });
      assert.equal(v.errorCode, 0);
    }
    good.close();
  } finally {
    await tb.stop();
  }
});

test('a frame above socket.request.max.bytes closes the connection', async () => {
  const tb = await startBroker({ config: { 'socket.request.max.bytes': '1000' } });
  try {
    const c = await WireClient.connect(tb.port);
    const size = Buffer.alloc(4);
    size.writeInt32BE(5000);
    c.sendRaw(size);
    await c.closed;
  } finally {
    await tb.stop();
  }
});

test('idle connections close after connections.max.idle.ms', async () => {
  const tb = await startBroker({ config: { 'connections.max.idle.ms': '150' } });
  try {
    const c = await WireClient.connect(tb.port);
    // The broker's idle timer restarts at the request's last byte, so it cannot fire before t0 + 150 ms.
    const t0 = Date.now();
    await c.send(ApiKey.ApiVersions, 0, {});
    await c.closed;
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 140 && elapsed < 10_000, `closed after ${elapsed} ms`);
  } finally {
    await tb.stop();
  }
});

test('a client that does not read does not make the broker buffer without bound', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'big', configs: { 'max.message.bytes': String(2 << 20) } });
    const c = await WireClient.connect(tb.port);
    const value = Buffer.alloc(1 << 20, 1);
    const records = encodeRecordBatch(createRecordBatch([{ value }]));
    const pr = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'big', partitionData: [{ index: 0, records }] }] });
    assert.equal(pr.responses[0].partitionResponses[0].errorCode, 0);
    c.socket.pause();
    const N = 200; // 200 x 1 MiB responses if nothing held back
    const promises: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) promises.push(c.send(ApiKey.Fetch, 11, fetchBody('big', 0n, 0, 2 << 20)));
    const conn = [...tb.broker.socketServers[0]!.allConnections()][0]!;
    await waitFor(() => conn.isPaused, 30_000);
    const buffered = conn.socket.writableLength;
    assert.ok(buffered < 8 << 20, `broker buffered ${buffered} bytes`);
    assert.ok(conn.isPaused, 'reading is paused');
    assert.ok(conn.inFlight < N, `in flight ${conn.inFlight}`);
    c.socket.resume();
    const results = await Promise.all(promises);
    assert.equal(results.length, N);
    c.close();
  } finally {
    await tb.stop();
  }
});

test('large pipelined requests assembled in the reused request buffer keep their own bytes', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'reuse', configs: { 'max.message.bytes': String(2 << 20) } });
    await tb.broker.topics.createTopic({ name: 'reuse-name-' + 'x'.repeat(200) });
    const c = await WireClient.connect(tb.port);
    const fills = [1, 2, 3, 4];
    const frames = fills.map((f) => c.encode(ApiKey.Produce, 7, {
      acks: f % 2 === 0 ? -1 : 1, timeoutMs: 5000,
      topicData: [{ name: 'reuse', partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ value: Buffer.alloc(300_000, f) }])) }] }],
    }));
    // A large non-Produce request between them: its frame is copied out of the reused buffer.
    const md = c.encode(ApiKey.Metadata, 4, { topics: Array.from({ length: 2000 }, () => ({ name: 'reuse-name-' + 'x'.repeat(200) })), allowAutoTopicCreation: false });
    const answers = [...frames.map((f) => c.expect(ApiKey.Produce, 7, f.correlationId)), c.expect(ApiKey.Metadata, 4, md.correlationId)];
    c.sendRaw(Buffer.concat([frames[0]!.frame, frames[1]!.frame, md.frame, frames[2]!.frame, frames[3]!.frame]));
    const results = await Promise.all(answers);
    assert.deepEqual(results.slice(0, 4).map((r) => r.responses[0].partitionResponses[0].errorCode), [0, 0, 0, 0]);
    // Kafka answers a topic named many times once; the name decoded from the copied frame is intact.
    assert.deepEqual(results[4].topics.map((t: { name: string }) => t.name), ['reuse-name-' + 'x'.repeat(200)]);
    const log = tb.broker.partitions.getPartition('reuse', 0)!;
    const { records } = log.readRecords(0n, 4 << 20, { isolation: 'high-watermark', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: true });
    const { decodeRecordBatches } = await import('@samsa/protocol/records');
    const values = decodeRecordBatches(records).map((b) => b.records[0]!.value!);
    assert.deepEqual(values.map((v) => [v.length, v[0], v[v.length - 1]]), fills.map((f) => [300_000, f, f]));
    c.close();
  } finally {
    await tb.stop();
  }
});

test('a connection closed after a failed SaslAuthenticate really closes while the client is still writing a large request (FUZZ_SEED=1733275963)', async () => {
  const tb = await startBroker();
  try {
    const c = await WireClient.connect(tb.port);
    // SaslAuthenticate without a handshake: ILLEGAL_SASL_STATE, then Kafka closes the connection.
    const answer = c.send(ApiKey.SaslAuthenticate, 0, { authBytes: Buffer.from('x') });
    // The next request is already on its way: 31 MB the broker stops reading. The socket used
    // to stay half-closed (the broker ended its side, never read the client's FIN) for good.
    const big = Buffer.alloc(31 * 1024 * 1024);
    big.writeInt32BE(big.length - 4, 0);
    c.sendRaw(big);
    const res = await answer;
    assert.equal(res.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    const t0 = Date.now();
    await Promise.race([c.closed, sleep(10_000).then(() => assert.fail('the connection was still open 10 s after the failed authentication'))]);
    assert.ok(Date.now() - t0 < 10_000);
    // The broker took nothing from the closing connection: the next client is served at once.
    const d = await WireClient.connect(tb.port);
    assert.equal((await d.send(ApiKey.ApiVersions, 2, {})).errorCode, 0);
    d.close();
  } finally {
    await tb.stop();
  }
});
