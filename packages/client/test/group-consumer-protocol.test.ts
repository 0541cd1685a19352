import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { ApiKey, apiByName, ErrorCode, KafkaError } from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { Cluster } from '../src/cluster.js';
import { Consumer, type ConsumedMessage, type ConsumerOptions } from '../src/consumer.js';
import { findCoordinator } from '../src/group/coordinator.js';
import { Producer } from '../src/producer.js';
import { coordinatorUnavailable, missingApis } from './support.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker({ config: { 'group.consumer.heartbeat.interval.ms': '100' } });
  const missing = await missingApis(broker, {
    ConsumerGroupHeartbeat: ApiKey.ConsumerGroupHeartbeat,
    ConsumerGroupDescribe: ApiKey.ConsumerGroupDescribe,
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

const byPartition = (m: { partition: number }): number => m.partition;

/** Records a poll returned for a partition its consumer did not own when the poll returned. */
const foreignReads: string[] = [];

async function pollUntil(consumers: Consumer[], cond: () => boolean, sink: Map<Consumer, ConsumedMessage[]>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) {
    await Promise.all(consumers.map(async (c) => {
      for (const b of await c.poll(100)) {
        const owned = new Set(c.assignment().map(byPartition));
        for (const m of b.messages) if (!owned.has(m.partition)) foreignReads.push(`${m.partition}:${m.offset}`);
        sink.get(c)!.push(...b.messages);
      }
    }));
  }
}

async function describeGroup(groupId: string) {
  const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
  try {
    await cluster.connect();
    const conn = await findCoordinator(cluster, groupId);
    await conn.connect();
    const res = await conn.rawRequest(apiByName.ConsumerGroupDescribe, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
    return res.groups[0]!;
  } finally {
    cluster.close();
  }
}

/** Every member holds what the coordinator targets for it (the group is reconciled). */
function settled(g: Awaited<ReturnType<typeof describeGroup>>): boolean {
  const norm = (a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }): string => JSON.stringify(a.topicPartitions.map((t) => [t.topicName, [...t.partitions].sort()]).sort());
  return g.members.every((m) => norm(m.assignment) === norm(m.targetAssignment));
}

for (const remoteAssignor of ['uniform', 'range'] as const) {
  describe(`consumer group protocol (KIP-848, ${remoteAssignor})`, () => {
    it('two members split a 4-partition topic, each record read once; the survivor takes all; a restart resumes from commits', async (t) => {
      const topic = `cp-${remoteAssignor}`;
      const group = `cp-grp-${remoteAssignor}`;
      const admin = new Admin({ bootstrapServers: broker.bootstrap });
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      const producer = new Producer({ bootstrapServers: broker.bootstrap });
      await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
      const opts: ConsumerOptions = { bootstrapServers: broker.bootstrap, groupId: group, groupProtocol: 'consumer', groupRemoteAssignor: remoteAssignor, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 };
      const a = new Consumer(opts);
      const b = new Consumer(opts);
      let c: Consumer | null = null;
      const sink = new Map<Consumer, ConsumedMessage[]>([[a, []], [b, []]]);
      const overlaps: string[] = [];
      // checked whenever the event loop is free, not only between polls
      const watch = setInterval(() => {
        const pa = new Set(a.assignment().map(byPartition));
        const shared = b.assignment().map(byPartition).filter((p) => pa.has(p));
        if (shared.length > 0) overlaps.push(`a ${[...pa]} b ${b.assignment().map(byPartition)}`);
      }, 5);
      try {
        a.subscribe([topic]);
        b.subscribe([topic]);
        const split = (): boolean => {
          const pa = a.assignment().map(byPartition);
          const pb = b.assignment().map(byPartition);
          return pa.length === 2 && pb.length === 2 && new Set([...pa, ...pb]).size === 4;
        };
        await pollUntil([a, b], () => split() && sink.get(a)!.length + sink.get(b)!.length >= 40, sink);
        assert.ok(split(), `assignments ${JSON.stringify([a.assignment(), b.assignment()])}`);
        assert.deepEqual(overlaps, [], 'no partition held by both members at once');
        const all = [...sink.get(a)!, ...sink.get(b)!];
        assert.equal(all.length, 40, 'each record read once');
        assert.equal(new Set(all.map((m) => `${m.partition}:${m.offset}`)).size, 40);
        // A member alone at first legitimately reads every partition before the split, so the
        // check is made when each poll returns: only partitions owned at that moment.
        assert.deepEqual(foreignReads, [], 'a poll returns records of owned partitions only');

        // the coordinator sees both members with what they own
        let g = await describeGroup(group);
        for (let i = 0; i < 50 && !(g.groupState === 'Stable' && settled(g)); i++) {
          await Promise.all([a.poll(20), b.poll(20)]);
          g = await describeGroup(group);
        }
        assert.equal(g.errorCode, 0);
        assert.equal(g.groupState, 'Stable');
        assert.equal(g.assignorName, remoteAssignor);
        assert.equal(g.members.length, 2);
        for (const m of g.members) {
          assert.deepEqual(m.subscribedTopicNames, [topic]);
          assert.equal(m.memberEpoch, g.assignmentEpoch);
          assert.ok(m.memberId.length > 0);
        }
        const described = g.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions.map((p) => `${tp.topicName}-${p}`)));
        assert.deepEqual(described.sort(), [0, 1, 2, 3].map((p) => `${topic}-${p}`));

        await a.commitSync();
        await b.commitSync();
        // b leaves (epoch -1): a takes over all four partitions and reads only new records
        await b.close();
        await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ value: `w${i}`, partition: i % 4 })) });
        sink.set(a, []);
        await pollUntil([a], () => a.assignment().length === 4 && sink.get(a)!.length >= 8, sink);
        assert.equal(a.assignment().length, 4);
        assert.deepEqual(sink.get(a)!.map((m) => m.value!.toString()).sort(), Array.from({ length: 8 }, (_, i) => `w${i}`).sort());
        assert.equal((await describeGroup(group)).members.length, 1);
        await a.close(); // auto commit on close, with the member epoch
        const committed = await admin.listConsumerGroupOffsets(group);
        assert.deepEqual(committed.filter((x) => x.topic === topic).map((x) => [x.partition, x.offset]).sort((x, y) => Number(x[0]) - Number(y[0])), [[0, 12n], [1, 12n], [2, 12n], [3, 12n]]);
        assert.equal((await describeGroup(group)).members.length, 0);

        // a new member of the same group resumes from the committed offsets
        await producer.send({ topic, messages: Array.from({ length: 4 }, (_, i) => ({ value: `x${i}`, partition: i % 4 })) });
        c = new Consumer(opts);
        sink.set(c, []);
        c.subscribe([topic]);
        await pollUntil([c], () => sink.get(c!)!.length >= 4, sink);
        await c.poll(200); // nothing more may come
        assert.deepEqual(sink.get(c)!.map((m) => m.value!.toString()).sort(), ['x0', 'x1', 'x2', 'x3']);
        assert.ok(sink.get(c)!.every((m) => m.offset === 12n));
      } finally {
        clearInterval(watch);
        await a.close();
        await b.close();
        await c?.close();
        await producer.close();
        await admin.close();
      }
    });
  });
}

