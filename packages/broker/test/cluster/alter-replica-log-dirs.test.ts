// Issue 18: AlterReplicaLogDirs (34) moves a replica between the log.dirs of one broker while it
// takes acks=all produce: a future log `<topic>-<p>.<id>-future` is copied (throttled by
// replica.alter.log.dirs.io.max.bytes.per.second), reported by DescribeLogDirs as the future
// replica, then swapped in; the old directory goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { freePort, startServer } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';

const run = promisify(execFile);

/** Every value in the partition, read with kcat to the end. */
async function readAll(bootstrap: string, topic: string): Promise<Set<string>> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { maxBuffer: 256 * 1024 * 1024 });
  return new Set(stdout.split('\n').filter((l) => l.length > 0));
}

function kafka(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'logdirs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
}

const PAD = 'x'.repeat(1000);

/** acks=all batches of 50 ~1 KB records; returns the acknowledged values. */
async function produce(producer: Producer, topic: string, prefix: string, batches: number, acked: string[]): Promise<void> {
  for (let b = 0; b < batches; b++) {
    const values = Array.from({ length: 50 }, (_, i) => `${prefix}-${b}-${i}-${PAD}`);
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
    acked.push(...values);
  }
}

/** Keeps producing (10 records, then 10 ms) until `stop()`; bounded to 3000 batches. */
function produceUntilStopped(producer: Producer, topic: string, acked: string[]): { stop: () => Promise<void> } {
  let stopped = false;
  const done = (async () => {
    for (let b = 0; b < 3000 && !stopped; b++) {
      const values = Array.from({ length: 10 }, (_, i) => `live-${b}-${i}-${PAD}`);
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
      acked.push(...values);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { stop: async () => { stopped = true; await done; } };
}

type LogDirs = Array<{ logDir: string; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }> }> }>;

async function replicaDirs(c: WireClient, topic: string): Promise<{ current: string | null; future: { dir: string; size: bigint; lag: bigint } | null }> {
  const res = await c.send(ApiKey.DescribeLogDirs, 4, { topics: [{ topic, partitions: [0] }] });
  let current: string | null = null;
  let future: { dir: string; size: bigint; lag: bigint } | null = null;
  for (const d of res.results as LogDirs) for (const t of d.topics) for (const p of t.partitions) {
    if (t.name !== topic) continue;
    if (p.isFutureKey) future = { dir: d.logDir, size: p.partitionSize, lag: p.offsetLag };
    else current = d.logDir;
  }
  return { current, future };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function alter(c: WireClient, path: string, topic: string, partitions: number[]): Promise<number[]> {
  const res = await c.send(ApiKey.AlterReplicaLogDirs, 2, { dirs: [{ path, topics: [{ name: topic, partitions }] }] });
  return res.results.flatMap((t: { partitions: Array<{ errorCode: number }> }) => t.partitions.map((p) => p.errorCode));
}

/**
 * A file-storage broker whose log.dirs are d1 and d2 under a fresh root, moving replicas at
 * `rate` B/s, with a wire client and a kafkajs producer; all closed and removed afterwards.
 * `restart()` stops the broker and starts a new one on the same dirs (the client stays on the old one).
 */
async function onTwoLogDirs(rate: number, body: (env: { tb: TestBroker; d1: string; d2: string; root: string; c: WireClient; producer: Producer; restart(): Promise<TestBroker> }) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-'));
  const d1 = join(root, 'd1');
  const d2 = join(root, 'd2');
  const config = { 'log.dirs': `${d1},${d2}`, 'replica.alter.log.dirs.io.max.bytes.per.second': String(rate) };
  let tb = await startBroker({ storage: 'file', dataDir: d1, config });
  const c = await WireClient.connect(tb.port);
  const producer = kafka(tb.bootstrap).producer({ allowAutoTopicCreation: false });
  const restart = async (): Promise<TestBroker> => {
    await tb.stop();
    tb = await startBroker({ storage: 'file', dataDir: d1, config });
    return tb;
  };
  try {
    await body({ tb, d1, d2, root, c, producer, restart });
  } finally {
    await producer.disconnect().catch(() => {});
    c.close();
    await tb.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

test('a partition moves to another log dir under acks=all produce: throttled, reported as future, nothing acknowledged lost, old dir gone; Kafka\'s errors', async () => {
  const rate = 2 * 1024 * 1024;
  await onTwoLogDirs(rate, async ({ tb, d1, d2, root, c, producer }) => {
    await tb.broker.topics.createTopic({ name: 'mv', numPartitions: 1, configs: { 'segment.bytes': String(512 * 1024) } });
    await tb.broker.topics.createTopic({ name: 'other', numPartitions: 1 });
    await producer.connect();
    const acked: string[] = [];
    await produce(producer, 'mv', 'pre', 100, acked); // ~5 MB
    const before = await replicaDirs(c, 'mv');
    assert.ok(before.current !== null && before.future === null);
    const src = before.current!;
    const dst = src === d1 ? d2 : d1;

    // Kafka's errors: an unknown dir, an unknown partition, an offline dir.
    assert.deepEqual(await alter(c, join(root, 'nope'), 'mv', [0]), [ErrorCode.LOG_DIR_NOT_FOUND]);
    assert.deepEqual(await alter(c, dst, 'missing-topic', [0]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.deepEqual(await alter(c, dst, 'mv', [7]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // Moving to the dir it is in is a no-op.
    assert.deepEqual(await alter(c, src, 'mv', [0]), [ErrorCode.NONE]);

    const live = produceUntilStopped(producer, 'mv', acked);
    const startedMs = Date.now();
    assert.deepEqual(await alter(c, dst, 'mv', [0]), [ErrorCode.NONE]);
    // The future replica: in the destination dir, Kafka's name, behind the current log.
    const seen = await waitFor('the future replica', async () => {
      const r = await replicaDirs(c, 'mv');
      return r.future !== null && r.future.size > 0n ? r : null;
    });
    assert.equal(seen.current, src);
    assert.equal(seen.future!.dir, dst);
    assert.ok(seen.future!.lag > 0n, `offset lag ${seen.future!.lag}`);
    assert.ok(readdirSync(dst).some((n) => /^mv-0\.[0-9a-f]{32}-future$/.test(n)), readdirSync(dst).join(','));

    const moved = await waitFor('the move to finish', async () => {
      const r = await replicaDirs(c, 'mv');
      return r.current === dst && r.future === null ? Date.now() : null;
    }, 60_000);
    const copiedBytes = tb.broker.partitions.getPartition('mv', 0)!.log.sizeBytes;
    const measured = copiedBytes / ((moved - startedMs) / 1000);
    assert.ok(measured <= rate * 1.2, `copy rate ${Math.round(measured)} B/s against a throttle of ${rate} B/s`);
    assert.ok(measured >= rate * 0.3, `copy rate ${Math.round(measured)} B/s is far below the throttle of ${rate} B/s`);
    await produce(producer, 'mv', 'post', 5, acked);
    await live.stop();

    assert.ok(!existsSync(join(src, 'mv-0')), 'the old partition dir is gone');
    assert.ok(existsSync(join(dst, 'mv-0', 'leader-epoch-checkpoint')), 'the epoch checkpoint moved');
    assert.ok(!readdirSync(dst).some((n) => n.endsWith('-future')) && !readdirSync(src).some((n) => n.includes('mv-0')));
    const got = await readAll(tb.bootstrap, 'mv');
    const lost = acked.filter((v) => !got.has(v));
    assert.equal(lost.length, 0, `${lost.length} of ${acked.length} acknowledged records missing`);
    assert.equal(got.size, acked.length);

    // An offline destination: KAFKA_STORAGE_ERROR.
    rmSync(src, { recursive: true, force: true });
    writeFileSync(src, 'not a directory');
    assert.deepEqual(await alter(c, src, 'mv', [0]), [ErrorCode.KAFKA_STORAGE_ERROR]);
    rmSync(src, { force: true });
    mkdirSync(src);
  });
});

test('DeleteTopics on a single broker during a log dir move stops the move: no future log is left to bring the topic back at the next start', async () => {
  // 16 KB steps at 64 KB/s: the copy of ~1 MB is under way for many seconds.
  await onTwoLogDirs(64 * 1024, async ({ tb, d1, d2, c, producer, restart }) => {
    await tb.broker.topics.createTopic({ name: 'gone', numPartitions: 1 });
    await producer.connect();
    await produce(producer, 'gone', 'pre', 20, []); // ~1 MB
    const src = (await replicaDirs(c, 'gone')).current!;
    const dst = src === d1 ? d2 : d1;
    assert.deepEqual(await alter(c, dst, 'gone', [0]), [ErrorCode.NONE]);
    await waitFor('the copy to be under way', async () => ((await replicaDirs(c, 'gone')).future?.size ?? 0n) > 0n || null);
    const r = await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'gone', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 10_000 });
    assert.equal(r.responses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(readdirSync(dst).filter((n) => n.startsWith('gone-')), [], 'the future log went with the topic');
    const restarted = await restart();
    assert.equal(restarted.broker.metadata.topic('gone'), undefined);
    for (const d of [d1, d2]) assert.deepEqual(readdirSync(d).filter((n) => n.startsWith('gone-')), [], `nothing of the topic in ${d}`);
  });
});

test('a broker whose metadata is not in its log dirs removes the `-delete` dirs a crash left (here: the old log of a move) at startup', async () => {
  const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-leftover-'));
  const leftover = join(root, 'moved-0.0123456789abcdef0123456789abcdef-delete');
  mkdirSync(leftover, { recursive: true });
  writeFileSync(join(leftover, '00000000000000000000.log'), Buffer.alloc(64 * 1024, 1));
  const tb = await startBroker({ storage: 'file', dataDir: root, metadataStore: new LocalMetadataStore(null) });
  try {
    assert.ok(!existsSync(leftover), readdirSync(root).join(','));
  } finally {
    await tb.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('kill -9 during a log dir move: the restarted broker resumes it from the future log and loses no acknowledged record', async () => {
  const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-crash-'));
  const d1 = join(root, 'd1');
  const d2 = join(root, 'd2');
  const port = await freePort();
  const props = join(root, 'server.properties');
  const write = (rate: number) => writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${d1},${d2}\noffsets.topic.replication.factor=1\nnum.partitions=1\nreplica.alter.log.dirs.io.max.bytes.per.second=${rate}\n`);
  write(512 * 1024);
  let server = await startServer(props, [], { LOG_DIR: join(root, 'out-1') });
  const bootstrap = `127.0.0.1:${port}`;
  try {
    const admin = kafka(bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 1, replicationFactor: 1 }] });
    await admin.disconnect();
    const producer = kafka(bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked: string[] = [];
    await produce(producer, 'crash', 'pre', 60, acked); // ~3 MB: 6 s at 512 KB/s
    let c = await WireClient.connect(port);
    const src = (await replicaDirs(c, 'crash')).current!;
    const dst = src === d1 ? d2 : d1;
    const live = produceUntilStopped(producer, 'crash', acked);
    assert.deepEqual(await alter(c, dst, 'crash', [0]), [ErrorCode.NONE]);
    await waitFor('the copy to be under way', async () => {
      const r = await replicaDirs(c, 'crash');
      return r.future !== null && r.future.size > 256n * 1024n ? r : null;
    });
    c.close();
    server.child.kill('SIGKILL');
    await server.exited;
    await live.stop().catch(() => {}); // in-flight sends fail: they were never acknowledged
    await producer.disconnect().catch(() => {});
    assert.ok(readdirSync(dst).some((n) => n.endsWith('-future')), 'the future log is on disk after the crash');

    write(64 * 1024 * 1024);
    server = await startServer(props, [], { LOG_DIR: join(root, 'out-2') });
    c = await WireClient.connect(port);
    await waitFor('the resumed move to finish', async () => {
      const r = await replicaDirs(c, 'crash');
      return r.current === dst && r.future === null ? r : null;
    });
    c.close();
    assert.ok(!existsSync(join(src, 'crash-0')));
    const got = await readAll(bootstrap, 'crash');
    const lost = acked.filter((v) => !got.has(v));
    assert.equal(lost.length, 0, `${lost.length} of ${acked.length} acknowledged records missing`);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  }
});
