/**
 * TxnOffsetCommit against the group's membership (KIP-447) and the transaction (KIP-890), on the
 * wire: v3+ requests carry the consumer's member id, generation and static instance id, and the
 * coordinator answers a zombie member as Kafka does: ILLEGAL_GENERATION for a generation the
 * group has left, UNKNOWN_MEMBER_ID for a member it does not have, FENCED_INSTANCE_ID for a static
 * member replaced by a newer instance; v0-v2 (no group metadata) commit into any group. With
 * transaction.partition.verification.enable, offsets of a transaction that never added the group
 * (AddOffsetsToTxn) are refused: TRANSACTION_ABORTABLE for v4, INVALID_TXN_STATE for older versions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { assignment, subscription } from '../coordinator/harness.js';

const TOPIC = 'in';
const protocols = [{ name: 'range', metadata: subscription([TOPIC]) }];

interface Producer { transactionalId: string; producerId: bigint; producerEpoch: number }

/** FindCoordinator for a group (creating `__consumer_offsets`) until its coordinator has loaded it. */
async function groupCoordinatorReady(c: WireClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const fc = await c.send(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['any'] });
    const fetched = await c.send(ApiKey.OffsetFetch, 7, { groupId: 'any', topics: null, requireStable: false });
    if (fc.coordinators[0].errorCode === ErrorCode.NONE && fetched.errorCode === ErrorCode.NONE) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no group coordinator');
}

