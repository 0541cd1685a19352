import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { serverLogDir } from '@samsa/broker/testkit';
import { parseServerArgs } from '../src/commands/server.js';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(`${join('dist', 'test')}`);
const pkgRoot = compiled ? resolve(here, '..', '..') : resolve(here, '..');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('argument parsing: properties file, --override (both forms), -daemon ignored', () => {
  const a = parseServerArgs(['config/server.properties', '--override', 'num.partitions=3', '--override=log.dirs=/x=y', '-daemon']);
  assert.equal(a.propertiesFile, 'config/server.properties');
  assert.deepEqual([...a.overrides], [['num.partitions', '3'], ['log.dirs', '/x=y']]);
  assert.throws(() => parseServerArgs(['--override', 'novalue']), /property=value/);
  assert.throws(() => parseServerArgs(['a.properties', 'b.properties']), /Unrecognized argument b.properties/);
});

test('samsa server starts from server.properties, serves kafkajs, exits 0 on SIGTERM with a clean-shutdown marker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    '# a Kafka-style server.properties',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    'controller.listener.names=CONTROLLER',
    `advertised.listeners=PLAINTEXT://localhost:${port}`,
    `log.dirs=${join(dir, 'logs')}`,
    'num.partitions=2',
    '',
  ].join('\n'));
  const entry = compiled ? [join(pkgRoot, 'dist', 'src', 'bin', 'samsa.js')] : ['-C', 'source', '--import', 'tsx', join(pkgRoot, 'src', 'bin', 'samsa.ts')];
  const args = [...entry, 'server', props, '--override', 'auto.create.topics.enable=true'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG: 'INFO', NODE_TEST_CONTEXT: undefined, LOG_DIR: serverLogDir() } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const deadline = Date.now() + 15_000;
    while (!stderr.includes('started (cluster')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`broker did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(stderr, /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO /);
    const kafka = new Kafka({ clientId: 'cli-test', brokers: [`localhost:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cli-topic', messages: [{ key: 'a', value: 'b' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const md = await admin.fetchTopicMetadata({ topics: ['cli-topic'] });
    assert.equal(md.topics[0]!.partitions.length, 2);
    await admin.disconnect();

    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /shut down completed/);
    assert.ok(existsSync(join(dir, 'logs', '.kafka_cleanshutdown')), 'clean shutdown marker');
    assert.match(readFileSync(join(dir, 'logs', 'meta.properties'), 'utf8'), /node\.id=1/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no properties file, the internal topics get one replica so a single node serves groups; the shipped config/server.properties says the same', async () => {
  const { loadServerConfig } = await import('../src/commands/server.js');
  const bare = loadServerConfig(parseServerArgs([]));
  assert.equal(bare.int('offsets.topic.replication.factor'), 1);
  assert.equal(bare.int('transaction.state.log.replication.factor'), 1);
  const shipped = loadServerConfig(parseServerArgs([join(pkgRoot, '..', '..', 'config', 'server.properties')]));
  assert.equal(shipped.int('offsets.topic.replication.factor'), 1);
  assert.equal(shipped.text('log.dirs'), '/tmp/kafka-logs');
  assert.equal(shipped.int('group.initial.rebalance.delay.ms'), 0);
  // A properties file without the key keeps Kafka's default, as Kafka does.
  const dir = mkdtempSync(join(tmpdir(), 'samsa-props-'));
  try {
    writeFileSync(join(dir, 'p.properties'), 'num.partitions=2\n');
    assert.equal(loadServerConfig(parseServerArgs([join(dir, 'p.properties')])).int('offsets.topic.replication.factor'), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
