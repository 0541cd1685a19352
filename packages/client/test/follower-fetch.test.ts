/**
 * Follower fetching (KIP-392) on a real in-process cluster with broker.rack a/b/c and Kafka's
 * RackAwareReplicaSelector: the leader (rack a) points a consumer in rack c at broker 2's
 * replica, which then serves its fetches up to its high watermark. Checked for @samsa/client
 * (clientRack) and librdkafka (confluent-kafka, client.rack) by which broker answered their
 * Fetch requests, and by the records they read.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { requestChannel, type RequestEvent, startCluster, type TestCluster } from '@samsa/broker/testkit';
import { Admin } from '../src/admin.js';
import { Consumer } from '../src/consumer.js';
import type { ConsumedMessage } from '../src/fetched-record.js';
import { Producer } from '../src/producer.js';

const TOPIC = 'racked';
const RECORDS = 60;
const RACK_AWARE = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fetch requests answered per broker port, by client id (the request channel is shared by the in-process brokers). */
function countFetches(): { byClient: Map<string, Map<number, number>>; stop(): void } {
  const byClient = new Map<string, Map<number, number>>();
  const onRequest = (msg: unknown): void => {
    const e = msg as RequestEvent;
    if (e.apiName !== 'Fetch' || e.clientId === null) return;
    const port = Number(/^[^-]*:(\d+)-/.exec(e.connectionId)?.[1] ?? -1);
    let m = byClient.get(e.clientId);
    if (m === undefined) byClient.set(e.clientId, (m = new Map()));
    m.set(port, (m.get(port) ?? 0) + 1);
  };
  requestChannel.subscribe(onRequest);
  return { byClient, stop: () => requestChannel.unsubscribe(onRequest) };
}

const CONFLUENT_CONSUMER = `
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'rack-c-librdkafka', 'client.id': 'rack-c-librdkafka',
              'client.rack': 'c', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(topic, 0, 0)])
seen = []
import time
deadline = time.time() + 40
while len(seen) < n and time.time() < deadline:
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    seen.append([m.offset(), m.value().decode()])
c.close()
print(json.dumps(seen))
`;

