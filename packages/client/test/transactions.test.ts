// The transactional producer on 3 in-process brokers (transaction state and topics replicated
// 3 ways, partitions led by different brokers): commit and abort across partitions, what
// read_committed and read_uncommitted consumers see, records dropped by an abort, a zombie
// fenced by a newer instance, offsets committed with a transaction, and the same transactions
// read by kafkajs and confluent-kafka (librdkafka) read_committed consumers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type TestCluster } from '@samsa/broker/testkit';
import { Admin, ClientErrorCode, Consumer, Producer } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// the broker suite's confluent-kafka script: its `read` mode reads a topic read_committed
const PY_SCRIPT = resolve(here, here.includes(join('dist', 'test')) ? '../../..' : '../..', 'broker/test/transactions/py/confluent_txn.py');

let cluster: TestCluster;
let admin: Admin;
const open: Array<{ close(): Promise<void> }> = [];
const TOPIC = 'txn-across';
const PARTITIONS = [0, 1, 2, 3, 4, 5];

function producer(transactionalId: string, extra: Record<string, unknown> = {}): Producer {
  const p = new Producer({ bootstrapServers: cluster.bootstrap, transactionalId, lingerMs: 5, ...extra });
  open.push(p);
  return p;
}

/** Every record of a topic from offset 0 to the end the isolation level allows (the LSO for read_committed). */
async function readTopic(topic: string, isolationLevel: 'read_committed' | 'read_uncommitted', partitions = PARTITIONS): Promise<Map<number, string[]>> {
  const answers = await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: 'latest' as const })), { isolationLevel });
  const ends = partitions.map((p) => answers.find((a) => a.partition === p)!);
  const c = new Consumer({ bootstrapServers: cluster.bootstrap, isolationLevel, fetchMaxWaitMs: 100 });
  try {
    c.assign(partitions.map((partition) => ({ topic, partition })));
    c.seekToBeginning(partitions.map((partition) => ({ topic, partition })));
    const out = new Map(partitions.map((p) => [p, [] as string[]]));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const positions = await Promise.all(partitions.map((partition) => c.position({ topic, partition })));
      if (positions.every((pos, i) => pos >= ends[i]!.offset)) return out;
      assert.ok(Date.now() < deadline, `read ${topic} up to ${ends.map((e) => e.offset).join(',')}: at ${positions.join(',')}`);
      for (const b of await c.poll(200)) for (const m of b.messages) out.get(b.partition)!.push(m.value!.toString());
    }
  } finally {
    await c.close();
  }
}

before(async () => {
  cluster = await startCluster({ brokers: 3, config: { 'transaction.state.log.replication.factor': '3', 'transaction.state.log.min.isr': '2', 'transaction.state.log.num.partitions': '3' } });
  admin = new Admin({ bootstrapServers: cluster.bootstrap });
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6, replicationFactor: 3 }, { topic: 'txn-fence', numPartitions: 1, replicationFactor: 3 }, { topic: 'txn-offsets-in', numPartitions: 2, replicationFactor: 3 }, { topic: 'txn-zombie-in', numPartitions: 1, replicationFactor: 3 }, { topic: 'txn-zombie-out', numPartitions: 1, replicationFactor: 3 }] });
});

after(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  await admin.close();
  await cluster.stop();
});

test('commit and abort across partitions on 3 brokers: read_committed sees the committed records only, in order', { timeout: 60_000 }, async () => {
  const [t] = await admin.describeTopics({ topics: [TOPIC] });
  assert.ok(new Set(t!.partitions.map((p) => p.leader)).size > 1, 'partitions are led by several brokers');
  const p = producer('txn-across-1');
  // Kafka's rules: no send before initTransactions, nor outside a transaction
  assert.throws(() => p.beginTransaction(), { code: ClientErrorCode.TRANSACTION_STATE });
  await p.initTransactions();
  assert.equal(p.transactionState, 'READY');
  await assert.rejects(p.send({ topic: TOPIC, messages: [{ value: 'x' }] }), { code: ClientErrorCode.TRANSACTION_STATE });

  const records = (tag: string) => PARTITIONS.map((partition) => ({ partition, value: `${tag}-p${partition}` }));
  p.beginTransaction();
  await p.send({ topic: TOPIC, messages: records('c1') });
  await p.commitTransaction();

  p.beginTransaction();
  await p.send({ topic: TOPIC, messages: records('a2') }); // written, then aborted
  await p.abortTransaction();

  // records still lingering when abortTransaction() runs are never sent; the producer bumps its
  // epoch (sequence numbers were handed out) and goes on
  p.beginTransaction();
  const errors: Error[] = [];
  p.onError = (e) => errors.push(e);
  for (const r of records('dropped')) p.produce(TOPIC, r.value, null, r.partition);
  await p.abortTransaction();
  assert.equal(errors.length, 6);
  assert.ok(errors.every((e) => (e as { code?: string }).code === ClientErrorCode.TRANSACTION_ABORTED), String(errors[0]));

  p.beginTransaction();
  for (const r of records('c3')) p.produce(TOPIC, r.value, null, r.partition); // the fast path, flushed by commit
  await p.commitTransaction();

  const committed = await readTopic(TOPIC, 'read_committed');
  const all = await readTopic(TOPIC, 'read_uncommitted');
  for (const partition of PARTITIONS) {
    assert.deepEqual(committed.get(partition), [`c1-p${partition}`, `c3-p${partition}`], `read_committed ${partition}`);
    assert.deepEqual(all.get(partition), [`c1-p${partition}`, `a2-p${partition}`, `c3-p${partition}`], `read_uncommitted ${partition}`);
  }
});

