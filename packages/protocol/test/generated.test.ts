// Known-answer tests: bytes written out by hand from the protocol guide's encoding rules, so
// the generated codecs are checked against something that does not come from the generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeApiVersionsRequest, decodeApiVersionsResponse, decodeMetadataRequest, decodeRequestHeader,
  decodeResponseHeader, decodeFetchResponse, decodeConsumerGroupMemberMetadataValue,
  encodeApiVersionsRequest, encodeApiVersionsResponse, encodeMetadataRequest, encodeOffsetCommitValue,
  encodeProduceRequest, encodeRequestHeader, encodeResponseHeader, encodeFetchResponse,
  encodeConsumerGroupMemberMetadataValue, decodeOffsetCommitValue,
} from '../src/generated/index.js';
import { ApiKey, apiByKey, apiByName, apis } from '../src/apis.js';
import { ProtocolDecodeError, ProtocolEncodeError } from '../src/primitives/errors.js';
import { Reader } from '../src/primitives/reader.js';
import { Writer } from '../src/primitives/writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

function encoded(fn: (w: Writer) => void): string {
  const w = new Writer();
  fn(w);
  return w.toBuffer().toString('hex');
}

test('RequestHeader v1: int16 key, int16 version, int32 correlation id, int16-length client id', () => {
  const bytes = hex('0012 0000 00000001 0002 6162');
  assert.equal(encoded((w) => encodeRequestHeader(w, 1, { requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'ab' })), bytes.toString('hex'));
  assert.deepEqual(decodeRequestHeader(new Reader(bytes), 1), { requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'ab' });
  // null client id: length -1
  assert.equal(encoded((w) => encodeRequestHeader(w, 1, { requestApiKey: 3, requestApiVersion: 1, correlationId: 7, clientId: null })), '0003000100000007ffff');
});

test('RequestHeader v2 keeps the client id non-compact, then an empty tagged section', () => {
  const bytes = hex('0012 0003 00000007 0001 61 00');
  assert.equal(encoded((w) => encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'a' })), bytes.toString('hex'));
  const r = new Reader(bytes);
  assert.deepEqual(decodeRequestHeader(r, 2), { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'a' });
  assert.equal(r.remaining, 0);
});

test('ResponseHeader v0 is the correlation id; v1 adds tagged fields', () => {
  assert.equal(encoded((w) => encodeResponseHeader(w, 0, { correlationId: 258 })), '00000102');
  assert.equal(encoded((w) => encodeResponseHeader(w, 1, { correlationId: 258 })), '0000010200');
  assert.deepEqual(decodeResponseHeader(new Reader(hex('0000010200')), 1), { correlationId: 258 });
});

test('ApiVersions v0: empty request; response is error code + int32-counted array', () => {
  assert.equal(encoded((w) => encodeApiVersionsRequest(w, 0, {})), '');
  const response = hex('0000 | 00000002 | 0000 0000 0009 | 0012 0000 0003');
  const msg = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 9 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }] };
  assert.equal(encoded((w) => encodeApiVersionsResponse(w, 0, msg)), response.toString('hex'));
  assert.deepEqual(decodeApiVersionsResponse(new Reader(response), 0), {
    ...msg, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false,
  });
});

test('ApiVersions v3 request: compact strings (length + 1) and a tagged section', () => {
  const bytes = hex('0b 6b61666b612d746f6f6c | 04 312e30 | 00'); // "kafka-tool", "1.0"
  assert.equal(encoded((w) => encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'kafka-tool', clientSoftwareVersion: '1.0' })), bytes.toString('hex'));
  assert.deepEqual(decodeApiVersionsRequest(new Reader(bytes), 3), { clientSoftwareName: 'kafka-tool', clientSoftwareVersion: '1.0' });
});

