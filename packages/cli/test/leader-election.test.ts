/**
 * Preferred leadership after a broker comes back, on a 3-broker cluster (in process, shared
 * metadata store): kafka-leader-election moves leaders back to the preferred replicas (Kafka's
 * output lines, the JSON file form, the old kafka-preferred-replica-election name, failures),
 * and with auto.leader.rebalance.enable the controller does it by itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '@samsa/broker/testkit';
import { runIn, waitFor } from './support.js';

const TOPIC = 'elect';
const PARTITIONS = 3;
const dir = mkdtempSync(join(tmpdir(), 'samsa-election-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function partitions(cluster: TestCluster) {
  const any = [...cluster.brokers.values()][0]!;
  return any.broker.metadata.topic(TOPIC)!.partitions;
}

/** Every running broker's image shows each partition with the full ISR. */
function fullIsr(cluster: TestCluster): boolean {
  return [...cluster.brokers.values()].every((b) => b.broker.metadata.topic(TOPIC)?.partitions.every((p) => p.isr.length === 3 && p.leader >= 0) ?? false);
}

const onPreferred = (cluster: TestCluster): boolean => [...cluster.brokers.values()].every((b) => b.broker.metadata.topic(TOPIC)!.partitions.every((p) => p.leader === p.replicas[0]));

/** Creates the topic, then kills broker 0 and brings it back: its preferred partitions are led elsewhere. */
async function bounceBroker0(cluster: TestCluster): Promise<number[]> {
  await cluster.broker(1).broker.topics.createTopic({ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configs: {} });
  await waitFor(() => fullIsr(cluster), 'full ISRs');
  const preferredOn0 = partitions(cluster).filter((p) => p.replicas[0] === 0).map((p) => p.partition);
  assert.ok(preferredOn0.length > 0, 'broker 0 is the preferred replica of some partition');
  await cluster.killBroker(0);
  await waitFor(() => partitions(cluster).every((p) => p.leader !== 0 && p.leader >= 0), 'leaders moved off broker 0');
  await cluster.restartBroker(0);
  await waitFor(() => fullIsr(cluster), 'broker 0 back in every ISR', 30_000);
  return preferredOn0;
}

describe('kafka-leader-election', () => {
  let cluster: TestCluster;
  after(async () => cluster?.stop());

  it('moves leadership back to the preferred replicas and prints Kafka\'s lines', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'auto.leader.rebalance.enable': 'false' } });
    const preferredOn0 = await bounceBroker0(cluster);
    assert.ok(preferredOn0.every((p) => partitions(cluster)[p]!.leader !== 0), 'without an election broker 0 leads nothing');

    const bootstrap = ['--bootstrap-server', cluster.bootstrap];
    const res = await runIn('leader-election', [...bootstrap, '--election-type', 'preferred', '--all-topic-partitions']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `Successfully completed leader election (PREFERRED) for partitions ${preferredOn0.map((p) => `${TOPIC}-${p}`).join(', ')}\n`);
    await waitFor(() => onPreferred(cluster), 'every partition led by its preferred replica');

    const again = await runIn('leader-election', [...bootstrap, '--election-type', 'PREFERRED', '--topic', TOPIC, '--partition', String(preferredOn0[0])]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `Valid replica already elected for partitions ${TOPIC}-${preferredOn0[0]}\n`);

    const unclean = await runIn('leader-election', [...bootstrap, '--election-type', 'unclean', '--topic', TOPIC, '--partition', '0']);
    assert.equal(unclean.stdout, `Valid replica already elected for partitions ${TOPIC}-0\n`);

    // The old tool name, from Kafka's JSON file: preferred is already elected.
    const json = join(dir, 'election.json');
    writeFileSync(json, JSON.stringify({ partitions: [{ topic: TOPIC, partition: 1 }] }));
    const old = await runIn('preferred-replica-election', [...bootstrap, '--path-to-json-file', json]);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stdout, new RegExp(`Valid replica already elected for partitions ${TOPIC}-1\n$`));

    // A preferred replica that is down cannot be elected: Kafka's failure line and exit 1.
    const led1 = partitions(cluster).find((p) => p.replicas[0] === 1)!.partition;
    await cluster.killBroker(1);
    await waitFor(() => partitions(cluster)[led1]!.leader !== 1, 'leader moved off broker 1');
    writeFileSync(json, JSON.stringify({ partitions: [{ topic: TOPIC, partition: led1 }, { topic: 'no-such-topic', partition: 0 }] }));
    const failed = await runIn('leader-election', [...bootstrap.slice(0, 1), cluster.bootstrap, '--election-type', 'preferred', '--path-to-json-file', json]);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, new RegExp(`Error completing leader election \\(PREFERRED\\) for partition: ${TOPIC}-${led1}: org\\.apache\\.kafka\\.common\\.errors\\.PreferredLeaderNotAvailableException: `));
    assert.match(failed.stdout, /Error completing leader election \(PREFERRED\) for partition: no-such-topic-0: org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: /);
    assert.match(failed.stderr, /2 replica\(s\) could not be elected/);

    // Bad command lines get Kafka's messages.
    const usage = await runIn('leader-election', [...bootstrap, '--all-topic-partitions']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /Missing required option\(s\): election-type/);
    const both = await runIn('leader-election', [...bootstrap, '--election-type', 'preferred', '--all-topic-partitions', '--topic', TOPIC, '--partition', '0']);
    assert.match(both.stderr, /One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file/);
    writeFileSync(json, '{"version": 1}');
    const noField = await runIn('leader-election', [...bootstrap, '--election-type', 'preferred', '--path-to-json-file', json]);
    assert.match(noField.stderr, /Replica election data is missing "partitions" field/);
  });
});

describe('auto.leader.rebalance.enable', () => {
  let cluster: TestCluster;
  after(async () => cluster?.stop());

  it('the controller returns leadership to the preferred replicas by itself', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'leader.imbalance.check.interval.seconds': '1' } });
    const t0 = Date.now();
    await bounceBroker0(cluster);
    await waitFor(() => onPreferred(cluster), 'automatic preferred leader election', 30_000);
    console.log(`# auto leader rebalance: preferred leaders back ${Date.now() - t0} ms after the topic was created (kill + restart + check interval 1 s)`);
  });
});
