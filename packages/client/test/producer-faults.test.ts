/**
 * Fixed regression tests for the idempotent producer bugs the fault suite found (issue 12, its
 * RESULTS.md), each driven against a real broker with one precise fault instead of a random
 * schedule:
 * - seed 7016: a batch whose outcome is unknown (the broker appended it, then the connection
 *   closed before the answer) was restamped at an epoch bump and written a second time;
 * - seeds 7028...: a send() waiting for its topic's metadata was overtaken by a later send() of
 *   the same key that found the metadata first (reordered records).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { handlers as brokerHandlers, NO_RESPONSE, type ApiHandler } from '@samsa/broker';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { Producer } from '../src/producer.js';
import { readPartition } from './support.js';

/** What the broker's Produce and Metadata do to the next request a test arms (null: serve it normally). */
interface Faults {
  /** Produce to this topic-partition: append, then close the connection without answering. */
  closeAfterAppend: { topic: string; partition: number; closed: () => void } | null;
  /** A Produce with this topic-partition: answer OUT_OF_ORDER_SEQUENCE_NUMBER for it, REQUEST_TIMED_OUT for the others, append nothing. */
  outOfOrder: { topic: string; partition: number } | null;
  /** Every Produce with this topic-partition, until disarmed: REQUEST_TIMED_OUT for it and the others, append nothing (its outcome stays unknown). */
  timedOut: { topic: string; partition: number } | null;
  /** Metadata naming this topic answered UNKNOWN_TOPIC_OR_PARTITION: called once it is answered. */
  unknownTopicAnswered: { topic: string; answered: () => void } | null;
  /** Every TxnOffsetCommit answered COORDINATOR_LOAD_IN_PROGRESS (a group coordinator that keeps loading). */
  txnOffsetCommitLoading: boolean;
}
const faults: Faults = { closeAfterAppend: null, outOfOrder: null, timedOut: null, unknownTopicAnswered: null, txnOffsetCommitLoading: false };

const faultyHandlers: ApiHandler[] = brokerHandlers.map((h): ApiHandler => {
  if (h.apiKey === ApiKey.Produce) {
    return {
      ...h,
      async handle(ctx, req, version) {
        const names = (req.topicData as Array<{ name: string; partitionData: Array<{ index: number }> }>).flatMap((t) => t.partitionData.map((p) => `${t.name}-${p.index}`));
        const oo = faults.outOfOrder;
        const to = faults.timedOut;
        const outOfOrderHere = oo !== null && names.includes(`${oo.topic}-${oo.partition}`);
        if (outOfOrderHere || (to !== null && names.includes(`${to.topic}-${to.partition}`))) {
          // Nothing appended: the out-of-order partition hears OUT_OF_ORDER_SEQUENCE_NUMBER, any
          // other in the request REQUEST_TIMED_OUT (its outcome unknown to the producer, as after a lost answer).
          if (outOfOrderHere) faults.outOfOrder = null;
          const topics = req.topicData as Array<{ name: string; partitionData: Array<{ index: number }> }>;
          return {
            responses: topics.map((t) => ({
              name: t.name,
              partitionResponses: t.partitionData.map((p) => ({
                index: p.index,
                errorCode: outOfOrderHere && t.name === oo.topic && p.index === oo.partition ? ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER : ErrorCode.REQUEST_TIMED_OUT,
                baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null,
              })),
            })),
            throttleTimeMs: 0,
          };
        }
        const res = await h.handle(ctx, req, version);
        const ca = faults.closeAfterAppend;
        if (ca !== null && names.includes(`${ca.topic}-${ca.partition}`)) {
          faults.closeAfterAppend = null;
          ctx.connection.close();
          ca.closed();
          return NO_RESPONSE;
        }
        return res;
      },
    };
  }
  if (h.apiKey === ApiKey.Metadata) {
    return {
      ...h,
      async handle(ctx, req, version) {
        const res = await h.handle(ctx, req, version);
        const ut = faults.unknownTopicAnswered;
        const topic = (res as { topics: Array<{ name: string | null; errorCode: number }> }).topics.find((t) => t.name === ut?.topic);
        if (ut !== null && topic?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          faults.unknownTopicAnswered = null;
          // After this response is on its way: the client has it before the test acts on it.
          setImmediate(ut.answered);
        }
        return res;
      },
    };
  }
  if (h.apiKey === ApiKey.TxnOffsetCommit) {
    return {
      ...h,
      async handle(ctx, req, version) {
        if (!faults.txnOffsetCommitLoading) return h.handle(ctx, req, version);
        const topics = req.topics as Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>;
        return { throttleTimeMs: 0, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS })) })) };
      },
    };
  }
  return h;
});

let broker: TestBroker;
let admin: Admin;
before(async () => {
  broker = await startBroker({ handlers: faultyHandlers, config: { 'auto.create.topics.enable': 'false' } });
  admin = new Admin({ bootstrapServers: broker.bootstrap });
});
after(async () => {
  await admin?.close();
  await broker?.stop();
});

