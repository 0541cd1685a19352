/**
 * Coordinator writes wait for the in-sync replicas (issue 9 item 6): on an RF-3
 * `__consumer_offsets`, an offset commit is answered, and seen by OffsetFetch, only once the
 * followers have it; when they do not fetch it within offsets.commit.timeout.ms it is answered
 * COORDINATOR_NOT_AVAILABLE (Kafka's mapping of REQUEST_TIMED_OUT) and stays invisible until it
 * is committed. Transaction markers written by WriteTxnMarkers wait for the ISR the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey, ErrorCode, type OffsetCommitRequest } from '@samsa/protocol';
import { GROUP_METADATA_TOPIC } from '../../src/metadata/topic-name.js';
import { partitionKeyOf } from '../../src/replication/replica-fetcher.js';
import { startCluster, type TestCluster } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const COMMIT_TIMEOUT_MS = 1500;

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function commitRequest(offset: bigint): OffsetCommitRequest {
  return { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] };
}

describe('coordinator writes wait for the ISR (RF 3)', () => {
  let cluster: TestCluster;
  let leaderId: number;
  let followers: number[];

  before(async () => {
    cluster = await startCluster({
      brokers: 3,
      config: {
        'offsets.topic.num.partitions': '1',
        'offsets.commit.timeout.ms': String(COMMIT_TIMEOUT_MS),
        // Followers that stop fetching stay in the ISR for the whole test.
        'replica.lag.time.max.ms': '120000',
        'replica.fetch.wait.max.ms': '100',
        // WriteTxnMarkers waits at most this long for the ISR.
        'request.timeout.ms': String(COMMIT_TIMEOUT_MS),
      },
    });
    const gc = cluster.broker(0).broker.groupCoordinator!;
    assert.equal(await gc.ensureTopic(), ErrorCode.NONE);
    await until(() => [0, 1, 2].some((id) => cluster.broker(id).broker.groupCoordinator!.coordinator.groupStatus('g') === ErrorCode.NONE), 'the coordinator loaded');
    leaderId = [0, 1, 2].find((id) => cluster.broker(id).broker.groupCoordinator!.coordinator.groupStatus('g') === ErrorCode.NONE)!;
    followers = [0, 1, 2].filter((id) => id !== leaderId);
    const leader = cluster.broker(leaderId).broker.partitions.getPartition(GROUP_METADATA_TOPIC, 0)!;
    await until(() => leader.isr.length === 3, 'all three replicas in sync');
  });
  after(async () => {
    await cluster?.stop();
  });

  const coordinator = () => cluster.broker(leaderId).broker.groupCoordinator!.coordinator;
  const committed = (): bigint => coordinator().fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset;
  const pauseFollowers = (topic = GROUP_METADATA_TOPIC, leader = leaderId) => {
    for (const id of [0, 1, 2]) if (id !== leader) cluster.broker(id).broker.replication!.fetchers.removePartitions([partitionKeyOf(topic, 0)]);
  };
  const resumeFollowers = (topic = GROUP_METADATA_TOPIC, leader = leaderId) => {
    for (const id of [0, 1, 2]) {
      if (id === leader) continue;
      const b = cluster.broker(id).broker;
      const replica = b.partitions.getPartition(topic, 0)!;
      b.replication!.fetchers.addPartitions([{ replica, topicId: b.topics.image.topic(topic)!.id, leaderId: leader, leaderEpoch: replica.leaderEpoch }]);
    }
  };

  it('an offset commit is answered and visible only once the followers have it', async () => {
    pauseFollowers();
    let answer: number | null = null;
    const pending = coordinator().commitOffsets(commitRequest(42n), 8).then((r) => (answer = r.topics[0]!.partitions[0]!.errorCode));
    const leader = cluster.broker(leaderId).broker.partitions.getPartition(GROUP_METADATA_TOPIC, 0)!;
    await until(() => leader.logEndOffset > leader.highWatermark, 'the commit appended on the leader');
    // A check that nothing happens needs time to pass: the followers fetch nothing, and a commit
    // answered without them would be answered within this pause (well under the commit timeout).
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(answer, null, 'not answered before the ISR has it');
    assert.equal(committed(), -1n, 'not visible to OffsetFetch before the ISR has it');
    resumeFollowers();
    await pending;
    assert.equal(answer, ErrorCode.NONE);
    assert.equal(committed(), 42n);
    assert.ok(leader.highWatermark === leader.logEndOffset);
  });

  it('a commit the followers do not take within offsets.commit.timeout.ms answers COORDINATOR_NOT_AVAILABLE and stays invisible until committed', async () => {
    pauseFollowers();
    const started = Date.now();
    const r = await coordinator().commitOffsets(commitRequest(43n), 8);
    const waited = Date.now() - started;
    assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.ok(waited >= COMMIT_TIMEOUT_MS - 50, `answered after the commit timeout (${waited} ms)`);
    assert.equal(committed(), 42n, 'the timed-out commit is not visible');
    // The record is in the leader's log: once the followers have it, it is committed, and the state follows the log.
    resumeFollowers();
    await until(() => committed() === 43n, 'the late commit applied');
  });

  it('WriteTxnMarkers appends with acks=all: answered once the ISR has the marker, REQUEST_TIMED_OUT when it does not', async () => {
    await cluster.broker(0).broker.topics.createTopic({ name: 'marked', numPartitions: 1, replicationFactor: 3, configs: {} });
    await until(() => [0, 1, 2].every((id) => (cluster.broker(id).broker.partitions.getPartition('marked', 0)?.leaderId ?? -1) >= 0), 'marked-0 led');
    const markedLeader = cluster.broker(0).broker.topics.image.topic('marked')!.partitions[0]!.leader;
    const partition = cluster.broker(markedLeader).broker.partitions.getPartition('marked', 0)!;
    await until(() => partition.isr.length === 3, 'marked-0 in sync');
    const client = await WireClient.connect(cluster.broker(markedLeader).port);
    try {
      const marker = (producerId: bigint) => client.send(ApiKey.WriteTxnMarkers, 1, {
        markers: [{ producerId, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'marked', partitionIndexes: [0] }] }],
      }).then((r) => r.markers[0].topics[0].partitions[0].errorCode as number);
      pauseFollowers('marked', markedLeader);
      let answer: number | null = null;
      const pending = marker(1000n).then((c) => (answer = c));
      await until(() => partition.logEndOffset === 1n, 'the marker appended on the leader');
      // As above: time must pass to show the answer is held (under request.timeout.ms).
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(answer, null, 'not answered before the followers have the marker');
      assert.equal(partition.highWatermark, 0n);
      resumeFollowers('marked', markedLeader);
      await pending;
      assert.equal(answer, ErrorCode.NONE);
      assert.equal(partition.highWatermark, 1n);

      pauseFollowers('marked', markedLeader);
      assert.equal(await marker(1001n), ErrorCode.REQUEST_TIMED_OUT, 'the coordinator retries markers the ISR did not take in time');
      resumeFollowers('marked', markedLeader);
    } finally {
      client.close();
    }
  });
});
