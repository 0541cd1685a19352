// The WordCount tutorial against a real broker, with the demo run as the CLI runs it (a child
// process): counts read with the tutorial's console-consumer command; kill -9 and a restart on
// an empty state.dir (state restored from the changelog); two instances sharing the partitions,
// one killed, its tasks moved and restored.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { type Admin, type Consumer, createAdmin, createConsumer, createProducer, type Producer } from '@samsa/client';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(join('dist', 'test'));
const cliBin = (name: string): string[] => compiled
  ? [resolve(here, '../../../cli/dist/src/bin', `${name}.js`)]
  : ['-C', 'source', '--import', 'tsx', resolve(here, '../../cli/src/bin', `${name}.ts`)];

const INPUT = 'streams-plaintext-input';
const OUTPUT = 'streams-wordcount-output';
let broker: TestBroker;
let admin: Admin;
let producer: Producer;
let reader: Consumer;
const latest = new Map<string, number>();
const expected = new Map<string, number>();
const dirs: string[] = [];
const apps = new Set<ChildProcess>();

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startApp(stateDir: string, via: 'kafka-run-class' | 'samsa'): { child: ChildProcess; log: () => string } {
  const props = join(stateDir, 'streams.properties');
  writeFileSync(props, [`bootstrap.servers=${broker.bootstrap}`, `state.dir=${stateDir}`, 'session.timeout.ms=1500', 'heartbeat.interval.ms=300', ''].join('\n'));
  const args = via === 'samsa' ? [...cliBin('samsa'), 'streams', 'wordcount', props] : [...cliBin('kafka-run-class'), 'org.apache.kafka.streams.examples.wordcount.WordCountDemo', props];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  apps.add(child);
  child.on('exit', () => apps.delete(child));
  return { child, log: () => log };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

async function type(...lines: string[]): Promise<void> {
  // keyless lines, as the console producer sends them, spread over both partitions
  await producer.send({ topic: INPUT, messages: lines.map((value, i) => ({ value, partition: i % 2 })) });
  for (const line of lines) for (const w of line.toLowerCase().split(/\W+/).filter((x) => x !== '')) expected.set(w, (expected.get(w) ?? 0) + 1);
}

const countsCorrect = (): boolean => [...expected].every(([w, n]) => latest.get(w) === n) && latest.size === expected.size;

/** The group has committed every input record (so a kill -9 now loses nothing). */
async function allCommitted(): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(INPUT);
  const committed = await admin.listConsumerGroupOffsets('streams-wordcount');
  return ends.every((e) => committed.find((c) => c.topic === INPUT && c.partition === e.partition)?.offset === e.high);
}

async function membersWithPartitions(): Promise<number> {
  const [g] = await admin.describeGroups(['streams-wordcount']);
  return (g?.members ?? []).filter((m) => (m.assignment?.get(INPUT)?.length ?? 0) > 0).length;
}

before(async () => {
  broker = await startBroker({ config: { 'group.min.session.timeout.ms': '500', 'num.partitions': '2' } });
  admin = createAdmin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics({ topics: [{ topic: INPUT, numPartitions: 2 }, { topic: OUTPUT, numPartitions: 2 }] });
  producer = createProducer({ bootstrapServers: broker.bootstrap });
  await producer.connect();
  reader = createConsumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
  reader.assign([{ topic: OUTPUT, partition: 0 }, { topic: OUTPUT, partition: 1 }]);
  void reader.run({ eachMessage: (m) => void latest.set(m.key!.toString(), Number(m.value!.readBigInt64BE())) }).catch(() => {});
});

