/**
 * The tutorial's "kill the leader and see what happened", as a test: ZooKeeper and three
 * `samsa server` processes, a topic with replication factor 3 and min.insync.replicas=2, a
 * confluent-kafka and a kafkajs producer (both idempotent, acks=all) writing all along.
 * - kill -9 of the leader: a new leader within a bounded time (measured, printed), every
 *   acknowledged record readable exactly once, the restarted broker truncates and rejoins the
 *   ISR (`kafka-topics --describe` shows Isr: 1,2,3);
 * - kill -9 of two brokers: acks=all gets NOT_ENOUGH_REPLICAS (no false acknowledgement);
 *   one comes back: writes resume, nothing acknowledged is lost;
 * - a rolling restart with SIGTERM (controlled shutdown): no producer error, nothing lost.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { startZooKeeper, type CoordinationService } from '../../src/testkit/coordination-services.js';
import { PYTHON } from '../support/interop.js';
import { freePort, spawnSamsa, startServer, type ServerProcess } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';
import { until } from './in-process-cluster.js';

const TOPIC = 'tutorial';
const IDS = [1, 2, 3] as const;
const SESSION_TIMEOUT_MS = 2000;

interface BrokerSlot {
  id: number;
  port: number;
  props: string;
  dir: string;
  proc: ServerProcess | null;
}

/** A producer writing until told to stop, with the values acknowledged so far. */
interface RunningProducer {
  acked: string[];
  failures: string[];
  stop(): Promise<void>;
}

/** The script lives in the source tree (tsc does not copy it into dist). */
function producerScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'py', 'continuous_producer.py'), join(here.replace(/\/dist\/test\//, '/test/'), 'py', 'continuous_producer.py')];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`cannot find continuous_producer.py (looked in ${candidates.join(', ')})`);
  return found;
}

function startConfluentProducer(bootstrap: string, prefix: string): RunningProducer {
  const child = spawn(PYTHON, [producerScript(), bootstrap, TOPIC, prefix, '1000000'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acked: string[] = [];
  const failures: string[] = [];
  let buf = '';
  let stderr = '';
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const msg = JSON.parse(line) as { acked?: string[]; done?: boolean; failed?: number; errors?: string[] };
      if (msg.acked !== undefined) acked.push(...msg.acked);
      if (msg.done === true) {
        if ((msg.failed ?? 0) > 0) failures.push(`${msg.failed} failed: ${(msg.errors ?? []).join('; ')}`);
        done();
      }
    }
  });
  child.on('exit', (code) => {
    if (code !== 0) failures.push(`confluent-kafka producer exited with ${code}: ${stderr.slice(-2000)}`);
    done();
  });
  return {
    acked,
    failures,
    async stop() {
      child.stdin.end();
      await finished;
    },
  };
}

