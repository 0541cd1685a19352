// Issue 13 item 11: OffsetCommit for a topic or partition that does not exist answered success.
// Every API that names a topic, partition or group that does not exist must answer Kafka's
// error for it, never a quiet success. One case per API; topic 't' has one partition, so
// partition 5 of it does not exist; 'nope' and 'nogroup' do not exist at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const E = ErrorCode;
const ZERO = '00000000-0000-0000-0000-000000000000';
const MISSING_ID = '11111111-1111-1111-1111-111111111111';
type Codes = (r: any) => unknown;
const perPartition = (topicsKey: string, partitionsKey: string, codeKey = 'errorCode'): Codes => (r) => r[topicsKey].flatMap((t: any) => t[partitionsKey].map((p: any) => [t.name ?? t.topic, p.partitionIndex ?? p.index, p[codeKey]])).sort();
const commitPartitions = [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }];

const cases: Array<{ api: string; key: number; version: number; body: unknown; codes: Codes; expected: unknown }> = [
  {
    api: 'OffsetCommit v8 (unknown topic; unknown partition of a known topic; a known partition still commits)', key: ApiKey.OffsetCommit, version: 8,
    body: { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'nope', partitions: commitPartitions }, { name: 't', partitions: [...commitPartitions, { ...commitPartitions[0], partitionIndex: 5 }] }] },
    codes: perPartition('topics', 'partitions'), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 0, E.NONE], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'OffsetCommit v2', key: ApiKey.OffsetCommit, version: 2,
    body: { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] }] },
    codes: perPartition('topics', 'partitions'), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'OffsetDelete', key: ApiKey.OffsetDelete, version: 0,
    body: { groupId: 'g', topics: [{ name: 'nope', partitions: [{ partitionIndex: 0 }] }, { name: 't', partitions: [{ partitionIndex: 5 }] }] },
    codes: (r) => [r.errorCode, perPartition('topics', 'partitions')(r)], expected: [E.NONE, [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]]],
  },
  {
    // Kafka answers offset -1 without an error for partitions it has no offset for.
    api: 'OffsetFetch v7', key: ApiKey.OffsetFetch, version: 7,
    body: { groupId: 'g', topics: [{ name: 'nope', partitionIndexes: [0] }], requireStable: false },
    codes: (r) => r.topics.flatMap((t: any) => t.partitions.map((p: any) => [t.name, p.committedOffset, p.errorCode])), expected: [['nope', -1n, E.NONE]],
  },
  {
    api: 'Produce', key: ApiKey.Produce, version: 9,
    body: { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'nope', partitionData: [{ index: 0, records: null }] }, { name: 't', partitionData: [{ index: 5, records: null }] }] },
    codes: (r) => r.responses.flatMap((t: any) => t.partitionResponses.map((p: any) => [t.name, p.index, p.errorCode])).sort(), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'Fetch v12 by name', key: ApiKey.Fetch, version: 12,
    body: { replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', topics: [
      { topic: 'nope', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] },
      { topic: 't', partitions: [{ partition: 5, fetchOffset: 0n, partitionMaxBytes: 100, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }] },
    codes: (r) => r.responses.flatMap((t: any) => t.partitions.map((p: any) => [t.topic, p.partitionIndex, p.errorCode])).sort(), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'Fetch v13 by topic id', key: ApiKey.Fetch, version: 13,
    body: { replicaId: -1, maxWaitMs: 10, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', topics: [
      { topicId: MISSING_ID, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }] },
    codes: (r) => r.responses.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode)), expected: [E.UNKNOWN_TOPIC_ID],
  },
  {
    api: 'ListOffsets', key: ApiKey.ListOffsets, version: 7,
    body: { replicaId: -1, isolationLevel: 0, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }, { name: 't', partitions: [{ partitionIndex: 5, currentLeaderEpoch: -1, timestamp: -1n }] }] },
    codes: perPartition('topics', 'partitions'), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'DeleteRecords', key: ApiKey.DeleteRecords, version: 2,
    body: { topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, offset: 0n }] }, { name: 't', partitions: [{ partitionIndex: 5, offset: 0n }] }], timeoutMs: 1000 },
    codes: perPartition('topics', 'partitions'), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'DescribeProducers', key: ApiKey.DescribeProducers, version: 0,
    body: { topics: [{ name: 'nope', partitionIndexes: [0] }, { name: 't', partitionIndexes: [5] }] },
    codes: perPartition('topics', 'partitions'), expected: [['nope', 0, E.UNKNOWN_TOPIC_OR_PARTITION], ['t', 5, E.UNKNOWN_TOPIC_OR_PARTITION]],
  },
  {
    api: 'Metadata (auto-creation off)', key: ApiKey.Metadata, version: 12,
    body: { topics: [{ name: 'nope', topicId: ZERO }, { name: null, topicId: MISSING_ID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false },
    codes: (r) => r.topics.map((t: any) => t.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_ID],
  },
  {
    api: 'DescribeConfigs (topic; another broker id)', key: ApiKey.DescribeConfigs, version: 4,
    body: { resources: [{ resourceType: 2, resourceName: 'nope', configurationKeys: null }, { resourceType: 4, resourceName: '7', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false },
    codes: (r) => r.results.map((x: any) => x.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION, E.INVALID_REQUEST],
  },
  {
    api: 'AlterConfigs', key: ApiKey.AlterConfigs, version: 2,
    body: { resources: [{ resourceType: 2, resourceName: 'nope', configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: false },
    codes: (r) => r.responses.map((x: any) => x.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION],
  },
  {
    api: 'IncrementalAlterConfigs', key: ApiKey.IncrementalAlterConfigs, version: 1,
    body: { resources: [{ resourceType: 2, resourceName: 'nope', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false },
    codes: (r) => r.responses.map((x: any) => x.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION],
  },
  {
    api: 'CreatePartitions', key: ApiKey.CreatePartitions, version: 3,
    body: { topics: [{ name: 'nope', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false },
    codes: (r) => r.results.map((x: any) => x.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION],
  },
  {
    api: 'DeleteTopics (name and topic id)', key: ApiKey.DeleteTopics, version: 6,
    body: { topics: [{ name: 'nope', topicId: ZERO }, { name: null, topicId: MISSING_ID }], timeoutMs: 1000 },
    codes: (r) => r.responses.map((x: any) => x.errorCode), expected: [E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_ID],
  },
  {
    api: 'DeleteGroups', key: ApiKey.DeleteGroups, version: 2, body: { groupsNames: ['nogroup'] },
    codes: (r) => r.results.map((x: any) => x.errorCode), expected: [E.GROUP_ID_NOT_FOUND],
  },
  {
    // DescribeGroups up to v5 describes a group that does not exist as Dead, as Kafka does.
    api: 'DescribeGroups', key: ApiKey.DescribeGroups, version: 5, body: { groups: ['nogroup'], includeAuthorizedOperations: false },
    codes: (r) => r.groups.map((x: any) => [x.errorCode, x.groupState]), expected: [[E.NONE, 'Dead']],
  },
  {
    api: 'Heartbeat', key: ApiKey.Heartbeat, version: 4, body: { groupId: 'nogroup', generationId: 1, memberId: 'm', groupInstanceId: null },
    codes: (r) => r.errorCode, expected: E.UNKNOWN_MEMBER_ID,
  },
  {
    api: 'LeaveGroup', key: ApiKey.LeaveGroup, version: 4, body: { groupId: 'nogroup', members: [{ memberId: 'm', groupInstanceId: null }] },
    codes: (r) => r.errorCode, expected: E.UNKNOWN_MEMBER_ID,
  },
  {
    api: 'SyncGroup', key: ApiKey.SyncGroup, version: 4, body: { groupId: 'nogroup', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] },
    codes: (r) => r.errorCode, expected: E.UNKNOWN_MEMBER_ID,
  },
  {
    api: 'JoinGroup with a member id the group does not know', key: ApiKey.JoinGroup, version: 5,
    body: { groupId: 'nogroup', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: 'ghost', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] },
    codes: (r) => r.errorCode, expected: E.UNKNOWN_MEMBER_ID,
  },
  {
    api: 'ConsumerGroupHeartbeat (a member epoch in a group that does not exist)', key: ApiKey.ConsumerGroupHeartbeat, version: 0,
    body: { groupId: 'nogroup', memberId: 'xyz', memberEpoch: 3, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, serverAssignor: null, topicPartitions: null },
    codes: (r) => r.errorCode, expected: E.GROUP_ID_NOT_FOUND,
  },
  {
    api: 'ConsumerGroupDescribe', key: ApiKey.ConsumerGroupDescribe, version: 0, body: { groupIds: ['nogroup'], includeAuthorizedOperations: false },
    codes: (r) => r.groups.map((x: any) => x.errorCode), expected: [E.GROUP_ID_NOT_FOUND],
  },
];

test('a request naming a topic, partition or group that does not exist gets Kafka\'s error', async (t) => {
  const tb = await startBroker({ config: { 'auto.create.topics.enable': 'false' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 't', numPartitions: 1 });
    // The group coordinator is ready once FindCoordinator answers for the group.
    for (let i = 0; i < 200; i++) {
      const r = await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g', 'nogroup'] });
      if (r.coordinators.every((x: any) => x.errorCode === E.NONE)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const k of cases) {
      await t.test(k.api, async () => {
        const r = await c.send(k.key, k.version, k.body);
        assert.deepEqual(k.codes(r), k.expected);
      });
    }
    // The unknown partitions of OffsetCommit were not written; the known one was.
    const fetched = await c.send(ApiKey.OffsetFetch, 7, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 5] }, { name: 'nope', partitionIndexes: [0] }], requireStable: false });
    assert.deepEqual(fetched.topics.flatMap((x: any) => x.partitions.map((p: any) => [x.name, p.partitionIndex, p.committedOffset])), [['t', 0, 1n], ['t', 5, -1n], ['nope', 0, -1n]]);
  } finally {
    c.close();
    await tb.stop();
  }
});