test('a zombie with the old epoch is fenced (fatal), its open transaction aborted; the new instance commits', { timeout: 60_000 }, async () => {
  const zombie = producer('txn-fence');
  await zombie.initTransactions();
  zombie.beginTransaction();
  await zombie.send({ topic: 'txn-fence', messages: [{ value: 'zombie-1' }] });
  const successor = producer('txn-fence');
  await successor.initTransactions(); // bumps the epoch and aborts the zombie's transaction
  assert.ok(successor.producerEpoch > zombie.producerEpoch);
  const fenced = (e: unknown): boolean => ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes((e as { errorName?: string }).errorName ?? '');
  await assert.rejects(zombie.send({ topic: 'txn-fence', messages: [{ value: 'zombie-2' }] }).then(() => zombie.commitTransaction()), fenced);
  assert.equal(zombie.transactionState, 'FATAL_ERROR');
  assert.throws(() => zombie.beginTransaction(), fenced);
  await assert.rejects(zombie.abortTransaction(), fenced);
  successor.beginTransaction();
  await successor.send({ topic: 'txn-fence', messages: [{ value: 'successor' }] });
  await successor.commitTransaction();
  assert.deepEqual((await readTopic('txn-fence', 'read_committed', [0])).get(0), ['successor']);
});

test('sendOffsetsToTransaction: the group offsets commit with the transaction and vanish with an abort', { timeout: 60_000 }, async () => {
  const input = new Producer({ bootstrapServers: cluster.bootstrap });
  open.push(input);
  await input.send({ topic: 'txn-offsets-in', messages: [0, 1, 0, 1].map((partition, i) => ({ partition, value: `in-${i}` })) });
  const consumer = new Consumer({ bootstrapServers: cluster.bootstrap, groupId: 'txn-offsets-group', enableAutoCommit: false, autoOffsetReset: 'earliest', isolationLevel: 'read_committed' });
  open.push(consumer);
  consumer.subscribe(['txn-offsets-in']);
  let seen = 0;
  while (seen < 4) for (const b of await consumer.poll(500)) seen += b.messages.length;
  const meta = consumer.groupMetadata();
  assert.ok(meta.generationId > 0 && meta.memberId !== '', JSON.stringify(meta));
  const offsets = [{ topic: 'txn-offsets-in', partition: 0, offset: 2n }, { topic: 'txn-offsets-in', partition: 1, offset: 2n }];
  const p = producer('txn-offsets');
  await p.initTransactions();
  p.beginTransaction();
  await p.sendOffsetsToTransaction(offsets, meta);
  await p.abortTransaction();
  assert.deepEqual((await admin.listConsumerGroupOffsets('txn-offsets-group')).filter((o) => o.offset >= 0n), []);
  p.beginTransaction();
  await p.send({ topic: TOPIC, messages: [{ partition: 0, value: 'with-offsets' }] });
  await p.sendOffsetsToTransaction(offsets, meta);
  await p.commitTransaction();
  // EndTxn answers once the decision is logged; the COMMIT marker then reaches __consumer_offsets
  // (as in Kafka), so the offsets appear a moment later.
  assert.deepEqual(await groupOffsets('txn-offsets-group', 2), ['0:2', '1:2']);
});

