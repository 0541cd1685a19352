/**
 * Failover with a real client, in process: a kafkajs idempotent acks=all producer writes while
 * the leader of an RF 3, min.insync.replicas=2 partition goes away and an ISR member takes over
 * (the test plays the controller). Every acknowledged record is then read exactly once, and
 * the old leader, restarted, truncates and rejoins the ISR.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { startInProcessCluster, until, type InProcessCluster } from './in-process-cluster.js';

describe('failover with kafkajs (in process)', () => {
  let cluster: InProcessCluster;
  before(async () => {
    cluster = await startInProcessCluster([1, 2, 3], { 'replica.lag.time.max.ms': '2000' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('acknowledged records survive the leader going away, exactly once, and the old leader rejoins', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'orders', assignments: [{ partition: 0, brokerIds: [1, 2, 3] }], configs: { 'min.insync.replicas': '2' } });
    await until(() => cluster.broker(1).partitions.getPartition('orders', 0)?.isLeader === true, 'broker 1 leads');
    await until(() => [2, 3].every((id) => cluster.broker(id).replication!.fetchers.followed().get('orders\u00000') === 'fetching'), 'followers fetching');
    const brokers = [1, 2, 3].map((id) => `127.0.0.1:${cluster.broker(id).boundListeners[0]!.port}`);
    const kafka = new Kafka({ clientId: 'failover', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 }, connectionTimeout: 1000, requestTimeout: 5000 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const acked: number[] = [];
    let next = 0;
    let stop = false;
    let failures = 0;
    const writer = (async () => {
      while (!stop && next < 2000) {
        const values = Array.from({ length: 5 }, () => next++);
        try {
          await producer.send({ topic: 'orders', acks: -1, messages: values.map((v) => ({ value: String(v) })) });
          acked.push(...values);
        } catch {
          failures++;
        }
      }
    })();
    await until(() => acked.length >= 100, '100 records acknowledged');
    const killedAt = Date.now();
    const oldLeader = cluster.broker(1).metadata.topic('orders')!.partitions[0]!.leader;
    await cluster.stop(oldLeader);
    const survivors = [1, 2, 3].filter((id) => id !== oldLeader);
    await until(() => survivors.some((id) => cluster.broker(id).partitions.getPartition('orders', 0)!.isLeader), 'a new leader');
    const electedAfterMs = Date.now() - killedAt;
    const ackedBefore = acked.length;
    await until(() => acked.length >= ackedBefore + 100, '100 more records acknowledged after the failover');
    console.log(`# failover: new leader elected by the controller ${electedAfterMs} ms after the old leader's session ended; 100 more records acknowledged ${Date.now() - killedAt} ms after (in process)`);
    stop = true;
    await writer;
    await producer.disconnect();
    assert.equal(failures, 0, 'no send failed: leadership errors are retried');

    const newLeader = survivors.find((id) => cluster.broker(id).partitions.getPartition('orders', 0)!.isLeader)!;
    const log = cluster.broker(newLeader).partitions.getPartition('orders', 0)!.log;
    const values = decodeRecordBatches(log.read(0n, 1 << 26, { minOneBatch: true }).records).flatMap((b) => b.records.map((r) => Number(r.value!.toString())));
    const seen = new Map<number, number>();
    for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
    for (const v of acked) assert.equal(seen.get(v), 1, `acknowledged record ${v} appears ${seen.get(v) ?? 0} times`);
    assert.ok([...seen.values()].every((n) => n === 1), 'no record twice');

    await cluster.start(oldLeader);
    await until(() => [...cluster.broker(newLeader).partitions.getPartition('orders', 0)!.isr].sort().join(',') === '1,2,3', 'the old leader back in the ISR');
    const leaderBytes = log.read(0n, 1 << 26, { minOneBatch: true }).records;
    await until(() => cluster.broker(oldLeader).partitions.getPartition('orders', 0)!.log.read(0n, 1 << 26, { minOneBatch: true }).records.equals(leaderBytes), 'broker 1 has the leader log');
  });
});
