/**
 * confluent-kafka-python (Debian python3-confluent-kafka over librdkafka 2.0): Producer in every
 * codec (enable.idempotence=false; idempotence has its own tests), Consumer with assign(),
 * AdminClient create/list/grow/delete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/testkit/index.js';
import { CODECS, librdkafkaStoredCodec, servedApis } from '../support/interop.js';
import { produceConsumeEveryCodec, pythonModuleMissing, runPython } from './python-driver.js';

const SCRIPT = 'confluent_client.py';
const missing = await pythonModuleMissing('confluent_kafka');

test('confluent-kafka produces and consumes keys, headers and timestamps in every codec', { skip: missing ?? false }, async (t) => {
  const tb = await startBroker();
  try {
    const served = await servedApis(tb.port);
    if (librdkafkaStoredCodec('lz4', served) !== 'lz4') t.diagnostic('librdkafka sends lz4 uncompressed until the broker advertises FindCoordinator');
    await produceConsumeEveryCodec(tb, SCRIPT, 'confluent', CODECS, (c) => librdkafkaStoredCodec(c, served), true);
  } finally {
    await tb.stop();
  }
});

test('confluent-kafka AdminClient creates, lists, grows and deletes a topic', { skip: missing ?? false }, async () => {
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
