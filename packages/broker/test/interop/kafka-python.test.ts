/**
 * kafka-python 2.0 (Debian python3-kafka): KafkaProducer in every codec it can write here,
 * KafkaConsumer with assign + seek_to_beginning, KafkaAdminClient topic lifecycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../../src/testkit/index.js';
import { CODECS, type Codec } from '../support/interop.js';
import { produceConsumeEveryCodec, pythonModuleMissing, runPython } from './python-driver.js';
import { requireClient } from '../support/interop.js';

const SCRIPT = 'kafka_python_client.py';
const missing = await pythonModuleMissing('kafka');

test('kafka-python produces and consumes keys, headers and timestamps in every codec it supports', async (t) => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    const available = (await runPython(SCRIPT, [tb.bootstrap, 'codecs'])) as Record<Codec, boolean>;
    const codecs = CODECS.filter((c) => available[c]);
    const unavailable = CODECS.filter((c) => !available[c]);
    if (unavailable.length > 0) t.diagnostic(`kafka-python has no module for ${unavailable.join(', ')} here (python3-snappy, python3-lz4, python3-zstandard)`);
    assert.ok(codecs.includes('gzip'));
    await produceConsumeEveryCodec(tb, SCRIPT, 'kafka-python', codecs);
  } finally {
    await tb.stop();
  }
});

test('kafka-python admin creates, describes, grows and deletes a topic', async () => {
  requireClient(missing);
  const tb = await startBroker({ config: { 'auto.create.topics.enable': 'false' } });
  try {
    const res = await runPython(SCRIPT, [tb.bootstrap, 'admin', 'kp-admin']);
    assert.deepEqual(res.create, [['kp-admin', 0]]);
    assert.equal(res.listed_after_create, true);
    assert.deepEqual(res.describe, [{ topic: 'kp-admin', error: 0, partitions: [[0, 0, [0], [0]], [1, 0, [0], [0]], [2, 0, [0], [0]]] }]);
    assert.deepEqual(res.create_partitions, [['kp-admin', 0]]);
    assert.equal(res.partitions_after_grow, 5);
    assert.equal(res.create_again, 'TopicAlreadyExistsError');
    assert.deepEqual(res.delete, [['kp-admin', 0]]);
    assert.equal(res.listed_after_delete, false);
    assert.deepEqual(res.cluster.brokers, [{ node_id: 0, host: 'localhost', port: tb.port, rack: null }]);
    assert.equal(res.cluster.controller_id, 0);
    assert.equal(res.cluster.cluster_id, tb.broker.clusterId);
  } finally {
    await tb.stop();
  }
});
