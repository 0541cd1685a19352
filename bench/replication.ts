/**
 * Replication benchmark: ZooKeeper and three `samsa server` processes on this machine.
 * - produce throughput and per-request latency (p50/p99) with replication factor 3 and acks=all
 *   (min.insync.replicas=2) against replication factor 1 and acks=1, same load: pipelined
 *   Produce requests of one 16 x 1 KiB batch to one partition led by broker 1;
 * - follower catch-up: broker 3 is down while a backlog is written (acks=1), then started; the
 *   time until the leader puts it back in the ISR gives the catch-up rate.
 *
 *   npx tsc -b && node bench/dist/replication.js [--seconds 10] [--depth 16] [--backlog-mb 200]
 */
import { cpus, release, totalmem } from 'node:os';
import { ApiKey, ErrorCode, type CreateTopicsResponse, type MetadataResponse, type ProduceResponse } from '@samsa/protocol';
import { startZooKeeper } from '@samsa/broker/testkit';
import { BrokerProcess } from './broker-process.js';
import { CORRELATION_ID_AT, decodeResponseFrame, encodeRequestFrame, PipelinedConnection } from './wire.js';
import { makeBatch, RECORDS_PER_BATCH, RECORD_BYTES } from './workloads.js';

const PRODUCE_VERSION = 9;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function createTopic(conn: PipelinedConnection, name: string, replicas: number[], configs: Record<string, string>): Promise<void> {
  const res = await conn.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const t = res.topics[0];
  if (t === undefined || t.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${name}: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
}

async function partitionState(conn: PipelinedConnection, topic: string): Promise<{ leader: number; isr: number[] }> {
  const res = await conn.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const p = res.topics[0]?.partitions[0];
  return { leader: p?.leaderId ?? -1, isr: [...(p?.isrNodes ?? [])].sort() };
}

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface ProduceFigures {
  mbPerSec: number;
  recordsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** `depth` pipelined Produce requests on one connection for `seconds`; latency per request. */
async function produce(port: number, topic: string, acks: number, seconds: number, depth: number): Promise<ProduceFigures> {
  const conn = await PipelinedConnection.open('127.0.0.1', port, 5000);
  const batch = makeBatch(RECORDS_PER_BATCH);
  const template = encodeRequestFrame(ApiKey.Produce, PRODUCE_VERSION, 0, { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  const slots = Array.from({ length: depth }, () => Buffer.from(template));
  const sentAt: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let acked = 0;
  let failure: Error | null = null;
  let running = true;
  const warmupUntil = performance.now() + 1000;
  let measuredFrom = 0;
  let measuredAcked = 0;
  const send = (): void => {
    const frame = slots[sent % depth]!;
    frame.writeInt32BE(sent, CORRELATION_ID_AT);
    sentAt[sent] = performance.now();
    sent++;
    conn.socket.write(frame);
  };
  conn.onFrame = (frame) => {
    const now = performance.now();
    const id = frame.readInt32BE(0);
    if ((acked & 63) === 0) {
      const p = decodeResponseFrame<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, frame).body.responses[0]?.partitionResponses[0];
      if (p === undefined || p.errorCode !== ErrorCode.NONE) failure ??= new Error(`produce failed: error ${p?.errorCode}`);
    }
    if (now >= warmupUntil) {
      if (measuredFrom === 0) measuredFrom = now;
      latencies.push(now - sentAt[id]!);
      measuredAcked++;
    }
    acked++;
    if (running && failure === null) send();
  };
  for (let i = 0; i < depth; i++) send();
  await new Promise((r) => setTimeout(r, 1000 + seconds * 1000));
  running = false;
  const elapsed = (performance.now() - measuredFrom) / 1000;
  const measured = measuredAcked;
  await waitUntil('outstanding responses', async () => acked === sent || failure !== null, 30_000);
  conn.close();
  if (failure !== null) throw failure;
  latencies.sort((a, b) => a - b);
  const q = (x: number): number => latencies[Math.min(latencies.length - 1, Math.floor(x * latencies.length))]!;
  return { mbPerSec: (measured * batch.length) / 1e6 / elapsed, recordsPerSec: (measured * RECORDS_PER_BATCH) / elapsed, p50Ms: q(0.5), p99Ms: q(0.99) };
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const depth = arg('depth', 16);
  const backlogMb = arg('backlog-mb', 200);
  const zk = await startZooKeeper();
  const brokers: BrokerProcess[] = [];
  try {
    const startBroker = async (id: number): Promise<BrokerProcess> => {
      const overrides: Record<string, string> = {
        'broker.id': String(id), 'zookeeper.connect': zk.connect, 'zookeeper.session.timeout.ms': '6000', 'replica.lag.time.max.ms': '10000',
      };
      return BrokerProcess.start({ storage: 'file', overrides });
    };
    for (const id of [1, 2, 3]) brokers[id] = await startBroker(id);
    const admin = await PipelinedConnection.open('127.0.0.1', brokers[1]!.port, 5000);
    await waitUntil('three registered brokers', async () => (await admin.request<MetadataResponse>(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers.length === 3, 30_000);

    await createTopic(admin, 'rf1', [1], {});
    await createTopic(admin, 'rf3', [1, 2, 3], { 'min.insync.replicas': '2' });
    await waitUntil('leaders', async () => (await partitionState(admin, 'rf1')).leader === 1 && (await partitionState(admin, 'rf3')).isr.length === 3, 30_000);
    const rf1 = await produce(brokers[1]!.port, 'rf1', 1, seconds, depth);
    const rf3 = await produce(brokers[1]!.port, 'rf3', -1, seconds, depth);

    // Follower catch-up: broker 3 misses a backlog, then fetches it.
    await createTopic(admin, 'catchup', [1, 2, 3], {});
    await waitUntil('catchup ISR', async () => (await partitionState(admin, 'catchup')).isr.length === 3, 30_000);
    brokers[3]!.child.kill('SIGKILL');
    await waitUntil('broker 3 out of the ISR', async () => (await partitionState(admin, 'catchup')).isr.join(',') === '1,2', 60_000);
    const batch = makeBatch(RECORDS_PER_BATCH);
    const requests = Math.ceil((backlogMb * 1e6) / batch.length);
    const conn = await PipelinedConnection.open('127.0.0.1', brokers[1]!.port, 5000);
    for (let i = 0; i < requests; i += 64) {
      const n = Math.min(64, requests - i);
      await Promise.all(Array.from({ length: n }, () => conn.request<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'catchup', partitionData: [{ index: 0, records: batch }] }] })));
    }
    conn.close();
    const t0 = performance.now();
    brokers[3] = await startBroker(3);
    await waitUntil('broker 3 back in the ISR', async () => (await partitionState(admin, 'catchup')).isr.join(',') === '1,2,3', 600_000);
    const catchUpS = (performance.now() - t0) / 1000;
    admin.close();

    const line = (name: string, f: ProduceFigures): string => `| ${name} | ${f.mbPerSec.toFixed(1)} | ${Math.round(f.recordsPerSec).toLocaleString('en-US')} | ${f.p50Ms.toFixed(2)} | ${f.p99Ms.toFixed(2)} |`;
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`);
    console.log(`load: one connection, ${depth} Produce requests in flight, each one batch of ${RECORDS_PER_BATCH} x ${RECORD_BYTES} B records, ${seconds} s measured after 1 s warm-up`);
    console.log('| topic, acks | MB/s | records/s | p50 ms | p99 ms |');
    console.log('|---|---|---|---|---|');
    console.log(line('RF 1, acks=1', rf1));
    console.log(line('RF 3, acks=all (min.insync.replicas=2)', rf3));
    console.log(`follower catch-up: ${((requests * batch.length) / 1e6).toFixed(0)} MB backlog fetched and back in the ISR in ${catchUpS.toFixed(1)} s (${((requests * batch.length) / 1e6 / catchUpS).toFixed(1)} MB/s, including the broker's start)`);
  } finally {
    for (const b of brokers) await b?.stop().catch(() => {});
    await zk.stop();
  }
}

await main();