test('ApiVersions v3 response: tagged field written only when not its default, in tag order', () => {
  const base = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
  // All tagged fields at their defaults: empty tagged section.
  assert.equal(encoded((w) => encodeApiVersionsResponse(w, 3, base)), '0000' + '01' + '00000000' + '00');
  // FinalizedFeaturesEpoch (tag 1, int64) = 5 and ZkMigrationReady (tag 3, bool) = true.
  const bytes = hex('0000 01 00000000 | 02 | 01 08 0000000000000005 | 03 01 01');
  assert.equal(encoded((w) => encodeApiVersionsResponse(w, 3, { ...base, finalizedFeaturesEpoch: 5n, zkMigrationReady: true })), bytes.toString('hex'));
  const decoded = decodeApiVersionsResponse(new Reader(bytes), 3);
  assert.equal(decoded.finalizedFeaturesEpoch, 5n);
  assert.equal(decoded.zkMigrationReady, true);
  assert.deepEqual(decoded.supportedFeatures, []);
});

test('unknown tagged fields are kept on decode and re-encoded in tag order', () => {
  // tag 1 known (int64), tags 5 and 7 unknown.
  const bytes = hex('0000 01 00000000 | 03 | 01 08 0000000000000009 | 05 02 abcd | 07 00');
  const decoded = decodeApiVersionsResponse(new Reader(bytes), 3);
  assert.deepEqual(decoded._unknownTaggedFields, [{ tag: 5, data: hex('abcd') }, { tag: 7, data: Buffer.alloc(0) }]);
  assert.equal(decoded.finalizedFeaturesEpoch, 9n);
  assert.equal(encoded((w) => encodeApiVersionsResponse(w, 3, decoded)), bytes.toString('hex'));
  // Kafka refuses tagged fields in a version without them.
  assert.throws(() => encodeApiVersionsResponse(new Writer(), 2, decoded), ProtocolEncodeError);
});

test('tagged fields out of order or overrunning their size are rejected', () => {
  assert.throws(() => decodeApiVersionsResponse(new Reader(hex('0000 01 00000000 | 02 | 03 01 01 | 01 08 0000000000000009')), 3), ProtocolDecodeError);
  assert.throws(() => decodeApiVersionsResponse(new Reader(hex('0000 01 00000000 | 01 | 01 04 0000000000000009')), 3), ProtocolDecodeError);
});

test('Metadata v0 request: int32-counted array of int16-length strings; null array from v1', () => {
  assert.equal(encoded((w) => encodeMetadataRequest(w, 0, { topics: [{ name: 'foo' }] })), '00000001' + '0003' + '666f6f');
  assert.equal(encoded((w) => encodeMetadataRequest(w, 1, { topics: null })), 'ffffffff');
  assert.throws(() => encodeMetadataRequest(new Writer(), 0, { topics: null }), ProtocolEncodeError);
  assert.throws(() => decodeMetadataRequest(new Reader(hex('ffffffff')), 0), ProtocolDecodeError);
  assert.equal(decodeMetadataRequest(new Reader(hex('ffffffff')), 1).topics, null);
  // v9 (flexible) with topic ids (v10+): compact array, uuid, compact nullable name, tagged fields.
  const id = '0123456789abcdef0123456789abcdef'.replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
  const v12 = encoded((w) => encodeMetadataRequest(w, 12, {
    topics: [{ topicId: id, name: null }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false,
  }));
  assert.equal(v12, '02' + '0123456789abcdef0123456789abcdef' + '00' + '00' + '01' + '00' + '00');
});

test('a non-default value in a version without the field throws unless the field is ignorable', () => {
  assert.throws(
    () => encodeProduceRequest(new Writer(), 2, { transactionalId: 'tx', acks: 1, timeoutMs: 1000, topicData: [] }),
    (e: unknown) => e instanceof ProtocolEncodeError && /transactionalId/.test(e.message),
  );
  // Default (null) is fine in v2.
  assert.equal(encoded((w) => encodeProduceRequest(w, 2, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] })), '0001' + '000003e8' + '00000000');
  // OffsetCommitValue.leaderEpoch (v3+) is ignorable: dropped silently in v1, which has
  // expireTimestamp instead.
  const v1 = encoded((w) => encodeOffsetCommitValue(w, 1, { offset: 5n, leaderEpoch: 7, metadata: '', commitTimestamp: 1n, expireTimestamp: 2n }));
  assert.equal(v1, '0000000000000005' + '0000' + '0000000000000001' + '0000000000000002');
  assert.deepEqual(decodeOffsetCommitValue(new Reader(hex(v1)), 1), { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: 1n, expireTimestamp: 2n });
});

