/**
 * Client quotas as Kafka enforces them: a producer whose client id has producer_byte_rate =
 * 1 MB/s is held to that rate (within 10%, measured on the broker's log after the first
 * windows) while an unlimited producer next to it runs at full speed; Produce and Fetch
 * responses over quota carry throttle_time_ms and the connection is muted that long.
 * SAMSA_QUOTA_TEST_SECONDS (default 10) sets the measured span; `npm run test:quota-30s`
 * runs the 30-second version.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { alterClientQuotas, Cluster, Connection, defaultConnectionOptions, Producer } from '@samsa/client';
import { ApiKey, apiByName, ErrorCode } from '@samsa/protocol';
import { buildBatch } from '../storage/batch-builder.js';
import { startBroker, requestChannel, type RequestEvent, type TestBroker } from '../../src/testkit/index.js';

const SECONDS = Number(process.env['SAMSA_QUOTA_TEST_SECONDS'] ?? 10);
const QUOTA = 1024 * 1024;
/** The first windows may burst (Kafka's rate spans quota.window.num windows); measure after them. */
const WARMUP_MS = 3000;

let tb: TestBroker;
let cluster: Cluster;

before(async () => {
  tb = await startBroker({ config: { 'quota.window.num': '3', 'quota.window.size.seconds': '1' } });
  cluster = new Cluster({ bootstrapServers: tb.bootstrap });
  const errors = await alterClientQuotas(cluster, [
    { entity: { 'client-id': 'limited' }, ops: [{ key: 'producer_byte_rate', value: QUOTA }] },
    { entity: { 'client-id': 'slow-reader' }, ops: [{ key: 'consumer_byte_rate', value: QUOTA }] },
  ]);
  assert.deepEqual(errors, [null, null]);
  for (const name of ['limited-topic', 'free-topic']) await tb.broker.topics.createTopic({ name });
});
after(async () => {
  cluster?.close();
  await tb?.stop();
});

function logBytes(topic: string): number {
  return tb.broker.partitions.getPartition(topic, 0)!.log.sizeBytes;
}

/**
 * Sends `perSend` 32 KiB records per request, 4 requests in flight, as fast as the broker lets
 * it until `stop` resolves. The limited producer sends small requests (64 KiB), so what arrives
 * between two log samples is small next to the measured span.
 */
