// Exactly-once consume-transform-produce on 3 `samsa server` processes (ZooKeeper): an app
// running runTransform (test/fixtures/transform-app.ts, a child process) is killed with SIGKILL
// while input streams in, then restarted with the same transactional.id (which aborts what the
// dead instance left open); the output read read_committed holds each input record exactly once.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startProcessCluster } from '@samsa/broker/testkit';
import { Admin, Consumer, Producer } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const APP = here.includes(join('dist', 'test')) ? [resolve(here, 'fixtures/transform-app.js')] : ['-C', 'source', '--import', 'tsx', resolve(here, 'fixtures/transform-app.ts')];
const INPUT = 'ctp-in';
const OUTPUT = 'ctp-out';
const RECORDS = 3000;

function startApp(bootstrap: string): { child: ChildProcess; log: () => string; commits: () => number } {
  const child = spawn(process.execPath, [...APP, bootstrap, INPUT, OUTPUT, 'ctp-app', 'ctp-group'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log, commits: () => log.split('\n').filter((l) => l.startsWith('committed ')).length };
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('consume-transform-produce: kill -9 of the app mid-stream, restart: each input exactly once in the read_committed output', { timeout: 120_000 }, async (t) => {
  const cluster = await startProcessCluster({ brokers: 3, config: { 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' } });
  const apps: ChildProcess[] = [];
  t.after(async () => {
    for (const a of apps) a.kill('SIGKILL');
    await cluster.stop();
  });
  const admin = new Admin({ bootstrapServers: cluster.bootstrap });
  const input = new Producer({ bootstrapServers: cluster.bootstrap, lingerMs: 2 });
  t.after(() => Promise.allSettled([admin.close(), input.close()]).then(() => undefined));
  await admin.createTopics({ topics: [{ topic: INPUT, numPartitions: 3, replicationFactor: 3 }, { topic: OUTPUT, numPartitions: 3, replicationFactor: 3 }] });
  let fed = 0;
  const feed = async (n: number): Promise<void> => {
    const messages = Array.from({ length: n }, (_, i) => ({ key: `k${(fed + i) % 97}`, value: `r${fed + i}` }));
    fed += n;
    await input.send({ topic: INPUT, messages });
  };

  const first = startApp(cluster.bootstrap);
  apps.push(first.child);
  await feed(300);
  await waitFor(() => first.commits() >= 1, () => `the app's first transactions (log: ${first.log()})`);
  // input keeps coming; the app dies between (or inside) transactions
  while (fed < RECORDS / 2) await feed(100);
  const commitsBeforeKill = first.commits();
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  while (fed < (RECORDS * 3) / 4) await feed(100);
  const second = startApp(cluster.bootstrap);
  apps.push(second.child);
  while (fed < RECORDS) await feed(100);

  // read the output read_committed until every input is there (a duplicate would show up as a second copy)
  const reader = new Consumer({ bootstrapServers: cluster.bootstrap, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
  t.after(() => reader.close());
  reader.assign([0, 1, 2].map((partition) => ({ topic: OUTPUT, partition })));
  const seen = new Map<string, number>();
  let total = 0;
  await waitFor(async () => {
    for (const b of await reader.poll(200)) {
      for (const m of b.messages) {
        const v = m.value!.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        total++;
      }
    }
    return seen.size === RECORDS;
  }, () => `all ${RECORDS} outputs (have ${seen.size}; app log: ${second.log().slice(-2000)})`);
  // whatever else is committed by now (nothing should be)
  for (const b of await reader.poll(500)) for (const m of b.messages) {
    seen.set(m.value!.toString(), (seen.get(m.value!.toString()) ?? 0) + 1);
    total++;
  }
  t.diagnostic(`${commitsBeforeKill} transactions before the kill, ${second.commits()} after the restart`);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  assert.deepEqual(duplicated, [], 'no input is in the committed output twice');
  assert.equal(total, RECORDS);
  for (let i = 0; i < RECORDS; i++) assert.equal(seen.get(`r${i}:done`), 1, `r${i}`);
  // the group's committed offsets cover the whole input
  const committed = await admin.listConsumerGroupOffsets('ctp-group');
  assert.equal(committed.filter((o) => o.topic === INPUT).reduce((n, o) => n + o.offset, 0n), BigInt(RECORDS));
  second.child.kill('SIGTERM');
  assert.equal(await new Promise((r) => second.child.once('exit', r)), 0, second.log().slice(-2000));
});
