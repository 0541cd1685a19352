/** kafka-broker-api-versions and kafka-log-dirs against a real broker: Kafka's NodeApiVersions text and log-dirs JSON. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { formatNodeApiVersions } from '../src/commands/broker-api-versions.js';
import { runIn } from './support.js';

let broker: TestBroker | undefined;
after(async () => broker?.stop());

test('prints each broker\'s API ranges as Kafka does', async () => {
  broker = await startBroker();
  const res = await runIn('broker-api-versions', ['--bootstrap-server', broker.bootstrap]);
  assert.equal(res.code, 0, res.stderr);
  const id = broker.broker.nodeId;
  assert.match(res.stdout, new RegExp(`^localhost:${broker.port} \\(id: ${id} rack: null\\) -> \\(\\n\\tProduce\\(0\\): \\d+ to \\d+ \\[usable: \\d+\\],\\n\\tFetch\\(1\\): `));
  assert.match(res.stdout, /\n\tElectLeaders\(43\): 0 to 2 \[usable: 2\],\n/);
  assert.match(res.stdout, /\n\tAlterPartitionReassignments\(45\): 0 \[usable: 0\],\n/);
  assert.match(res.stdout, /\n\tLeaderAndIsr\(4\): UNSUPPORTED,\n/);
  assert.match(res.stdout, /\n\)\n$/);
});

test('ranges the tool cannot use are marked as Kafka marks them', () => {
  const text = formatNodeApiVersions(new Map([[0, [20, 21] as [number, number]], [999, [0, 1] as [number, number]]]));
  assert.match(text, /^\(\n\tProduce\(0\): 20 to 21 \[unusable: node too new\],\n/);
  assert.match(text, /,\n\tUNKNOWN\(999\): 0 to 1\n\)$/);
});

test('kafka-log-dirs --describe prints Kafka\'s JSON', async () => {
  const b = broker!;
  await b.broker.topics.createTopic({ name: 'dirs', numPartitions: 2, replicationFactor: 1 });
  const res = await runIn('log-dirs', ['--bootstrap-server', b.bootstrap, '--describe', '--topic-list', 'dirs']);
  assert.equal(res.code, 0, res.stderr);
  const [q, r, json] = res.stdout.split('\n');
  assert.equal(q, 'Querying brokers for log directories information');
  assert.equal(r, `Received log directory information from brokers ${b.broker.nodeId}`);
  const parsed = JSON.parse(json!) as { version: number; brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: null; partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }> }> }> };
  assert.equal(parsed.version, 1);
  assert.deepEqual(Object.keys(parsed.brokers[0]!.logDirs[0]!), ['partitions', 'error', 'logDir']);
  assert.deepEqual(parsed.brokers[0]!.logDirs.flatMap((d) => d.partitions.map((p) => p.partition)).sort(), ['dirs-0', 'dirs-1']);
  const bad = await runIn('log-dirs', ['--bootstrap-server', b.bootstrap, '--describe', '--broker-list', '7']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /The given brokers do not exist from --broker-list: 7\. Current existent brokers: /);
});
