import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '@samsa/protocol';
import { rangeAssignor, uniformAssignor, type MemberAssignment } from '../../src/coordinator/group/assignors.js';
import type { TopicView } from '../../src/coordinator/group/consumer-group-manager.js';
import { DEFAULT_GROUP_CONFIG } from '../../src/coordinator/group/group-config.js';
import { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import { InMemoryPartitionWriter } from '../../src/coordinator/runtime.js';
import { FakeClock } from '../../src/util/clock.js';
import { flush, join, NUM_PARTITIONS } from './harness.js';

const T1 = '00000000-0000-0000-0000-000000000001';
const T2 = '00000000-0000-0000-0000-000000000002';

function topicView(topics: Record<string, [string, number]>): TopicView {
  return {
    byName: (n) => (topics[n] === undefined ? undefined : { id: topics[n]![0], numPartitions: topics[n]![1] }),
    nameOf: (id) => Object.entries(topics).find(([, v]) => v[0] === id)?.[0],
  };
}

async function setup(topics: Record<string, [string, number]> = { orders: [T1, 6] }, shared?: { clock: FakeClock; writer: InMemoryPartitionWriter }) {
  const clock = shared?.clock ?? new FakeClock();
  const writer = shared?.writer ?? new InMemoryPartitionWriter();
  const view = topicView(topics);
  const coordinator = new GroupCoordinator({ clock, writer, config: { ...DEFAULT_GROUP_CONFIG, numPartitions: NUM_PARTITIONS, initialRebalanceDelayMs: 0 }, topics: () => view });
  for (let p = 0; p < NUM_PARTITIONS; p++) await coordinator.loadPartition(p);
  return { clock, writer, coordinator, config: coordinator.config };
}

type H = Awaited<ReturnType<typeof setup>>;

async function hb(h: H, r: Partial<ConsumerGroupHeartbeatRequest> & { memberId: string; memberEpoch: number }, version = 1): Promise<ConsumerGroupHeartbeatResponse> {
  const req: ConsumerGroupHeartbeatRequest = {
    groupId: 'cg', instanceId: null, rackId: null, rebalanceTimeoutMs: r.memberEpoch === 0 ? 30_000 : -1,
    subscribedTopicNames: r.memberEpoch === 0 ? ['orders'] : null, serverAssignor: null, topicPartitions: r.memberEpoch === 0 ? [] : null,
    ...r,
  };
  return h.coordinator.consumerGroupHeartbeat({ clientId: 'c', clientHost: '/127.0.0.1', apiVersion: version }, req);
}

function parts(res: ConsumerGroupHeartbeatResponse): number[] {
  return (res.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b);
}

function owned(ps: number[], topicId = T1) {
  return [{ topicId, partitions: ps }];
}

describe('server-side assignors', () => {
  const spec = (ids: string[], topics: Map<string, number>, current: Record<string, MemberAssignment> = {}, subs?: Record<string, string[]>) => ({
    topics,
    members: ids.map((memberId) => ({ memberId, subscribedTopicIds: new Set(subs?.[memberId] ?? [...topics.keys()]), current: current[memberId] ?? new Map() })),
  });
  const flat = (a: MemberAssignment | undefined) => [...(a ?? new Map())].flatMap(([t, s]) => [...s].map((p) => `${t === T1 ? 'a' : 'b'}${p}`)).sort();

  it('uniform: balanced and disjoint, and sticky when a member joins', () => {
    const topics = new Map([[T1, 6]]);
    const first = uniformAssignor.assign(spec(['m1', 'm2', 'm3'], topics));
    assert.deepEqual([...first.values()].map((a) => flat(a).length), [2, 2, 2]);
    assert.equal(new Set([...first.values()].flatMap(flat)).size, 6);
    const current = Object.fromEntries(first);
    const second = uniformAssignor.assign(spec(['m1', 'm2', 'm3', 'm4'], topics, current));
    const sizes = [...second.values()].map((a) => flat(a).length).sort();
    assert.deepEqual(sizes, [1, 1, 2, 2]);
    let kept = 0;
    for (const id of ['m1', 'm2', 'm3']) kept += flat(second.get(id)).filter((p) => flat(first.get(id)).includes(p)).length;
    assert.equal(kept, 5, 'only the partition the newcomer gets moves');
  });

  it('uniform with different subscriptions gives each topic only to its subscribers, balanced', () => {
    const topics = new Map([[T1, 4], [T2, 2]]);
    const r = uniformAssignor.assign(spec(['m1', 'm2'], topics, {}, { m1: [T1], m2: [T1, T2] }));
    assert.ok(flat(r.get('m1')).every((p) => p.startsWith('a')));
    assert.deepEqual([flat(r.get('m1')).length, flat(r.get('m2')).length], [3, 3]);
  });

  it('range: contiguous ranges per topic over the members sorted by id', () => {
    const r = rangeAssignor.assign(spec(['b', 'a'], new Map([[T1, 5]])));
    assert.deepEqual(flat(r.get('a')), ['a0', 'a1', 'a2']);
    assert.deepEqual(flat(r.get('b')), ['a3', 'a4']);
  });
});

describe('KIP-848 consumer groups', () => {
  it('a join gets epoch 1 and every partition; a second member waits for the first to revoke', async () => {
    const h = await setup();
    const a = await hb(h, { memberId: 'A', memberEpoch: 0 });
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.memberEpoch, 1);
    assert.deepEqual(parts(a), [0, 1, 2, 3, 4, 5]);
    assert.equal(a.heartbeatIntervalMs, 5000);
    assert.equal(h.coordinator.consumerGroupDescribe(['cg'])[0]!.groupState, 'Stable');

    const b = await hb(h, { memberId: 'B', memberEpoch: 0 });
    assert.equal(b.memberEpoch, 2);
    assert.deepEqual(parts(b), [], 'its partitions are still owned by A');
    assert.equal(h.coordinator.consumerGroupDescribe(['cg'])[0]!.groupState, 'Reconciling');

    const a2 = await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) });
    assert.equal(a2.memberEpoch, 1, 'A keeps its epoch until it has revoked');
    const keptByA = parts(a2);
    assert.equal(keptByA.length, 3);
    const a3 = await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned(keptByA) });
    assert.equal(a3.memberEpoch, 2);
    const b2 = await hb(h, { memberId: 'B', memberEpoch: 2, topicPartitions: owned([]) });
    assert.deepEqual([...parts(b2), ...keptByA].sort(), [0, 1, 2, 3, 4, 5], 'disjoint and complete');
    assert.equal(parts(b2).length, 3);
    const d = h.coordinator.consumerGroupDescribe(['cg'])[0]!;
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.groupEpoch, 2);
    assert.equal(d.assignmentEpoch, 2);
    assert.equal(d.assignorName, 'uniform');
    assert.equal(d.members.find((m) => m.memberId === 'B')!.assignment.topicPartitions[0]!.topicName, 'orders');
  });

  it('fencing: unknown member, stale epoch; the previous epoch is accepted once', async () => {
    const h = await setup();
    await hb(h, { memberId: 'A', memberEpoch: 0 });
    assert.equal((await hb(h, { memberId: 'Z', memberEpoch: 1 })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await hb(h, { memberId: 'A', memberEpoch: 7 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    await hb(h, { memberId: 'B', memberEpoch: 0 });
    // A revokes and moves to epoch 2; a late heartbeat with epoch 1 owning only kept partitions is fine.
    const keep = parts(await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) }));
    assert.equal((await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned(keep) })).memberEpoch, 2);
    assert.equal((await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned(keep) })).errorCode, ErrorCode.NONE);
    assert.equal((await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal((await hb(h, { groupId: 'nope', memberId: 'A', memberEpoch: 3 })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('leaving and session expiry hand the partitions to the others', async () => {
    const h = await setup();
    await hb(h, { memberId: 'A', memberEpoch: 0 });
    await hb(h, { memberId: 'B', memberEpoch: 0 });
    const keep = parts(await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) }));
    await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned(keep) });
    const left = await hb(h, { memberId: 'A', memberEpoch: -1 });
    assert.equal(left.memberEpoch, -1);
    const b = await hb(h, { memberId: 'B', memberEpoch: 2, topicPartitions: owned([]) });
    assert.equal(b.memberEpoch, 3);
    assert.deepEqual(parts(b), [0, 1, 2, 3, 4, 5]);

    await hb(h, { memberId: 'C', memberEpoch: 0 });
    h.clock.advance(40_000);
    await hb(h, { memberId: 'B', memberEpoch: 3, topicPartitions: owned([0, 1, 2, 3, 4, 5]) });
    h.clock.advance(6000); // C never heartbeat again: fenced after 45 s
    const d = h.coordinator.consumerGroupDescribe(['cg'])[0]!;
    assert.deepEqual(d.members.map((m) => m.memberId), ['B']);
  });

  it('a member that does not revoke within its rebalance timeout is fenced', async () => {
    const h = await setup();
    await hb(h, { memberId: 'A', memberEpoch: 0, rebalanceTimeoutMs: 5000 });
    await hb(h, { memberId: 'B', memberEpoch: 0 });
    await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) });
    h.clock.advance(5000);
    assert.equal((await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const b = await hb(h, { memberId: 'B', memberEpoch: 2, topicPartitions: owned([]) });
    assert.deepEqual(parts(b), [0, 1, 2, 3, 4, 5]);
  });

  it('range assignor on request; unsupported assignors and bad first heartbeats are refused', async () => {
    const h = await setup({ orders: [T1, 5] });
    assert.equal((await hb(h, { memberId: 'X', memberEpoch: 0, serverAssignor: 'sticky' })).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.equal((await hb(h, { memberId: 'X', memberEpoch: 0, subscribedTopicNames: [] })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await hb(h, { memberId: '', memberEpoch: 0 })).errorCode, ErrorCode.INVALID_REQUEST, 'v1 clients choose their member id');
    const v0 = await hb(h, { memberId: '', memberEpoch: 0, serverAssignor: 'range' }, 0);
    assert.match(v0.memberId!, /^[0-9a-f-]{36}$/, 'v0: the coordinator chooses');
    const d = h.coordinator.consumerGroupDescribe(['cg'])[0]!;
    assert.equal(d.assignorName, 'range');
  });

  it('offset commits are checked against the member epoch; classic joins cannot take the id', async () => {
    const h = await setup();
    const a = await hb(h, { memberId: 'A', memberEpoch: 0 });
    const commit = async (epoch: number, memberId: string, version: number) => (await h.coordinator.commitOffsets({
      groupId: 'cg', generationIdOrMemberEpoch: epoch, memberId, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedMetadata: '' }] }],
    }, version)).topics[0]!.partitions[0]!.errorCode;
    assert.equal(await commit(a.memberEpoch, 'A', 9), ErrorCode.NONE);
    assert.equal(await commit(a.memberEpoch + 1, 'A', 9), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(await commit(a.memberEpoch + 1, 'A', 8), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await commit(a.memberEpoch, 'Q', 9), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(h.coordinator.fetchOffsets('cg', [{ name: 'orders', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset, 9n);
    const j = join(h as never, 'cg', { version: 3 });
    await flush();
    assert.equal(j.value!.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.deepEqual(h.coordinator.listGroups([], ['consumer']).groups.map((g) => [g.groupId, g.groupType, g.groupState]), [['cg', 'consumer', 'Stable']]);
    assert.equal((await h.coordinator.deleteGroups(['cg']))[0]!.errorCode, ErrorCode.NON_EMPTY_GROUP);
    await hb(h, { memberId: 'A', memberEpoch: -1 });
    assert.equal((await h.coordinator.deleteGroups(['cg']))[0]!.errorCode, ErrorCode.NONE);
    assert.equal(h.coordinator.consumerGroupDescribe(['cg'])[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('a consumer group is rebuilt from its records', async () => {
    const h = await setup();
    await hb(h, { memberId: 'A', memberEpoch: 0 });
    await hb(h, { memberId: 'B', memberEpoch: 0, serverAssignor: 'uniform' });
    const keep = parts(await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3, 4, 5]) }));
    await hb(h, { memberId: 'A', memberEpoch: 1, topicPartitions: owned(keep) });
    await hb(h, { memberId: 'C', memberEpoch: 0 });
    await hb(h, { memberId: 'C', memberEpoch: -1 });
    const again = await setup(undefined, { clock: h.clock, writer: h.writer });
    assert.deepEqual(again.coordinator.consumerGroupDescribe(['cg']), h.coordinator.consumerGroupDescribe(['cg']));
    // And it keeps working: B completes its reconciliation on the rebuilt coordinator.
    const b = await hb(again, { memberId: 'B', memberEpoch: h.coordinator.consumerGroupDescribe(['cg'])[0]!.members.find((m) => m.memberId === 'B')!.memberEpoch, topicPartitions: owned([]) });
    assert.equal(b.errorCode, ErrorCode.NONE);
  });
});