function startKafkajsProducer(kafka: Kafka, prefix: string): RunningProducer {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 50, initialRetryTime: 50, maxRetryTime: 500 } });
  const acked: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  let next = 0;
  const loop = (async () => {
    await producer.connect();
    while (!stopped) {
      const values = Array.from({ length: 5 }, () => `${prefix}${next++}`);
      try {
        await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
        acked.push(...values);
      } catch (e) {
        failures.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await producer.disconnect();
  })();
  return {
    acked,
    failures,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

describe('failover across processes (ZooKeeper, 3 brokers, RF 3, min.insync.replicas=2)', { timeout: 240_000 }, () => {
  let zk: CoordinationService;
  const slots: BrokerSlot[] = [];
  let kafka: Kafka;

  const live = () => slots.filter((s) => s.proc !== null);
  const bootstrap = () => live().map((s) => `127.0.0.1:${s.port}`).join(',');
  const slot = (id: number) => slots.find((s) => s.id === id)!;

  async function start(s: BrokerSlot): Promise<void> {
    s.proc = await startServer(s.props);
  }
  async function kill9(s: BrokerSlot): Promise<void> {
    s.proc!.child.kill('SIGKILL');
    await s.proc!.exited;
    s.proc = null;
  }
  async function sigterm(s: BrokerSlot): Promise<number | null> {
    s.proc!.child.kill('SIGTERM');
    const code = await s.proc!.exited;
    s.proc = null;
    return code;
  }

  /** Leader, epoch and ISR of the partition as a live broker's Metadata says. */
  async function partitionMetadata(): Promise<{ leader: number; leaderEpoch: number; isr: number[] } | null> {
    for (const s of live()) {
      let c: WireClient | null = null;
      try {
        c = await WireClient.connect(s.port);
        const r = await c.send(ApiKey.Metadata, 9, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const p = r.topics[0]?.partitions[0];
        if (p !== undefined) return { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: [...p.isrNodes].sort() };
      } catch {
        // try the next broker
      } finally {
        c?.close();
      }
    }
    return null;
  }

  async function waitForMetadata(pred: (m: { leader: number; leaderEpoch: number; isr: number[] }) => boolean, what: string, timeoutMs = 30_000): Promise<{ leader: number; leaderEpoch: number; isr: number[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await partitionMetadata();
      if (m !== null && pred(m)) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(m)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every value in the partition, read from its leader up to the high watermark. */
  async function readAll(leader: number): Promise<string[]> {
    const c = await WireClient.connect(slot(leader).port);
    const out: string[] = [];
    try {
      let offset = 0n;
      for (;;) {
        const r = await c.send(ApiKey.Fetch, 11, {
          replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '',
        });
        const p = r.responses[0].partitions[0];
        assert.equal(p.errorCode, ErrorCode.NONE);
        const batches = decodeRecordBatches(p.records);
        if (batches.length === 0) break;
        for (const b of batches) for (const rec of b.records) if (b.baseOffset + BigInt(rec.offsetDelta) >= offset) out.push(rec.value!.toString());
        const last = batches[batches.length - 1]!;
        offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
        if (offset >= p.highWatermark) break;
      }
    } finally {
      c.close();
    }
    return out;
  }

  function assertExactlyOnce(values: string[], acked: readonly string[], what: string): void {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const lost = acked.filter((v) => counts.get(v) === undefined);
    const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    assert.deepEqual(lost.slice(0, 10), [], `${what}: ${lost.length} acknowledged records lost`);
    assert.deepEqual(twice.slice(0, 10), [], `${what}: ${twice.length} records twice`);
  }

  async function describeTopic(): Promise<string> {
    const r = await new Promise<string>((resolve, reject) => {
      const child = spawnSamsa(['kafka-topics', '--describe', '--topic', TOPIC, '--bootstrap-server', bootstrap()]);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.resume();
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka-topics --describe exited ${code}: ${out}`))));
    });
    return r;
  }

  before(async () => {
    zk = await startZooKeeper();
    for (const id of IDS) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), `samsa-failover-${id}-`));
      const props = join(dir, 'server.properties');
      writeFileSync(props, [
        `broker.id=${id}`,
        `listeners=PLAINTEXT://127.0.0.1:${port}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        `log.dirs=${join(dir, 'logs')}`,
        `zookeeper.connect=${zk.connect}`,
        `zookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS}`,
        'offsets.topic.replication.factor=3',
        'offsets.topic.num.partitions=3',
        'group.initial.rebalance.delay.ms=0',
        'replica.lag.time.max.ms=4000',
        'replica.fetch.wait.max.ms=200',
        'replica.fetch.backoff.ms=100',
        'controlled.shutdown.retry.backoff.ms=200',
        '',
      ].join('\n'));
      slots.push({ id, port, props, dir, proc: null });
    }
    await Promise.all(slots.map((s) => start(s)));
    kafka = new Kafka({ clientId: 'failover', brokers: slots.map((s) => `127.0.0.1:${s.port}`), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 50, maxRetryTime: 500 }, connectionTimeout: 1000, requestTimeout: 5000 });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
    await waitForMetadata((m) => m.leader === 1 && m.isr.join(',') === '1,2,3', 'leader 1 with ISR 1,2,3');
  });

  after(async () => {
    for (const s of slots) if (s.proc !== null) s.proc.child.kill('SIGKILL');
    await Promise.all(slots.map((s) => s.proc?.exited));
    await zk?.stop();
    for (const s of slots) rmSync(s.dir, { recursive: true, force: true });
  });

  it('kill -9 the leader: a new leader in bounded time, every acknowledged record exactly once, the old leader truncates and rejoins', async () => {
    const confluent = startConfluentProducer(bootstrap(), 'c-');
    const kjs = startKafkajsProducer(kafka, 'k-');
    await until(() => confluent.acked.length >= 200 && kjs.acked.length >= 100, 'both producers acknowledged', 60_000);
    const before = await waitForMetadata(() => true, 'metadata');
    const killedAt = Date.now();
    await kill9(slot(before.leader));
    const after = await waitForMetadata((m) => m.leader !== before.leader && m.leader >= 0, 'a new leader');
    const electedMs = Date.now() - killedAt;
    const [c0, k0] = [confluent.acked.length, kjs.acked.length];
    await until(() => confluent.acked.length >= c0 + 200 && kjs.acked.length >= k0 + 100, 'acknowledgements from the new leader', 60_000);
    console.log(`# kill -9 of leader ${before.leader}: broker ${after.leader} leads (epoch ${after.leaderEpoch}) ${electedMs} ms later (zookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS}); producers acknowledged again ${Date.now() - killedAt} ms after the kill`);
    assert.ok(electedMs < SESSION_TIMEOUT_MS + 8000, `leader election took ${electedMs} ms`);
    await Promise.all([confluent.stop(), kjs.stop()]);
    assert.deepEqual(confluent.failures, []);
    assert.deepEqual(kjs.failures, []);

    const values = await readAll(after.leader);
    assertExactlyOnce(values, [...confluent.acked, ...kjs.acked], 'after the leader was killed');

    await start(slot(before.leader));
    await waitForMetadata((m) => m.isr.join(',') === '1,2,3', 'the old leader back in the ISR', 60_000);
    assert.match(await describeTopic(), /Isr: (1,2,3|1,3,2|2,1,3|2,3,1|3,1,2|3,2,1)\b/);
  });

  it('kill -9 two of three: acks=all gets NOT_ENOUGH_REPLICAS; one comes back and writes resume with nothing lost', async () => {
    const m = await waitForMetadata(() => true, 'metadata');
    const followers = IDS.filter((id) => id !== m.leader);
    const c = await WireClient.connect(slot(m.leader).port);
    const produce = async (value: string) => {
      const r = await c.send(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ value: Buffer.from(value) }])) }] }] });
      return r.responses[0].partitionResponses[0].errorCode as number;
    };
    assert.equal(await produce('w-before'), ErrorCode.NONE);
    await kill9(slot(followers[0]!));
    await kill9(slot(followers[1]!));
    await waitForMetadata((x) => x.isr.join(',') === String(m.leader), 'ISR = the leader alone');
    assert.equal(await produce('w-refused'), ErrorCode.NOT_ENOUGH_REPLICAS);
    // A client that retries: no false acknowledgement either.
    const strict = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 200 } });
    await strict.connect();
    await assert.rejects(strict.send({ topic: TOPIC, acks: -1, messages: [{ value: 'w-kafkajs-refused', partition: 0 }] }), /NOT_ENOUGH_REPLICAS|fewer in-sync replicas/i);
    await strict.disconnect();
    await start(slot(followers[0]!));
    await waitForMetadata((x) => x.isr.length === 2, 'ISR of two again', 60_000);
    assert.equal(await produce('w-after'), ErrorCode.NONE);
    c.close();
    const values = await readAll(m.leader);
    assert.ok(values.includes('w-before') && values.includes('w-after'));
    assert.ok(!values.includes('w-refused') && !values.includes('w-kafkajs-refused'), 'refused writes are not in the log');
    await start(slot(followers[1]!));
    await waitForMetadata((x) => x.isr.join(',') === '1,2,3', 'all three in the ISR', 60_000);
  });

  it('rolling restart with SIGTERM under load: zero producer errors, zero lost acknowledged records', async () => {
    const confluent = startConfluentProducer(bootstrap(), 'rc-');
    const kjs = startKafkajsProducer(kafka, 'rk-');
    for (const id of IDS) {
      const [c0, k0] = [confluent.acked.length, kjs.acked.length];
      await until(() => confluent.acked.length >= c0 + 100 && kjs.acked.length >= k0 + 50, `writes before restarting broker ${id}`, 60_000);
      const t0 = Date.now();
      assert.equal(await sigterm(slot(id)), 0, `broker ${id} exits 0 on SIGTERM`);
      const m = await waitForMetadata(() => true, 'metadata');
      assert.notEqual(m.leader, id, `broker ${id} still leads after its controlled shutdown`);
      console.log(`# rolling restart: broker ${id} stopped in ${Date.now() - t0} ms after SIGTERM, leader is ${m.leader}`);
      await start(slot(id));
      await waitForMetadata((x) => x.isr.join(',') === '1,2,3', `broker ${id} back in the ISR`, 60_000);
    }
    const [c0, k0] = [confluent.acked.length, kjs.acked.length];
    await until(() => confluent.acked.length >= c0 + 100 && kjs.acked.length >= k0 + 50, 'writes after the last restart', 60_000);
    await Promise.all([confluent.stop(), kjs.stop()]);
    assert.deepEqual(confluent.failures, []);
    assert.deepEqual(kjs.failures, []);
    const m = await waitForMetadata(() => true, 'metadata');
    assertExactlyOnce(await readAll(m.leader), [...confluent.acked, ...kjs.acked], 'after the rolling restart');
  });
});

