/**
 * KIP-320 on a real in-process cluster: a consumer reads a tail only the leader had, an unclean
 * election makes a replica without that tail the leader, and the new leader takes other writes
 * at the same offsets. The consumer notices at the leader change (OffsetForLeaderEpoch for the
 * epoch of its position), goes back to where the logs agree and reads what the log now holds;
 * with auto.offset.reset=none it raises LogTruncationError instead; a committed offset
 * carries its epoch, so a consumer starting from it after the truncation is checked too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '@samsa/broker/testkit';
import { Admin, ConfigResourceType } from '../src/admin.js';
import { Consumer } from '../src/consumer.js';
import { ClientErrorCode, type DivergentOffset, LogTruncationError } from '../src/errors.js';
import type { ConsumedMessage } from '../src/fetched-record.js';
import { Producer } from '../src/producer.js';

const TOPIC = 'truncated';
const GROUP = 'truncation-group';

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until `n` records arrived (bounded). */
async function take(consumer: Consumer, n: number, timeoutMs = 20_000): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) for (const b of await consumer.poll(200)) out.push(...b.messages);
  return out;
}

const seen = (ms: ConsumedMessage[]): string[] => ms.map((m) => `${m.offset}:${m.value!.toString()}`);

describe('consumer position validation after an unclean election (KIP-320)', () => {
  let cluster: TestCluster;
  let admin: Admin;
  const consumers: Consumer[] = [];
  const consumer = (opts: ConstructorParameters<typeof Consumer>[0]): Consumer => {
    const c = new Consumer({ bootstrapServers: cluster.bootstrap, fetchMaxWaitMs: 100, metadataMaxAgeMs: 1000, retryBackoffMs: 50, reconnectBackoffMaxMs: 200, ...opts });
    consumers.push(c);
    return c;
  };
  const partition = (id: number) => cluster.broker(id).broker.partitions.getPartition(TOPIC, 0);

  before(async () => {
    cluster = await startCluster({ brokers: 3, storage: 'file', config: { 'replica.lag.time.max.ms': '1000', 'replica.fetch.wait.max.ms': '100' } });
    admin = new Admin({ bootstrapServers: cluster.bootstrap });
  });
  after(async () => {
    for (const c of consumers) await c.close().catch(() => {});
    await admin?.close();
    await cluster?.stop();
  });

  it('detects the truncated tail it already read, resumes where the logs agree (or raises with auto.offset.reset=none), and checks committed offsets too', async () => {
    // Broker 0 leads, broker 1 follows; broker 2 keeps __consumer_offsets alive throughout.
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [0, 1] }] }] });
    await until(() => partition(0)?.isLeader === true, 'broker 0 leads');
    const safe = new Producer({ bootstrapServers: cluster.bootstrap, acks: -1 });
    await safe.send({ topic: TOPIC, messages: [0, 1, 2].map((i) => ({ value: `committed-${i}`, partition: 0 })) });
    await safe.close();
    await until(() => partition(1)?.logEndOffset === 3n, 'follower has offsets 0-2');
    // __consumer_offsets (RF 3) is created while all three brokers are up.
    await until(() => admin.findGroupCoordinator(GROUP).then(() => true, () => false), 'group coordinator');

    // The follower dies; the leader alone takes acks=1 writes the follower never sees.
    await cluster.killBroker(1);
    await until(() => partition(0)!.isr.length === 1, 'ISR shrinks to the leader');
    const unsafe = new Producer({ bootstrapServers: cluster.broker(0).bootstrap, acks: 1, idempotent: false });
    await unsafe.send({ topic: TOPIC, messages: [0, 1, 2, 3].map((i) => ({ value: `lost-${i}`, partition: 0 })) });
    await unsafe.close();

    // Three consumers read everything, the lost tail included (it is below the high watermark).
    const resetting = consumer({ autoOffsetReset: 'earliest' });
    const strict = consumer({ autoOffsetReset: 'none' });
    const committing = consumer({ groupId: GROUP, autoOffsetReset: 'earliest', enableAutoCommit: false });
    const truncations: DivergentOffset[] = [];
    resetting.onLogTruncation = (t) => truncations.push(t);
    resetting.assign([{ topic: TOPIC, partition: 0 }]);
    strict.assign([{ topic: TOPIC, partition: 0 }]);
    strict.seek({ topic: TOPIC, partition: 0, offset: 0 });
    committing.assign([{ topic: TOPIC, partition: 0 }]);
    const before = ['0:committed-0', '1:committed-1', '2:committed-2', '3:lost-0', '4:lost-1', '5:lost-2', '6:lost-3'];
    for (const c of [resetting, strict, committing]) assert.deepEqual(seen(await take(c, 7)), before);
    await committing.commitSync();
    const committed = await admin.listConsumerGroupOffsets(GROUP, [{ topic: TOPIC, partitions: [0] }]);
    assert.deepEqual(committed.map((o) => [o.offset, o.leaderEpoch]), [[7n, 0]], 'the commit carries the epoch of the last record read');
    await committing.close();

    // The leader dies; only the follower without the tail is left, and an operator allows unclean election.
    await cluster.killBroker(0);
    await cluster.restartBroker(1);
    await admin.incrementalAlterConfigs({ resources: [{ type: ConfigResourceType.TOPIC, name: TOPIC, configs: [{ name: 'unclean.leader.election.enable', value: 'true' }] }] });
    await until(() => partition(1)?.isLeader === true, 'broker 1 leads uncleanly');
    assert.equal(partition(1)!.logEndOffset, 3n);
    // The new leader writes other records at offsets 3-8: past the old position 7 too, so a
    // consumer fetching at 7 would get new-4 and new-5 and silently skip new-0 to new-3.
    const fresh = new Producer({ bootstrapServers: cluster.broker(1).bootstrap, acks: 1, idempotent: false });
    await fresh.send({ topic: TOPIC, messages: [0, 1, 2, 3, 4, 5].map((i) => ({ value: `new-${i}`, partition: 0 })) });
    await fresh.close();
    const after = ['3:new-0', '4:new-1', '5:new-2', '6:new-3', '7:new-4', '8:new-5'];

    // auto.offset.reset=earliest: back to offset 3, where epoch 0 ends on the new leader, then everything it holds.
    assert.deepEqual(seen(await take(resetting, 6)), after);
    assert.deepEqual(truncations, [{ topic: TOPIC, partition: 0, position: 7n, offset: 3n, leaderEpoch: 0 }]);

    // auto.offset.reset=none: Kafka's LogTruncationException, naming the first divergent offset; a seek there goes on.
    let error: unknown = null;
    const deadline = Date.now() + 20_000;
    while (error === null && Date.now() < deadline) {
      try {
        const got = await strict.poll(200);
        assert.deepEqual(got, [], 'no record is handed out past a detected truncation');
      } catch (err) {
        error = err;
      }
    }
    assert.ok(error instanceof LogTruncationError, String(error));
    assert.equal(error.code, ClientErrorCode.LOG_TRUNCATION);
    assert.deepEqual(error.divergentOffsets, [{ topic: TOPIC, partition: 0, position: 7n, offset: 3n, leaderEpoch: 0 }]);
    strict.seek({ topic: TOPIC, partition: 0, offset: error.divergentOffsets[0]!.offset! });
    assert.deepEqual(seen(await take(strict, 6)), after);

    // A consumer starting from the offset committed before the truncation (7, epoch 0) validates it first.
    const restarted = consumer({ groupId: GROUP, autoOffsetReset: 'earliest', enableAutoCommit: false });
    const restartedTruncations: DivergentOffset[] = [];
    restarted.onLogTruncation = (t) => restartedTruncations.push(t);
    restarted.assign([{ topic: TOPIC, partition: 0 }]);
    assert.deepEqual(seen(await take(restarted, 6)), after);
    assert.deepEqual(restartedTruncations.map((t) => [t.position, t.offset]), [[7n, 3n]]);
  });
});
