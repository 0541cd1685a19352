/**
 * KIP-890 part 1 on the partition leader (transaction.partition.verification.enable): a
 * transactional batch for a partition the producer never added with AddPartitionsToTxn is refused
 * INVALID_TXN_STATE after the leader asks the transaction coordinator (AddPartitionsToTxn v4,
 * verifyOnly), whether that coordinator is the leader's own broker or another one. Requests are
 * built with the generated codecs, as a producer that skips AddPartitionsToTxn would send them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { TRANSACTION_STATE_TOPIC } from '../../src/metadata/topic-name.js';
import { startBroker, startCluster, type TestCluster } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function txnBatch(producerId: bigint, producerEpoch: number, baseSequence: number, value: string): Buffer {
  return encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from(value) }], { isTransactional: true, producerId, producerEpoch, baseSequence }));
}

async function produce(c: WireClient, transactionalId: string, topic: string, partition: number, records: Buffer): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await c.send(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  const p = r.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, errorMessage: p.errorMessage };
}

/** FindCoordinator (creating __transaction_state) until the id has a coordinator, then InitProducerId there. */
async function initProducer(clients: Map<number, WireClient>, anyClient: WireClient, transactionalId: string): Promise<{ coordinator: number; producerId: bigint; producerEpoch: number }> {
  for (let i = 0; i < 200; i++) {
    const fc = await anyClient.send(ApiKey.FindCoordinator, 3, { key: transactionalId, keyType: 1 });
    if (fc.errorCode === ErrorCode.NONE) {
      const c = clients.get(fc.nodeId)!;
      const init = await c.send(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      if (init.errorCode === ErrorCode.NONE) return { coordinator: fc.nodeId, producerId: init.producerId, producerEpoch: init.producerEpoch };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no transaction coordinator for ${transactionalId}`);
}

describe('KIP-890 verification on the partition leader', () => {
  let cluster: TestCluster;
  const clients = new Map<number, WireClient>();

  before(async () => {
    cluster = await startCluster({ brokers: 3, config: { 'transaction.state.log.num.partitions': '1', 'offsets.topic.num.partitions': '1' } });
    for (const [id, b] of cluster.brokers) clients.set(id, await WireClient.connect(b.port));
    // Three partitions, one led by each broker.
    await cluster.broker(0).broker.topics.createTopic({ name: 'data', numPartitions: 3, replicationFactor: 1, configs: {} });
    await until(() => [0, 1, 2].every((id) => cluster.broker(id).broker.topics.image.topic('data')?.partitions.every((p) => p.leader >= 0) === true), 'partitions led');
  });
  after(async () => {
    for (const c of clients.values()) c.close();
    await cluster?.stop();
  });

  it('a partition not added to the transaction is refused INVALID_TXN_STATE, by a leader next to or away from the coordinator; added, it is accepted', async () => {
    const { coordinator, producerId, producerEpoch } = await initProducer(clients, clients.get(0)!, 'verify-me');
    assert.equal(cluster.broker(coordinator).broker.topics.image.topic(TRANSACTION_STATE_TOPIC)!.partitions[0]!.leader, coordinator);
    const led = cluster.broker(0).broker.topics.image.topic('data')!.partitions;
    const local = led.find((p) => p.leader === coordinator)!;
    const remote = led.find((p) => p.leader !== coordinator)!;
    const sequence = new Map<number, number>();
    const send = async (p: { partition: number; leader: number }) => {
      const seq = sequence.get(p.partition) ?? 0;
      const r = await produce(clients.get(p.leader)!, 'verify-me', 'data', p.partition, txnBatch(producerId, producerEpoch, seq, `v${seq}`));
      if (r.errorCode === ErrorCode.NONE) sequence.set(p.partition, seq + 1);
      return r;
    };

    for (const p of [local, remote]) {
      const refused = await send(p);
      assert.equal(refused.errorCode, ErrorCode.INVALID_TXN_STATE, `partition ${p.partition} (leader ${p.leader}, coordinator ${coordinator})`);
      assert.match(refused.errorMessage ?? '', /not added to the transaction/);
      assert.equal(cluster.broker(p.leader).broker.partitions.getPartition('data', p.partition)!.logEndOffset, 0n, 'nothing appended');
    }

    // Once the partitions are in the transaction the same batches go in.
    const add = await clients.get(coordinator)!.send(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: 'verify-me', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: 'data', partitions: [local.partition, remote.partition] }],
    });
    assert.deepEqual(add.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: { partitionErrorCode: number }) => p.partitionErrorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    for (const p of [local, remote]) assert.equal((await send(p)).errorCode, ErrorCode.NONE, `partition ${p.partition} after AddPartitionsToTxn`);

    // A stale epoch is fenced by the coordinator: producers see INVALID_PRODUCER_EPOCH.
    const other = await initProducer(clients, clients.get(0)!, 'fenced-one');
    await initProducer(clients, clients.get(0)!, 'fenced-one'); // bumps the epoch
    const stale = await produce(clients.get(remote.leader)!, 'fenced-one', 'data', remote.partition, txnBatch(other.producerId, other.producerEpoch, 0, 'zombie'));
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('with transaction.partition.verification.enable=false the leader appends without asking', async () => {
    const tb = await startBroker({ config: { 'transaction.partition.verification.enable': 'false', 'transaction.state.log.num.partitions': '1' } });
    try {
      const c = await WireClient.connect(tb.port);
      await tb.broker.topics.createTopic({ name: 'data', numPartitions: 1, replicationFactor: 1, configs: {} });
      const { producerId, producerEpoch } = await initProducer(new Map([[tb.broker.nodeId, c]]), c, 'unverified');
      assert.equal((await produce(c, 'unverified', 'data', 0, txnBatch(producerId, producerEpoch, 0, 'x'))).errorCode, ErrorCode.NONE);
      c.close();
    } finally {
      await tb.stop();
    }
  });
});