async function initProducer(c: WireClient, transactionalId: string): Promise<Producer> {
  await groupCoordinatorReady(c);
  for (let i = 0; i < 200; i++) {
    const fc = await c.send(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: [transactionalId] });
    if (fc.coordinators[0].errorCode === ErrorCode.NONE) {
      const init = await c.send(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      if (init.errorCode === ErrorCode.NONE) return { transactionalId, producerId: init.producerId, producerEpoch: init.producerEpoch };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no transaction coordinator for ${transactionalId}`);
}

async function addOffsets(c: WireClient, p: Producer, groupId: string): Promise<void> {
  const r = await c.send(ApiKey.AddOffsetsToTxn, 3, { ...p, groupId });
  assert.equal(r.errorCode, ErrorCode.NONE, 'AddOffsetsToTxn');
}

async function endTxn(c: WireClient, p: Producer, committed: boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await c.send(ApiKey.EndTxn, 3, { ...p, committed });
    if (r.errorCode === ErrorCode.NONE) return;
    assert.equal(r.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'EndTxn');
    await new Promise((res) => setTimeout(res, 20));
  }
}

interface Member { memberId: string; generationId: number; groupInstanceId: string | null }

/** One TxnOffsetCommit of offset `offset` for partition 0; the partition's error code. */
async function txnCommit(c: WireClient, version: number, p: Producer, groupId: string, offset: bigint, member?: Member): Promise<number> {
  const r = await c.send(ApiKey.TxnOffsetCommit, version, {
    ...p, groupId,
    ...(member !== undefined ? { generationId: member.generationId, memberId: member.memberId, groupInstanceId: member.groupInstanceId } : {}),
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  });
  return r.topics[0].partitions[0].errorCode;
}

async function committedOffset(c: WireClient, groupId: string): Promise<bigint> {
  const r = await c.send(ApiKey.OffsetFetch, 7, { groupId, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
  return r.topics[0].partitions[0].committedOffset;
}

/** In a transaction that added the group: TxnOffsetCommit of `offset` succeeds, EndTxn commits, and the group has the offset. */
async function commitInTxn(c: WireClient, version: number, p: Producer, groupId: string, offset: bigint, member?: Member, why?: string): Promise<void> {
  assert.equal(await txnCommit(c, version, p, groupId, offset, member), ErrorCode.NONE, why);
  await endTxn(c, p, true);
  assert.equal(await committedOffset(c, groupId), offset);
}

/** JoinGroup v5 with the member id the broker hands out (KIP-394). */
async function join(c: WireClient, groupId: string, memberId: string, groupInstanceId: string | null): Promise<{ errorCode: number; memberId: string; generationId: number; leader: string }> {
  const send = (id: string) => c.send(ApiKey.JoinGroup, 5, { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: id, groupInstanceId, protocolType: 'consumer', protocols });
  let r = await send(memberId);
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await send(r.memberId);
  return r;
}

async function sync(c: WireClient, groupId: string, m: Member, assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<void> {
  const r = await c.send(ApiKey.SyncGroup, 3, { groupId, generationId: m.generationId, memberId: m.memberId, groupInstanceId: m.groupInstanceId, assignments });
  assert.equal(r.errorCode, ErrorCode.NONE, 'SyncGroup');
}

describe('TxnOffsetCommit fencing (KIP-447) and verification (KIP-890)', () => {
  let tb: TestBroker;
  const clients: WireClient[] = [];
  const client = async (): Promise<WireClient> => {
    const c = await WireClient.connect(tb.port);
    clients.push(c);
    return c;
  };

  before(async () => {
    tb = await startBroker({ config: { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' } });
    await tb.broker.topics.createTopic({ name: TOPIC, numPartitions: 2 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await tb?.stop();
  });

  it('a classic group: the old generation gets ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID, the current generation commits', async () => {
    const [a, b] = [await client(), await client()];
    await groupCoordinatorReady(a);
    const group = 'fence-classic';
    // Member A alone: generation 1.
    const a1 = await join(a, group, '', null);
    assert.equal(a1.errorCode, ErrorCode.NONE);
    const memberA1: Member = { memberId: a1.memberId, generationId: a1.generationId, groupInstanceId: null };
    await sync(a, group, memberA1, [{ memberId: a1.memberId, assignment: assignment(TOPIC, [0, 1]) }]);
    // B joins; A rejoins: generation 2, still completing (no SyncGroup yet).
    const [b2, a2] = await Promise.all([join(b, group, '', null), join(a, group, a1.memberId, null)]);
    assert.equal(a2.errorCode, ErrorCode.NONE);
    assert.equal(b2.errorCode, ErrorCode.NONE);
    assert.equal(a2.generationId, a1.generationId + 1);
    const memberA2: Member = { ...memberA1, generationId: a2.generationId };

    const p = await initProducer(a, 'fence-classic-txn');
    await addOffsets(a, p, group);
    assert.equal(await txnCommit(a, 3, p, group, 5n, memberA1), ErrorCode.ILLEGAL_GENERATION, 'the generation before the rebalance');
    assert.equal(await txnCommit(a, 3, p, group, 5n, { ...memberA2, memberId: 'not-a-member' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await txnCommit(a, 3, p, group, 5n, { ...memberA2, generationId: 99 }), ErrorCode.ILLEGAL_GENERATION, 'a generation the group never had');
    // Unlike OffsetCommit (REBALANCE_IN_PROGRESS), the group's state does not matter to a transactional commit (as Kafka).
    const plain = await a.send(ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: memberA2.generationId, memberId: memberA2.memberId, groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    assert.equal(plain.topics[0].partitions[0].errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    await commitInTxn(a, 3, p, group, 7n, memberA2, 'the current generation, still completing its rebalance');

    // TxnOffsetCommit v0-v2 carry no group metadata: they commit into a group with members (as Kafka).
    await addOffsets(a, p, group);
    await commitInTxn(a, 2, p, group, 9n);
    // A group that does not exist: a generation is refused, none makes a simple group.
    await addOffsets(a, p, 'no-such-group');
    assert.equal(await txnCommit(a, 3, p, 'no-such-group', 1n, { memberId: 'x', generationId: 3, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION);
    await addOffsets(a, p, 'simple-group');
    await commitInTxn(a, 3, p, 'simple-group', 4n, { memberId: '', generationId: -1, groupInstanceId: null });
  });

  it('a static member replaced by a newer instance gets FENCED_INSTANCE_ID; the newer one commits', async () => {
    const [old, fresh] = [await client(), await client()];
    await groupCoordinatorReady(old);
    const group = 'fence-static';
    const j1 = await join(old, group, '', 'instance-1');
    assert.equal(j1.errorCode, ErrorCode.NONE);
    const zombie: Member = { memberId: j1.memberId, generationId: j1.generationId, groupInstanceId: 'instance-1' };
    await sync(old, group, zombie, [{ memberId: j1.memberId, assignment: assignment(TOPIC, [0, 1]) }]);
    // The same instance id comes back with no member id (a restarted static member): it takes over.
    const j2 = await join(fresh, group, '', 'instance-1');
    assert.equal(j2.errorCode, ErrorCode.NONE);
    assert.notEqual(j2.memberId, j1.memberId);
    const current: Member = { memberId: j2.memberId, generationId: j2.generationId, groupInstanceId: 'instance-1' };

    const p = await initProducer(old, 'fence-static-txn');
    await addOffsets(old, p, group);
    assert.equal(await txnCommit(old, 3, p, group, 3n, zombie), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(await txnCommit(old, 3, p, group, 3n, { ...current, groupInstanceId: 'instance-2' }), ErrorCode.UNKNOWN_MEMBER_ID, 'an instance id the group does not know');
    await commitInTxn(old, 4, p, group, 3n, current);
  });

  it('a KIP-848 consumer group: a stale member epoch gets ILLEGAL_GENERATION (not STALE_MEMBER_EPOCH), an unknown member UNKNOWN_MEMBER_ID', async () => {
    const c = await client();
    await groupCoordinatorReady(c);
    const group = 'fence-848';
    const topicId = tb.broker.metadata.topic(TOPIC)!.id;
    const heartbeat = (memberId: string, memberEpoch: number) => c.send(ApiKey.ConsumerGroupHeartbeat, 0, {
      groupId: group, memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: [TOPIC], serverAssignor: 'range', topicPartitions: memberEpoch === 0 ? [] : [{ topicId, partitions: [0, 1] }],
    });
    const a = await heartbeat('member-a', 0);
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.ok(a.memberEpoch > 0);
    const p = await initProducer(c, 'fence-848-txn');
    await addOffsets(c, p, group);
    assert.equal(await txnCommit(c, 3, p, group, 2n, { memberId: 'member-a', generationId: a.memberEpoch - 1, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await txnCommit(c, 3, p, group, 2n, { memberId: 'member-x', generationId: a.memberEpoch, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await txnCommit(c, 3, p, group, 2n, { memberId: '', generationId: -1, groupInstanceId: 'instance-x' }), ErrorCode.UNKNOWN_MEMBER_ID, 'an instance id names a member');
    await commitInTxn(c, 3, p, group, 2n, { memberId: 'member-a', generationId: a.memberEpoch, groupInstanceId: null });
    // v0-v2 carry no member: they commit into a group with members (as Kafka's ConsumerGroup)
    await addOffsets(c, p, group);
    await commitInTxn(c, 2, p, group, 4n);
  });

  it('verification: offsets of a transaction that never added the group are refused (v4 TRANSACTION_ABORTABLE, v3 INVALID_TXN_STATE), a fenced epoch INVALID_PRODUCER_EPOCH', async () => {
    const c = await client();
    const group = 'verify-group';
    const p = await initProducer(c, 'verify-txn');
    assert.equal(await txnCommit(c, 4, p, group, 1n), ErrorCode.TRANSACTION_ABORTABLE);
    assert.equal(await txnCommit(c, 3, p, group, 1n, { memberId: '', generationId: -1, groupInstanceId: null }), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await txnCommit(c, 0, p, group, 1n), ErrorCode.INVALID_TXN_STATE);
    const offsets = tb.broker.partitions.getPartition('__consumer_offsets', 0)!;
    const end = offsets.logEndOffset;
    // Added with AddOffsetsToTxn, the same commit goes in.
    await addOffsets(c, p, group);
    assert.equal(await txnCommit(c, 4, p, group, 1n), ErrorCode.NONE);
    assert.ok(offsets.logEndOffset > end);
    // A newer instance fences this epoch: the coordinator says so through the verification.
    const next = await initProducer(c, 'verify-txn');
    assert.ok(next.producerEpoch > p.producerEpoch);
    assert.equal(await txnCommit(c, 4, p, group, 2n), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await committedOffset(c, group), -1n, 'the fenced transaction was aborted');
  });

  it('with transaction.partition.verification.enable=false the offsets go in without asking', async () => {
    const other = await startBroker({ config: { 'transaction.partition.verification.enable': 'false', 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' } });
    try {
      await other.broker.topics.createTopic({ name: TOPIC, numPartitions: 1 });
      const c = await WireClient.connect(other.port);
      clients.push(c);
      const p = await initProducer(c, 'unverified-txn');
      assert.equal(await txnCommit(c, 4, p, 'unverified-group', 1n), ErrorCode.NONE);
    } finally {
      await other.stop();
    }
  });
});
