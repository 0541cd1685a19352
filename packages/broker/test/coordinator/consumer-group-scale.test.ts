/**
 * KIP-848 groups at scale (issue 13 fuzz soak finding): every ConsumerGroupHeartbeat join bumps
 * the group epoch and the coordinator computes a new target assignment; over tens of thousands
 * of partitions that computation took seconds per join, so joins queued behind each other and
 * stalled every other connection. Now each join is answered within a bound while another
 * client keeps producing, and `group.consumer.max.size` caps the group as Kafka does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { createLogger, startBroker } from '../../src/testkit/index.js';
import { steadyClient } from '../fuzz/structured-fuzz.js';
import { WireClient } from '../testkit/wire-client.js';

const PARTITIONS_PER_TOPIC = 6000;
const MAX_SIZE = 48;
const JOINERS = MAX_SIZE + 4;

test(`${JOINERS} members join a KIP-848 group over ${2 * PARTITIONS_PER_TOPIC} partitions at once: each answered within a bound while a producer works; beyond group.consumer.max.size GROUP_MAX_SIZE_REACHED`, async (t) => {
  const tb = await startBroker({
    logger: createLogger('kafka.server.KafkaServer', { sink: () => {}, level: 'WARN' }),
    config: { 'offsets.topic.num.partitions': '1', 'group.consumer.max.size': String(MAX_SIZE) },
  });
  const clients: WireClient[] = [];
  try {
    for (const name of ['wide-a', 'wide-b']) await tb.broker.topics.createTopic({ name, numPartitions: PARTITIONS_PER_TOPIC });
    await tb.broker.topics.createTopic({ name: 'steady' });
    const admin = await WireClient.connect(tb.port);
    clients.push(admin);
    const found = await admin.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['wide'] });
    assert.equal(found.coordinators[0].errorCode, ErrorCode.NONE);
    for (let i = 0; i < JOINERS; i++) clients.push(await WireClient.connect(tb.port));
    const steady = steadyClient(tb.port, 'steady');

    // Different subscriptions (the costlier, heterogeneous case): a, b, or both.
    const subscriptions = [['wide-a'], ['wide-b'], ['wide-a', 'wide-b']];
    const joined = Promise.all(clients.slice(1).map(async (c, i) => {
      const t0 = Date.now();
      const r = await c.send(ApiKey.ConsumerGroupHeartbeat, 0, {
        groupId: 'wide', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
        subscribedTopicNames: subscriptions[i % 3], serverAssignor: 'uniform', topicPartitions: [],
      });
      return { errorCode: r.errorCode as number, ms: Date.now() - t0 };
    }));
    // A produce sent behind the whole burst of joins is served without waiting for their assignments.
    const t0 = Date.now();
    const produced = await admin.send(ApiKey.Produce, 9, {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: 'steady', partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ value: Buffer.from('during the joins') }])) }] }],
    });
    const produceMs = Date.now() - t0;
    assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    const answers = await joined;
    const { rounds, slowestMs } = await steady.stop();
    const slowest = Math.max(...answers.map((a) => a.ms));
    t.diagnostic(`${JOINERS} joins: slowest answered after ${slowest} ms (all sent at once); a produce behind them ${produceMs} ms; steady producer ${rounds} rounds, slowest ${slowestMs} ms`);

    assert.equal(answers.filter((a) => a.errorCode === ErrorCode.NONE).length, MAX_SIZE);
    assert.equal(answers.filter((a) => a.errorCode === ErrorCode.GROUP_MAX_SIZE_REACHED).length, JOINERS - MAX_SIZE);
    // All joins were sent at once, so the last is answered after all the others: each used to
    // compute a whole assignment (50-100 ms here, seconds over 40,000 partitions), and the
    // produce behind them waited for all of them.
    assert.ok(slowest < 1500, `the slowest of ${JOINERS} simultaneous joins was answered after ${slowest} ms`);
    assert.ok(produceMs < 1500, `a produce sent behind the joins was answered after ${produceMs} ms`);
    assert.ok(slowestMs < 1500, `a produce+fetch round of the steady client took ${slowestMs} ms during the joins`);

    // The target assignment follows, computed once for the burst.
    let d = await admin.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: ['wide'], includeAuthorizedOperations: false });
    for (const end = Date.now() + 10_000; d.groups[0].assignmentEpoch !== d.groups[0].groupEpoch && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 20));
      d = await admin.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: ['wide'], includeAuthorizedOperations: false });
    }
    assert.equal(d.groups[0].assignmentEpoch, d.groups[0].groupEpoch, 'the target assignment caught up with the group epoch');
    const members = d.groups[0].members as Array<{ targetAssignment: { topicPartitions: Array<{ partitions: number[] }> } }>;
    assert.equal(members.length, MAX_SIZE);
    // The target assignment covers every partition exactly once.
    const counts = members.map((m) => m.targetAssignment.topicPartitions.reduce((n, tp) => n + tp.partitions.length, 0));
    assert.equal(counts.reduce((a, b) => a + b, 0), 2 * PARTITIONS_PER_TOPIC);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= Math.ceil((2 * PARTITIONS_PER_TOPIC) / MAX_SIZE), `balanced enough: ${Math.min(...counts)}..${Math.max(...counts)}`);
  } finally {
    for (const c of clients) c.close();
    await tb.stop();
  }
});