async function flood(clientId: string, topic: string, stop: Promise<void>, perSend: number): Promise<void> {
  const producer = new Producer({ bootstrapServers: tb.bootstrap, clientId, acks: 1, idempotent: false, lingerMs: 0, batchSize: perSend * 32 * 1024 + 1024 });
  const value = Buffer.alloc(32 * 1024, 7);
  let stopped = false;
  void stop.then(() => (stopped = true));
  const inFlight = new Set<Promise<unknown>>();
  while (!stopped) {
    const p = producer.send({ topic, messages: Array.from({ length: perSend }, () => ({ value })) });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.allSettled(inFlight);
  await producer.close();
}

it(`a producer limited to 1 MB/s is held within 10% over ${SECONDS} s; an unlimited one is not slowed`, async () => {
  const throttles: number[] = [];
  const onRequest = (m: unknown): void => {
    const ev = m as RequestEvent;
    if (ev.apiKey === ApiKey.Produce && ev.clientId === 'limited') throttles.push(1);
  };
  requestChannel.subscribe(onRequest);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const runs = [flood('limited', 'limited-topic', stopped, 2), flood('free', 'free-topic', stopped, 8)];
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const start = { t: performance.now(), limited: logBytes('limited-topic'), free: logBytes('free-topic') };
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const end = { t: performance.now(), limited: logBytes('limited-topic'), free: logBytes('free-topic') };
  stop();
  await Promise.all(runs);
  requestChannel.unsubscribe(onRequest);
  const secs = (end.t - start.t) / 1000;
  const limitedRate = (end.limited - start.limited) / secs;
  const freeRate = (end.free - start.free) / secs;
  process.stdout.write(`# limited producer: ${(limitedRate / QUOTA).toFixed(3)} MiB/s over ${secs.toFixed(1)} s (quota 1 MiB/s); unlimited: ${(freeRate / QUOTA).toFixed(1)} MiB/s\n`);
  assert.ok(Math.abs(limitedRate - QUOTA) <= 0.1 * QUOTA, `limited producer ran at ${(limitedRate / QUOTA).toFixed(3)} MiB/s`);
  assert.ok(freeRate > 3 * QUOTA, `the unlimited producer was slowed to ${(freeRate / QUOTA).toFixed(2)} MiB/s`);
  assert.ok(throttles.length > 0, 'the limited producer sent nothing');
});

it('Produce and Fetch responses carry throttle_time_ms once over quota, and the connection is muted that long', async () => {
  const [host, port] = tb.bootstrap.split(':');
  const conn = (clientId: string): Connection => new Connection(host!, Number(port), -1, { ...defaultConnectionOptions, clientId });
  const producer = conn('limited');
  await producer.connect();
  const batch = buildBatch({ records: Array.from({ length: 9 }, () => ({ value: Buffer.alloc(100 * 1024, 1) })) });
  const produced: Array<{ throttle: number; at: number }> = [];
  const t0 = performance.now();
  // Until one answer is throttled, then one more request, which the muting must hold back.
  for (let i = 0; i < 8 && !(produced.length >= 2 && produced.at(-2)!.throttle > 0); i++) {
    const res = await producer.rawRequest(apiByName.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'limited-topic', partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    produced.push({ throttle: res.throttleTimeMs ?? 0, at: performance.now() - t0 });
  }
  producer.close();
  const first = produced.findIndex((p) => p.throttle > 0);
  assert.ok(first >= 0, `no Produce response was throttled: ${JSON.stringify(produced)}`);
  // Muting: the next request was answered no sooner than the throttle time allowed.
  if (first + 1 < produced.length) assert.ok(produced[first + 1]!.at - produced[first]!.at >= produced[first]!.throttle * 0.9, JSON.stringify(produced));

  const consumer = conn('slow-reader');
  await consumer.connect();
  const fetched: number[] = [];
  let offset = 0n;
  for (let i = 0; i < 8 && !fetched.some((t) => t > 0); i++) {
    const res = await consumer.rawRequest(apiByName.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'limited-topic', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '',
    });
    const records = res.responses[0]!.partitions[0]!.records;
    offset += 100n; // move on; the bytes are what counts
    fetched.push(res.throttleTimeMs ?? 0);
    assert.ok((records?.length ?? 0) > 0);
  }
  consumer.close();
  assert.ok(fetched.some((t) => t > 0), `no Fetch response was throttled: ${fetched.join(',')}`);
});

it('controller_mutation_rate: strict CreateTopics answers THROTTLING_QUOTA_EXCEEDED once the bucket is empty; older versions are only throttled', async () => {
  const errors = await alterClientQuotas(cluster, [{ entity: { 'client-id': 'admin-tool' }, ops: [{ key: 'controller_mutation_rate', value: 2 }] }]);
  assert.deepEqual(errors, [null]);
  const [host, port] = tb.bootstrap.split(':');
  const admin = new Connection(host!, Number(port), -1, { ...defaultConnectionOptions, clientId: 'admin-tool' });
  await admin.connect();
  const topic = (name: string) => ({ name, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] });
  // Burst: 2/s x 3 windows x 1 s = 6 partitions; 4 + 4 takes the bucket below zero, the third waits.
  const strict = await admin.rawRequest(apiByName.CreateTopics, 6, { topics: [topic('m1'), topic('m2'), topic('m3')], timeoutMs: 5000, validateOnly: false });
  assert.deepEqual(strict.topics.map((t) => t.errorCode), [0, 0, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
  assert.equal(strict.topics[2]!.errorMessage, 'The throttling quota has been exceeded.');
  assert.ok((strict.throttleTimeMs ?? 0) > 0 && (strict.throttleTimeMs ?? 0) <= 1000, String(strict.throttleTimeMs));
  assert.equal(tb.broker.metadata.topic('m3'), undefined);
  // CreateTopics v5 cannot carry the error: the topic is created and the answer throttled (after the mute).
  const permissive = await admin.rawRequest(apiByName.CreateTopics, 5, { topics: [topic('m4')], timeoutMs: 5000, validateOnly: false });
  assert.equal(permissive.topics[0]!.errorCode, 0);
  assert.ok((permissive.throttleTimeMs ?? 0) > 0);
  admin.close();
});