/** The group's committed offsets as `partition:offset` once `count` are there (a commit marker reaches __consumer_offsets just after EndTxn). */
async function groupOffsets(groupId: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = (await admin.listConsumerGroupOffsets(groupId)).filter((o) => o.offset >= 0n).map((o) => `${o.partition}:${o.offset}`).sort();
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('KIP-447: a zombie whose consumer the group removed cannot commit its offsets (COMMIT_FAILED, abortable); the new owner can', { timeout: 60_000 }, async () => {
  const [IN, OUT, GROUP] = ['txn-zombie-in', 'txn-zombie-out', 'txn-zombie-group'];
  const input = new Producer({ bootstrapServers: cluster.bootstrap });
  open.push(input);
  await input.send({ topic: IN, messages: [{ value: 'in-0' }, { value: 'in-1' }] });
  const consumer = (): Consumer => {
    // a member that stops polling is removed from the group once a rebalance outlasts its max.poll.interval.ms
    const c = new Consumer({ bootstrapServers: cluster.bootstrap, groupId: GROUP, enableAutoCommit: false, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', maxPollIntervalMs: 1500 });
    open.push(c);
    c.subscribe([IN]);
    return c;
  };
  const zombieConsumer = consumer();
  let seen = 0;
  while (seen < 2) for (const b of await zombieConsumer.poll(500)) seen += b.messages.length;
  const zombieMeta = zombieConsumer.groupMetadata(); // what the zombie's processing loop holds
  const zombie = producer('txn-zombie-a');
  await zombie.initTransactions();
  zombie.beginTransaction();
  await zombie.send({ topic: OUT, messages: [{ value: 'zombie-out' }] });

  // Another member joins; the zombie does not poll, so the rebalance goes on without it.
  const owner = consumer();
  const deadline = Date.now() + 30_000;
  while (owner.assignment().length === 0) {
    assert.ok(Date.now() < deadline, 'the new member never got the partition');
    await owner.poll(200);
  }
  const ownerMeta = owner.groupMetadata();
  assert.ok(ownerMeta.generationId > zombieMeta.generationId, `${JSON.stringify(ownerMeta)} after ${JSON.stringify(zombieMeta)}`);

  const offsets = [{ topic: IN, partition: 0, offset: 2n }];
  await assert.rejects(zombie.sendOffsetsToTransaction(offsets, zombieMeta), (e: { code?: string; cause?: { errorName?: string } }) => {
    assert.equal(e.code, ClientErrorCode.COMMIT_FAILED);
    assert.ok(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'].includes(e.cause?.errorName ?? ''), String(e.cause?.errorName));
    return true;
  });
  assert.equal(zombie.transactionState, 'ABORTABLE_ERROR', 'only the transaction is lost, not the producer');
  await assert.rejects(zombie.commitTransaction());
  await zombie.abortTransaction();

  // The partition's owner processes the same input and commits it, with its offsets.
  const successor = producer('txn-zombie-b');
  await successor.initTransactions();
  successor.beginTransaction();
  await successor.send({ topic: OUT, messages: [{ value: 'owner-out' }] });
  await successor.sendOffsetsToTransaction(offsets, ownerMeta);
  await successor.commitTransaction();
  assert.deepEqual(await groupOffsets(GROUP, 1), ['0:2']);
  assert.deepEqual((await readTopic(OUT, 'read_committed', [0])).get(0), ['owner-out']);
  // The zombie's producer goes on with a new transaction (abortable, not fatal).
  zombie.beginTransaction();
  await zombie.send({ topic: OUT, messages: [{ value: 'zombie-next' }] });
  await zombie.commitTransaction();
});

test('kafkajs and confluent-kafka read_committed consumers read @samsa/client transactions', { timeout: 60_000 }, async () => {
  const expected = PARTITIONS.map((p) => [`c1-p${p}`, `c3-p${p}`]);
  const kafka = new Kafka({ clientId: 'interop', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const kc = kafka.consumer({ groupId: 'kafkajs-read-committed', readUncommitted: false, maxWaitTimeInMs: 100 });
  await kc.connect();
  await kc.subscribe({ topic: TOPIC, fromBeginning: true });
  const byPartition = new Map<number, string[]>(PARTITIONS.map((p) => [p, []]));
  let count = 0;
  await new Promise<void>((resolveRead, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafkajs read ${count}`)), 30_000);
    kc.run({
      eachMessage: async ({ partition, message }) => {
        byPartition.get(partition)!.push(message.value!.toString());
        // 12 committed records in the first test, and one more written with the offsets
        if (++count >= 13) {
          clearTimeout(timer);
          resolveRead();
        }
      },
    }).catch(reject);
  });
  await kc.disconnect();
  const withOffsets = (p: number): string[] => (p === 0 ? [...expected[0]!, 'with-offsets'] : expected[p]!);
  for (const p of PARTITIONS) assert.deepEqual(byPartition.get(p), withOffsets(p), `kafkajs partition ${p}`);

  const { stdout } = await promisify(execFile)('/usr/bin/python3', [PY_SCRIPT, 'read', cluster.bootstrap, TOPIC, '6', '13'], { timeout: 60_000 });
  const read = (JSON.parse(stdout) as { committed: Record<string, string[]> }).committed;
  for (const p of PARTITIONS) assert.deepEqual(read[String(p)], withOffsets(p), `confluent-kafka partition ${p}`);
});
