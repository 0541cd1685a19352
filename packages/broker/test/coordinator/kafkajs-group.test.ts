/**
 * End to end with kafkajs: a consumer group on a real broker (real sockets, file storage).
 * Three consumers of one group split a 6-partition topic two partitions each, disjointly;
 * committed offsets survive a broker restart on the same data directory and a new consumer
 * resumes from them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';

const TOPIC = 'orders';
const GROUP = 'order-processors';

function client(tb: TestBroker, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
}

/** Resolves when `check` holds, polling every 20 ms, failing after `ms`. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('kafkajs: three consumers share six partitions; commits survive a restart and a new consumer resumes', { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-groups-'));
  let tb = await startBroker({ storage: 'file', dataDir, config: { 'offsets.topic.num.partitions': '5' } });
  const consumers: Consumer[] = [];
  try {
    const admin = client(tb, 'admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
    await admin.disconnect();

    const producer = client(tb, 'producer').producer();
    await producer.connect();
    for (let p = 0; p < 6; p++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 5 }, (_, i) => ({ partition: p, key: `k${p}-${i}`, value: `first-${p}-${i}` })) });
    }

    // Three members join; each consumes what it is assigned and records it.
    const assigned = new Map<string, Set<number>>();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const name = `c${i}`;
      const c = client(tb, name).consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 });
      consumers.push(c);
      c.on(c.events.GROUP_JOIN, (e) => {
        const parts = (e.payload.memberAssignment[TOPIC] ?? []) as number[];
        assigned.set(name, new Set(parts));
      });
      await c.connect();
      await c.subscribe({ topic: TOPIC, fromBeginning: true });
      await c.run({ eachMessage: async (m: EachMessagePayload) => { seen.push(m.message.value!.toString()); } });
    }
    // Rebalances settle when every member holds two partitions and all 30 records were consumed.
    await until('an even, complete assignment', () => [...assigned.values()].length === 3 && [...assigned.values()].every((s) => s.size === 2) && new Set([...assigned.values()].flatMap((s) => [...s])).size === 6);
    await until('all 30 records consumed', () => new Set(seen).size >= 30);
    const all = [...assigned.values()].flatMap((s) => [...s]).sort();
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5], 'disjoint and complete');

    const admin2 = client(tb, 'admin2').admin();
    await admin2.connect();
    const described = await admin2.describeGroups([GROUP]);
    assert.equal(described.groups[0]!.state, 'Stable');
    assert.equal(described.groups[0]!.members.length, 3);
    // Commits happen on kafkajs' auto-commit schedule and at disconnect.
    for (const c of consumers.splice(0)) await c.disconnect();
    const committed = await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(committed[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '5'], [1, '5'], [2, '5'], [3, '5'], [4, '5'], [5, '5']]);
    await admin2.disconnect();
    await producer.disconnect();

    // Restart on the same data directory: the group's offsets come back from __consumer_offsets.
    await tb.stop();
    tb = await startBroker({ storage: 'file', dataDir, config: { 'offsets.topic.num.partitions': '5' } });
    const p2 = client(tb, 'producer2').producer();
    await p2.connect();
    for (let p = 0; p < 6; p++) await p2.send({ topic: TOPIC, messages: [{ partition: p, value: `second-${p}` }] });
    await p2.disconnect();

    const fresh = client(tb, 'fresh').consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    consumers.push(fresh);
    const after: string[] = [];
    await fresh.connect();
    await fresh.subscribe({ topic: TOPIC, fromBeginning: true });
    await fresh.run({ eachMessage: async (m) => { after.push(m.message.value!.toString()); } });
    // Each partition's new record is its last: records arrive in offset order per partition, so
    // once all six are in, anything replayed from before the committed offsets is in as well.
    await until('the six new records', () => [0, 1, 2, 3, 4, 5].every((p) => after.includes(`second-${p}`)));
    assert.deepEqual(after.sort(), ['second-0', 'second-1', 'second-2', 'second-3', 'second-4', 'second-5'], 'resumed after the committed offsets, nothing replayed');
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => {});
    await tb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
