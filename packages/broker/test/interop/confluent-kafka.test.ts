/**
 * confluent-kafka-python (Debian python3-confluent-kafka over librdkafka 2.0): Producer in every
 * codec (enable.idempotence=false; idempotence has its own tests), Consumer with assign(),
 * AdminClient create/list/grow/delete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/testkit/index.js';
import { CODECS, librdkafkaStoredCodec, requireClient, servedApis } from '../support/interop.js';
import { produceConsumeEveryCodec, pythonModuleMissing, runPython } from './python-driver.js';

const SCRIPT = 'confluent_client.py';
const missing = await pythonModuleMissing('confluent_kafka');

test('confluent-kafka produces and consumes keys, headers and timestamps in every codec', async (t) => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    const served = await servedApis(tb.port);
    if (librdkafkaStoredCodec('lz4', served) !== 'lz4') t.diagnostic('librdkafka sends lz4 uncompressed until the broker advertises FindCoordinator');
    await produceConsumeEveryCodec(tb, SCRIPT, 'confluent', CODECS, (c) => librdkafkaStoredCodec(c, served), true);
  } finally {
    await tb.stop();
  }
});

test('confluent-kafka AdminClient creates, lists, grows and deletes a topic', async () => {
  requireClient(missing);
  const tb = await startBroker({ config: { 'auto.create.topics.enable': 'false' } });
  try {
    const res = await runPython(SCRIPT, [tb.bootstrap, 'admin', 'ck-admin']);
    assert.deepEqual(res.create, ['ck-admin', null]);
    assert.equal(res.create_again, 'TOPIC_ALREADY_EXISTS');
    assert.deepEqual(res.describe, { error: null, partitions: [[0, 0, [0], [0]], [1, 0, [0], [0]], [2, 0, [0], [0]]] });
    assert.deepEqual(res.brokers, [[0, 'localhost', tb.port]]);
    assert.equal(res.controller_id, 0);
    assert.equal(res.cluster_id, tb.broker.clusterId);
    assert.deepEqual(res.create_partitions, ['ck-admin', null]);
    assert.equal(res.partitions_after_grow, 5);
    assert.deepEqual(res.delete, ['ck-admin', null]);
    assert.equal(res.listed_after_delete, false);
  } finally {
    await tb.stop();
  }
});

test('confluent-kafka edge cases: mid-batch start, offset reset, tiny fetch limits, LogAppendTime, offsets for times, oversized batch', async () => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    const res = await runPython(SCRIPT, [tb.bootstrap, 'edge']);
    const offsets = (rows: Array<[number, ...unknown[]]>) => rows.map((r) => r[0]);
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    assert.deepEqual(offsets(res.from_middle), range(7, 21));
    // The tombstone: null value, its own key and CreateTime.
    assert.deepEqual(res.from_middle.at(-1), [20, 'tombstone', null, 1, 1700000001000]);
    assert.deepEqual(offsets(res.out_of_range), range(0, 21));
    assert.deepEqual(offsets(res.tiny_fetches), range(0, 21));
    assert.deepEqual(res.tiny_fetches[3], [3, 'k3', 503, 1, 1700000000030]);
    // LogAppendTime (type 2): the broker's clock, not the producer's 1000.
    assert.equal(res.log_append_time.length, 3);
    for (const [offset, , size, type, ts] of res.log_append_time) {
      assert.equal(type, 2, `offset ${offset} timestamp type`);
      assert.ok(Math.abs(ts - Date.now()) < 60_000, `offset ${offset} log append time ${ts}`);
      assert.equal(size, 4);
    }
    assert.deepEqual(res.by_time, [6, null]);
    assert.deepEqual(res.after_all, [-1, null]);
    assert.deepEqual(res.watermarks, [0, 21]);
    assert.deepEqual(res.produce_errors, ['MSG_SIZE_TOO_LARGE', null]);
    assert.deepEqual(res.small_topic.map((r: unknown[]) => [r[0], r[2]]), [[0, 4]]);
  } finally {
    await tb.stop();
  }
});
