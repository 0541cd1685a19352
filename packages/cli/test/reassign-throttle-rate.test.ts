/**
 * The replication throttle in real time: a reassignment adds a replica to a partition with a
 * backlog of several MB under `--throttle`; the new replica's catch-up byte rate, sampled from
 * its log size on the wall clock over a window of many seconds, is within 10% of the throttle.
 * replica.fetch.max.bytes is lowered so that one fetch is a few percent of a second's quota.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { startCluster, type TestCluster } from '@samsa/broker/testkit';
import { Producer } from '@samsa/client';
import { runIn, waitFor } from './support.js';

const THROTTLE = 400_000; // B/s
const FETCH_BYTES = 16_384;
const BACKLOG = 10_000_000;

const dir = mkdtempSync(join(tmpdir(), 'samsa-throttle-rate-'));
let cluster: TestCluster | undefined;
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('a throttled reassignment catches up at the throttle rate (within 10%) on the wall clock', async () => {
  cluster = await startCluster({
    brokers: 2,
    config: { 'auto.leader.rebalance.enable': 'false', 'replica.fetch.max.bytes': String(FETCH_BYTES), 'replica.fetch.backoff.ms': '50', 'replica.fetch.wait.max.ms': '100' },
  });
  const c = cluster;
  await c.broker(0).broker.topics.createTopic({ name: 'backlog', assignments: [{ partition: 0, brokerIds: [0] }] });
  // Batches of ten 1 kB records (~10 kB each, under replica.fetch.max.bytes) until the backlog is written.
  const producer = new Producer({ bootstrapServers: c.bootstrap, acks: -1, lingerMs: 0 });
  const value = Buffer.alloc(1000, 1);
  const leaderLog = () => c.broker(0).broker.partitions.getPartition('backlog', 0)!.log;
  while (leaderLog().sizeBytes < BACKLOG) {
    await producer.send({ topic: 'backlog', messages: Array.from({ length: 10 }, () => ({ value })) });
  }
  await producer.close();
  const total = leaderLog().sizeBytes;

  const json = join(dir, 'add-replica.json');
  writeFileSync(json, JSON.stringify({ version: 1, partitions: [{ topic: 'backlog', partition: 0, replicas: [0, 1] }] }));
  const exec = await runIn('reassign-partitions', ['--bootstrap-server', c.bootstrap, '--execute', '--reassignment-json-file', json, '--throttle', String(THROTTLE)]);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, new RegExp(`The inter-broker throttle limit was set to ${THROTTLE} B/s`));

  const replicaBytes = () => c.broker(1).broker.partitions.getPartition('backlog', 0)?.log.sizeBytes ?? 0;
  await waitFor(() => replicaBytes() > 0, 'the new replica starts fetching');
  // Skip the first two seconds, then measure over 18 s (one fetch is 16 kB of 7.2 MB moved, 0.2%).
  const settle = Date.now();
  await waitFor(() => Date.now() - settle >= 2000, 'settling');
  const startBytes = replicaBytes();
  const start = performance.now();
  const samples: Array<[number, number]> = [];
  await waitFor(() => {
    samples.push([performance.now() - start, replicaBytes() - startBytes]);
    return performance.now() - start >= 18_000;
  }, 'the measuring window', 30_000);
  const [elapsedMs, moved] = samples.at(-1)!;
  const rate = moved / (elapsedMs / 1000);
  assert.ok(replicaBytes() < total, `the backlog (${total} B) outlasts the window`);
  console.log(`# throttled catch-up: ${Math.round(rate)} B/s over ${(elapsedMs / 1000).toFixed(1)} s (throttle ${THROTTLE} B/s, ${((rate / THROTTLE - 1) * 100).toFixed(1)}%)`);
  assert.ok(Math.abs(rate - THROTTLE) / THROTTLE <= 0.1, `catch-up ${Math.round(rate)} B/s vs throttle ${THROTTLE} B/s`);
  // No 5-second stretch of the window ran more than 10% over the throttle either (no bursts). Bytes
  // arrive in whole fetches of up to FETCH_BYTES, so a stretch's two ends may each hold one fetch
  // beyond its share (a CI run at load 5 measured +11% over 5.0 s: 1.4 fetches).
  for (const [t0, b0] of samples) {
    const end = samples.find(([t]) => t >= t0 + 5000);
    if (end !== undefined) assert.ok(end[1] - b0 <= THROTTLE * 1.1 * ((end[0] - t0) / 1000) + 2 * FETCH_BYTES, `burst at ${Math.round(t0)} ms: ${end[1] - b0} B in ${Math.round(end[0] - t0)} ms`);
  }

  // Lifting the throttle lets the move finish; --verify clears the throttles.
  const lifted = await runIn('reassign-partitions', ['--bootstrap-server', c.bootstrap, '--execute', '--additional', '--reassignment-json-file', json, '--throttle', '1000000000']);
  assert.equal(lifted.code, 0, lifted.stderr);
  await waitFor(async () => !(await runIn('reassign-partitions', ['--bootstrap-server', c.bootstrap, '--verify', '--reassignment-json-file', json])).stdout.includes('still in progress'), 'the reassignment completes', 60_000);
  assert.equal(replicaBytes(), total);
});
