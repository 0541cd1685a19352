/**
 * kafka-reassign-partitions with "log_dirs" (Kafka's format): --execute sends AlterReplicaLogDirs
 * to the replica's broker under --replica-alter-log-dirs-throttle, kafka-log-dirs shows the
 * future replica meanwhile, --verify reports the move as Kafka prints it and clears the
 * throttle once it completed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { startBroker, startCluster, type TestBroker, type TestCluster } from '@samsa/broker/testkit';
import { Admin, Producer } from '@samsa/client';
import { apiByName, ErrorCode } from '@samsa/protocol';
import { runIn, waitFor } from './support.js';

const root = mkdtempSync(join(tmpdir(), 'samsa-reassign-logdirs-'));
let broker: TestBroker | undefined;
let cluster: TestCluster | undefined;
after(async () => {
  await broker?.stop();
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

const RATE_KEY = 'replica.alter.log.dirs.io.max.bytes.per.second';

it('moves a replica to another log dir through the reassignment JSON, reports it and clears the throttle', async () => {
  const d1 = join(root, 'd1');
  const d2 = join(root, 'd2');
  broker = await startBroker({ storage: 'file', dataDir: d1, config: { 'log.dirs': `${d1},${d2}` } });
  const b = broker;
  const id = b.broker.nodeId;
  await b.broker.topics.createTopic({ name: 'ld', numPartitions: 1, replicationFactor: 1 });
  const producer = new Producer({ bootstrapServers: b.bootstrap, acks: -1, lingerMs: 0 });
  const value = Buffer.alloc(1000, 7);
  const log = () => b.broker.partitions.getPartition('ld', 0)!.log;
  while (log().sizeBytes < 1_500_000) await producer.send({ topic: 'ld', messages: Array.from({ length: 20 }, () => ({ value })) });
  await producer.close();
  const src = b.broker.storage.logDirs.find((d) => log().dir!.startsWith(`${d}/`))!;
  const dst = src === d1 ? d2 : d1;

  const bad = join(root, 'bad.json');
  writeFileSync(bad, JSON.stringify({ version: 1, partitions: [{ topic: 'ld', partition: 0, replicas: [id], log_dirs: [join(root, 'nowhere')] }] }));
  const refused = await runIn('reassign-partitions', ['--bootstrap-server', b.bootstrap, '--execute', '--reassignment-json-file', bad]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, new RegExp(`Failed to alter dir for ld-0-${id}: LOG_DIR_NOT_FOUND`));

  const json = join(root, 'move.json');
  writeFileSync(json, JSON.stringify({ version: 1, partitions: [{ topic: 'ld', partition: 0, replicas: [id], log_dirs: [dst] }] }));
  const exec = await runIn('reassign-partitions', ['--bootstrap-server', b.bootstrap, '--execute', '--reassignment-json-file', json, '--replica-alter-log-dirs-throttle', '500000']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, /Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\n/);
  assert.match(exec.stdout, /The replica-alter-dir throttle limit was set to 500000 B\/s\n/);
  assert.match(exec.stdout, /Successfully started partition reassignment for ld-0\n/);
  assert.match(exec.stdout, new RegExp(`Successfully started log directory move for: ld-0-${id}\\n$`));
  assert.equal(Number(b.broker.config.long(RATE_KEY)), 500000);

  // During the move (1.5 MB at 500 kB/s): the future replica in kafka-log-dirs, "in progress" in --verify.
  const dirs = await runIn('log-dirs', ['--bootstrap-server', b.bootstrap, '--describe', '--topic-list', 'ld']);
  assert.equal(dirs.code, 0, dirs.stderr);
  const parsed = JSON.parse(dirs.stdout.split('\n')[2]!) as { brokers: Array<{ logDirs: Array<{ logDir: string; partitions: Array<{ partition: string; isFuture: boolean; size: number }> }> }> };
  const entries = parsed.brokers[0]!.logDirs.flatMap((d) => d.partitions.map((p) => ({ dir: d.logDir, ...p })));
  assert.deepEqual(entries.map((e) => [e.dir, e.partition, e.isFuture]).sort(), [[dst, 'ld-0', true], [src, 'ld-0', false]].sort());
  const during = await runIn('reassign-partitions', ['--bootstrap-server', b.bootstrap, '--verify', '--reassignment-json-file', json]);
  assert.equal(during.code, 0, during.stderr);
  assert.equal(during.stdout, `Status of partition reassignment:\nReassignment of partition ld-0 is completed.\nReassignment of replica ld-0-${id} is still in progress.\n`);

  let last = '';
  await waitFor(async () => {
    const v = await runIn('reassign-partitions', ['--bootstrap-server', b.bootstrap, '--verify', '--reassignment-json-file', json]);
    last = v.stdout;
    return v.stdout.includes(`Reassignment of replica ld-0-${id} completed successfully.`);
  }, 'the log dir move to complete', 30_000);
  assert.match(last, /Clearing broker-level throttles on broker/);
  assert.equal(b.broker.config.long(RATE_KEY), b.broker.config.long('follower.replication.throttled.rate'), 'the throttle is back to its default');
  assert.ok(log().dir!.startsWith(`${dst}/`));
  assert.ok(!existsSync(join(src, 'ld-0')));
});

it('a replica added by the same reassignment lands in its log dir: REPLICA_NOT_AVAILABLE until it exists, the dir remembered', async () => {
  cluster = await startCluster({ brokers: 2, storage: 'file', logDirsPerBroker: 2, config: { 'auto.leader.rebalance.enable': 'false' } });
  const c = cluster;
  await c.broker(0).broker.topics.createTopic({ name: 'grow', assignments: [{ partition: 0, brokerIds: [0] }] });
  const producer = new Producer({ bootstrapServers: c.bootstrap, acks: -1, lingerMs: 0 });
  await producer.send({ topic: 'grow', messages: Array.from({ length: 100 }, (_, i) => ({ value: Buffer.from(`g${i}`) })) });
  await producer.close();
  const target = c.broker(1).broker.storage.logDirs[1]!;

  // Broker 1 does not host grow-0 yet: Kafka answers REPLICA_NOT_AVAILABLE and remembers the dir.
  const admin = new Admin({ bootstrapServers: c.bootstrap });
  try {
    await admin.describeCluster();
    const conn = admin.cluster.broker(1);
    await conn.connect();
    const { response } = await conn.send(apiByName.AlterReplicaLogDirs, () => ({ dirs: [{ path: target, topics: [{ name: 'grow', partitions: [0] }] }] }));
    assert.deepEqual(response.results.map((t) => [t.topicName, t.partitions.map((p) => p.errorCode)]), [['grow', [ErrorCode.REPLICA_NOT_AVAILABLE]]]);
  } finally {
    await admin.close();
  }

  const json = join(root, 'grow.json');
  writeFileSync(json, JSON.stringify({ version: 1, partitions: [{ topic: 'grow', partition: 0, replicas: [0, 1], log_dirs: ['any', target] }] }));
  const exec = await runIn('reassign-partitions', ['--bootstrap-server', c.bootstrap, '--execute', '--reassignment-json-file', json]);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, /Successfully started log directory move for: grow-0-1\n$/);
  let last = '';
  await waitFor(async () => {
    last = (await runIn('reassign-partitions', ['--bootstrap-server', c.bootstrap, '--verify', '--reassignment-json-file', json])).stdout;
    return last.includes('Reassignment of replica grow-0-1 completed successfully.');
  }, 'the replica in its log dir', 30_000);
  assert.match(last, /^Status of partition reassignment:\nReassignment of partition grow-0 is completed.\nReassignment of replica grow-0-1 completed successfully.\n/);
  assert.equal(c.broker(1).broker.partitions.getPartition('grow', 0)!.log.dir, join(target, 'grow-0'));
});