test('records are raw bytes, null as length -1 (or compact 0); large batches are not copied', () => {
  const batch = Buffer.alloc(10000, 7);
  const w = new Writer();
  encodeFetchResponse(w, 4, {
    throttleTimeMs: 0,
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 10n, lastStableOffset: 10n, abortedTransactions: null, records: batch }] }],
  });
  const chunks = w.chunks();
  assert.ok(chunks.some((c) => c === batch), 'the batch buffer is referenced, not copied');
  const bytes = Buffer.concat(chunks);
  const decoded = decodeFetchResponse(new Reader(bytes), 4);
  const p = decoded.responses[0]!.partitions[0]!;
  assert.equal(p.records!.length, 10000);
  assert.equal(p.records!.buffer, bytes.buffer, 'decoded records are a view of the frame');
  assert.equal(p.abortedTransactions, null);
});

test('nullable struct: int8 -1/1 prefix in place, varint 0/1 inside a tagged field', () => {
  // ConsumerGroupMemberMetadataValue.ClassicMemberMetadata: tagged (tag 0), nullable, default null.
  const value = {
    instanceId: null, rackId: null, clientId: 'c', clientHost: 'h', subscribedTopicNames: [],
    subscribedTopicRegex: null, rebalanceTimeoutMs: 5, serverAssignor: null,
    classicMemberMetadata: { sessionTimeoutMs: 1, supportedProtocols: [] },
  };
  const w = new Writer();
  encodeConsumerGroupMemberMetadataValue(w, 0, value);
  const bytes = w.toBuffer();
  const tail = bytes.subarray(bytes.length - 10).toString('hex');
  // 1 tagged field, tag 0, size 7: varint 1 (non-null), int32 1, compact array (0 elems), tags 0
  assert.equal(tail, '01' + '00' + '07' + '01' + '00000001' + '01' + '00');
  const decoded = decodeConsumerGroupMemberMetadataValue(new Reader(bytes), 0);
  assert.deepEqual(decoded.classicMemberMetadata, { sessionTimeoutMs: 1, supportedProtocols: [] });
});

test('api table: keys, version ranges and header versions', () => {
  assert.equal(ApiKey.Produce, 0);
  assert.equal(ApiKey.ApiVersions, 18);
  assert.equal(apiByName.Produce.apiKey, 0);
  assert.equal(apiByKey(18)?.name, 'ApiVersions');
  assert.equal(apiByKey(-1), undefined);
  assert.equal(apis[ApiKey.Fetch]?.name, 'Fetch');
  const produce = apiByName.Produce;
  assert.equal(produce.minVersion, 0);
  assert.equal(produce.flexibleFrom, 9);
  assert.deepEqual([produce.requestHeaderVersion(8), produce.responseHeaderVersion(8)], [1, 0]);
  assert.deepEqual([produce.requestHeaderVersion(9), produce.responseHeaderVersion(9)], [2, 1]);
  assert.equal(apiByName.ApiVersions.responseHeaderVersion(3), 0, 'ApiVersions response header is always v0');
  assert.equal(apiByName.ApiVersions.requestHeaderVersion(3), 2);
  assert.equal(apiByName.ControlledShutdown.requestHeaderVersion(0), 0);
  assert.equal(apiByName.ControlledShutdown.requestHeaderVersion(1), 1);
  assert.ok(produce.listeners.includes('broker'));
  for (const api of apis) {
    if (api === undefined) continue;
    assert.ok(api.minVersion <= api.maxVersion, api.name);
    assert.ok(api.flexibleFrom === -1 || (api.flexibleFrom >= api.minVersion), api.name);
  }
});

test('encoding and decoding outside the valid versions fail with protocol errors', () => {
  assert.throws(() => encodeApiVersionsRequest(new Writer(), 99, {}), ProtocolEncodeError);
  assert.throws(() => decodeApiVersionsRequest(new Reader(Buffer.alloc(0)), -1), ProtocolDecodeError);
  assert.throws(() => decodeMetadataRequest(new Reader(hex('000000010003666f')), 0), ProtocolDecodeError);
});
