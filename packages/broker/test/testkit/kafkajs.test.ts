import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { ApiKey } from '@samsa/protocol';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from './wire-client.js';

const run = promisify(execFile);

test('kafkajs produces to an auto-created topic with keys and headers; kcat and a raw fetch read it back', async () => {
  const tb = await startBroker();
  try {
    assert.match(tb.bootstrap, /^localhost:\d+$/);
    const kafka = new Kafka({ clientId: 'e2e', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, headers: { h: `x${i}` } }));
    const res = await producer.send({ topic: 'e2e', messages: messages.slice(0, 10), acks: -1 });
    assert.equal(res[0]!.errorCode, 0);
    await producer.send({ topic: 'e2e', messages: messages.slice(10), compression: CompressionTypes.GZIP });
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('e2e');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]), [[0, '0', '20']]);
    await admin.disconnect();

    // Raw fetch: the gzip batch comes back exactly as kafkajs wrote it.
    const c = await WireClient.connect(tb.port);
    const fr = await c.send(ApiKey.Fetch, 11, {
      maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'e2e', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: '',
    });
    c.close();
    const batches = decodeRecordBatches(fr.responses[0].partitions[0].records);
    const records = batches.flatMap((b) => b.records);
    assert.equal(records.length, 20);
    assert.deepEqual(records.map((r) => r.key!.toString()), messages.map((m) => m.key));
    assert.deepEqual(records.map((r) => r.value!.toString()), messages.map((m) => m.value));
    assert.deepEqual(records.map((r) => r.headers[0]!.value!.toString()), messages.map((m) => m.headers.h));

    if (existsSync('/usr/bin/kcat')) {
      const { stdout } = await run('/usr/bin/kcat', ['-C', '-b', tb.bootstrap, '-t', 'e2e', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\n'], { timeout: 20_000 });
      assert.deepEqual(stdout.trim().split('\n'), messages.map((m) => `${m.key}=${m.value}`));
    }
  } finally {
    await tb.stop();
  }
});
