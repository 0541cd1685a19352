/**
 * Producer and consumer throughput of @samsa/client vs kafkajs (and @platformatic/kafka 1.x if
 * installed) against one in-process broker (memory storage), 1 KiB records, acks=all.
 *   node -C source --import tsx packages/client/bench/throughput.ts [records]
 * Each client writes to its own 4-partition topic; consumers read their topic from the start.
 * kafkajs and platformatic consumers need consumer groups; when the broker's group coordinator
 * is not available, those rows say so instead of a figure.
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { startBroker } from '@samsa/broker/testkit';
import { Admin } from '../src/admin.js';
import { Consumer } from '../src/consumer.js';
import { Producer } from '../src/producer.js';
import { findCoordinator } from '../src/group/coordinator.js';
import { Cluster } from '../src/cluster.js';

const require = createRequire(import.meta.url);
const RECORDS = Number(process.argv[2] ?? 50000);
const RECORD_SIZE = 1024;
const PARTITIONS = 4;
const CHUNK = 1000; // records per send() for promise-based APIs
const TIME_LIMIT_MS = 120000;
const value = Buffer.alloc(RECORD_SIZE, 'x');
const MB = (RECORDS * RECORD_SIZE) / 1e6;

interface Row {
  client: string;
  phase: 'produce' | 'consume';
  mbps: number | null;
  note: string;
}
const rows: Row[] = [];

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function record(client: string, phase: Row['phase'], seconds: number | null, note = ''): void {
  rows.push({ client, phase, mbps: seconds === null ? null : MB / seconds, note });
  console.error(`${client} ${phase}: ${seconds === null ? note : `${(MB / seconds).toFixed(1)} MB/s (${seconds.toFixed(2)} s)`}`);
}

const broker = await startBroker();
const admin = new Admin({ bootstrapServers: broker.bootstrap });
const bootstrap = broker.bootstrap;
const hasPlatformatic = (() => {
  try {
    require.resolve('@platformatic/kafka');
    return true;
  } catch {
    return false;
  }
})();
const clients = ['samsa (send)', 'samsa (produce fast path)', 'kafkajs', ...(hasPlatformatic ? ['@platformatic/kafka'] : [])];
const topicOf = (c: string) => `bench-${c.replace(/[^a-z]/g, '')}`;
await admin.createTopics({ topics: clients.map((c) => ({ topic: topicOf(c), numPartitions: PARTITIONS })) });

const groupsWork = await (async () => {
  const cluster = new Cluster({ bootstrapServers: bootstrap });
  try {
    await findCoordinator(cluster, 'bench-probe', 0, 3000);
    return true;
  } catch {
    return false;
  } finally {
    cluster.close();
  }
})();

// ---- produce ----------------------------------------------------------------------------------
{
  const p = new Producer({ bootstrapServers: bootstrap });
  await p.connect();
  const topic = topicOf('samsa (send)');
  const secs = await timed(async () => {
    const inflight: Array<Promise<unknown>> = [];
    for (let i = 0; i < RECORDS; i += CHUNK) {
      inflight.push(p.send({ topic, messages: Array.from({ length: Math.min(CHUNK, RECORDS - i) }, (_, j) => ({ key: `k${i + j}`, value })) }));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
  });
  record('samsa (send)', 'produce', secs, `idempotent=${p.idempotent}`);
  await p.close();
}
{
  const p = new Producer({ bootstrapServers: bootstrap });
  await p.connect();
  const topic = topicOf('samsa (produce fast path)');
  const secs = await timed(async () => {
    for (let i = 0; i < RECORDS; i++) {
      p.produce(topic, value, `k${i}`);
      if (i % 5000 === 4999) await new Promise((r) => setImmediate(r)); // let the sender run
    }
    await p.flush();
  });
  record('samsa (produce fast path)', 'produce', secs, `idempotent=${p.idempotent}`);
  await p.close();
}
{
  const { Kafka, logLevel, Partitioners } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  const topic = topicOf('kafkajs');
  const secs = await timed(async () => {
    const inflight: Array<Promise<unknown>> = [];
    for (let i = 0; i < RECORDS; i += CHUNK) {
      inflight.push(p.send({ topic, acks: -1, messages: Array.from({ length: Math.min(CHUNK, RECORDS - i) }, (_, j) => ({ key: `k${i + j}`, value })) }));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
  });
  record('kafkajs', 'produce', secs);
  await p.disconnect();
}
if (hasPlatformatic) {
  const { Producer: PProducer } = require('@platformatic/kafka');
  const p = new PProducer({ clientId: 'bench', bootstrapBrokers: [bootstrap], acks: -1 });
  const topic = topicOf('@platformatic/kafka');
  try {
    const secs = await timed(async () => {
      const inflight: Array<Promise<unknown>> = [];
      for (let i = 0; i < RECORDS; i += CHUNK) {
        inflight.push(p.send({ messages: Array.from({ length: Math.min(CHUNK, RECORDS - i) }, (_, j) => ({ topic, key: Buffer.from(`k${i + j}`), value })) }));
        if (inflight.length >= 8) await inflight.shift();
      }
      await Promise.all(inflight);
    });
    record('@platformatic/kafka', 'produce', secs);
  } catch (err) {
    record('@platformatic/kafka', 'produce', null, `failed: ${(err as Error).message}`);
  }
  await p.close();
}

// ---- consume ----------------------------------------------------------------------------------
{
  const topic = topicOf('samsa (send)');
  const c = new Consumer({ bootstrapServers: bootstrap, autoOffsetReset: 'earliest', maxPartitionFetchBytes: 1048576 });
  c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  let n = 0;
  const deadline = Date.now() + TIME_LIMIT_MS;
  const secs = await timed(async () => {
    while (n < RECORDS && Date.now() < deadline) for (const b of await c.poll(500)) n += b.messages.length;
  });
  record('samsa (poll, manual assignment)', 'consume', n === RECORDS ? secs : null, n === RECORDS ? '' : `only ${n} records in time`);
  await c.close();
}
if (groupsWork) {
  const topic = topicOf('samsa (produce fast path)');
  const c = new Consumer({ bootstrapServers: bootstrap, groupId: 'bench-samsa', autoOffsetReset: 'earliest' });
  c.subscribe([topic]);
  let n = 0;
  const deadline = Date.now() + TIME_LIMIT_MS;
  const secs = await timed(async () => {
    while (n < RECORDS && Date.now() < deadline) for (const b of await c.poll(500)) n += b.messages.length;
  });
  record('samsa (poll, group)', 'consume', n === RECORDS ? secs : null, n === RECORDS ? '' : `only ${n} records in time`);
  await c.close();

  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const kc = kafka.consumer({ groupId: 'bench-kafkajs', maxBytesPerPartition: 1048576 });
  await kc.connect();
  await kc.subscribe({ topic: topicOf('kafkajs'), fromBeginning: true });
  let kn = 0;
  const ksecs = await timed(
    () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, TIME_LIMIT_MS);
        void kc.run({
          eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => {
            kn += batch.messages.length;
            if (kn >= RECORDS) {
              clearTimeout(t);
              resolve();
            }
          },
        });
      }),
  );
  record('kafkajs (eachBatch, group)', 'consume', kn >= RECORDS ? ksecs : null, kn >= RECORDS ? '' : `only ${kn} records in time`);
  await kc.disconnect();

  if (hasPlatformatic) {
    const { Consumer: PConsumer } = require('@platformatic/kafka');
    const pc = new PConsumer({ groupId: 'bench-platformatic', clientId: 'bench', bootstrapBrokers: [bootstrap] });
    let pn = 0;
    try {
      const psecs = await timed(async () => {
        const stream = await pc.consume({ topics: [topicOf('@platformatic/kafka')], mode: 'earliest', autocommit: true });
        const deadline2 = Date.now() + TIME_LIMIT_MS;
        for await (const _m of stream) {
          pn++;
          if (pn >= RECORDS || Date.now() > deadline2) break;
        }
        await stream.close();
      });
      record('@platformatic/kafka (stream, group)', 'consume', pn >= RECORDS ? psecs : null, pn >= RECORDS ? '' : `only ${pn} records in time`);
    } catch (err) {
      record('@platformatic/kafka (stream, group)', 'consume', null, `failed: ${(err as Error).message}`);
    }
    await pc.close(true);
  }
} else {
  const why = "skipped: the broker's group coordinator is not available (kafkajs/platformatic consumers need groups)";
  record('samsa (poll, group)', 'consume', null, why);
  record('kafkajs (eachBatch, group)', 'consume', null, why);
  if (hasPlatformatic) record('@platformatic/kafka (stream, group)', 'consume', null, why);
}

await admin.close();
await broker.stop();

// ---- report -----------------------------------------------------------------------------------
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`\n${RECORDS} records x ${RECORD_SIZE} B (${MB.toFixed(1)} MB), ${PARTITIONS} partitions, acks=all, one in-process broker (memory storage).`);
console.log(`Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}.\n`);
const kjsProduce = rows.find((r) => r.client === 'kafkajs' && r.phase === 'produce')?.mbps ?? null;
const kjsConsume = rows.find((r) => r.client.startsWith('kafkajs') && r.phase === 'consume')?.mbps ?? null;
console.log('| client | phase | MB/s | vs kafkajs | notes |');
console.log('|---|---|---:|---:|---|');
for (const r of rows) {
  const base = r.phase === 'produce' ? kjsProduce : kjsConsume;
  const ratio = r.mbps !== null && base !== null ? `${(r.mbps / base).toFixed(2)}x` : '–';
  console.log(`| ${r.client} | ${r.phase} | ${r.mbps === null ? '–' : r.mbps.toFixed(1)} | ${ratio} | ${r.note} |`);
}
