/**
 * Replication between brokers in one process (real sockets, real logs on disk, a shared
 * metadata store with the controller electing leaders): followers copy the leader byte for
 * byte with Fetch, the high watermark follows the ISR, acks=all waits for it,
 * min.insync.replicas refuses writes, the ISR shrinks and grows through the metadata store,
 * a partition without an ISR member stays offline unless unclean election is enabled, and an
 * old leader truncates its divergent tail after a leader change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { WireClient } from '../testkit/wire-client.js';
import { startInProcessCluster, until, type InProcessCluster } from './in-process-cluster.js';

const batch = (...values: string[]) => encodeRecordBatch(createRecordBatch(values.map((v) => ({ value: Buffer.from(v) }))));

async function produce(c: WireClient, topic: string, acks: number, records: Buffer, timeoutMs = 10_000): Promise<{ errorCode: number; baseOffset: bigint }> {
  const r = await c.send(ApiKey.Produce, 9, { acks, timeoutMs, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0].partitionResponses[0];
}

function allBytes(cluster: InProcessCluster, id: number, topic: string): Buffer {
  const log = cluster.broker(id).partitions.getPartition(topic, 0)!.log;
  return log.read(log.logStartOffset, 1 << 24, { minOneBatch: true }).records;
}

describe('replication in process (3 brokers, RF 3)', () => {
  let cluster: InProcessCluster;
  before(async () => {
    cluster = await startInProcessCluster([1, 2, 3], { 'replica.lag.time.max.ms': '1500' });
  });
  after(async () => {
    await cluster?.close();
  });

  it('acks=all answers once the ISR has the batch; followers hold the same bytes and high watermark', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'copy', assignments: [{ partition: 0, brokerIds: [1, 2, 3] }], configs: { 'min.insync.replicas': '2' } });
    await until(() => cluster.broker(1).partitions.getPartition('copy', 0)?.isLeader === true, 'broker 1 leads');
    const leader = cluster.broker(1);
    await until(() => cluster.broker(2).replication?.fetchers.followed().get('copy\u00000') === 'fetching' && cluster.broker(3).replication?.fetchers.followed().get('copy\u00000') === 'fetching', 'followers fetching');
    const c = await WireClient.connect(leader.boundListeners[0]!.port);
    for (let i = 0; i < 5; i++) {
      const r = await produce(c, 'copy', -1, batch(`a${i}`, `b${i}`));
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.baseOffset, BigInt(i * 2));
      // Acknowledged means committed: the high watermark passed it before the answer.
      assert.ok(leader.partitions.getPartition('copy', 0)!.highWatermark! >= BigInt(i * 2 + 2));
    }
    await until(() => [2, 3].every((id) => cluster.broker(id).partitions.getPartition('copy', 0)!.highWatermark === 10n), 'follower high watermarks');
    const leaderBytes = allBytes(cluster, 1, 'copy');
    assert.ok(allBytes(cluster, 2, 'copy').equals(leaderBytes), 'broker 2 has the leader bytes');
    assert.ok(allBytes(cluster, 3, 'copy').equals(leaderBytes), 'broker 3 has the leader bytes');
    assert.deepEqual(decodeRecordBatches(leaderBytes).map((b) => b.partitionLeaderEpoch), [0, 0, 0, 0, 0]);
    c.close();
  });

  it('a consumer fetch sees only up to the high watermark; a follower is not a leader (before Fetch v11) and serves reads up to its high watermark (v11+, KIP-392)', async () => {
    const c2 = await WireClient.connect(cluster.broker(2).boundListeners[0]!.port);
    const fetchAt = (version: number) => c2.send(ApiKey.Fetch, version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'copy', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '',
    });
    assert.equal((await fetchAt(10)).responses[0].partitions[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const fromFollower = (await fetchAt(11)).responses[0].partitions[0];
    assert.equal(fromFollower.errorCode, ErrorCode.NONE);
    const followerHw = cluster.broker(2).partitions.getPartition('copy', 0)!.highWatermark;
    assert.equal(fromFollower.highWatermark, followerHw);
    const read = decodeRecordBatches(fromFollower.records);
    assert.equal(read.length > 0 ? read.at(-1)!.baseOffset + BigInt(read.at(-1)!.lastOffsetDelta) + 1n : 0n, followerHw, 'records up to the follower\'s high watermark');
    const p = await produce(c2, 'copy', 1, batch('nope'));
    assert.equal(p.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    c2.close();
  });

  it('OffsetForLeaderEpoch answers from the leader epoch cache; stale epochs are fenced', async () => {
    const c = await WireClient.connect(cluster.broker(1).boundListeners[0]!.port);
    const ask = (leaderEpoch: number, currentLeaderEpoch: number) =>
      c.send(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'copy', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] }).then((r: any) => r.topics[0].partitions[0]);
    const cur = await ask(0, 0);
    assert.equal(cur.errorCode, ErrorCode.NONE);
    assert.equal(cur.leaderEpoch, 0);
    assert.equal(cur.endOffset, 10n);
    assert.equal((await ask(0, 5)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    c.close();
  });

  it('ISR shrinks after replica.lag.time.max.ms, min.insync.replicas refuses acks=all, and the ISR grows back', async () => {
    const leader = cluster.broker(1);
    const isr = () => [...leader.partitions.getPartition('copy', 0)!.isr].sort().join(',');
    const c = await WireClient.connect(leader.boundListeners[0]!.port);
    // Broker 3 stays registered but stops fetching: only the lag can take it out of the ISR.
    cluster.broker(3).replication!.fetchers.shutdown();
    await until(() => isr() === '1,2', 'ISR shrink to 1,2 after replica.lag.time.max.ms', 20_000);
    assert.deepEqual((await cluster.partitionState('copy', 0)).isr.sort(), [1, 2]);
    assert.equal((await produce(c, 'copy', -1, batch('two-of-three'))).errorCode, ErrorCode.NONE);
    // Broker 2 dies: the controller takes it out of the ISR at once.
    await cluster.stop(2);
    await until(() => isr() === '1', 'ISR shrink to 1', 20_000);
    const refused = await produce(c, 'copy', -1, batch('refused'));
    assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    // acks=1 still goes to the leader alone (not committed until the ISR grows).
    assert.equal((await produce(c, 'copy', 1, batch('acks-one'))).errorCode, ErrorCode.NONE);
    await cluster.start(2);
    await until(() => isr() === '1,2', 'ISR expand to 1,2 once broker 2 caught up', 20_000);
    assert.equal((await produce(c, 'copy', -1, batch('resumed'))).errorCode, ErrorCode.NONE);
    await cluster.stop(3);
    await cluster.start(3);
    await until(() => isr() === '1,2,3', 'ISR expand to 1,2,3', 20_000);
    assert.deepEqual((await cluster.partitionState('copy', 0)).isr.sort(), [1, 2, 3]);
    await until(() => allBytes(cluster, 3, 'copy').equals(allBytes(cluster, 1, 'copy')), 'broker 3 caught up');
    c.close();
  });

  it('without an ISR member the partition stays offline; unclean election (when enabled) elects a replica and the old leader truncates its divergent tail', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'diverge', assignments: [{ partition: 0, brokerIds: [1, 2, 3] }] });
    await until(() => cluster.broker(1).partitions.getPartition('diverge', 0)?.isLeader === true, 'broker 1 leads');
    const c1 = await WireClient.connect(cluster.broker(1).boundListeners[0]!.port);
    for (let i = 0; i < 3; i++) assert.equal((await produce(c1, 'diverge', -1, batch(`committed-${i}`))).errorCode, ErrorCode.NONE);
    await until(() => [2, 3].every((id) => cluster.broker(id).partitions.getPartition('diverge', 0)!.logEndOffset === 3n), 'followers at 3');
    // The followers die; the leader alone takes writes (acks=1): a tail nobody else has.
    await cluster.stop(2);
    await cluster.stop(3);
    await until(() => cluster.broker(1).partitions.getPartition('diverge', 0)!.isr.length === 1, 'ISR = leader');
    for (let i = 0; i < 4; i++) assert.equal((await produce(c1, 'diverge', 1, batch(`lost-${i}`))).errorCode, ErrorCode.NONE);
    assert.equal(cluster.broker(1).partitions.getPartition('diverge', 0)!.logEndOffset, 7n);
    c1.close();
    await cluster.stop(1);
    await cluster.start(2);
    await cluster.start(3);
    // Clean election only (the default): no ISR member is alive, so no leader.
    await until(() => cluster.broker(2).metadata.topic('diverge')!.partitions[0]!.leader === -1, 'offline partition');
    const c2 = await WireClient.connect(cluster.broker(2).boundListeners[0]!.port);
    const offline = await produce(c2, 'diverge', 1, batch('nobody-leads'));
    assert.notEqual(offline.errorCode, ErrorCode.NONE);
    // An operator allows unclean election for the topic: broker 2 leads, without the tail.
    await cluster.broker(2).topics.setTopicConfigs('diverge', new Map([['unclean.leader.election.enable', 'true']]));
    await until(() => cluster.broker(2).partitions.getPartition('diverge', 0)!.isLeader, 'unclean leader 2');
    assert.equal((await produce(c2, 'diverge', 1, batch('new-epoch-0', 'new-epoch-1'))).errorCode, ErrorCode.NONE);
    await cluster.start(1);
    await until(() => allBytes(cluster, 1, 'diverge').equals(allBytes(cluster, 2, 'diverge')), 'old leader truncated and caught up');
    const values = decodeRecordBatches(allBytes(cluster, 1, 'diverge')).flatMap((b) => b.records.map((r) => r.value!.toString()));
    assert.deepEqual(values, ['committed-0', 'committed-1', 'committed-2', 'new-epoch-0', 'new-epoch-1']);
    const epochs = cluster.broker(1).partitions.getPartition('diverge', 0)!.epochCache.epochEntries;
    assert.equal(epochs.length, 2);
    assert.deepEqual([epochs[0]!.epoch, epochs[0]!.startOffset], [0, 0n]);
    assert.equal(epochs[1]!.startOffset, 3n, 'the new epoch starts where the committed records end');
    await until(() => [...cluster.broker(2).partitions.getPartition('diverge', 0)!.isr].sort().join(',') === '1,2,3', 'everyone back in the ISR');
    c2.close();
  });
});

describe('ISR expansion after a broker dies (in process, 3 brokers)', () => {
  let cluster: InProcessCluster;
  before(async () => {
    cluster = await startInProcessCluster([1, 2, 3], {}, 'memory');
  });
  after(async () => {
    await cluster?.close();
  });

  it('a dead replica does not rejoin the ISR from the fetch state it left behind: only a replica that fetches can join', async () => {
    await cluster.broker(1).topics.createTopic({ name: 'dead-replica', assignments: [{ partition: 0, brokerIds: [1, 2, 3] }] });
    const leader = cluster.broker(1);
    await until(() => leader.partitions.getPartition('dead-replica', 0)?.isLeader === true, 'broker 1 leads');
    const p = () => leader.partitions.getPartition('dead-replica', 0)!;
    const isr = () => [...p().isr].sort().join(',');
    const c = await WireClient.connect(leader.boundListeners[0]!.port);
    assert.equal((await produce(c, 'dead-replica', -1, batch('a', 'b'))).errorCode, ErrorCode.NONE);
    // Both followers caught up: the state broker 3 leaves behind says it is in sync.
    await until(() => [2, 3].every((id) => p().remoteReplica(id)!.logEndOffset === p().logEndOffset), 'both followers at the log end');
    await cluster.stop(3);
    await until(() => isr() === '1,2', 'the controller to take broker 3 out of the ISR');
    // Broker 2 goes on fetching; the old rule judged every replica at each fetch and put 3 back.
    for (let i = 0; i < 5; i++) {
      const last = p().remoteReplica(2)!.lastFetchTimeMs;
      await until(() => p().remoteReplica(2)!.lastFetchTimeMs !== last, `fetch ${i + 1} of broker 2`);
    }
    assert.equal(isr(), '1,2');
    assert.deepEqual((await cluster.partitionState('dead-replica', 0)).isr.sort(), [1, 2]);
    // Back and fetching, it rejoins.
    await cluster.start(3);
    await until(() => isr() === '1,2,3', 'broker 3 to rejoin the ISR once it fetched');
    c.close();
  });
});
