// Golden bytes: request frames captured from real clients (kafkajs, librdkafka via kcat,
// kafka-python, @platformatic/kafka) by capture.ts. Each frame must decode with the generated
// codecs at the captured version to the values the client was driven with, and re-encode to
// the very same bytes; the record batches in Produce requests must decode, codec by codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, apis } from '../../src/apis.js';
import { peekRequestHeader } from '../../src/framing.js';
import { decodeConsumerProtocolAssignment } from '../../src/generated/consumer-protocol-assignment.js';
import { decodeConsumerProtocolSubscription } from '../../src/generated/consumer-protocol-subscription.js';
import { decodeRequestHeader, encodeRequestHeader } from '../../src/generated/request-header.js';
import { ProtocolDecodeError } from '../../src/primitives/errors.js';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
import {
  ATTR_COMPRESSION_MASK,
  crc32c,
  decodeRecordBatches,
  type DecodedRecord,
  toDecodedRecords,
  verifyBatchCrc,
  BATCH_ATTRIBUTES,
} from '../../src/records/index.js';
import { firstDifference, loadGoldenFrames } from '../support/golden-fixtures.js';
import {
  CLIENT_IDS,
  CODEC_IDS,
  type CodecName,
  FETCH_RECORDS,
  GOLDEN_GROUP,
  GOLDEN_PRODUCER_EPOCH,
  GOLDEN_PRODUCER_ID,
  GOLDEN_TOPIC,
  type GoldenClient,
  type GoldenFixture,
  producedRecords,
  TOPIC_IDS,
} from '../support/golden-inputs.js';

const frames = loadGoldenFrames();
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

interface Decoded {
  header: ReturnType<typeof decodeRequestHeader>;
  body: any;
}

function decodeFrame(fixture: GoldenFixture, frame: Buffer): Decoded {
  const api = apis[fixture.apiKey]!;
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, api.requestHeaderVersion(fixture.apiVersion));
  const body = api.decodeRequest(r, fixture.apiVersion);
  assert.equal(r.pos, frame.length, `${fixture.file}: ${frame.length - r.pos} bytes left after the body`);
  return { header, body };
}

function reencode(fixture: GoldenFixture, d: Decoded): Buffer {
  const api = apis[fixture.apiKey]!;
  const w = new Writer();
  encodeRequestHeader(w, api.requestHeaderVersion(fixture.apiVersion), d.header);
  api.encodeRequest(w, fixture.apiVersion, d.body as never);
  return w.toBuffer();
}

const isIdempotent = (f: GoldenFixture): boolean => f.scenario.startsWith('produce-idempotent');
const topicName = (t: { topic?: string; topicId?: string; name?: string }, version: number, idFrom: number): string =>
  version >= idFrom ? (Object.keys(TOPIC_IDS).find((n) => TOPIC_IDS[n] === t.topicId) ?? `<unknown id ${t.topicId}>`) : (t.topic ?? t.name ?? '');
const groupOf = (f: GoldenFixture): string => (f.client === 'kafkajs' ? GOLDEN_GROUP : `${GOLDEN_GROUP}-${f.client}`);

/** Decoded records of a Produce frame, after checking each batch's header against the scenario. */
function checkProduce(f: GoldenFixture, body: any): DecodedRecord[] {
  assert.equal(body.acks, -1, 'acks=all');
  assert.equal(body.transactionalId, null);
  assert.ok(body.timeoutMs > 0);
  assert.equal(body.topicData.length, 1);
  const topic = body.topicData[0];
  assert.equal(topic.name, GOLDEN_TOPIC);
  assert.equal(topic.partitionData.length, 1);
  assert.equal(topic.partitionData[0].index, 0);
  const records: Buffer = topic.partitionData[0].records;
  assert.ok(records !== null && records.length > 0);
  const batches = decodeRecordBatches(records); // checks CRC32C while decoding
  assert.ok(batches.length >= 1);
  const total = batches.reduce((n, b) => n + b.sizeInBytes, 0);
  assert.equal(total, records.length, 'the records field holds whole batches only');
  const out: DecodedRecord[] = [];
  let pos = 0;
  for (const b of batches) {
    assert.equal(b.magic, 2);
    assert.ok(verifyBatchCrc(records, pos));
    assert.equal(b.crc, crc32c(records.subarray(pos + BATCH_ATTRIBUTES, pos + b.sizeInBytes)));
    assert.equal(b.attributes & ATTR_COMPRESSION_MASK, CODEC_IDS[f.codec!], `compression codec in the attributes of ${f.file}`);
    assert.equal(b.compression, CODEC_IDS[f.codec!]);
    if (f.codec === 'snappy') {
      // kafka-python (like the Java client) writes xerial-framed snappy; the others raw snappy
      const xerial = b.recordsData.subarray(0, 8).equals(XERIAL_MAGIC);
      assert.equal(xerial, f.client === 'kafka-python', `${f.client} snappy framing`);
    }
    assert.equal(b.baseOffset, 0n);
    assert.equal(b.isTransactional, false);
    assert.equal(b.isControl, false);
    assert.equal(b.recordCount, b.records.length);
    assert.equal(b.lastOffsetDelta, b.records.length - 1);
    if (isIdempotent(f)) {
      assert.equal(b.producerId, GOLDEN_PRODUCER_ID);
      assert.equal(b.producerEpoch, GOLDEN_PRODUCER_EPOCH);
      assert.equal(b.baseSequence, out.length);
    } else {
      assert.equal(b.producerId, -1n);
      // librdkafka and kafka-python write Kafka's NO_PRODUCER_EPOCH/NO_SEQUENCE (-1); kafkajs and
      // @platformatic/kafka write epoch 0 and sequence 0 without a producer id: a broker must
      // not treat those as idempotent batches
      const zeros = f.client === 'kafkajs' || f.client === 'platformatic';
      assert.equal(b.producerEpoch, zeros ? 0 : -1, 'producer epoch');
      assert.equal(b.baseSequence, zeros ? 0 : -1, 'base sequence');
    }
    for (let i = 0; i < b.records.length; i++) assert.equal(b.records[i]!.offsetDelta, i);
    out.push(...toDecodedRecords(b));
    pos += b.sizeInBytes;
  }
  return out;
}

