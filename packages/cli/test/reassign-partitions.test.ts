/**
 * kafka-reassign-partitions on an in-process cluster (shared metadata store): the replication
 * factor of a topic goes from 1 to 3 with a reassignment JSON as in Kafka's docs; a 3-broker
 * cluster grows to 4 and partitions move onto the new broker under continuous acks=all load,
 * then broker 1 is decommissioned the same way and stopped: no acknowledged record is lost and
 * --verify reports completion. --list, --cancel and bad input are checked along the way.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '@samsa/broker/testkit';
import { Producer } from '@samsa/client';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { runIn, waitFor } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'samsa-reassign-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

function image(cluster: TestCluster, topic: string) {
  return [...cluster.brokers.values()][0]!.broker.metadata.topic(topic)!;
}

/** Runs --verify until every partition is reported completed; returns the last output. */
async function verifyUntilDone(bootstrap: string, json: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--verify', '--reassignment-json-file', json]);
    assert.equal(res.code, 0, res.stderr);
    if (!res.stdout.includes('still in progress')) return res.stdout;
    if (Date.now() > deadline) throw new Error(`reassignment not complete: ${res.stdout}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every record value in a partition, read from the leader's log. */
function valuesOf(cluster: TestCluster, topic: string, partition: number): number[] {
  const leader = image(cluster, topic).partitions[partition]!.leader;
  const log = cluster.broker(leader).broker.partitions.getPartition(topic, partition)!.log;
  const out: number[] = [];
  for (const b of decodeRecordBatches(log.read(0n, 1 << 26, { minOneBatch: true }).records)) for (const r of b.records) out.push(Number(r.value!.toString()));
  return out;
}

describe('kafka-reassign-partitions', () => {
  let cluster: TestCluster;
  after(async () => cluster?.stop());

  it('increases a topic\'s replication factor from 1 to 3', async () => {
    cluster = await startCluster({ brokers: 3, config: { 'auto.leader.rebalance.enable': 'false' } });
    const bootstrap = cluster.bootstrap;
    await cluster.broker(0).broker.topics.createTopic({ name: 'rf', assignments: [{ partition: 0, brokerIds: [0] }] });
    const producer = new Producer({ bootstrapServers: bootstrap, acks: -1 });
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'rf', messages: Array.from({ length: 10 }, (_, j) => ({ value: String(i * 10 + j) })) });
    await producer.close();

    const json = writeJson('increase-replication-factor.json', { version: 1, partitions: [{ topic: 'rf', partition: 0, replicas: [0, 1, 2] }] });
    const exec = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--reassignment-json-file', json, '--execute']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, 'Current partition replica assignment\n\n{"version":1,"partitions":[{"topic":"rf","partition":0,"replicas":[0],"log_dirs":["any"]}]}\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignment for rf-0\n');
    const verified = await verifyUntilDone(bootstrap, json);
    assert.match(verified, /^Status of partition reassignment:\nReassignment of partition rf-0 is completed\.\n/);
    assert.match(verified, /Clearing broker-level throttles on brokers 0,1,2\nClearing topic-level throttles on topic rf\n$/);
    await waitFor(() => {
      const p = image(cluster, 'rf').partitions[0]!;
      return p.replicas.join(',') === '0,1,2' && p.isr.length === 3;
    }, 'replicas 0,1,2 all in the ISR');
    for (const id of [0, 1, 2]) {
      await waitFor(() => cluster.broker(id).broker.partitions.getPartition('rf', 0)?.logEndOffset === 200n, `broker ${id} has all 200 records`);
    }
    const list = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--list']);
    assert.equal(list.stdout, 'No partition reassignments found.\n');
    const cancel = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--cancel', '--reassignment-json-file', json, '--preserve-throttles']);
    assert.equal(cancel.stdout, 'None of the specified partition reassignments are active.\n');

    // Bad input: Kafka's messages.
    const unknownBroker = writeJson('bad.json', { version: 1, partitions: [{ topic: 'rf', partition: 0, replicas: [0, 7] }] });
    const bad = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', unknownBroker]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unknown broker id 7/);
    const dup = writeJson('dup.json', { version: 1, partitions: [{ topic: 'rf', partition: 0, replicas: [0, 0] }] });
    assert.match((await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', dup])).stderr, /Partition replica lists may not contain duplicate entries: rf-0 contains multiple entries for 0/);
    assert.match((await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--list'])).stderr, /Command must include exactly one action/);
  });

  it('the ZooKeeper-era /admin/reassign_partitions znode reassigns and is deleted when done', async () => {
    await cluster.broker(0).broker.topics.createTopic({ name: 'znode', assignments: [{ partition: 0, brokerIds: [1] }] });
    const store = cluster.broker(2).broker.metadataStore;
    await store.put('/admin/reassign_partitions', JSON.stringify({ version: 1, partitions: [{ topic: 'znode', partition: 0, replicas: [2, 0] }] }));
    await waitFor(() => image(cluster, 'znode').partitions[0]!.replicas.join(',') === '2,0', 'replicas 2,0');
    await waitFor(async () => (await store.get('/admin/reassign_partitions')) === null, 'the znode deleted');
    await waitFor(() => image(cluster, 'znode').partitions[0]!.leader === 2, 'leadership moved to broker 2');
  });

  it('--throttle holds a move to the throttled rate; resubmitting with --additional raises it', async () => {
    const bootstrap = cluster.bootstrap;
    await cluster.broker(0).broker.topics.createTopic({ name: 'slow', assignments: [{ partition: 0, brokerIds: [0] }] });
    const producer = new Producer({ bootstrapServers: bootstrap, acks: -1 });
    const value = Buffer.alloc(100_000, 7);
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'slow', messages: [{ value }] });
    await producer.close();
    const json = writeJson('slow.json', { version: 1, partitions: [{ topic: 'slow', partition: 0, replicas: [0, 1] }] });
    // 10 kB/s: the first fetch (replica.fetch.max.bytes, 1 MiB) puts the rate over the limit for minutes.
    const exec = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', json, '--throttle', '10000']);
    assert.equal(exec.code, 0, exec.stderr);
    await waitFor(() => (cluster.broker(1).broker.partitions.getPartition('slow', 0)?.logEndOffset ?? 0n) > 0n, 'the first throttled fetch');
    const firstFetch = cluster.broker(1).broker.partitions.getPartition('slow', 0)!.logEndOffset;
    const list = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--list']);
    assert.equal(list.stdout, 'Current partition reassignments:\nslow-0: replicas: 0,1. adding: 1.\n');
    const held = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--verify', '--reassignment-json-file', json]);
    assert.equal(held.stdout, 'Status of partition reassignment:\nReassignment of partition slow-0 is still in progress.\n');
    assert.ok(firstFetch < 30n, `held after the first fetch (${firstFetch} of 30 records)`);
    const configs = await runIn('configs', ['--bootstrap-server', bootstrap, '--entity-type', 'topics', '--entity-name', 'slow', '--describe']);
    assert.match(configs.stdout, /follower\.replication\.throttled\.replicas=0:1/);
    assert.match(configs.stdout, /leader\.replication\.throttled\.replicas=0:0/);
    const raised = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--additional', '--reassignment-json-file', json, '--throttle', '100000000']);
    assert.equal(raised.code, 0, raised.stderr);
    const done = await verifyUntilDone(bootstrap, json);
    assert.match(done, /Reassignment of partition slow-0 is completed\./);
    assert.equal(cluster.broker(1).broker.partitions.getPartition('slow', 0)!.logEndOffset, 30n);
    const cleared = await runIn('configs', ['--bootstrap-server', bootstrap, '--entity-type', 'topics', '--entity-name', 'slow', '--describe']);
    assert.doesNotMatch(cleared.stdout, /replication\.throttled\.replicas/);
  });

  it('moves partitions onto a new broker and off a decommissioned one under acks=all load', async () => {
    const PARTITIONS = 6;
    await cluster.broker(0).broker.topics.createTopic({ name: 'move', numPartitions: PARTITIONS, replicationFactor: 2, configs: { 'min.insync.replicas': '2' } });
    await waitFor(() => image(cluster, 'move').partitions.every((p) => p.isr.length === 2), 'full ISRs');
    await cluster.restartBroker(3); // a new broker joins
    await waitFor(() => [...cluster.brokers.values()].every((b) => b.broker.metadata.brokers.length === 4), 'broker 3 registered');
    const bootstrap = () => cluster.bootstrap;

    const producer = new Producer({ bootstrapServers: bootstrap(), acks: -1, idempotent: true, retries: 1000, deliveryTimeoutMs: 60_000 });
    const acked: number[] = [];
    const failures: string[] = [];
    let stop = false;
    let next = 0;
    const writer = (async () => {
      while (!stop && next < 200_000) {
        const values = Array.from({ length: 20 }, () => next++);
        const partition = values[0]! % PARTITIONS;
        try {
          await producer.send({ topic: 'move', messages: values.map((v) => ({ value: String(v), partition })) });
          acked.push(...values);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    })();
    const writesGoOn = async (what: string) => {
      const before = acked.length;
      await waitFor(() => acked.length >= before + 200, what, 30_000);
    };
    try {
      await writesGoOn('writes before the expansion');
      const topicsJson = writeJson('topics-to-move.json', { topics: [{ topic: 'move' }], version: 1 });
      const gen = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap(), '--topics-to-move-json-file', topicsJson, '--broker-list', '0,1,2,3', '--generate']);
      assert.equal(gen.code, 0, gen.stderr);
      const [, current, proposed] = /^Current partition replica assignment\n(.*)\n\nProposed partition reassignment configuration\n(.*)\n$/.exec(gen.stdout)!;
      assert.deepEqual(JSON.parse(current!).partitions.map((p: { replicas: number[] }) => p.replicas), image(cluster, 'move').partitions.map((p) => p.replicas));
      const plan = JSON.parse(proposed!) as { partitions: Array<{ partition: number; replicas: number[] }> };
      assert.ok(plan.partitions.some((p) => p.replicas.includes(3)), 'the proposal uses the new broker');
      const expandJson = writeJson('expand.json', plan);
      const exec = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap(), '--execute', '--reassignment-json-file', expandJson, '--throttle', '50000000']);
      assert.equal(exec.code, 0, exec.stderr);
      assert.match(exec.stdout, /Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed\.\nThe inter-broker throttle limit was set to 50000000 B\/s\nSuccessfully started partition reassignments for move-0,move-1,move-2,move-3,move-4,move-5\n$/);
      const verified = await verifyUntilDone(bootstrap(), expandJson);
      assert.equal((verified.match(/is completed\./g) ?? []).length, PARTITIONS, verified);
      await waitFor(() => image(cluster, 'move').partitions.every((p, i) => p.replicas.join(',') === plan.partitions.find((x) => x.partition === i)!.replicas.join(',')), 'replicas as proposed');
      assert.ok(cluster.broker(3).broker.partitions.allPartitions().next().done === false, 'broker 3 hosts partitions');
      await writesGoOn('writes after the expansion');

      // Decommission broker 1: move everything off it, then stop it.
      const gen2 = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap(), '--topics-to-move-json-file', topicsJson, '--broker-list', '0,2,3', '--generate']);
      const decommissionJson = writeJson('decommission.json', JSON.parse(/Proposed partition reassignment configuration\n(.*)\n$/.exec(gen2.stdout)![1]!));
      const exec2 = await runIn('reassign-partitions', ['--bootstrap-server', bootstrap(), '--execute', '--reassignment-json-file', decommissionJson]);
      assert.equal(exec2.code, 0, exec2.stderr);
      await verifyUntilDone(bootstrap(), decommissionJson);
      await waitFor(() => image(cluster, 'move').partitions.every((p) => !p.replicas.includes(1) && p.isr.length === 2), 'no replica on broker 1');
      await waitFor(() => cluster.broker(1).broker.partitions.getPartition('move', 0) === undefined, 'broker 1 deleted its replicas');
      await cluster.stopBroker(1);
      await writesGoOn('writes after broker 1 stopped');
    } finally {
      stop = true;
      await writer;
      await producer.close();
    }
    assert.deepEqual(failures, [], 'no send failed');
    const seen = new Set<number>();
    for (let p = 0; p < PARTITIONS; p++) for (const v of valuesOf(cluster, 'move', p)) seen.add(v);
    const lost = acked.filter((v) => !seen.has(v));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged records lost`);
    console.log(`# reassignment under load: ${acked.length} acknowledged records, none lost`);
  });
});