describe('consumer group protocol (KIP-848) errors', () => {
  it('a fenced member drops its partitions, rejoins with epoch 0 and gets them back', async (t) => {
    const topic = 'cp-fence';
    const group = 'cp-grp-fence';
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const a = new Consumer({ bootstrapServers: broker.bootstrap, groupId: group, groupProtocol: 'consumer', autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
    const lost: number[] = [];
    a.onRevoked = (tps) => lost.push(...[...tps.values()].flat());
    const sink = new Map<Consumer, ConsumedMessage[]>([[a, []]]);
    const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
    try {
      a.subscribe([topic]);
      await pollUntil([a], () => a.assignment().length === 2, sink);
      assert.equal(a.assignment().length, 2);
      const before = await describeGroup(group);
      const memberId = before.members[0]!.memberId;
      // Someone rejoins with a's member id: the coordinator replaces a, whose next beat is fenced.
      await cluster.connect();
      const conn = await findCoordinator(cluster, group);
      await conn.connect();
      const rogue = await conn.rawRequest(apiByName.ConsumerGroupHeartbeat, 1, {
        groupId: group, memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000,
        subscribedTopicNames: [topic], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
      });
      assert.equal(rogue.errorCode, 0);
      await pollUntil([a], () => lost.length === 2, sink, 5000);
      assert.deepEqual(lost.sort(), [0, 1], 'partitions dropped when fenced');
      await pollUntil([a], () => a.assignment().length === 2, sink, 5000);
      assert.equal(a.assignment().length, 2, 'rejoined and reassigned');
      const g = await describeGroup(group);
      assert.equal(g.members.length, 1);
      assert.equal(g.members[0]!.memberId, memberId, 'the client keeps its member id across rejoins (KIP-1082)');
    } finally {
      cluster.close();
      await a.close();
      await admin.close();
    }
  });

  it('an assignor the broker does not have fails poll() with UNSUPPORTED_ASSIGNOR', async (t) => {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    await admin.createTopics({ topics: [{ topic: 'cp-bad', numPartitions: 1 }] });
    const a = new Consumer({ bootstrapServers: broker.bootstrap, groupId: 'cp-grp-bad', groupProtocol: 'consumer', groupRemoteAssignor: 'no-such-assignor' });
    try {
      a.subscribe(['cp-bad']);
      await assert.rejects(a.poll(2000), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_ASSIGNOR);
    } finally {
      await a.close();
      await admin.close();
    }
  });
});
