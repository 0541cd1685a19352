/**
 * Golden bytes: for the same logical request, the frame this client writes (generated codecs
 * + the Connection's framing, at the version kafkajs speaks) is byte-identical to the frame
 * kafkajs's own request encoders and framing produce.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { type ApiDescriptor, apiByName } from '@samsa/protocol';
import { CompressionType, crc32c } from '@samsa/protocol/records';
import { BatchBuilder } from '../src/batch-builder.js';
import { encodeRequestFrame } from '@samsa/network';
import { encodeAssignment } from '../src/group/classic-membership.js';

const require = createRequire(import.meta.url);
const kjsFrame = require('kafkajs/src/protocol/request.js') as (a: { correlationId: number; clientId: string; request: unknown }) => Promise<{ buffer: Buffer }>;
const kjs = (path: string) => require(`kafkajs/src/protocol/requests/${path}/request.js`) as (args: Record<string, unknown>) => unknown;

const CLIENT_ID = 'golden-client';
const CORRELATION_ID = 4242;

async function theirs(request: unknown): Promise<Buffer> {
  const enc = await kjsFrame({ correlationId: CORRELATION_ID, clientId: CLIENT_ID, request });
  return enc.buffer;
}

function ours<Req>(api: ApiDescriptor<Req, unknown>, version: number, body: Req): Buffer {
  return Buffer.concat(encodeRequestFrame(api, version, CORRELATION_ID, CLIENT_ID, body));
}

describe('request frames are byte-identical to kafkajs', () => {
  it('Metadata v4 and v6 (named topics; all topics, which kafkajs writes from an empty list)', async () => {
    for (const v of [4, 6]) {
      assert.deepEqual(ours(apiByName.Metadata, v, { topics: [{ name: 'alpha' }, { name: 'beta' }], allowAutoTopicCreation: false }), await theirs(kjs(`metadata/v${v}`)({ topics: ['alpha', 'beta'], allowAutoTopicCreation: false })));
      assert.deepEqual(ours(apiByName.Metadata, v, { topics: null, allowAutoTopicCreation: true }), await theirs(kjs(`metadata/v${v}`)({ topics: [] })));
    }
  });

  it('Fetch v11', async () => {
    const body = {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 52428800,
      isolationLevel: 0,
      topics: [{ topic: 'alpha', partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: 12345678901n, partitionMaxBytes: 1048576 }, { partition: 2, fetchOffset: 0n, partitionMaxBytes: 1048576 }] }],
    };
    const k = kjs('fetch/v11')({
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0,
      topics: [{ topic: 'alpha', partitions: [{ partition: 0, currentLeaderEpoch: 3, fetchOffset: '12345678901', maxBytes: 1048576 }, { partition: 2, fetchOffset: '0', maxBytes: 1048576 }] }],
    });
    assert.deepEqual(ours(apiByName.Fetch, 11, body), await theirs(k));
  });

  it('ListOffsets v3 (earliest / latest)', async () => {
    const body = { replicaId: -1, isolationLevel: 1, topics: [{ name: 'alpha', partitions: [{ partitionIndex: 0, timestamp: -2n }, { partitionIndex: 1, timestamp: -1n }] }] };
    const k = kjs('listOffsets/v3')({ replicaId: -1, isolationLevel: 1, topics: [{ topic: 'alpha', partitions: [{ partition: 0, timestamp: -2 }, { partition: 1, timestamp: -1 }] }] });
    assert.deepEqual(ours(apiByName.ListOffsets, 3, body), await theirs(k));
  });

  it('FindCoordinator v2, Heartbeat v3, LeaveGroup v3', async () => {
    assert.deepEqual(ours(apiByName.FindCoordinator, 2, { key: 'my-group', keyType: 0 }), await theirs(kjs('findCoordinator/v2')({ coordinatorKey: 'my-group', coordinatorType: 0 })));
    assert.deepEqual(ours(apiByName.Heartbeat, 3, { groupId: 'g', generationId: 7, memberId: 'm-1', groupInstanceId: null }), await theirs(kjs('heartbeat/v3')({ groupId: 'g', groupGenerationId: 7, memberId: 'm-1', groupInstanceId: null })));
    assert.deepEqual(ours(apiByName.LeaveGroup, 3, { groupId: 'g', members: [{ memberId: 'm-1', groupInstanceId: null }] }), await theirs(kjs('leaveGroup/v3')({ groupId: 'g', members: [{ memberId: 'm-1', groupInstanceId: null }] })));
  });

  it('JoinGroup v5 and SyncGroup v3', async () => {
    const metadata = Buffer.from('0001000000010005616c706861ffffffff', 'hex');
    assert.deepEqual(
      ours(apiByName.JoinGroup, 5, { groupId: 'g', sessionTimeoutMs: 45000, rebalanceTimeoutMs: 300000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata }, { name: 'roundrobin', metadata }] }),
      await theirs(kjs('joinGroup/v5')({ groupId: 'g', sessionTimeout: 45000, rebalanceTimeout: 300000, memberId: '', protocolType: 'consumer', groupProtocols: [{ name: 'range', metadata }, { name: 'roundrobin', metadata }] })),
    );
    const assignment = encodeAssignment(new Map([['alpha', [0, 1]]]));
    assert.deepEqual(
      ours(apiByName.SyncGroup, 3, { groupId: 'g', generationId: 1, memberId: 'm-1', groupInstanceId: null, assignments: [{ memberId: 'm-1', assignment }] }),
      await theirs(kjs('syncGroup/v3')({ groupId: 'g', generationId: 1, memberId: 'm-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: assignment }] })),
    );
  });

  it('OffsetCommit v5 and OffsetFetch v4', async () => {
    assert.deepEqual(
      ours(apiByName.OffsetCommit, 5, { groupId: 'g', generationIdOrMemberEpoch: 3, memberId: 'm-1', topics: [{ name: 'alpha', partitions: [{ partitionIndex: 0, committedOffset: 99n, committedMetadata: null }, { partitionIndex: 1, committedOffset: 5000000000n, committedMetadata: null }] }] }),
      await theirs(kjs('offsetCommit/v5')({ groupId: 'g', groupGenerationId: 3, memberId: 'm-1', topics: [{ topic: 'alpha', partitions: [{ partition: 0, offset: '99' }, { partition: 1, offset: '5000000000' }] }] })),
    );
    assert.deepEqual(
      ours(apiByName.OffsetFetch, 4, { groupId: 'g', topics: [{ name: 'alpha', partitionIndexes: [0, 1, 2] }] }),
      await theirs(kjs('offsetFetch/v4')({ groupId: 'g', topics: [{ topic: 'alpha', partitions: [{ partition: 0 }, { partition: 1 }, { partition: 2 }] }] })),
    );
  });

  it('CreateTopics v3', async () => {
    assert.deepEqual(
      ours(apiByName.CreateTopics, 3, { topics: [{ name: 'alpha', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000, validateOnly: false }),
      await theirs(kjs('createTopics/v3')({ topics: [{ topic: 'alpha', numPartitions: 4, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], timeout: 5000, validateOnly: false })),
    );
  });

  for (const [name, codec, kjsCodec] of [['none', CompressionType.None, 0], ['gzip', CompressionType.Gzip, 1]] as const) {
    it(`Produce v7 with a record batch (${name}); batch header differs only where Java and kafkajs differ`, async () => {
      const ts = 1_700_000_000_000;
      const messages = Array.from({ length: 5 }, (_, i) => ({ key: i === 2 ? null : Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`.repeat(i + 1)), headers: i % 2 === 0 ? [{ key: 'h', value: Buffer.from(`x${i}`) }] : [], timestamp: ts + i * 3 }));
      const builder = new BatchBuilder(16384, ts);
      for (const m of messages) builder.append(m.timestamp, m.key, m.value, m.headers);
      const batch = await builder.close(codec, -1n, -1, -1);
      // kafkajs writes partitionLeaderEpoch 0, producerEpoch 0, baseSequence 0 when not idempotent;
      // Java (and we) write -1. Align those three fields, re-CRC, and demand identical bytes.
      batch.writeInt32BE(0, 12);
      batch.writeInt16BE(0, 51);
      batch.writeInt32BE(0, 53);
      batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
      const mine = ours(apiByName.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'alpha', partitionData: [{ index: 3, records: batch }] }] });
      const k = kjs('produce/v7')({
        acks: -1, timeout: 30000, compression: kjsCodec,
        topicData: [{ topic: 'alpha', partitions: [{ partition: 3, messages: messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: Object.fromEntries(m.headers.map((h) => [h.key, h.value])) })) }] }],
      });
      assert.deepEqual(mine, await theirs(k));
    });
  }
});
