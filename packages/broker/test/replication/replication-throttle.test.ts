/**
 * The replication throttle's arithmetic on an injected clock: a follower that fetches whenever
 * the throttle allows moves data at the configured rate (within 10%) once past Kafka's
 * 10-second minimum measuring window; only partitions listed for this broker (or "*") count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { MetadataImage, type TopicImage } from '../../src/metadata/image.js';
import { ReplicationThrottle } from '../../src/replication/replication-throttle.js';

function imageWith(configs: Record<string, string>): MetadataImage {
  const topic: TopicImage = { name: 't', id: 'id', isInternal: false, replicationFactor: 2, partitions: [], configs: new Map(Object.entries(configs)) };
  return new MetadataImage('c', 0, [], new Map([['t', topic]]));
}

test('a follower gated by the throttle replicates at the throttled rate (within 10%)', () => {
  const RATE = 1_000_000;
  let now = 0;
  const throttle = new ReplicationThrottle('follower', 2, new BrokerConfig({ 'follower.replication.throttled.rate': String(RATE) }), () => imageWith({ 'follower.replication.throttled.replicas': '0:2' }), () => now);
  assert.equal(throttle.applies('t', 0), true);
  let moved = 0;
  let movedAfterWarmup = 0;
  const CHUNK = 256 * 1024;
  for (; now < 120_000; now += 20) {
    if (throttle.isExceeded()) continue;
    throttle.record(CHUNK);
    moved += CHUNK;
    if (now >= 20_000) movedAfterWarmup += CHUNK;
  }
  const rate = movedAfterWarmup / 100;
  assert.ok(Math.abs(rate - RATE) / RATE <= 0.1, `steady rate ${rate} B/s vs throttle ${RATE} B/s`);
  assert.ok(moved > 0);
});

test('only listed replicas are throttled; no rate, no throttle', () => {
  const config = new BrokerConfig({ 'leader.replication.throttled.rate': '1000' });
  const listed = new ReplicationThrottle('leader', 1, config, () => imageWith({ 'leader.replication.throttled.replicas': '0:1,3:1' }), () => 0);
  assert.deepEqual([0, 1, 2, 3].map((p) => listed.applies('t', p)), [true, false, false, true]);
  assert.equal(listed.applies('other', 0), false);
  const all = new ReplicationThrottle('leader', 1, config, () => imageWith({ 'leader.replication.throttled.replicas': '*' }), () => 0);
  assert.equal(all.applies('t', 7), true);
  const unbounded = new ReplicationThrottle('leader', 1, new BrokerConfig({}), () => imageWith({ 'leader.replication.throttled.replicas': '*' }), () => 0);
  assert.equal(unbounded.applies('t', 0), false);
});