const values = async (topic: string, partition: number): Promise<string[]> => (await readPartition(broker.bootstrap, topic, partition)).map((r) => r.value ?? '');

describe('idempotent producer under precise faults', () => {
  test('a batch the broker appended but never acknowledged is not written again at an epoch bump (seed 7016)', async () => {
    const topic = 'unknown-outcome';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }] });
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: true, lingerMs: 0, retryBackoffMs: 200 });
    await producer.connect();
    try {
      await producer.send({ topic, messages: [{ value: 'before', partition: 0 }] });
      const closed = new Promise<void>((resolve) => (faults.closeAfterAppend = { topic, partition: 0, closed: resolve }));
      const unanswered = producer.send({ topic, messages: [{ value: 'appended-unanswered', partition: 0 }] }).then(() => 'acknowledged', (e: Error) => e.message);
      await closed;
      // Partition 1 hears OUT_OF_ORDER_SEQUENCE_NUMBER, so the producer bumps its epoch (KIP-360),
      // while partition 0's batch still has an unknown outcome: each resend of it hears
      // REQUEST_TIMED_OUT, whether it goes with partition 1's batch or alone, before it or after
      // (the producer may send partition 1's batch on the closed connection, and then both retry).
      faults.timedOut = { topic, partition: 0 };
      faults.outOfOrder = { topic, partition: 1 };
      const bumped = producer.send({ topic, messages: [{ value: 'out-of-order', partition: 1 }] }).then(() => 'acknowledged', (e: Error) => e.message);
      assert.match(await bumped, /OUT_OF_ORDER_SEQUENCE/);
      const outcome = await unanswered;
      faults.timedOut = null;
      await producer.send({ topic, messages: [{ value: 'after', partition: 0 }] });
      const p0 = await values(topic, 0);
      assert.deepEqual(p0, ['before', 'appended-unanswered', 'after'], `partition 0 holds each record once (the unanswered send: ${outcome})`);
      // Kafka's producer fails such a batch rather than risk the duplicate.
      assert.match(outcome, /outcome of a batch of 1 record\(s\) is unknown/);
    } finally {
      faults.timedOut = null;
      await producer.close();
    }
  });

  test('a send() waiting for its topic is not overtaken by a later send() of the same key (seeds 7028...)', async () => {
    const topic = 'late-topic';
    // The first send() polls for the topic's metadata every 1.9 s (under the 2 s it tolerates an unknown topic).
    const producer = new Producer({ bootstrapServers: broker.bootstrap, idempotent: true, lingerMs: 0, retryBackoffMs: 1900 });
    await producer.connect();
    try {
      const firstAsked = new Promise<void>((resolve) => (faults.unknownTopicAnswered = { topic, answered: resolve }));
      const first = producer.send({ topic, messages: [{ key: 'k', value: 'first', partition: 0 }] });
      await firstAsked;
      // The topic appears while the first send() waits for its next poll; a second send() finds it at once.
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
      const second = producer.send({ topic, messages: [{ key: 'k', value: 'second', partition: 0 }] });
      const [a, b] = await Promise.all([first, second]);
      assert.ok(a[0]!.offset < b[0]!.offset, `first at ${a[0]!.offset}, second at ${b[0]!.offset}`);
      assert.deepEqual(await values(topic, 0), ['first', 'second']);
    } finally {
      await producer.close();
    }
  });
});

describe('transactional producer under precise faults', () => {
  test('a TxnOffsetCommit still retriable at max.block.ms times out: the transaction is abortable, the producer not fenced', async () => {
    await admin.createTopics({ topics: [{ topic: 'txn-loading', numPartitions: 1, replicationFactor: 1 }] });
    const producer = new Producer({ bootstrapServers: broker.bootstrap, transactionalId: 'txn-loading', maxBlockMs: 1000 });
    try {
      await producer.initTransactions();
      producer.beginTransaction();
      const offsets = [{ topic: 'txn-loading', partition: 0, offset: 1n }];
      const meta = { groupId: 'txn-loading-group', generationId: -1, memberId: '', groupInstanceId: null };
      faults.txnOffsetCommitLoading = true;
      await assert.rejects(producer.sendOffsetsToTransaction(offsets, meta), /max\.block\.ms/);
      faults.txnOffsetCommitLoading = false;
      assert.equal(producer.transactionState, 'ABORTABLE_ERROR');
      await producer.abortTransaction();
      producer.beginTransaction();
      await producer.send({ topic: 'txn-loading', messages: [{ value: 'after' }] });
      await producer.sendOffsetsToTransaction(offsets, meta);
      await producer.commitTransaction();
      assert.deepEqual(await values('txn-loading', 0), ['after']);
    } finally {
      faults.txnOffsetCommitLoading = false;
      await producer.close();
    }
  });
});
