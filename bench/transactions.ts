/**
 * Transactions benchmark (issue 14): kafkajs produce throughput, transactional (a commit every
 * `--per-txn` records) vs idempotent, and the latency from a committed transaction to a
 * read_committed consumer receiving it (vs an idempotent send to a read_uncommitted consumer).
 * One in-process broker on file storage.
 *
 *   npx tsc -b && node -C source --import tsx bench/transactions.ts [--records 20000] [--per-txn 1000] [--rounds 50]
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { loadavg } from 'node:os';
import { startBroker } from '@samsa/broker/testkit';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const RECORDS = arg('records', 20_000);
const PER_TXN = arg('per-txn', 1000);
const PER_SEND = 100;
const ROUNDS = arg('rounds', 50);
const VALUE = 'x'.repeat(100);

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function produceAll(producer: Producer, topic: string, transactional: boolean): Promise<number> {
  const started = performance.now();
  for (let sent = 0; sent < RECORDS; ) {
    const txn = transactional ? await producer.transaction() : null;
    const target = txn ?? producer;
    for (let inTxn = 0; inTxn < PER_TXN && sent < RECORDS; inTxn += PER_SEND, sent += PER_SEND) {
      await target.send({ topic, messages: Array.from({ length: PER_SEND }, (_, i) => ({ partition: (sent + i) % 3, value: VALUE })) });
    }
    await txn?.commit();
  }
  return RECORDS / ((performance.now() - started) / 1000);
}

async function visibilityLatency(kafka: Kafka, topic: string, transactional: boolean): Promise<number[]> {
  const consumer = kafka.consumer({ groupId: `lat-${topic}`, readUncommitted: !transactional, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let waiting: ((t: number) => void) | null = null;
  let ready!: () => void;
  const assigned = new Promise<void>((r) => (ready = r));
  consumer.on(consumer.events.GROUP_JOIN, () => ready());
  void consumer.run({ eachMessage: async () => waiting?.(performance.now()) });
  await assigned;
  await new Promise((r) => setTimeout(r, 1000));
  const producer = kafka.producer(transactional ? { transactionalId: `lat-${topic}`, idempotent: true, maxInFlightRequests: 1 } : { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const out: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const seen = new Promise<number>((r) => (waiting = r));
    if (transactional) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ partition: 0, value: VALUE }] });
      const committedAt = performance.now();
      await txn.commit();
      out.push((await seen) - committedAt);
    } else {
      const sentAt = performance.now();
      await producer.send({ topic, messages: [{ partition: 0, value: VALUE }] });
      out.push((await seen) - sentAt);
    }
  }
  await producer.disconnect();
  await consumer.disconnect();
  return out;
}

const tb = await startBroker({ storage: 'file' });
const kafka = new Kafka({ clientId: 'bench-txn', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: ['b-idem', 'b-txn', 'l-idem', 'l-txn'].map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
await admin.disconnect();
try {
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  const idemRate = await produceAll(idem, 'b-idem', false);
  await idem.disconnect();
  const txnProducer = kafka.producer({ transactionalId: 'bench-txn', idempotent: true, maxInFlightRequests: 1 });
  await txnProducer.connect();
  const txnRate = await produceAll(txnProducer, 'b-txn', true);
  await txnProducer.disconnect();
  const rc = await visibilityLatency(kafka, 'l-txn', true);
  const ru = await visibilityLatency(kafka, 'l-idem', false);
  const f = (n: number) => n.toFixed(1);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${RECORDS} records of ${VALUE.length} B, ${PER_SEND} per send, 3 partitions`);
  console.log(`| producer | records/s |`);
  console.log(`| kafkajs idempotent | ${idemRate.toFixed(0)} |`);
  console.log(`| kafkajs transactional (commit every ${PER_TXN}) | ${txnRate.toFixed(0)} (${(txnRate / idemRate).toFixed(2)}x) |`);
  console.log(`| visibility latency (${ROUNDS} rounds) | p50 ms | p99 ms |`);
  console.log(`| commit() -> read_committed consumer | ${f(pct(rc, 50))} | ${f(pct(rc, 99))} |`);
  console.log(`| send() -> read_uncommitted consumer | ${f(pct(ru, 50))} | ${f(pct(ru, 99))} |`);
} finally {
  await tb.stop();
}
