/** ConsumerGroupHeartbeat / ConsumerGroupDescribe on the wire, with real topic ids from the broker. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

test('KIP-848 group on the wire: join, split between two members, describe', async () => {
  const tb = await startBroker({ config: { 'offsets.topic.num.partitions': '3' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'events', numPartitions: 4 });
    const topicId = tb.broker.metadata.topic('events')!.id;
    const f = await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['kg'] });
    assert.equal(f.coordinators[0].errorCode, ErrorCode.NONE);
    const join = (memberId: string) => c.send(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: 'kg', memberId, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['events'], subscribedTopicRegex: null, serverAssignor: 'range', topicPartitions: [],
    });
    const beat = (memberId: string, memberEpoch: number, owned: number[]) => c.send(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: 'kg', memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
      subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [{ topicId, partitions: owned }],
    });
    const a = await join('member-a');
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.deepEqual(a.assignment.topicPartitions, [{ topicId, partitions: [0, 1, 2, 3] }]);
    const b = await join('member-b');
    assert.equal(b.memberEpoch, 2);
    const a2 = await beat('member-a', 1, [0, 1, 2, 3]);
    assert.deepEqual(a2.assignment.topicPartitions, [{ topicId, partitions: [0, 1] }], 'range: a gets the first half');
    const a3 = await beat('member-a', 1, [0, 1]);
    assert.equal(a3.memberEpoch, 2);
    const b2 = await beat('member-b', 2, []);
    assert.deepEqual(b2.assignment.topicPartitions, [{ topicId, partitions: [2, 3] }]);

    const d = await c.send(ApiKey.ConsumerGroupDescribe, 0, { groupIds: ['kg', 'nope'], includeAuthorizedOperations: false });
    assert.equal(d.groups[0].groupState, 'Stable');
    assert.equal(d.groups[0].assignorName, 'range');
    assert.deepEqual(d.groups[0].members.map((m: { memberId: string; assignment: { topicPartitions: Array<{ topicName: string; partitions: number[] }> } }) => [m.memberId, m.assignment.topicPartitions[0]!.topicName, m.assignment.topicPartitions[0]!.partitions]).sort(), [['member-a', 'events', [0, 1]], ['member-b', 'events', [2, 3]]]);
    assert.equal(d.groups[1].errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const l = await c.send(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    assert.deepEqual(l.groups.map((g: { groupId: string; groupType: string }) => [g.groupId, g.groupType]), [['kg', 'consumer']]);
    const leave = await c.send(ApiKey.ConsumerGroupHeartbeat, 0, {
      groupId: 'kg', memberId: 'member-a', memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1,
      subscribedTopicNames: null, serverAssignor: null, topicPartitions: null,
    });
    assert.equal(leave.errorCode, ErrorCode.NONE);
    assert.equal(leave.memberEpoch, -1);
  } finally {
    c.close();
    await tb.stop();
  }
});