/** API-specific expectations: what each client was driven to send. */
function checkBody(f: GoldenFixture, d: Decoded): void {
  const v = f.apiVersion;
  const b = d.body;
  switch (f.apiKey) {
    case ApiKey.ApiVersions:
      if (v >= 3) {
        assert.ok(b.clientSoftwareName.length > 0, 'client software name');
        assert.match(b.clientSoftwareVersion, /^[a-zA-Z0-9.\-]+$/);
      }
      if (f.client === 'kcat') assert.equal(b.clientSoftwareName, 'librdkafka');
      break;
    case ApiKey.Metadata:
      // null (v1+: all topics) or an empty array (v0: all topics; v1+: brokers only)
      if (b.topics !== null) {
        for (const t of b.topics) assert.equal(t.name, GOLDEN_TOPIC);
      }
      break;
    case ApiKey.Produce:
      checkProduce(f, b);
      break;
    case ApiKey.InitProducerId:
      assert.equal(b.transactionalId, null);
      assert.ok(isIdempotent(f));
      if (v >= 3) {
        // librdkafka sends NO_PRODUCER_ID/-1 as Kafka's clients do; @platformatic/kafka sends 0/0
        const none = f.client === 'platformatic' ? [0n, 0] : [-1n, -1];
        assert.deepEqual([b.producerId, b.producerEpoch], none);
      }
      break;
    case ApiKey.ListOffsets: {
      assert.equal(b.replicaId, -1);
      assert.equal(b.topics.length, 1);
      assert.equal(b.topics[0].name, GOLDEN_TOPIC);
      const p = b.topics[0].partitions;
      assert.ok(p.length >= 1);
      for (const part of p) {
        assert.equal(part.partitionIndex, 0);
        assert.ok(part.timestamp === -1n || part.timestamp === -2n, `timestamp ${part.timestamp}`);
      }
      break;
    }
    case ApiKey.Fetch: {
      if (v < 15) assert.equal(b.replicaId, -1);
      assert.ok(b.maxWaitMs >= 0);
      assert.equal(b.topics.length, 1);
      assert.equal(topicName(b.topics[0], v, 13), GOLDEN_TOPIC);
      const parts = b.topics[0].partitions;
      assert.equal(parts.length, 1);
      assert.equal(parts[0].partition, 0);
      assert.ok(parts[0].fetchOffset === 0n || parts[0].fetchOffset === BigInt(FETCH_RECORDS.length), `fetchOffset ${parts[0].fetchOffset}`);
      assert.ok(parts[0].partitionMaxBytes > 0);
      break;
    }
    case ApiKey.FindCoordinator:
      if (v >= 4) assert.deepEqual(b.coordinatorKeys, [groupOf(f)]);
      else assert.equal(b.key, groupOf(f));
      assert.equal(b.keyType, 0);
      break;
    case ApiKey.JoinGroup: {
      assert.equal(b.groupId, groupOf(f));
      assert.equal(b.protocolType, 'consumer');
      assert.ok(b.sessionTimeoutMs > 0);
      assert.ok(b.protocols.length >= 1);
      for (const p of b.protocols) {
        const r = new Reader(p.metadata);
        let version = r.int16();
        if (f.client === 'platformatic') {
          // @platformatic/kafka 1.35 labels its subscription v1 but writes the v0 layout (no
          // ownedPartitions): only v0 reads it. A broker parsing subscriptions must tolerate that.
          assert.equal(version, 1);
          assert.throws(() => decodeConsumerProtocolSubscription(new Reader(p.metadata, 2), 1), ProtocolDecodeError);
          version = 0;
        }
        const sub = decodeConsumerProtocolSubscription(r, Math.min(version, 3));
        assert.equal(r.remaining, 0);
        assert.deepEqual(sub.topics, [GOLDEN_TOPIC], `subscription of protocol ${p.name}`);
      }
      break;
    }
    case ApiKey.SyncGroup:
      assert.equal(b.groupId, groupOf(f));
      for (const a of b.assignments) {
        const r = new Reader(a.assignment);
        const version = r.int16();
        const assignment = decodeConsumerProtocolAssignment(r, Math.min(version, 3));
        assert.deepEqual(
          assignment.assignedPartitions.map((t) => [t.topic, t.partitions]),
          [[GOLDEN_TOPIC, [0]]],
        );
      }
      break;
    case ApiKey.OffsetFetch:
      if (v >= 8) assert.equal(b.groups[0].groupId, groupOf(f));
      else assert.equal(b.groupId, groupOf(f));
      break;
    case ApiKey.OffsetCommit:
      assert.equal(b.groupId, groupOf(f));
      assert.equal(b.topics[0].name, GOLDEN_TOPIC);
      assert.equal(b.topics[0].partitions[0].partitionIndex, 0);
      assert.equal(b.topics[0].partitions[0].committedOffset, BigInt(FETCH_RECORDS.length));
      break;
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
      assert.equal(b.groupId, groupOf(f));
      break;
    default:
      assert.fail(`no expectations written for ${f.apiName}`);
  }
}

