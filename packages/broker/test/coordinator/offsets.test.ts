import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KafkaError, Reader, decodeOffsetCommitKey, decodeOffsetCommitValue, decodeRecordBatches, type OffsetCommitRequest } from '@samsa/protocol';
import { javaStringHashCode, kafkaAbs, partitionForGroup } from '../../src/coordinator/partitioner.js';
import { NUM_PARTITIONS, assignment, flush, harness, joinNew, state, sync, type Harness } from './harness.js';

async function commit(h: Harness, groupId: string, offsets: Array<[string, number, bigint]>, o: { generationId?: number; memberId?: string; metadata?: string; version?: number; retentionTimeMs?: bigint } = {}) {
  const req: OffsetCommitRequest = {
    groupId,
    generationIdOrMemberEpoch: o.generationId ?? -1,
    memberId: o.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: o.retentionTimeMs ?? -1n,
    topics: [...new Set(offsets.map((x) => x[0]))].map((name) => ({
      name,
      partitions: offsets.filter((x) => x[0] === name).map(([, p, off]) => ({ partitionIndex: p, committedOffset: off, committedLeaderEpoch: 3, committedMetadata: o.metadata ?? 'm' })),
    })),
  };
  const res = await h.coordinator.commitOffsets(req, o.version ?? 8);
  return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

function fetched(h: Harness, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null) {
  const r = h.coordinator.fetchOffsets(groupId, topics);
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset, p.metadata] as const));
}

async function stableGroup(h: Harness, groupId: string, topics = ['t']) {
  const j = await joinNew(h, groupId, { protocols: [{ name: 'range', metadata: (await import('./harness.js')).subscription(topics) }] });
  h.clock.advance(0);
  await flush();
  const r = j.value!;
  (await sync(h, groupId, r.memberId, r.generationId, [{ memberId: r.memberId, assignment: assignment('t', [0]) }])).promise;
  return r;
}

describe('group partitioning', () => {
  /** Java's String.hashCode computed independently, with BigInt and explicit wrap-around. */
  function referenceHash(s: string): number {
    let h = 0n;
    for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 4294967296n;
    return Number(BigInt.asIntN(32, h));
  }

  it('matches Java hashCode and Kafka Utils.abs(hash) % n', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('a'), 97);
    assert.equal(javaStringHashCode('abc'), 96354);
    assert.equal(javaStringHashCode('hello'), 99162322);
    // Overflows int32: values known from Java.
    assert.equal(javaStringHashCode('console-consumer'), referenceHash('console-consumer'));
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648, 'the famous Integer.MIN_VALUE string');
    assert.equal(kafkaAbs(-2147483648), 0);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('', 50), 0);
    assert.equal(partitionForGroup('a', 50), 97 % 50);
    for (const s of ['my-group', 'test-consumer-group', 'a much longer group id that overflows many times over', 'ünïcødé-𝄞']) {
      const hc = referenceHash(s);
      assert.equal(javaStringHashCode(s), hc);
      assert.equal(partitionForGroup(s, 50), (hc === -2147483648 ? 0 : Math.abs(hc)) % 50);
    }
  });
});

