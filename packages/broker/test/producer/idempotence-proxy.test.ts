/**
 * Idempotent producers through a proxy that cuts connections mid-stream, some of them after the
 * broker appended a batch but before the client saw the response: the client retries those
 * batches with the same sequence numbers and the broker must answer them as duplicates. The
 * partition must end up with every record exactly once, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '@samsa/protocol';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { PYTHON, pythonHasModule, readStored, runChild } from '../support/interop.js';
import { KafkaProxy, type ProxiedRequest } from '../support/proxy.js';

const here = dirname(fileURLToPath(import.meta.url));
// compiled tests run from dist/test/producer; the script stays in the source tree
const PY_SCRIPT = [join(here, 'py', 'idempotent_produce.py'), join(here, '..', '..', '..', 'test', 'producer', 'py', 'idempotent_produce.py')].find((p) => existsSync(p))!;

const RECORDS = 5000;

interface Setup { proxy: KafkaProxy; tb: TestBroker }

async function setUp(topic: string): Promise<Setup> {
  // The proxy's port is known first, so the broker can advertise it: every connection the client
  // opens after the bootstrap metadata also goes through the proxy.
  const proxy = await KafkaProxy.listen();
  const tb = await startBroker({ config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  proxy.setTarget('127.0.0.1', tb.port);
  await tb.broker.topics.createTopic({ name: topic, numPartitions: 1 });
  return { proxy, tb };
}

/**
 * Cuts on every `every`-th Produce request, `times` times, alternating: the request reaches the
 * broker and its response is lost, or the connection dies before the request is forwarded.
 */
function cutProduceRequests(proxy: KafkaProxy, every: number, times: number): () => { lostResponses: number; cutBefore: number } {
  let produces = 0;
  let lostResponses = 0;
  let cutBefore = 0;
  proxy.onRequest = (req: ProxiedRequest) => {
    if (req.apiKey !== ApiKey.Produce) return;
    produces++;
    if (produces % every !== 0 || lostResponses + cutBefore >= times) return;
    if ((lostResponses + cutBefore) % 3 !== 2) {
      proxy.cutAfterResponseTo(req);
      lostResponses++;
    } else {
      proxy.cutAll();
      cutBefore++;
    }
  };
  return () => ({ lostResponses, cutBefore });
}

async function assertExactlyOnceInOrder(tb: TestBroker, topic: string, label: string): Promise<void> {
  const stored = await readStored(tb.port, topic, 0, { maxBytes: 4 << 20 });
  const values = stored.records.map((r) => r.value);
  const expected = Array.from({ length: RECORDS }, (_, i) => String(i));
  if (values.length !== RECORDS || values.some((v, i) => v !== expected[i])) {
    const counts = new Map<string | null, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const dups = [...counts].filter(([, n]) => n > 1).slice(0, 10);
    const missing = expected.filter((v) => !counts.has(v)).slice(0, 10);
    const firstOutOfOrder = values.findIndex((v, i) => i > 0 && Number(v) <= Number(values[i - 1]));
    assert.fail(`${label}: ${values.length} records stored for ${RECORDS} sent; duplicates ${JSON.stringify(dups)}, missing ${JSON.stringify(missing)}, first out-of-order index ${firstOutOfOrder}`);
  }
  assert.equal(stored.highWatermark, RECORDS);
}

test('kafkajs idempotent producer: connections cut mid-stream, every record once and in order', { timeout: 60_000 }, async () => {
  const topic = 'idem-proxy-kafkajs';
  const { proxy, tb } = await setUp(topic);
  const kafka = new Kafka({
    clientId: 'idem-proxy-kafkajs',
    brokers: [`127.0.0.1:${proxy.port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 300 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 300 } });
  try {
    await producer.connect();
    const cuts = cutProduceRequests(proxy, 6, 6);
    const started = Date.now();
    const perSend = 100;
    for (let i = 0; i < RECORDS; i += perSend) {
      const messages = Array.from({ length: Math.min(perSend, RECORDS - i) }, (_, k) => ({ value: String(i + k) }));
      await producer.send({ topic, acks: -1, messages });
      assert.ok(Date.now() - started < 45_000, 'kafkajs produce loop exceeded its time budget');
    }
    const done = cuts();
    assert.ok(done.lostResponses >= 3, `only ${done.lostResponses} responses were lost`);
    assert.ok(done.cutBefore >= 1);
    assert.ok(proxy.connectionsAccepted > 1 + done.lostResponses, 'the client reconnected after each cut');
    proxy.onRequest = null;
    await assertExactlyOnceInOrder(tb, topic, 'kafkajs');
    process.stderr.write(`# kafkajs: ${RECORDS} records in ${Date.now() - started} ms, ${done.lostResponses} responses lost + ${done.cutBefore} cuts before a request, ${proxy.connectionsAccepted} connections\n`);
  } finally {
    await producer.disconnect().catch(() => {});
    await proxy.close();
    await tb.stop();
  }
});

test('confluent-kafka (librdkafka) idempotent producer: connections cut mid-stream, every record once and in order', { timeout: 90_000 }, async (t) => {
  if (!(await pythonHasModule('confluent_kafka'))) throw new Error('confluent_kafka is not installed for /usr/bin/python3: install python3-confluent-kafka (see .ci/run)');
  const topic = 'idem-proxy-librdkafka';
  const { proxy, tb } = await setUp(topic);
  try {
    const cuts = cutProduceRequests(proxy, 5, 6);
    const res = await runChild(PYTHON, [PY_SCRIPT, `127.0.0.1:${proxy.port}`, topic, String(RECORDS), '40'], { timeoutMs: 70_000 });
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as { delivered: number; failed: number; errors: string[]; unflushed: number; fatal: string | null };
    assert.equal(out.fatal, null, res.stderr);
    assert.deepEqual({ delivered: out.delivered, failed: out.failed, unflushed: out.unflushed }, { delivered: RECORDS, failed: 0, unflushed: 0 }, JSON.stringify(out.errors));
    const done = cuts();
    assert.ok(done.lostResponses >= 2, `only ${done.lostResponses} responses were lost (produce requests were too few?)`);
    proxy.onRequest = null;
    await assertExactlyOnceInOrder(tb, topic, 'librdkafka');
    process.stderr.write(`# librdkafka: ${RECORDS} records, ${done.lostResponses} responses lost + ${done.cutBefore} cuts before a request, ${proxy.connectionsAccepted} connections\n`);
  } finally {
    await proxy.close();
    await tb.stop();
  }
});
