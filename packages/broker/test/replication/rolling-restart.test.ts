/**
 * Rolling restart with controlled shutdown, in process: each broker in turn hands its
 * leaderships to an ISR member and leaves the ISRs it is in before it stops, then comes back
 * and catches up. A kafkajs idempotent acks=all producer writes the whole time: no send fails,
 * every acknowledged record is there exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { startInProcessCluster, until, type InProcessCluster } from './in-process-cluster.js';

const PARTITIONS = 3;

describe('rolling restart with controlled shutdown (in process)', () => {
  let cluster: InProcessCluster;
  before(async () => {
    cluster = await startInProcessCluster([1, 2, 3], { 'replica.lag.time.max.ms': '10000', 'controlled.shutdown.retry.backoff.ms': '100' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('moves leadership away before each stop: zero failed sends, zero lost acknowledged records', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'rolling', numPartitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const fullIsr = () => [...cluster.brokers.values()].every((b) => {
      for (let p = 0; p < PARTITIONS; p++) {
        const t = b.metadata.topic('rolling')!.partitions[p]!;
        const leader = cluster.brokers.get(t.leader);
        if (leader === undefined || leader.partitions.getPartition('rolling', p)!.isr.length !== 3) return false;
      }
      return true;
    });
    await until(() => cluster.brokers.size === 3 && fullIsr(), 'full ISRs');
    const brokers = [1, 2, 3].map((id) => `127.0.0.1:${cluster.broker(id).boundListeners[0]!.port}`);
    const kafka = new Kafka({ clientId: 'rolling', brokers, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 300 }, connectionTimeout: 1000, requestTimeout: 5000 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const acked: number[] = [];
    let next = 0;
    let sends = 0;
    let stop = false;
    const failures: string[] = [];
    const writer = (async () => {
      while (!stop && next < 20_000) {
        // One partition per send: kafkajs skips, on a retry, partitions whose new leader already
        // answered the first attempt for other partitions (sendMessages.js responsePerBroker), which
        // silently drops them; a send that addresses one leader is not affected.
        const partition = sends++ % PARTITIONS;
        const values = Array.from({ length: 3 }, () => next++);
        try {
          await producer.send({ topic: 'rolling', acks: -1, messages: values.map((v) => ({ value: String(v), partition })) });
          acked.push(...values);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    for (const id of [1, 2, 3]) {
      const before = acked.length;
      await until(() => acked.length >= before + 60, `writes before restarting broker ${id}`);
      const t0 = Date.now();
      await cluster.shutdown(id);
      const leads = [...cluster.brokers.values()].some((b) => b.metadata.topic('rolling')!.partitions.some((p) => p.leader === id));
      assert.equal(leads, false, `broker ${id} still leads a partition after its controlled shutdown`);
      console.log(`# rolling restart: broker ${id} handed over its leaderships and stopped in ${Date.now() - t0} ms`);
      await cluster.start(id);
      await until(fullIsr, `broker ${id} back in every ISR`, 30_000);
    }
    const before = acked.length;
    await until(() => acked.length >= before + 60, 'writes after the last restart');
    stop = true;
    await writer;
    await producer.disconnect();
    assert.deepEqual(failures, [], 'no send failed');

    const seen = new Map<number, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const leader = cluster.broker(cluster.broker(1).metadata.topic('rolling')!.partitions[p]!.leader);
      const log = leader.partitions.getPartition('rolling', p)!.log;
      for (const b of decodeRecordBatches(log.read(0n, 1 << 26, { minOneBatch: true }).records)) for (const r of b.records) {
        const v = Number(r.value!.toString());
        seen.set(v, (seen.get(v) ?? 0) + 1);
      }
    }
    for (const v of acked) assert.equal(seen.get(v), 1, `acknowledged record ${v} appears ${seen.get(v) ?? 0} times`);
    assert.ok([...seen.values()].every((n) => n === 1), 'no record twice');
  });
});