describe('offsets', () => {
  it('commit and fetch, simple groups, null topics = all, unknown partitions = -1', async () => {
    const h = await harness();
    assert.deepEqual(await commit(h, 'g', [['t', 0, 10n], ['t', 1, 20n], ['u', 0, 5n]]), [0, 0, 0]);
    assert.deepEqual(fetched(h, 'g', [{ name: 't', partitionIndexes: [0, 1, 2] }]), [['t', 0, 10n, 'm'], ['t', 1, 20n, 'm'], ['t', 2, -1n, '']]);
    assert.deepEqual(fetched(h, 'g', null).length, 3);
    assert.deepEqual(fetched(h, 'nobody', [{ name: 't', partitionIndexes: [0] }]), [['t', 0, -1n, '']]);
    assert.equal(state(h, 'g'), 'Empty');
    assert.deepEqual(h.coordinator.listGroups().groups.map((g) => [g.groupId, g.protocolType, g.groupState]), [['g', '', 'Empty']]);
  });

  it('OFFSET_METADATA_TOO_LARGE for metadata over offset.metadata.max.bytes; others still written', async () => {
    const h = await harness({ offsetMetadataMaxBytes: 10 });
    const req: OffsetCommitRequest = {
      groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 't', partitions: [
        { partitionIndex: 0, committedOffset: 1n, committedMetadata: 'x'.repeat(11) },
        { partitionIndex: 1, committedOffset: 2n, committedMetadata: 'x'.repeat(10) },
      ] }],
    };
    const res = await h.coordinator.commitOffsets(req, 8);
    assert.deepEqual(res.topics[0]!.partitions.map((p) => p.errorCode), [ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE]);
    assert.deepEqual(fetched(h, 'g', [{ name: 't', partitionIndexes: [0, 1] }]).map((x) => x[2]), [-1n, 2n]);
  });

  it('group commits are checked against the generation and member', async () => {
    const h = await harness();
    assert.deepEqual(await commit(h, '', [['t', 0, 1n]]), [ErrorCode.INVALID_GROUP_ID]);
    assert.deepEqual(await commit(h, 'nogroup', [['t', 0, 1n]], { generationId: 1, memberId: 'm' }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit(h, 'nogroup', [['t', 0, 1n]], { generationId: 1, memberId: 'm', version: 9 }), [ErrorCode.GROUP_ID_NOT_FOUND]);
    const a = await joinNew(h, 'g');
    h.clock.advance(0);
    await flush();
    const r = a.value!;
    assert.equal(state(h, 'g'), 'CompletingRebalance');
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]], { generationId: r.generationId, memberId: r.memberId }), [ErrorCode.REBALANCE_IN_PROGRESS]);
    (await sync(h, 'g', r.memberId, r.generationId, [])).promise;
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]], { generationId: r.generationId, memberId: r.memberId }), [ErrorCode.NONE]);
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]], { generationId: r.generationId + 1, memberId: r.memberId }), [ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]], { generationId: r.generationId, memberId: 'other' }), [ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]]), [ErrorCode.UNKNOWN_MEMBER_ID], 'no generation while the group has members');
  });

  it('OffsetDelete refuses topics the group consumes (GROUP_SUBSCRIBED_TO_TOPIC) and deletes the rest', async () => {
    const h = await harness();
    const r = await stableGroup(h, 'g', ['t']);
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n], ['old', 0, 7n]], { generationId: r.generationId, memberId: r.memberId }), [0, 0]);
    const res = await h.coordinator.deleteOffsets({ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'old', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.deepEqual(res.topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
    assert.deepEqual(fetched(h, 'g', null).map((x) => x[0]), ['t']);
    assert.equal((await h.coordinator.deleteOffsets({ groupId: 'none', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('offsets of an empty group expire after offsets.retention.minutes, then the group is deleted', async () => {
    const h = await harness({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 1000 });
    await commit(h, 'g', [['t', 0, 1n]]);
    h.clock.advance(30_000);
    await commit(h, 'g', [['t', 1, 2n]]);
    h.clock.advance(30_000);
    assert.deepEqual(fetched(h, 'g', null).map((x) => x[1]), [1], 'the first commit expired, the second did not');
    h.clock.advance(30_000);
    assert.deepEqual(fetched(h, 'g', null), []);
    assert.equal(state(h, 'g'), 'Dead');
    // A consumer group's offsets count from when the group became empty, not from the commit.
    const r = await stableGroup(h, 'c');
    await commit(h, 'c', [['t', 0, 5n]], { generationId: r.generationId, memberId: r.memberId });
    for (let i = 0; i < 24; i++) {
      h.clock.advance(5000);
      assert.equal(h.coordinator.heartbeat({ groupId: 'c', generationId: r.generationId, memberId: r.memberId }), ErrorCode.NONE);
    }
    assert.equal(fetched(h, 'c', null).length, 1, 'a group with members keeps its offsets');
    await h.coordinator.leaveGroup({ groupId: 'c', memberId: r.memberId }, 1);
    h.clock.advance(59_000);
    assert.equal(fetched(h, 'c', null).length, 1);
    h.clock.advance(2000);
    assert.equal(fetched(h, 'c', null).length, 0);
  });

  it('a fresh coordinator replaying the log has the same groups and offsets; Kafka-format readers see every commit', async () => {
    const h = await harness();
    const r = await stableGroup(h, 'g1');
    await commit(h, 'g1', [['t', 0, 100n], ['t', 1, 200n]], { generationId: r.generationId, memberId: r.memberId });
    await commit(h, 'simple', [['t', 0, 1n]]);
    await commit(h, 'simple', [['t', 0, 2n]]);
    await commit(h, 'gone', [['t', 0, 3n]]);
    await h.coordinator.deleteGroups(['gone']);

    const again = await harness({}, { clock: h.clock, writer: h.writer });
    for (const g of ['g1', 'simple', 'gone']) {
      assert.deepEqual(fetched(again, g, null), fetched(h, g, null), g);
      const a = again.coordinator.describeGroups([g])[0]!;
      const b = h.coordinator.describeGroups([g])[0]!;
      assert.deepEqual(a, b, g);
    }
    assert.equal(state(again, 'g1'), 'Stable');
    assert.deepEqual(again.coordinator.listGroups().groups.map((g) => g.groupId).sort(), ['g1', 'simple']);
    // The loaded member must keep heartbeating, like any member.
    assert.equal(again.coordinator.heartbeat({ groupId: 'g1', generationId: r.generationId, memberId: r.memberId }), ErrorCode.NONE);

    // Read the batches as any consumer of __consumer_offsets would, with Kafka's schemas.
    const commits: string[] = [];
    for (let p = 0; p < NUM_PARTITIONS; p++) {
      for (const batch of decodeRecordBatches(h.writer.batches(p))) {
        for (const rec of batch.records) {
          const kr = new Reader(rec.key!);
          const type = kr.int16();
          if (type > 1) continue;
          const key = decodeOffsetCommitKey(kr, type);
          assert.equal(partitionForGroup(key.group, NUM_PARTITIONS), p, 'each group in its own partition');
          if (rec.value === null) {
            commits.push(`${key.group}/${key.topic}/${key.partition}=tombstone`);
            continue;
          }
          const vr = new Reader(rec.value);
          const version = vr.int16();
          assert.equal(version, 3);
          const v = decodeOffsetCommitValue(vr, version);
          commits.push(`${key.group}/${key.topic}/${key.partition}=${v.offset}@${v.leaderEpoch}`);
        }
      }
    }
    assert.deepEqual(commits.sort(), ['g1/t/0=100@3', 'g1/t/1=200@3', 'gone/t/0=3@3', 'gone/t/0=tombstone', 'simple/t/0=1@3', 'simple/t/0=2@3']);
  });

  it('NOT_COORDINATOR for partitions not loaded here, COORDINATOR_LOAD_IN_PROGRESS while loading', async () => {
    const h = await harness();
    const p = h.coordinator.partitionFor('g');
    h.coordinator.unloadPartition(p);
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]]), [ErrorCode.NOT_COORDINATOR]);
    assert.equal(h.coordinator.groupStatus('g'), ErrorCode.NOT_COORDINATOR);
    const loading = h.coordinator.loadPartition(p);
    // load() replays synchronously up to its first yield; an empty log is done at once.
    await loading;
    assert.equal(h.coordinator.groupStatus('g'), ErrorCode.NONE);
  });

  it('offsets of deleted topics are deleted in every group', async () => {
    const h = await harness();
    await commit(h, 'g1', [['gone', 0, 1n], ['kept', 0, 2n]]);
    await commit(h, 'g2', [['gone', 3, 4n]]);
    h.coordinator.onTopicsDeleted(['gone']);
    assert.deepEqual(fetched(h, 'g1', null).map((x) => x[0]), ['kept']);
    assert.deepEqual(fetched(h, 'g2', null), []);
  });

  it('a failed write answers with a coordinator error and changes nothing', async () => {
    const h = await harness();
    h.writer.failAppends = new Error('disk on fire');
    assert.deepEqual(await commit(h, 'g', [['t', 0, 1n]]), [ErrorCode.UNKNOWN_SERVER_ERROR]);
    h.writer.failAppends = null;
    assert.deepEqual(fetched(h, 'g', [{ name: 't', partitionIndexes: [0] }]).map((x) => x[2]), [-1n]);
  });

  it('a failed append answers as Kafka maps it (storage error: NOT_COORDINATOR; too few replicas: COORDINATOR_NOT_AVAILABLE) and keeps the committed offset', async () => {
    const h = await harness();
    await commit(h, 'g', [['t', 0, 5n]]);
    h.writer.failAppends = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log dir offline');
    assert.deepEqual(await commit(h, 'g', [['t', 0, 9n]]), [ErrorCode.NOT_COORDINATOR]);
    h.writer.failAppends = new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, 'ISR too small');
    assert.deepEqual(await commit(h, 'g', [['t', 0, 9n]]), [ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    h.writer.failAppends = null;
    assert.deepEqual(fetched(h, 'g', [{ name: 't', partitionIndexes: [0] }]).map((x) => x[2]), [5n]);
  });
});
