/**
 * The group APIs on the wire, version by version, against a broker on a real socket:
 * FindCoordinator (v0 single key, v4 batch, TRANSACTION key), JoinGroup v0/v5/v9 framing,
 * OffsetCommit/OffsetFetch across versions, ListGroups filters, DescribeGroups, DeleteGroups,
 * OffsetDelete, LeaveGroup v0/v3.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { assignment, subscription } from './harness.js';

test('group APIs on the wire', async () => {
  const tb = await startBroker({ config: { 'offsets.topic.num.partitions': '3' } });
  const c = await WireClient.connect(tb.port);
  try {
    // Offsets are committed only for partitions that exist (UNKNOWN_TOPIC_OR_PARTITION otherwise).
    await tb.broker.topics.createTopic({ name: 't', numPartitions: 2 });
    const f0 = await c.send(ApiKey.FindCoordinator, 0, { key: 'g' });
    assert.equal(f0.errorCode, ErrorCode.NONE);
    assert.equal(f0.nodeId, tb.broker.nodeId);
    assert.equal(f0.port, tb.port);
    assert.equal(tb.broker.metadata.topic('__consumer_offsets')!.partitions.length, 3, 'created on first use');
    assert.equal(tb.broker.metadata.topic('__consumer_offsets')!.configs.get('cleanup.policy'), 'compact');
    const f4 = await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
    assert.deepEqual(f4.coordinators.map((x: { key: string; errorCode: number }) => [x.key, x.errorCode]), [['a', 0], ['b', 0]]);
    const ft = await c.send(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['txn'] });
    assert.equal(ft.coordinators[0].errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);

    // JoinGroup v5: MEMBER_ID_REQUIRED, then a real join; protocolName is a plain string before v7.
    const protocols = [{ name: 'range', metadata: subscription(['t']) }];
    const j1 = await c.send(ApiKey.JoinGroup, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols });
    assert.equal(j1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(j1.memberId, /^wire-test-/);
    const j2 = await c.send(ApiKey.JoinGroup, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: j1.memberId, groupInstanceId: null, protocolType: 'consumer', protocols });
    assert.equal(j2.errorCode, ErrorCode.NONE);
    assert.equal(j2.protocolName, 'range');
    assert.equal(j2.members.length, 1);
    const s = await c.send(ApiKey.SyncGroup, 5, { groupId: 'g', generationId: j2.generationId, memberId: j2.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j2.memberId, assignment: assignment('t', [0]) }] });
    assert.equal(s.errorCode, ErrorCode.NONE);
    assert.equal(s.protocolName, 'range');
    assert.deepEqual(s.assignment, assignment('t', [0]));
    const hb = await c.send(ApiKey.Heartbeat, 0, { groupId: 'g', generationId: j2.generationId, memberId: j2.memberId });
    assert.equal(hb.errorCode, ErrorCode.NONE);

    // Commits: v2 (retention time), v8; fetch v1, v5 (leader epoch), v8 (several groups, null topics).
    const c2 = await c.send(ApiKey.OffsetCommit, 2, { groupId: 'g', generationIdOrMemberEpoch: j2.generationId, memberId: j2.memberId, retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedMetadata: 'meta' }] }] });
    assert.equal(c2.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    const c8 = await c.send(ApiKey.OffsetCommit, 8, { groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 2, committedMetadata: null }] }] });
    assert.equal(c8.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    const o1 = await c.send(ApiKey.OffsetFetch, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    assert.deepEqual(o1.topics[0].partitions.map((p: { committedOffset: bigint; metadata: string }) => [p.committedOffset, p.metadata]), [[42n, 'meta'], [-1n, '']]);
    const o5 = await c.send(ApiKey.OffsetFetch, 5, { groupId: 'simple', topics: null, requireStable: false });
    assert.equal(o5.errorCode, ErrorCode.NONE);
    assert.deepEqual(o5.topics[0].partitions.map((p: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number }) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch]), [[1, 7n, 2]]);
    const o8 = await c.send(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }, { groupId: 'simple', topics: [{ name: 't', partitionIndexes: [1] }] }], requireStable: true });
    assert.deepEqual(o8.groups.map((g: { groupId: string; errorCode: number; topics: Array<{ partitions: Array<{ committedOffset: bigint }> }> }) => [g.groupId, g.errorCode, g.topics[0]!.partitions[0]!.committedOffset]), [['g', 0, 42n], ['simple', 0, 7n]]);

    // Listing and describing.
    const l0 = await c.send(ApiKey.ListGroups, 0, {});
    assert.deepEqual(l0.groups.map((g: { groupId: string; protocolType: string }) => [g.groupId, g.protocolType]).sort(), [['g', 'consumer'], ['simple', '']]);
    const l4 = await c.send(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
    assert.deepEqual(l4.groups.map((g: { groupId: string; groupState: string }) => [g.groupId, g.groupState]), [['g', 'Stable']]);
    const l5 = await c.send(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] });
    assert.deepEqual(l5.groups, [], 'no KIP-848 groups');
    const d5 = await c.send(ApiKey.DescribeGroups, 5, { groups: ['g', 'missing'], includeAuthorizedOperations: false });
    assert.equal(d5.groups[0].groupState, 'Stable');
    assert.equal(d5.groups[0].protocolData, 'range');
    assert.deepEqual(d5.groups[0].members[0].memberAssignment, assignment('t', [0]));
    assert.equal(d5.groups[1].groupState, 'Dead');
    const d0 = await c.send(ApiKey.DescribeGroups, 0, { groups: ['g'] });
    assert.equal(d0.groups[0].members[0].clientHost, '/127.0.0.1');

    // OffsetDelete and DeleteGroups respect membership.
    const od = await c.send(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(od.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    const dg = await c.send(ApiKey.DeleteGroups, 2, { groupsNames: ['g', 'simple', 'nope'] });
    assert.deepEqual(dg.results.map((r: { groupId: string; errorCode: number }) => [r.groupId, r.errorCode]), [['g', ErrorCode.NON_EMPTY_GROUP], ['simple', ErrorCode.NONE], ['nope', ErrorCode.GROUP_ID_NOT_FOUND]]);

    const lv = await c.send(ApiKey.LeaveGroup, 3, { groupId: 'g', members: [{ memberId: j2.memberId, groupInstanceId: null }] });
    assert.equal(lv.errorCode, ErrorCode.NONE);
    assert.equal(lv.members[0].errorCode, ErrorCode.NONE);
    const lv0 = await c.send(ApiKey.LeaveGroup, 0, { groupId: 'g', memberId: j2.memberId });
    assert.equal(lv0.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

    // JoinGroup v0 (no rebalance timeout, no member id round trip) and v9 framing.
    const j0 = await c.send(ApiKey.JoinGroup, 0, { groupId: 'old', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols });
    assert.equal(j0.errorCode, ErrorCode.NONE);
    assert.equal(j0.generationId, 1);
    const j9 = await c.send(ApiKey.JoinGroup, 9, { groupId: 'new', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'static-1', protocolType: 'consumer', protocols, reason: 'test' });
    assert.equal(j9.errorCode, ErrorCode.NONE);
    assert.equal(j9.protocolType, 'consumer');
    const bad = await c.send(ApiKey.JoinGroup, 9, { groupId: 'new', sessionTimeoutMs: 10, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols, reason: null });
    assert.equal(bad.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(bad.protocolName, null);
  } finally {
    c.close();
    await tb.stop();
  }
});
