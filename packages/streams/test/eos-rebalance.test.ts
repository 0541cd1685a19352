// Exactly-once (exactly_once_v2) across rebalances: input streams in while a second and a third
// instance join the application's group (cooperative rebalances move tasks, with their open
// transactions, from one instance to another) and one of them leaves again. Read read_committed,
// the pass-through output holds each input record exactly once and every key's final count is
// its number of inputs: the revoked tasks' work committed in the revocation (with the offsets of
// the generation that owned them) or was aborted and processed again, never both and never lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { type Admin, createAdmin, createConsumer, createProducer, type Producer } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder } from '../src/index.js';

const S = Serdes.String();
const L = Serdes.Long();
const [IN, OUT, COUNTS, APP] = ['eos-rb-in', 'eos-rb-out', 'eos-rb-counts', 'eos-rb-app'];
const PARTITIONS = 6; // 6, 3+3, 2+2+2, 3+3 tasks as the instances come and go
const KEYS = 24;
const MAX_RECORDS = 8000; // at most 16 s of steady input
let broker: TestBroker;
let admin: Admin;
let feeder: Producer;
const dirs: string[] = [];
const instances: KafkaStreams[] = [];

before(async () => {
  broker = await startBroker({ config: { 'group.min.session.timeout.ms': '500' } });
  admin = createAdmin({ bootstrapServers: broker.bootstrap });
  feeder = createProducer({ bootstrapServers: broker.bootstrap, lingerMs: 1 });
  await admin.createTopics({ topics: [IN, OUT, COUNTS].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
});

after(async () => {
  await Promise.allSettled(instances.map((s) => s.close()));
  await Promise.allSettled([feeder.close(), admin.close()]);
  await broker.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An instance on its own state dir (so its own transactional.id), failing the test if its thread dies. */
async function startInstance(name: string, died: (err: Error) => void): Promise<KafkaStreams> {
  const b = new StreamsBuilder();
  const input = b.stream<string, string>(IN, { keySerde: S, valueSerde: S });
  input.mapValues((v) => `out-${v}`).to(OUT, { keySerde: S, valueSerde: S });
  input.groupByKey().count({ storeName: 'eos-rb-count' }).toStream().to(COUNTS, { keySerde: S, valueSerde: L });
  const stateDir = mkdtempSync(join(tmpdir(), `samsa-eos-rb-${name}-`));
  dirs.push(stateDir);
  const streams = new KafkaStreams(b.build(), {
    'application.id': APP,
    'bootstrap.servers': broker.bootstrap,
    'state.dir': stateDir,
    'processing.guarantee': 'exactly_once_v2',
    // a long interval keeps a transaction open most of the time while input flows, so the
    // rebalances find work in progress to commit at revocation
    'commit.interval.ms': '1000',
    'session.timeout.ms': '3000',
    'heartbeat.interval.ms': '100',
    'client.id': name,
  });
  streams.setUncaughtExceptionHandler(died);
  instances.push(streams);
  await streams.start();
  return streams;
}

async function until(cond: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every record of a topic up to its last stable offset, read read_committed. */
async function readCommitted(topic: string): Promise<Array<{ key: string; value: Buffer }>> {
  const parts = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition }));
  const ends = await admin.listOffsets(parts.map((tp) => ({ ...tp, spec: 'latest' as const })), { isolationLevel: 'read_committed' });
  const reader = createConsumer({ bootstrapServers: broker.bootstrap, isolationLevel: 'read_committed', fetchMaxWaitMs: 50 });
  const out: Array<{ key: string; value: Buffer }> = [];
  try {
    reader.assign(parts);
    reader.seekToBeginning(parts);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const at = await Promise.all(parts.map((tp) => reader.position(tp)));
      if (parts.every((tp, i) => at[i]! >= ends.find((e) => e.partition === tp.partition)!.offset)) return out;
      assert.ok(Date.now() < deadline, `reading ${topic}`);
      for (const b of await reader.poll(200)) for (const m of b.messages) out.push({ key: m.key!.toString(), value: m.value! });
    }
  } finally {
    await reader.close();
  }
}

test('exactly_once_v2: instances join and leave mid-stream; read_committed output holds each input once, counts exact', { timeout: 90_000 }, async (t) => {
  let failure: Error | null = null;
  const died = (err: Error): void => void (failure ??= err);
  const a = await startInstance('a', died);

  // The bounded input: records fed steadily (so transactions are open when the group rebalances)
  // until the rebalances are over, then the rest at once.
  const sent: string[] = [];
  let steady = true;
  const feeding = (async () => {
    const feed = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, (_, i) => `${sent.length + i}`);
      await feeder.send({ topic: IN, messages: batch.map((v) => ({ key: `k${Number(v) % KEYS}`, value: v })) });
      sent.push(...batch);
    };
    while (steady && sent.length < MAX_RECORDS) {
      await feed(10);
      await new Promise((r) => setTimeout(r, 20));
    }
    await feed(200);
  })();
  const committedInput = async (): Promise<bigint> =>
    (await admin.listConsumerGroupOffsets(APP)).filter((o) => o.topic === IN && o.offset > 0n).reduce((n, o) => n + o.offset, 0n);
  const running = (s: KafkaStreams, tasks: number): boolean => s.state === 'RUNNING' && s.localTasks().length === tasks;

  await until(async () => failure !== null || (running(a, PARTITIONS) && (await committedInput()) > 0n), () => 'the first instance to commit');
  const b = await startInstance('b', died);
  await until(() => failure !== null || (running(a, PARTITIONS / 2) && running(b, PARTITIONS / 2)), () => `tasks split between a (${a.localTasks()}) and b (${b.localTasks()})`);
  const c = await startInstance('c', died);
  await until(() => failure !== null || (a.localTasks().length + b.localTasks().length + c.localTasks().length === PARTITIONS && c.localTasks().length > 0 && [a, b, c].every((s) => s.state === 'RUNNING')),
    () => `tasks split between a (${a.localTasks()}), b (${b.localTasks()}) and c (${c.localTasks()})`);
  await b.close(); // leaves the group: its tasks go to a and c
  await until(() => failure !== null || (a.localTasks().length + c.localTasks().length === PARTITIONS && [a, c].every((s) => s.state === 'RUNNING')),
    () => `b's tasks taken over by a (${a.localTasks()}) and c (${c.localTasks()})`);
  steady = false;
  await feeding;
  assert.equal(failure, null, `a stream thread died: ${failure}`);

  // Done once every input record's offset is committed (with the transactions that processed it).
  await until(async () => failure !== null || (await committedInput()) === BigInt(sent.length), () => `all ${sent.length} inputs committed`);
  assert.equal(failure, null, `a stream thread died: ${failure}`);
  const stats = [a, b, c].map((s, i) => `${'abc'[i]}: ${s.revocationCommits} revocation commits, ${s.aborts} aborts`).join('; ');
  t.diagnostic(`${sent.length} inputs; ${stats}`);
  assert.ok(a.revocationCommits + b.revocationCommits + c.revocationCommits > 0, `no rebalance found a transaction in progress (${stats})`);

  const out = (await readCommitted(OUT)).map((r) => r.value.toString());
  const expected = sent.map((v) => `out-${v}`);
  const seen = new Map<string, number>();
  for (const v of out) seen.set(v, (seen.get(v) ?? 0) + 1);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = expected.filter((v) => !seen.has(v));
  assert.deepEqual({ duplicated: duplicated.slice(0, 10), missing: missing.slice(0, 10) }, { duplicated: [], missing: [] }, `${out.length} outputs for ${expected.length} inputs`);
  assert.equal(out.length, expected.length);

  const counts = new Map<string, bigint>();
  for (const r of await readCommitted(COUNTS)) counts.set(r.key, r.value.readBigInt64BE());
  const expectedCounts = new Map<string, bigint>();
  for (const v of sent) expectedCounts.set(`k${Number(v) % KEYS}`, (expectedCounts.get(`k${Number(v) % KEYS}`) ?? 0n) + 1n);
  assert.deepEqual(new Map([...counts].sort()), new Map([...expectedCounts].sort()));
});