for (const { fixture: f, frame } of frames) {
  test(`golden ${f.file}: ${f.client} ${f.apiName} v${f.apiVersion} (${f.scenario})`, () => {
    const peek = peekRequestHeader(frame);
    assert.ok(peek !== null);
    assert.equal(peek.apiKey, f.apiKey);
    assert.equal(peek.apiVersion, f.apiVersion);
    assert.equal(apis[f.apiKey]!.requestHeaderVersion(f.apiVersion), f.requestHeaderVersion);

    const d = decodeFrame(f, frame);
    assert.equal(d.header.requestApiKey, f.apiKey);
    assert.equal(d.header.requestApiVersion, f.apiVersion);
    assert.equal(d.header.correlationId, peek.correlationId);
    assert.equal(d.header.clientId, CLIENT_IDS[f.client]);
    checkBody(f, d);

    const again = reencode(f, d);
    const at = firstDifference(again, frame);
    assert.equal(at, -1, `re-encoded ${f.file} differs at byte ${at} (lengths ${again.length} vs ${frame.length})`);
  });
}

test('golden Produce scenarios carry exactly the records each client was given', () => {
  const byScenario = new Map<string, { fixture: GoldenFixture; records: DecodedRecord[] }>();
  for (const { fixture: f, frame } of frames) {
    if (f.apiKey !== ApiKey.Produce) continue;
    const key = `${f.client}/${f.scenario}`;
    const entry = byScenario.get(key) ?? { fixture: f, records: [] };
    entry.records.push(...checkProduce(f, decodeFrame(f, frame).body));
    byScenario.set(key, entry);
  }
  assert.ok(byScenario.size > 0);
  for (const [key, { fixture, records }] of byScenario) {
    const expected = producedRecords(fixture.client, fixture.codec!);
    assert.equal(records.length, expected.length, key);
    for (let i = 0; i < expected.length; i++) {
      const got = records[i]!;
      const want = expected[i]!;
      assert.equal(got.key?.toString(), want.key, `${key} record ${i} key`);
      assert.equal(got.value?.toString(), want.value, `${key} record ${i} value`);
      assert.deepEqual(got.headers.map((h) => [h.key, h.value?.toString()]), want.headers, `${key} record ${i} headers`);
      if (want.timestamp !== undefined) assert.equal(got.timestamp, want.timestamp, `${key} record ${i} timestamp`);
      else assert.ok(got.timestamp > 1_600_000_000_000n, `${key} record ${i} has a wall-clock timestamp`);
      assert.equal(got.offset, BigInt(i));
    }
  }
});

test('golden fixtures cover every codec from kafkajs and librdkafka, and flexible versions', () => {
  const produced = (client: GoldenClient): Set<CodecName> =>
    new Set(frames.filter(({ fixture: f }) => f.client === client && f.apiKey === ApiKey.Produce).map(({ fixture: f }) => f.codec!));
  const all: CodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  assert.deepEqual([...produced('kcat')].sort(), [...all].sort(), 'librdkafka (kcat) codecs');
  assert.deepEqual([...produced('kafkajs')].sort(), [...all].sort(), 'kafkajs codecs');
  assert.deepEqual([...produced('kafka-python')].sort(), [...all].sort(), 'kafka-python codecs');
  assert.ok(produced('platformatic').has('lz4'));
  // flexible (compact + tagged fields) request bodies and header v2 are in the set
  const flexible = frames.filter(({ fixture: f }) => f.requestHeaderVersion === 2).map(({ fixture: f }) => f.apiName);
  for (const api of ['Produce', 'Fetch', 'Metadata', 'ApiVersions', 'JoinGroup']) assert.ok(flexible.includes(api), `a flexible ${api} frame`);
  const bytes = frames.reduce((n, { frame }) => n + frame.length, 0);
  assert.ok(bytes < 1_000_000, `fixtures total ${bytes} bytes`);
});
