import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch, decodeRecordBatches } from '@samsa/protocol/records';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

let tb: TestBroker;
let client: WireClient;
before(async () => {
  tb = await startBroker();
  client = await WireClient.connect(tb.port);
});
after(async () => {
  client.close();
  await tb.stop();
});

function batch(values: string[], key?: string): Buffer {
  return encodeRecordBatch(createRecordBatch(values.map((v) => ({ key: key === undefined ? null : Buffer.from(key), value: Buffer.from(v) }))));
}

test('ApiVersions lists exactly the served APIs, Produce from v0, Fetch from v4', async () => {
  const res = await client.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'wire-test', clientSoftwareVersion: '1.0' });
  assert.equal(res.errorCode, 0);
  const byKey = new Map(res.apiKeys.map((k: any) => [k.apiKey, k]));
  assert.deepEqual(byKey.get(ApiKey.Produce), { apiKey: 0, minVersion: 0, maxVersion: 11 });
  assert.equal((byKey.get(ApiKey.Fetch) as any).minVersion, 4);
  assert.deepEqual([...byKey.keys()].sort((a: any, b: any) => a - b), tb.broker.handlers.map((h) => h.apiKey).sort((a, b) => a - b));
});

test('Metadata auto-creates a topic: LEADER_NOT_AVAILABLE first, then the partition', async () => {
  const first = await client.send(ApiKey.Metadata, 6, { topics: [{ name: 'auto-topic' }], allowAutoTopicCreation: true });
  assert.equal(first.topics[0].errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
  const second = await client.send(ApiKey.Metadata, 12, { topics: [{ name: 'auto-topic' }], allowAutoTopicCreation: true });
  const t = second.topics[0];
  assert.equal(t.errorCode, 0);
  assert.equal(t.partitions.length, 1);
  assert.equal(t.partitions[0].leaderId, 0);
  assert.notEqual(t.topicId, '00000000-0000-0000-0000-000000000000');
  assert.deepEqual(second.brokers, [{ nodeId: 0, host: 'localhost', port: tb.port, rack: null }]);
  assert.equal(second.clusterId, tb.broker.clusterId);
  assert.equal(t.topicAuthorizedOperations, -2147483648);
  const noCreate = await client.send(ApiKey.Metadata, 6, { topics: [{ name: 'no-create' }], allowAutoTopicCreation: false });
  assert.equal(noCreate.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const bad = await client.send(ApiKey.Metadata, 6, { topics: [{ name: 'bad name!' }], allowAutoTopicCreation: true });
  assert.equal(bad.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  const byId = await client.send(ApiKey.Metadata, 12, { topics: [{ topicId: t.topicId, name: null }] });
  assert.equal(byId.topics[0].name, 'auto-topic');
});

test('produce then fetch round trip (v7/v11 and flexible v9/v12+)', async () => {
  await tb.broker.topics.createTopic({ name: 'rt', numPartitions: 2 });
  for (const [pv, fv] of [[7, 11], [9, 12], [11, 16]] as const) {
    const b = batch([`a${pv}`, `b${pv}`], 'k');
    const pr = await client.send(ApiKey.Produce, pv, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'rt', partitionData: [{ index: 1, records: b }] }] });
    const part = pr.responses[0].partitionResponses[0];
    assert.equal(part.errorCode, 0);
    const topicId = tb.broker.metadata.topic('rt')!.id;
    const fr = await client.send(ApiKey.Fetch, fv, {
      maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'rt', topicId, partitions: [{ partition: 1, fetchOffset: part.baseOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    assert.equal(fr.errorCode ?? 0, 0);
    const p = fr.responses[0].partitions[0];
    assert.equal(p.errorCode, 0);
    assert.equal(p.highWatermark, part.baseOffset + 2n);
    const batches = decodeRecordBatches(p.records);
    assert.equal(batches[0]!.baseOffset, part.baseOffset);
    assert.deepEqual(batches[0]!.records.map((r) => r.value!.toString()), [`a${pv}`, `b${pv}`]);
  }
});

test('produce errors: unknown topic, bad CRC, too large, v2 refused', async () => {
  await tb.broker.topics.createTopic({ name: 'errs', configs: { 'max.message.bytes': '200' } });
  const send = (name: string, records: Buffer) => client.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name, partitionData: [{ index: 0, records }] }] });
  assert.equal((await send('nope', batch(['x']))).responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const corrupt = Buffer.from(batch(['x']));
  corrupt[corrupt.length - 1]! ^= 0xff;
  assert.equal((await send('errs', corrupt)).responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.equal((await send('errs', batch(['x'.repeat(300)]))).responses[0].partitionResponses[0].errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  const ok = (await send('errs', batch(['fine']))).responses[0].partitionResponses[0];
  assert.equal(ok.errorCode, 0);
  assert.equal(ok.baseOffset, 0n);
});

test('every advertised version of the data-path APIs is served', async () => {
  await tb.broker.topics.createTopic({ name: 'sweep' });
  const topicId = tb.broker.metadata.topic('sweep')!.id;
  let expected = 0n;
  for (let v = 3; v <= 11; v++) {
    const r = await client.send(ApiKey.Produce, v, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'sweep', partitionData: [{ index: 0, records: batch([`v${v}`]) }] }] });
    assert.equal(r.responses[0].partitionResponses[0].errorCode, 0, `produce v${v}`);
    assert.equal(r.responses[0].partitionResponses[0].baseOffset, expected++);
  }
  for (let v = 4; v <= 17; v++) {
    const r = await client.send(ApiKey.Fetch, v, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'sweep', topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = r.responses[0].partitions[0];
    assert.equal(p.errorCode, 0, `fetch v${v}`);
    assert.equal(decodeRecordBatches(p.records).length, 9, `fetch v${v}`);
  }
  for (let v = 0; v <= 12; v++) {
    const r = await client.send(ApiKey.Metadata, v, { topics: [{ name: 'sweep', topicId: '00000000-0000-0000-0000-000000000000' }], ...(v >= 4 ? { allowAutoTopicCreation: false } : {}) });
    assert.equal(r.topics[0].errorCode, 0, `metadata v${v}`);
  }
  for (let v = 0; v <= 10; v++) {
    const r = await client.send(ApiKey.ListOffsets, v, { replicaId: -1, topics: [{ name: 'sweep', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] });
    const p = r.topics[0].partitions[0];
    assert.equal(p.errorCode, 0, `list offsets v${v}`);
    assert.equal(v === 0 ? p.oldStyleOffsets[0] : p.offset, 9n);
  }
  for (let v = 0; v <= 4; v++) {
    const r = await client.send(ApiKey.ApiVersions, v, { clientSoftwareName: 'sweep', clientSoftwareVersion: '1' });
    assert.equal(r.errorCode, 0, `api versions v${v}`);
  }
});
