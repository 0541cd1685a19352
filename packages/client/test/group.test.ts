import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { ApiKey } from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { Consumer, type ConsumedMessage } from '../src/consumer.js';
import { Producer } from '../src/producer.js';
import { coordinatorUnavailable, missingApis } from './support.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
  const missing = await missingApis(broker, {
    FindCoordinator: ApiKey.FindCoordinator,
    JoinGroup: ApiKey.JoinGroup,
    SyncGroup: ApiKey.SyncGroup,
    Heartbeat: ApiKey.Heartbeat,
    LeaveGroup: ApiKey.LeaveGroup,
    OffsetCommit: ApiKey.OffsetCommit,
    OffsetFetch: ApiKey.OffsetFetch,
  });
  // A broker that lacks an API or a coordinator fails these tests; it never skips them.
  if (missing.length > 0) throw new Error(`broker does not serve ${missing.join(', ')}`);
  const unavailable = await coordinatorUnavailable(broker);
  if (unavailable !== null) throw new Error(unavailable);
});
after(async () => {
  await broker.stop();
});

const key = (m: { partition: number }) => m.partition;

async function pollUntil(consumers: Consumer[], cond: () => boolean, sink: Map<Consumer, ConsumedMessage[]>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) {
    await Promise.all(consumers.map(async (c) => {
      for (const b of await c.poll(100)) sink.get(c)!.push(...b.messages);
    }));
  }
}

for (const assignor of ['range', 'roundrobin', 'cooperative-sticky'] as const) {
  describe(`consumer group (${assignor})`, () => {
    it('two consumers share a 4-partition topic disjointly, rebalance when one leaves, commits survive', async (t) => {
      const topic = `g-${assignor}`;
      const group = `grp-${assignor}`;
      const admin = new Admin({ bootstrapServers: broker.bootstrap });
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      const producer = new Producer({ bootstrapServers: broker.bootstrap });
      await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
      const opts = { bootstrapServers: broker.bootstrap, groupId: group, autoOffsetReset: 'earliest' as const, assignors: [assignor], heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, fetchMaxWaitMs: 100 };
      const a = new Consumer(opts);
      const b = new Consumer(opts);
      const sink = new Map<Consumer, ConsumedMessage[]>([[a, []], [b, []]]);
      try {
        a.onAssigned = (x) => process.env.DBG && console.log('A+', [...x]); a.onRevoked = (x) => process.env.DBG && console.log('A-', [...x]);
        b.onAssigned = (x) => process.env.DBG && console.log('B+', [...x]); b.onRevoked = (x) => process.env.DBG && console.log('B-', [...x]);
        a.subscribe([topic]);
        b.subscribe([topic]);
        const disjointAndComplete = () => {
          const pa = a.assignment().map(key);
          const pb = b.assignment().map(key);
          return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 4 && new Set([...pa, ...pb]).size === 4;
        };
        await pollUntil([a, b], () => disjointAndComplete() && sink.get(a)!.length + sink.get(b)!.length >= 40, sink);
        assert.ok(disjointAndComplete(), `assignments ${JSON.stringify([a.assignment(), b.assignment()])}`);
        assert.equal(a.assignment().length, 2);
        assert.equal(b.assignment().length, 2);
        const all = [...sink.get(a)!, ...sink.get(b)!];
        assert.equal(all.length, 40, 'each record read once');
        assert.equal(new Set(all.map((m) => `${m.partition}:${m.offset}`)).size, 40);
        // No check that a's records come from a's final partitions: when a settles alone first it
        // legitimately reads all four before b joins (its positions are committed on revocation).
        await a.commitSync();
        await b.commitSync();
        // b leaves: a takes over all four partitions and reads only new records
        await b.close();
        await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ value: `w${i}`, partition: i % 4 })) });
        sink.set(a, []);
        await pollUntil([a], () => a.assignment().length === 4 && sink.get(a)!.length >= 8, sink);
        assert.equal(a.assignment().length, 4);
        assert.deepEqual(sink.get(a)!.map((m) => m.value!.toString()).sort(), Array.from({ length: 8 }, (_, i) => `w${i}`).sort());
        await a.commitSync();
        const committed = await admin.listConsumerGroupOffsets(group);
        assert.deepEqual(committed.filter((c) => c.topic === topic).map((c) => [c.partition, c.offset]).sort((x, y) => x[0]! < y[0]! ? -1 : 1), [[0, 12n], [1, 12n], [2, 12n], [3, 12n]]);
      } finally {
        await a.close();
        await b.close();
        await producer.close();
        await admin.close();
      }
    });

    it('a member joining a settled group never shares a partition with the old owner, polled in lockstep', async (t) => {
      // Regression: b's poll used to wait for its whole JoinGroup, which waits for a to rejoin;
      // a (polled after b in the same loop) stopped heartbeating once it saw the rebalance, was
      // expired, and kept its partitions while b was handed all of them.
      const topic = `g2-${assignor}`;
      const admin = new Admin({ bootstrapServers: broker.bootstrap });
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      const opts = { bootstrapServers: broker.bootstrap, groupId: `grp2-${assignor}`, autoOffsetReset: 'earliest' as const, assignors: [assignor], heartbeatIntervalMs: 100, sessionTimeoutMs: 6000, fetchMaxWaitMs: 100 };
      const a = new Consumer(opts);
      const b = new Consumer(opts);
      const overlaps: string[] = [];
      // checked at every instant the event loop is free, not only between polls
      const watch = setInterval(() => {
        const pa = new Set(a.assignment().map(key));
        const shared = b.assignment().map(key).filter((p) => pa.has(p));
        if (shared.length > 0) overlaps.push(`a ${[...pa]} b ${b.assignment().map(key)}`);
      }, 5);
      const sink = new Map<Consumer, ConsumedMessage[]>([[a, []], [b, []]]);
      try {
        a.subscribe([topic]);
        await pollUntil([a], () => a.assignment().length === 4, sink);
        assert.equal(a.assignment().length, 4);
        b.subscribe([topic]);
        const split = () => a.assignment().length === 2 && b.assignment().length === 2;
        await pollUntil([a, b], split, sink, 15000);
        assert.deepEqual(overlaps, [], 'no partition held by both members at once');
        assert.ok(split(), `assignments ${JSON.stringify([a.assignment().map(key), b.assignment().map(key)])}`);
        assert.equal(new Set([...a.assignment(), ...b.assignment()].map(key)).size, 4);
      } finally {
        clearInterval(watch);
        await a.close();
        await b.close();
        await admin.close();
      }
    });
  });
}