function runConfluent(bootstrap: string): Promise<Array<[number, string]>> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', CONFLUENT_CONSUMER, bootstrap, TOPIC, String(RECORDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as Array<[number, string]>);
      } catch {
        reject(new Error(`confluent-kafka consumer exited ${code}: ${out.slice(-1000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

describe('follower fetching (KIP-392, replica.selector.class rack-aware)', () => {
  let cluster: TestCluster;
  let counts: ReturnType<typeof countFetches>;
  const expected = Array.from({ length: RECORDS }, (_, i) => `${i}:record-${i}`);

  before(async () => {
    cluster = await startCluster({ brokers: 3, racks: ['a', 'b', 'c'], config: { 'replica.selector.class': RACK_AWARE, 'replica.fetch.wait.max.ms': '100', 'replica.lag.time.max.ms': '2000' } });
    const admin = new Admin({ bootstrapServers: cluster.bootstrap });
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [0, 1, 2] }] }] });
    await admin.close();
    await until(() => cluster.broker(0).broker.partitions.getPartition(TOPIC, 0)?.isLeader === true, 'broker 0 (rack a) leads');
    const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: -1 });
    await producer.send({ topic: TOPIC, messages: Array.from({ length: RECORDS }, (_, i) => ({ value: `record-${i}`, partition: 0 })) });
    await producer.close();
    // The follower in rack c knows the high watermark (it learns it from its next fetch).
    await until(() => cluster.broker(2).broker.partitions.getPartition(TOPIC, 0)?.highWatermark === BigInt(RECORDS), 'broker 2 high watermark');
    counts = countFetches();
  });
  after(async () => {
    counts?.stop();
    await cluster?.stop();
  });

  it('@samsa/client with clientRack c reads from broker 2, the in-sync replica in rack c', async () => {
    const consumer = new Consumer({ bootstrapServers: cluster.bootstrap, clientId: 'rack-c-samsa', clientRack: 'c', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
    try {
      consumer.assign([{ topic: TOPIC, partition: 0 }]);
      const got: ConsumedMessage[] = [];
      const deadline = Date.now() + 20_000;
      while (got.length < RECORDS && Date.now() < deadline) for (const b of await consumer.poll(200)) got.push(...b.messages);
      assert.deepEqual(got.map((m) => `${m.offset}:${m.value!.toString()}`), expected);
      const perBroker = counts.byClient.get('rack-c-samsa')!;
      const leaderFetches = perBroker.get(cluster.broker(0).port) ?? 0;
      const rackCFetches = perBroker.get(cluster.broker(2).port) ?? 0;
      // The first fetch goes to the leader, which names broker 2; every record came from there.
      assert.ok(leaderFetches >= 1 && leaderFetches <= 2, `leader answered ${leaderFetches} fetches`);
      assert.ok(rackCFetches >= 1, 'broker 2 served the fetches');
      assert.equal(perBroker.get(cluster.broker(1).port) ?? 0, 0, 'nothing from rack b');
    } finally {
      await consumer.close();
    }
  });

  it('a consumer without a rack stays on the leader', async () => {
    const consumer = new Consumer({ bootstrapServers: cluster.bootstrap, clientId: 'no-rack-samsa', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
    try {
      consumer.assign([{ topic: TOPIC, partition: 0 }]);
      const got: ConsumedMessage[] = [];
      const deadline = Date.now() + 20_000;
      while (got.length < RECORDS && Date.now() < deadline) for (const b of await consumer.poll(200)) got.push(...b.messages);
      assert.equal(got.length, RECORDS);
      assert.deepEqual([...counts.byClient.get('no-rack-samsa')!.keys()], [cluster.broker(0).port]);
    } finally {
      await consumer.close();
    }
  });

  it('librdkafka (confluent-kafka) with client.rack=c reads the same records from broker 2', async () => {
    const seen = await runConfluent(cluster.bootstrap);
    assert.deepEqual(seen.map(([o, v]) => `${o}:${v}`), expected);
    const perBroker = counts.byClient.get('rack-c-librdkafka');
    assert.ok(perBroker !== undefined && (perBroker.get(cluster.broker(2).port) ?? 0) >= 1, `fetches by broker port: ${JSON.stringify([...(perBroker ?? [])])}`);
  });

  it('when the rack-c replica goes away, @samsa/client falls back to the leader and reads on', async () => {
    const consumer = new Consumer({ bootstrapServers: cluster.bootstrap, clientId: 'rack-c-fallback', clientRack: 'c', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, reconnectBackoffMaxMs: 200, retryBackoffMs: 50 });
    const take = async (n: number): Promise<string[]> => {
      const got: ConsumedMessage[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < n && Date.now() < deadline) for (const b of await consumer.poll(200)) got.push(...b.messages);
      return got.map((m) => `${m.offset}:${m.value!.toString()}`);
    };
    try {
      consumer.assign([{ topic: TOPIC, partition: 0 }]);
      assert.deepEqual(await take(RECORDS), expected);
      const rackCPort = cluster.broker(2).port;
      assert.ok((counts.byClient.get('rack-c-fallback')!.get(rackCPort) ?? 0) >= 1);
      await cluster.killBroker(2);
      const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: 1, idempotent: false });
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ value: `later-${i}`, partition: 0 })) });
      await producer.close();
      const leaderBefore = counts.byClient.get('rack-c-fallback')!.get(cluster.broker(0).port) ?? 0;
      assert.deepEqual(await take(10), Array.from({ length: 10 }, (_, i) => `${RECORDS + i}:later-${i}`));
      assert.ok((counts.byClient.get('rack-c-fallback')!.get(cluster.broker(0).port) ?? 0) > leaderBefore, 'the leader served the records after the replica went away');
    } finally {
      await consumer.close();
    }
  });
});
