import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '@samsa/protocol';
import { assignment, flush, harness, join, joinNew, state, subscription, sync, type Harness } from './harness.js';

/** One member joins an empty group and becomes Stable; returns its member id and generation. */
async function stableSingle(h: Harness, groupId: string, opts: Parameters<typeof joinNew>[2] = {}): Promise<{ memberId: string; generationId: number }> {
  const j = await joinNew(h, groupId, opts);
  assert.equal(state(h, groupId), 'PreparingRebalance');
  h.clock.advance(0); // group.initial.rebalance.delay.ms = 0
  await flush();
  assert.ok(j.done);
  const r = j.value!;
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(state(h, groupId), 'CompletingRebalance');
  const s = sync(h, groupId, r.memberId, r.generationId, [{ memberId: r.memberId, assignment: assignment('t', [0]) }], opts.instanceId ?? null);
  await flush();
  assert.equal(s.value!.errorCode, ErrorCode.NONE);
  assert.equal(state(h, groupId), 'Stable');
  return { memberId: r.memberId, generationId: r.generationId };
}

describe('classic group state machine', () => {
  it('Empty -> PreparingRebalance -> CompletingRebalance -> Stable with a leader and a follower', async () => {
    const h = await harness({ initialRebalanceDelayMs: 100 });
    const a = await joinNew(h, 'g', { clientId: 'ca' });
    const b = await joinNew(h, 'g', { clientId: 'cb' });
    assert.equal(state(h, 'g'), 'PreparingRebalance');
    h.clock.advance(99);
    await flush();
    assert.ok(!a.done && !b.done, 'the initial delay holds the first rebalance');
    h.clock.advance(101); // a member joined during the delay: extended once, to 200 ms
    await flush();
    assert.ok(a.done && b.done);
    const ra = a.value!;
    const rb = b.value!;
    assert.equal(ra.generationId, 1);
    assert.equal(ra.leader, ra.memberId, 'the first member leads');
    assert.equal(ra.members.length, 2, 'the leader gets every member');
    assert.equal(rb.members.length, 0);
    assert.equal(ra.protocolName, 'range');
    assert.match(ra.memberId, /^ca-[0-9a-f-]{36}$/);
    assert.equal(state(h, 'g'), 'CompletingRebalance');

    const sb = sync(h, 'g', rb.memberId, 1);
    await flush();
    assert.ok(!sb.done, 'followers wait for the leader');
    const sa = sync(h, 'g', ra.memberId, 1, [
      { memberId: ra.memberId, assignment: assignment('t', [0]) },
      { memberId: rb.memberId, assignment: assignment('t', [1]) },
    ]);
    await flush();
    assert.equal(state(h, 'g'), 'Stable');
    assert.deepEqual(sa.value!.assignment, assignment('t', [0]));
    assert.deepEqual(sb.value!.assignment, assignment('t', [1]));
    // A Stable member's SyncGroup just returns its assignment.
    const again = sync(h, 'g', rb.memberId, 1);
    await flush();
    assert.deepEqual(again.value!.assignment, assignment('t', [1]));
  });

  it('Stable -> PreparingRebalance on a new member; heartbeats say REBALANCE_IN_PROGRESS; rejoin completes without waiting', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g');
    const b = await joinNew(h, 'g', { clientId: 'cb' });
    assert.equal(state(h, 'g'), 'PreparingRebalance');
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId }), ErrorCode.REBALANCE_IN_PROGRESS);
    const ra = join(h, 'g', { memberId: a.memberId });
    await flush();
    assert.ok(ra.done && b.done, 'all members joined: the join phase completes at once');
    assert.equal(ra.value!.generationId, 2);
    assert.equal(state(h, 'g'), 'CompletingRebalance');
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId }), ErrorCode.NONE);
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId }), ErrorCode.ILLEGAL_GENERATION);
  });

  it('CompletingRebalance -> PreparingRebalance: waiting followers get REBALANCE_IN_PROGRESS', async () => {
    const h = await harness();
    const a = await joinNew(h, 'g');
    const b = await joinNew(h, 'g');
    h.clock.advance(0);
    await flush();
    const gen = a.value!.generationId;
    const sb = sync(h, 'g', b.value!.memberId, gen);
    await flush();
    assert.ok(!sb.done);
    const c = await joinNew(h, 'g');
    await flush();
    assert.equal(sb.value!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(state(h, 'g'), 'PreparingRebalance');
    assert.ok(!c.done);
  });

  it('PreparingRebalance -> Empty when the last member leaves, and the empty generation is written', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g');
    const res = await h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: a.memberId, groupInstanceId: null }] }, 3);
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.members![0]!.errorCode, ErrorCode.NONE);
    assert.equal(state(h, 'g'), 'Empty');
    const d = h.coordinator.describeGroups(['g'])[0]!;
    assert.equal(d.members.length, 0);
    assert.equal((await h.coordinator.leaveGroup({ groupId: 'g', memberId: 'nobody' }, 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('Empty -> Dead through DeleteGroups (NON_EMPTY_GROUP first, GROUP_ID_NOT_FOUND after)', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g');
    assert.deepEqual(await h.coordinator.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }]);
    await h.coordinator.leaveGroup({ groupId: 'g', memberId: a.memberId }, 0);
    assert.deepEqual(await h.coordinator.deleteGroups(['g', 'missing']), [
      { groupId: 'g', errorCode: ErrorCode.NONE },
      { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    assert.equal(state(h, 'g'), 'Dead');
    assert.deepEqual(h.coordinator.listGroups().groups, []);
  });

  it('session expiry removes a silent member, in milliseconds of test time', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g', { sessionTimeoutMs: 6000 });
    h.clock.advance(5000);
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId }), ErrorCode.NONE);
    h.clock.advance(5999);
    assert.equal(state(h, 'g'), 'Stable', 'the heartbeat restarted the session');
    h.clock.advance(1);
    assert.equal(state(h, 'g'), 'Empty', 'expired: removed, rebalanced to Empty');
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId }), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member that never syncs is removed after the rebalance timeout', async () => {
    const h = await harness();
    const a = await joinNew(h, 'g', { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const b = await joinNew(h, 'g', { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    h.clock.advance(0);
    await flush();
    const gen = a.value!.generationId;
    const sa = sync(h, 'g', a.value!.memberId, gen, [{ memberId: a.value!.memberId, assignment: assignment('t', [0, 1]) }]);
    await flush();
    assert.equal(sa.value!.errorCode, ErrorCode.NONE);
    assert.equal(state(h, 'g'), 'Stable');
    h.clock.advance(20_000);
    assert.equal(state(h, 'g'), 'PreparingRebalance', 'b never synced');
    assert.equal(h.coordinator.describeGroups(['g'])[0]!.members.length, 1);
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: gen, memberId: b.value!.memberId }), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a rebalance completes after the rebalance timeout without the members that did not rejoin', async () => {
    const h = await harness();
    const a = await joinNew(h, 'g', { rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 });
    const b = await joinNew(h, 'g', { rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 });
    h.clock.advance(0);
    await flush();
    const s1 = sync(h, 'g', a.value!.memberId, 1, []);
    const s2 = sync(h, 'g', b.value!.memberId, 1, []);
    await flush();
    assert.ok(s1.done && s2.done);
    const ra = join(h, 'g', { memberId: a.value!.memberId, rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 60_000 });
    await flush();
    assert.equal(state(h, 'g'), 'PreparingRebalance');
    h.clock.advance(14_999);
    await flush();
    assert.ok(!ra.done);
    h.clock.advance(1);
    await flush();
    assert.equal(ra.value!.generationId, 2);
    assert.equal(ra.value!.members.length, 1, 'b was dropped');
  });

  it('rejects bad joins: session timeout bounds, protocol type, unknown member, max size', async () => {
    const h = await harness();
    let r = join(h, 'g', { sessionTimeoutMs: 1000 });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    r = join(h, 'g', { sessionTimeoutMs: 2_000_000 });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    r = join(h, 'g2', { memberId: 'ghost' });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await stableSingle(h, 'g');
    r = join(h, 'g', { protocolType: 'connect' });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    r = join(h, 'g', { protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const small = await harness({ maxSize: 1 });
    await stableSingle(small, 'g');
    r = join(small, 'g', { version: 3 });
    await flush();
    assert.equal(r.value!.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('selects the protocol by vote among the protocols every member supports', async () => {
    const h = await harness();
    const md = subscription(['t']);
    const a = await joinNew(h, 'g', { protocols: [{ name: 'roundrobin', metadata: md }, { name: 'range', metadata: md }] });
    const b = await joinNew(h, 'g', { protocols: [{ name: 'range', metadata: md }, { name: 'roundrobin', metadata: md }, { name: 'sticky', metadata: md }] });
    const c = await joinNew(h, 'g', { protocols: [{ name: 'range', metadata: md }, { name: 'roundrobin', metadata: md }] });
    h.clock.advance(0);
    await flush();
    assert.equal(a.value!.protocolName, 'range');
    assert.equal(b.value!.protocolName, 'range');
    assert.equal(c.value!.protocolName, 'range');
  });

  it('unloading the partition answers parked joins with NOT_COORDINATOR', async () => {
    const h = await harness({ initialRebalanceDelayMs: 1000 });
    const a = await joinNew(h, 'g');
    h.coordinator.unloadPartition(h.coordinator.partitionFor('g'));
    await flush();
    assert.equal(a.value!.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: 0, memberId: a.value!.memberId }), ErrorCode.NOT_COORDINATOR);
  });

  it('v0-v3 joins need no member id round trip', async () => {
    const h = await harness();
    const j = join(h, 'g', { version: 3 });
    h.clock.advance(0);
    await flush();
    assert.equal(j.value!.errorCode, ErrorCode.NONE);
    assert.equal(j.value!.generationId, 1);
  });

  it('sync errors: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, INCONSISTENT_GROUP_PROTOCOL', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g');
    let s = sync(h, 'g', a.memberId, 7);
    await flush();
    assert.equal(s.value!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    s = sync(h, 'g', 'nobody', a.generationId);
    await flush();
    assert.equal(s.value!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    s = sync(h, 'missing', 'x', 1);
    await flush();
    assert.equal(s.value!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const bad = h.coordinator.syncGroup({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, protocolType: 'connect', protocolName: null, assignments: [] });
    assert.equal((await bad).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await joinNew(h, 'g');
    s = sync(h, 'g', a.memberId, a.generationId);
    await flush();
    assert.equal(s.value!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  });
});

describe('static membership', () => {
  it('a static member rejoining with the same metadata gets a new member id without a rebalance', async () => {
    const h = await harness();
    const a = await stableSingle(h, 'g', { instanceId: 'i-1', version: 7 });
    const rejoin = join(h, 'g', { instanceId: 'i-1', version: 7 });
    await flush();
    const r = rejoin.value!;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.notEqual(r.memberId, a.memberId);
    assert.equal(r.generationId, a.generationId, 'no new generation');
    assert.equal(state(h, 'g'), 'Stable');
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, groupInstanceId: 'i-1' }), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(h.coordinator.heartbeat({ groupId: 'g', generationId: a.generationId, memberId: r.memberId, groupInstanceId: 'i-1' }), ErrorCode.NONE);
    const s = sync(h, 'g', r.memberId, r.generationId, [], 'i-1');
    await flush();
    assert.deepEqual(s.value!.assignment, assignment('t', [0]), 'the assignment carries over');
  });

  it('a static member with changed protocols triggers a rebalance; leave by instance id', async () => {
    const h = await harness();
    await stableSingle(h, 'g', { instanceId: 'i-1' });
    const bad = join(h, 'g', { instanceId: 'i-1', protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] });
    await flush();
    assert.equal(bad.value!.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'must share a protocol with the group');
    const md = subscription(['t']);
    const rejoin = join(h, 'g', { instanceId: 'i-1', protocols: [{ name: 'roundrobin', metadata: md }, { name: 'range', metadata: md }] });
    await flush();
    // roundrobin is preferred now: the selected protocol changes, so the group rebalances.
    assert.equal(state(h, 'g'), 'CompletingRebalance');
    assert.equal(rejoin.value!.protocolName, 'roundrobin');
    const res = await h.coordinator.leaveGroup({ groupId: 'g', members: [{ memberId: '', groupInstanceId: 'i-1' }, { memberId: '', groupInstanceId: 'i-2' }] }, 3);
    assert.deepEqual(res.members!.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(state(h, 'g'), 'Empty');
  });

  it('a static member that misses a rebalance is kept, a dynamic one is dropped', async () => {
    const h = await harness();
    const s = await joinNew(h, 'g', { instanceId: 'i-1', sessionTimeoutMs: 60_000 });
    const d = await joinNew(h, 'g', { sessionTimeoutMs: 60_000 });
    h.clock.advance(0);
    await flush();
    const leader = s.value!.leader;
    const sl = sync(h, 'g', s.value!.memberId, 1, [], 'i-1');
    const sd = sync(h, 'g', d.value!.memberId, 1);
    await flush();
    assert.ok(sl.done && sd.done);
    assert.equal(leader, s.value!.memberId);
    const n = await joinNew(h, 'g', { sessionTimeoutMs: 60_000 });
    const rd = join(h, 'g', { memberId: d.value!.memberId, sessionTimeoutMs: 60_000 });
    h.clock.advance(30_000);
    await flush();
    assert.ok(n.done && rd.done);
    const members = rd.value!.leader === rd.value!.memberId ? rd.value!.members : n.value!.members;
    assert.equal(members.length, 3, 'the static member stays in the group');
    assert.ok(members.some((m) => m.groupInstanceId === 'i-1'));
  });
});