after(async () => {
  for (const c of apps) c.kill('SIGKILL');
  await reader.stop();
  await Promise.allSettled([reader.close(), producer.close(), admin.close()]);
  await broker.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('WordCount tutorial: counts, kill -9 and restart from the changelog, two instances and a failover', { timeout: 150_000 }, async () => {
  const a = startApp(tmp('samsa-wc-a-'), 'kafka-run-class');
  // the tutorial types its lines into the console producer
  const lines = ['all streams lead to kafka', 'hello kafka streams', 'join kafka summit'];
  const cp = spawn(process.execPath, [...cliBin('kafka-console-producer'), '--bootstrap-server', broker.bootstrap, '--topic', INPUT], { stdio: ['pipe', 'ignore', 'pipe'] });
  cp.stdin!.end(lines.map((l) => `${l}\n`).join(''));
  assert.equal(await new Promise((r) => cp.once('exit', r)), 0);
  for (const line of lines) for (const w of line.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
  await waitFor(countsCorrect, `first counts (app log: ${a.log()})`);
  assert.equal(latest.get('kafka'), 3);
  assert.equal(latest.get('streams'), 2);

  // the tutorial's console-consumer command reads the Long counts, with the old and the Kafka 4 formatter names
  // (11 words so far: one count update each)
  for (const formatter of ['kafka.tools.DefaultMessageFormatter', 'org.apache.kafka.tools.consumer.DefaultMessageFormatter']) {
    const cc = spawn(process.execPath, [...cliBin('kafka-console-consumer'), '--bootstrap-server', broker.bootstrap, '--topic', OUTPUT, '--from-beginning',
      '--formatter', formatter, '--property', 'print.key=true', '--property', 'print.value=true',
      '--property', 'key.deserializer=org.apache.kafka.common.serialization.StringDeserializer',
      '--property', 'value.deserializer=org.apache.kafka.common.serialization.LongDeserializer', '--max-messages', '11', '--timeout-ms', '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    cc.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
    await new Promise((r) => cc.on('exit', r));
    const printedLines = printed.trim().split('\n');
    assert.equal(printedLines.length, 11, printed);
    assert.ok(printedLines.includes('kafka\t3'), printed);
    assert.ok(printedLines.includes('hello\t1'), printed);
  }

  // kill -9 once everything is committed; restart on an EMPTY state dir: the counts come back from the changelog
  await waitFor(allCommitted, 'commit of all input');
  await kill9(a.child);
  await type('kafka streams again');
  const a2 = startApp(tmp('samsa-wc-a2-'), 'samsa');
  await waitFor(countsCorrect, `counts after restart (app log: ${a2.log()})`);
  assert.equal(latest.get('kafka'), 4);
  assert.equal(latest.get('streams'), 3);

  // a second instance joins: the two share the partitions
  const b = startApp(tmp('samsa-wc-b-'), 'samsa');
  await waitFor(async () => (await membersWithPartitions()) === 2, 'both instances owning partitions');
  await type('streams of kafka', 'more kafka');
  await waitFor(countsCorrect, 'counts with two instances');
  await waitFor(allCommitted, 'commit with two instances');
  // one is killed: its tasks move to the other and restore from the changelog
  await kill9(a2.child);
  await waitFor(async () => (await membersWithPartitions()) === 1, 'tasks moved to the survivor');
  await type('kafka kafka kafka', 'streams');
  await waitFor(countsCorrect, `counts after failover (survivor log: ${b.log()})`);
  assert.equal(latest.get('kafka'), 9);
  assert.equal(latest.get('streams'), 5);
  // SIGTERM: a clean close (commit, leave the group), exit code 0
  const exited = new Promise<number | null>((r) => b.child.once('exit', (code) => r(code)));
  b.child.kill('SIGTERM');
  assert.equal(await exited, 0, b.log());
});

async function runToExit(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, err };
}

test('kafka-run-class names the classes it has', async () => {
  const unknown = await runToExit([...cliBin('kafka-run-class'), 'org.example.Nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /Could not find or load main class org\.example\.Nope/);
  assert.match(unknown.err, /org\.apache\.kafka\.streams\.examples\.wordcount\.WordCountDemo/);
});
