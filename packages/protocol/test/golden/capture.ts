/**
 * Captures golden request frames from real Kafka clients. Run by hand (not part of the suite):
 *
 *   cd /work/main && node -C source --import tsx packages/protocol/test/golden/capture.ts
 *
 * It starts a tiny fake broker on 127.0.0.1 (an ephemeral port) built with the generated codecs,
 * drives kafkajs and @platformatic/kafka (in-process), kcat (librdkafka) and kafka-python
 * (/usr/bin/python3) against it with the deterministic inputs of test/support/golden-inputs.ts,
 * records every request frame, and rewrites test/golden/fixtures/ (one .bin per distinct frame
 * + manifest.json).
 * Pass client names (kafkajs kcat kafka-python platformatic) to capture only some; the fixture
 * directory is rewritten from what this run captured either way.
 * Needs: kcat on PATH, /usr/bin/python3 with the `kafka` module (and, for its snappy/lz4/zstd,
 * apt packages python3-snappy python3-lz4 python3-zstandard). Codecs that a client cannot
 * use on this machine are skipped with a note (kafka-python without python-snappy/lz4/zstandard).
 * kafkajs ships only gzip: snappy comes from the kafkajs-snappy plugin; lz4 and zstd plugins on
 * npm need native builds that npm here does not run, so the plugins below wrap lz4js (pure JS
 * LZ4 frame) and @toondepauw/node-zstd (prebuilt zstd) the same way those plugins wrap theirs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { apis, ApiKey } from '../../src/apis.js';
import { FrameDecoder, frameResponse, peekRequestHeader } from '../../src/framing.js';
import { decodeRequestHeader } from '../../src/generated/request-header.js';
import { Reader } from '../../src/primitives/reader.js';
import { Writer } from '../../src/primitives/writer.js';
import { createRecordBatch, encodeRecordBatch } from '../../src/records/index.js';
import {
  CLIENT_IDS,
  type CodecName,
  FETCH_RECORDS,
  GOLDEN_GROUP,
  GOLDEN_PRODUCER_EPOCH,
  GOLDEN_PRODUCER_ID,
  GOLDEN_TOPIC,
  GOLDEN_TOPIC_B,
  type GoldenClient,
  type GoldenFixture,
  type GoldenManifest,
  producedRecords,
  TOPIC_IDS,
} from '../support/golden-inputs.js';
import { GOLDEN_FIXTURES_DIR } from '../support/golden-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixturesDir = GOLDEN_FIXTURES_DIR;
const requireHere = createRequire(import.meta.url);
const PYTHON = '/usr/bin/python3';

// ---------------------------------------------------------------------------------------------
// the fake broker

/** Advertised [min, max] per API: enough for each client to pick its usual versions. */
const ADVERTISED: Array<[number, number, number]> = [
  [ApiKey.Produce, 0, 9],
  [ApiKey.Fetch, 0, 12],
  [ApiKey.ListOffsets, 0, 6],
  [ApiKey.Metadata, 0, 9],
  [ApiKey.OffsetCommit, 0, 8],
  [ApiKey.OffsetFetch, 0, 7],
  [ApiKey.FindCoordinator, 0, 3],
  [ApiKey.JoinGroup, 0, 7],
  [ApiKey.Heartbeat, 0, 4],
  [ApiKey.LeaveGroup, 0, 4],
  [ApiKey.SyncGroup, 0, 5],
  [ApiKey.ApiVersions, 0, 3],
  [ApiKey.InitProducerId, 0, 4],
  [ApiKey.OffsetForLeaderEpoch, 0, 4],
  // advertised only so kafka-python infers a recent broker version; never sent by these scenarios
  [ApiKey.DescribeAcls, 0, 2],
];

/**
 * @platformatic/kafka speaks only recent (mostly flexible) versions: it gets the generated
 * codecs' full range of every API the capture broker serves, so its newest versions are captured.
 */
const SERVED_LATEST = new Set(ADVERTISED.map(([k]) => k));
function advertisedFor(clientId: string | null | undefined): Array<[number, number, number]> {
  if (clientId !== CLIENT_IDS.platformatic) return ADVERTISED;
  return [...SERVED_LATEST].map((k) => [k, apis[k]!.minVersion, k === ApiKey.ApiVersions ? 3 : apis[k]!.maxVersion]);
}

const TOPIC_PARTITIONS: Record<string, number> = { [GOLDEN_TOPIC]: 1, [GOLDEN_TOPIC_B]: 2 };
const FETCH_HIGH_WATERMARK = BigInt(FETCH_RECORDS.length);
const fetchBatch = encodeRecordBatch(
  createRecordBatch(
    FETCH_RECORDS.map((r) => ({
      key: Buffer.from(r.key),
      value: Buffer.from(r.value),
      headers: r.headers.map(([k, v]) => ({ key: k, value: Buffer.from(v) })),
      timestamp: r.timestamp!,
    })),
  ),
);

interface Captured {
  client: GoldenClient;
  scenario: string;
  codec?: CodecName;
  apiKey: number;
  apiVersion: number;
  frame: Buffer;
}

const captured: Captured[] = [];
let current: { client: GoldenClient; scenario: string; codec?: CodecName } | null = null;

/** Fields that exist only from some version: included only then (the encoders refuse the rest). */
function from<T extends object>(version: number, min: number, fields: T): Partial<T> {
  return version >= min ? fields : {};
}

class FakeBroker {
  private server = net.createServer((s) => this.serve(s));
  private sockets = new Set<net.Socket>();
  port = 0;
  /** groupId -> memberId -> subscription metadata / assignment */
  private members = new Map<string, Map<string, Buffer>>();
  private assignments = new Map<string, Map<string, Buffer>>();
  private generation = 0;
  private clientId: string | null | undefined;

  private group<T>(maps: Map<string, Map<string, T>>, groupId: string): Map<string, T> {
    let m = maps.get(groupId);
    if (m === undefined) maps.set(groupId, (m = new Map()));
    return m;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new FrameDecoder();
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (frame) => {
        const copy = Buffer.from(frame);
        const peek = peekRequestHeader(copy);
        if (peek === null) return;
        if (process.env['CAPTURE_VERBOSE']) console.log(`${current?.client} ${current?.scenario}: ${apis[peek.apiKey]?.name} v${peek.apiVersion}`);
        if (current !== null) captured.push({ ...current, apiKey: peek.apiKey, apiVersion: peek.apiVersion, frame: copy });
        // responses go out in request order, as a broker must
        chain = chain.then(async () => {
          try {
            const out = await this.handle(copy);
            if (out !== null && !socket.destroyed) socket.write(Buffer.concat(out));
          } catch (e) {
            console.error(`fake broker: ${(e as Error).stack}`);
            socket.destroy();
          }
        });
      });
    });
  }

  private async handle(frame: Buffer): Promise<Buffer[] | null> {
    const peek = peekRequestHeader(frame)!;
    const api = apis[peek.apiKey];
    if (api === undefined) throw new Error(`unknown api key ${peek.apiKey}`);
    if (peek.apiKey === ApiKey.ApiVersions && peek.apiVersion > 3) {
      // KIP-511: unknown ApiVersions version -> v0 response with UNSUPPORTED_VERSION + the key list
      const clientId = decodeRequestHeader(new Reader(frame), 1).clientId;
      return this.respond(peek.apiKey, 0, peek.correlationId, 0, {
        errorCode: 35,
        apiKeys: advertisedFor(clientId).map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })),
      });
    }
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(peek.apiVersion));
    this.clientId = header.clientId;
    const req = api.decodeRequest(r, peek.apiVersion) as any;
    const v = peek.apiVersion;
    const headerVersion = peek.apiKey === ApiKey.ApiVersions ? 0 : api.responseHeaderVersion(v);
    const body = await this.body(peek.apiKey, v, req);
    if (body === null) return null;
    return this.respond(peek.apiKey, v, peek.correlationId, headerVersion, body);
  }

  private respond(apiKey: number, version: number, correlationId: number, headerVersion: number, body: unknown): Buffer[] {
    const w = new Writer();
    apis[apiKey]!.encodeResponse(w, version, body as never);
    return frameResponse(correlationId, headerVersion, w.chunks());
  }

  private async body(apiKey: number, v: number, req: any): Promise<unknown> {
    switch (apiKey) {
      case ApiKey.ApiVersions:
        return {
          errorCode: 0,
          apiKeys: advertisedFor(this.clientId).map(([k, minVersion, maxVersion]) => ({ apiKey: k, minVersion, maxVersion })),
          ...from(v, 1, { throttleTimeMs: 0 }),
        };
      case ApiKey.Metadata: {
        const wanted: string[] = req.topics === null || req.topics.length === 0
          ? Object.keys(TOPIC_PARTITIONS)
          : req.topics.map((t: { name: string | null }) => t.name ?? '');
        return {
          ...from(v, 3, { throttleTimeMs: 0 }),
          brokers: [{ nodeId: 1, host: '127.0.0.1', port: this.port, ...from(v, 1, { rack: null }) }],
          ...from(v, 2, { clusterId: 'golden-cluster' }),
          ...from(v, 1, { controllerId: 1 }),
          topics: wanted.map((name) => {
            const n = TOPIC_PARTITIONS[name];
            return {
              errorCode: n === undefined ? 3 : 0,
              name,
              ...from(v, 10, { topicId: TOPIC_IDS[name] ?? '00000000-0000-0000-0000-000000000000' }),
              ...from(v, 1, { isInternal: false }),
              partitions: Array.from({ length: n ?? 0 }, (_, p) => ({
                errorCode: 0,
                partitionIndex: p,
                leaderId: 1,
                ...from(v, 7, { leaderEpoch: 0 }),
                replicaNodes: [1],
                isrNodes: [1],
                ...from(v, 5, { offlineReplicas: [] }),
              })),
              ...from(v, 8, { topicAuthorizedOperations: -2147483648 }),
            };
          }),
          ...(v >= 8 && v <= 10 ? { clusterAuthorizedOperations: -2147483648 } : {}),
        };
      }
      case ApiKey.Produce:
        if (req.acks === 0) return null;
        return {
          responses: req.topicData.map((t: any) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p: any) => ({
              index: p.index,
              errorCode: 0,
              baseOffset: 0n,
              ...from(v, 2, { logAppendTimeMs: -1n }),
              ...from(v, 5, { logStartOffset: 0n }),
            })),
          })),
          ...from(v, 1, { throttleTimeMs: 0 }),
        };
      case ApiKey.InitProducerId:
        return { throttleTimeMs: 0, errorCode: 0, producerId: GOLDEN_PRODUCER_ID, producerEpoch: GOLDEN_PRODUCER_EPOCH };
      case ApiKey.ListOffsets:
        return {
          ...from(v, 2, { throttleTimeMs: 0 }),
          topics: req.topics.map((t: any) => ({
            name: t.name,
            partitions: t.partitions.map((p: any) => {
              const offset = p.timestamp === -1n && t.name === GOLDEN_TOPIC && p.partitionIndex === 0 ? FETCH_HIGH_WATERMARK : 0n;
              return {
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                ...(v === 0 ? { oldStyleOffsets: [offset] } : { timestamp: -1n, offset }),
                ...from(v, 4, { leaderEpoch: 0 }),
              };
            }),
          })),
        };
      case ApiKey.OffsetForLeaderEpoch:
        return {
          ...from(v, 2, { throttleTimeMs: 0 }),
          topics: req.topics.map((t: any) => ({
            topic: t.topic,
            partitions: t.partitions.map((p: any) => ({
              errorCode: 0,
              partition: p.partition,
              ...from(v, 1, { leaderEpoch: 0 }),
              endOffset: t.topic === GOLDEN_TOPIC ? FETCH_HIGH_WATERMARK : 0n,
            })),
          })),
        };
      case ApiKey.Fetch: {
        let any = false;
        const responses = req.topics.map((t: any) => {
          const name: string = v >= 13 ? (Object.keys(TOPIC_IDS).find((n) => TOPIC_IDS[n] === t.topicId) ?? '') : t.topic;
          return {
            ...(v >= 13 ? { topicId: t.topicId } : { topic: name }),
            partitions: t.partitions.map((p: any) => {
              const has = name === GOLDEN_TOPIC && p.partition === 0 && p.fetchOffset < FETCH_HIGH_WATERMARK;
              if (process.env['CAPTURE_VERBOSE']) console.log(`  fetch ${name} ${t.topicId} ${p.partition} @${p.fetchOffset}`);
              if (has) any = true;
              return {
                partitionIndex: p.partition,
                errorCode: 0,
                highWatermark: name === GOLDEN_TOPIC && p.partition === 0 ? FETCH_HIGH_WATERMARK : 0n,
                ...from(v, 4, { lastStableOffset: name === GOLDEN_TOPIC && p.partition === 0 ? FETCH_HIGH_WATERMARK : 0n, abortedTransactions: [] }),
                ...from(v, 5, { logStartOffset: 0n }),
                ...from(v, 11, { preferredReadReplica: -1 }),
                records: has ? fetchBatch : Buffer.alloc(0),
              };
            }),
          };
        });
        // nothing new: wait a little, as a broker's long poll would, so consumers don't spin
        if (!any) await new Promise((resolve) => setTimeout(resolve, Math.min(req.maxWaitMs, 200)));
        return {
          ...from(v, 1, { throttleTimeMs: 0 }),
          ...from(v, 7, { errorCode: 0, sessionId: 0 }),
          responses,
        };
      }
      case ApiKey.FindCoordinator:
        if (v >= 4) {
          return {
            throttleTimeMs: 0,
            coordinators: req.coordinatorKeys.map((key: string) => ({ key, nodeId: 1, host: '127.0.0.1', port: this.port, errorCode: 0, errorMessage: null })),
          };
        }
        return {
          ...from(v, 1, { throttleTimeMs: 0, errorMessage: null }),
          errorCode: 0,
          nodeId: 1,
          host: '127.0.0.1',
          port: this.port,
        };
      case ApiKey.JoinGroup: {
        const memberId = req.memberId === '' ? `${req.groupId}-member-1` : req.memberId;
        const protocol = req.protocols[0];
        const members = this.group(this.members, req.groupId);
        members.set(memberId, protocol.metadata);
        this.generation++;
        return {
          ...from(v, 2, { throttleTimeMs: 0 }),
          errorCode: 0,
          generationId: this.generation,
          ...from(v, 7, { protocolType: req.protocolType }),
          protocolName: protocol.name,
          leader: memberId,
          memberId,
          members: [...members].map(([id, metadata]) => ({ memberId: id, ...from(v, 5, { groupInstanceId: null }), metadata })),
        };
      }
      case ApiKey.SyncGroup:
        for (const a of req.assignments) this.group(this.assignments, req.groupId).set(a.memberId, a.assignment);
        return {
          ...from(v, 1, { throttleTimeMs: 0 }),
          errorCode: 0,
          ...from(v, 5, { protocolType: req.protocolType ?? null, protocolName: req.protocolName ?? null }),
          assignment: this.group(this.assignments, req.groupId).get(req.memberId) ?? Buffer.alloc(0),
        };
      case ApiKey.Heartbeat:
        return { ...from(v, 1, { throttleTimeMs: 0 }), errorCode: 0 };
      case ApiKey.LeaveGroup:
        return {
          ...from(v, 1, { throttleTimeMs: 0 }),
          errorCode: 0,
          ...from(v, 3, { members: (req.members ?? []).map((m: any) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: 0 })) }),
        };
      case ApiKey.OffsetFetch: {
        const partitions = (indexes: number[]) =>
          indexes.map((p: number) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }));
        if (v >= 8) {
          return {
            throttleTimeMs: 0,
            groups: req.groups.map((g: any) => ({
              groupId: g.groupId,
              topics: (g.topics ?? []).map((t: any) => ({ name: t.name, partitions: partitions(t.partitionIndexes) })),
              errorCode: 0,
            })),
          };
        }
        return {
          ...from(v, 3, { throttleTimeMs: 0 }),
          topics: (req.topics ?? []).map((t: any) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p: number) => ({
              partitionIndex: p,
              committedOffset: -1n,
              ...from(v, 5, { committedLeaderEpoch: -1 }),
              metadata: '',
              errorCode: 0,
            })),
          })),
          ...from(v, 2, { errorCode: 0 }),
        };
      }
      case ApiKey.OffsetCommit:
        return {
          ...from(v, 3, { throttleTimeMs: 0 }),
          topics: req.topics.map((t: any) => ({
            name: t.name,
            partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
          })),
        };
      default:
        throw new Error(`capture broker does not serve ${apis[apiKey]?.name ?? apiKey} v${v}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// the clients

const CODECS: CodecName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

async function runKafkajs(broker: FakeBroker): Promise<void> {
  const kafkajs = requireHere('kafkajs') as typeof import('kafkajs');
  const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
  const snappyCodec = requireHere('kafkajs-snappy');
  const lz4js = requireHere('lz4js') as { compress(b: Uint8Array): Uint8Array; decompress(b: Uint8Array): Uint8Array };
  const zstd = requireHere('@toondepauw/node-zstd') as typeof import('@toondepauw/node-zstd');
  const zstdEncoder = new zstd.Encoder(3);
  const zstdDecoder = new zstd.Decoder();
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => Buffer.from(lz4js.compress(encoder.buffer)),
    decompress: async (buffer: Buffer) => Buffer.from(lz4js.decompress(buffer)),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async (encoder: { buffer: Buffer }) => zstdEncoder.encode(encoder.buffer),
    decompress: async (buffer: Buffer) => zstdDecoder.decode(buffer),
  });
  const types: Record<CodecName, number> = {
    none: CompressionTypes.None,
    gzip: CompressionTypes.GZIP,
    snappy: CompressionTypes.Snappy,
    lz4: CompressionTypes.LZ4,
    zstd: CompressionTypes.ZSTD,
  };
  const kafka = new Kafka({ clientId: CLIENT_IDS.kafkajs, brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const messages = (codec: CodecName) =>
    producedRecords('kafkajs', codec).map((r) => ({
      key: r.key,
      value: r.value,
      headers: Object.fromEntries(r.headers),
      timestamp: String(r.timestamp),
      partition: 0,
    }));

  for (const codec of CODECS) {
    current = { client: 'kafkajs', scenario: `produce-${codec}`, codec };
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: GOLDEN_TOPIC, acks: -1, compression: types[codec], messages: messages(codec) });
    await producer.disconnect();
  }

  current = { client: 'kafkajs', scenario: 'produce-idempotent-gzip', codec: 'gzip' };
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await idem.connect();
  await idem.send({ topic: GOLDEN_TOPIC, acks: -1, compression: types.gzip, messages: messages('gzip') });
  await idem.disconnect();

  current = { client: 'kafkajs', scenario: 'consume-group' };
  const consumer = kafka.consumer({ groupId: GOLDEN_GROUP, maxWaitTimeInMs: 100, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: GOLDEN_TOPIC, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('kafkajs consumer got no records in 20 s')), 20_000);
    consumer
      .run({
        autoCommit: true,
        eachMessage: async () => {
          if (++seen === FETCH_RECORDS.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

async function runPlatformatic(broker: FakeBroker): Promise<string[]> {
  const pk = await import('@platformatic/kafka');
  const bootstrapBrokers = [`127.0.0.1:${broker.port}`];
  const skipped: string[] = [];
  // zstd needs node:zlib's zstd (Node >= 22.15); the other codecs are built in
  const codecs = CODECS.filter((c) => c !== 'zstd' || 'zstdCompressSync' in zlib);
  if (!codecs.includes('zstd')) skipped.push(`@platformatic/kafka zstd: needs Node >= 22.15 (this is ${process.version})`);
  const send = async (codec: CodecName, idempotent: boolean) => {
    const producer = new pk.Producer({
      clientId: CLIENT_IDS.platformatic,
      bootstrapBrokers,
      serializers: pk.stringSerializers,
      acks: -1,
      idempotent,
      autocreateTopics: false,
      ...(codec === 'none' ? {} : { compression: codec }),
    });
    // per-send options: platformatic's send() defaults acks to 1 whatever the constructor said
    await producer.send({
      acks: -1,
      ...(codec === 'none' ? {} : { compression: codec }),
      messages: producedRecords('platformatic', codec).map((r) => ({
        topic: GOLDEN_TOPIC,
        partition: 0,
        key: r.key,
        value: r.value,
        headers: Object.fromEntries(r.headers),
        timestamp: r.timestamp!,
      })),
    });
    await producer.close();
  };
  for (const codec of codecs) {
    current = { client: 'platformatic', scenario: `produce-${codec}`, codec };
    await send(codec, false);
  }
  current = { client: 'platformatic', scenario: 'produce-idempotent-gzip', codec: 'gzip' };
  await send('gzip', true);

  current = { client: 'platformatic', scenario: 'consume-group' };
  const consumer = new pk.Consumer({
    groupId: `${GOLDEN_GROUP}-platformatic`,
    clientId: CLIENT_IDS.platformatic,
    bootstrapBrokers,
    deserializers: pk.stringDeserializers,
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [GOLDEN_TOPIC], mode: 'earliest', autocommit: false, sessionTimeout: 10_000, heartbeatInterval: 500 });
  let seen = 0;
  const timer = setTimeout(() => void stream.close(), 20_000);
  for await (const _message of stream) {
    if (++seen === FETCH_RECORDS.length) break;
  }
  clearTimeout(timer);
  if (seen < FETCH_RECORDS.length) throw new Error(`@platformatic/kafka consumer got ${seen} records`);
  await consumer.close(true);
  return skipped;
}

function runProcess(cmd: string, args: string[], input: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', () => {});
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} timed out: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    child.stdin.end(input);
  });
}

async function runKcat(broker: FakeBroker): Promise<void> {
  const common = ['-b', `127.0.0.1:${broker.port}`, '-X', `client.id=${CLIENT_IDS.kcat}`];
  for (const codec of CODECS) {
    const records = producedRecords('kcat', codec);
    const input = records.map((r) => `${r.key}:${r.value}\n`).join('');
    const headers = records[0]!.headers.flatMap(([k, v]) => ['-H', `${k}=${v}`]);
    current = { client: 'kcat', scenario: `produce-${codec}`, codec };
    const z = codec === 'none' ? [] : ['-z', codec];
    // linger long enough that the three lines form one batch
    await runProcess('kcat', ['-P', ...common, '-t', GOLDEN_TOPIC, '-p', '0', '-K:', ...headers, ...z, '-X', 'linger.ms=100'], input);
  }
  {
    const records = producedRecords('kcat', 'zstd');
    current = { client: 'kcat', scenario: 'produce-idempotent-zstd', codec: 'zstd' };
    await runProcess(
      'kcat',
      ['-P', ...common, '-t', GOLDEN_TOPIC, '-p', '0', '-K:', ...records[0]!.headers.flatMap(([k, v]) => ['-H', `${k}=${v}`]), '-z', 'zstd', '-X', 'linger.ms=100', '-X', 'enable.idempotence=true'],
      records.map((r) => `${r.key}:${r.value}\n`).join(''),
    );
  }
  current = { client: 'kcat', scenario: 'consume' };
  await runProcess('kcat', ['-C', ...common, '-t', GOLDEN_TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q'], '');
  // librdkafka's group consumer: FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, Fetch, commits, LeaveGroup
  current = { client: 'kcat', scenario: 'consume-group' };
  await runProcess('kcat', ['-G', `${GOLDEN_GROUP}-kcat`, ...common, '-o', 'beginning', '-e', '-q', '-X', 'topic.metadata.refresh.interval.ms=100000', GOLDEN_TOPIC], '');
}

/** Codecs kafka-python can use on this machine (gzip always; the others need optional modules). */
function kafkaPythonCodecs(): CodecName[] {
  const out = execFileSync(PYTHON, ['-c', 'from kafka import codec as c; print(c.has_snappy(), c.has_lz4(), c.has_zstd())']).toString().trim().split(' ');
  const codecs: CodecName[] = ['none', 'gzip'];
  if (out[0] === 'True') codecs.push('snappy');
  if (out[1] === 'True') codecs.push('lz4');
  if (out[2] === 'True') codecs.push('zstd');
  return codecs;
}

async function runKafkaPython(broker: FakeBroker): Promise<string[]> {
  const skipped: string[] = [];
  const codecs = kafkaPythonCodecs();
  for (const c of CODECS) if (!codecs.includes(c)) skipped.push(`kafka-python ${c}: codec module not installed`);
  for (const codec of codecs) {
    const records = producedRecords('kafka-python', codec).map((r) => ({ key: r.key, value: r.value, headers: r.headers, ts: Number(r.timestamp) }));
    const script = `
import json, sys
from kafka import KafkaProducer
records = json.loads(sys.stdin.read())
p = KafkaProducer(bootstrap_servers=${JSON.stringify(`127.0.0.1:${broker.port}`)}, client_id=${JSON.stringify(CLIENT_IDS['kafka-python'])},
                  compression_type=${codec === 'none' ? 'None' : JSON.stringify(codec)}, acks='all', linger_ms=100)
for r in records:
    p.send(${JSON.stringify(GOLDEN_TOPIC)}, key=r['key'].encode(), value=r['value'].encode(), partition=0,
           headers=[(k, v.encode()) for k, v in r['headers']], timestamp_ms=r['ts'])
p.flush()
p.close()
`;
    current = { client: 'kafka-python', scenario: `produce-${codec}`, codec };
    await runProcess(PYTHON, ['-c', script], JSON.stringify(records));
  }
  current = { client: 'kafka-python', scenario: 'consume' };
  const script = `
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=${JSON.stringify(`127.0.0.1:${broker.port}`)}, client_id=${JSON.stringify(CLIENT_IDS['kafka-python'])},
                  group_id=None, enable_auto_commit=False, auto_offset_reset='earliest', fetch_max_wait_ms=100)
c.assign([TopicPartition(${JSON.stringify(GOLDEN_TOPIC)}, 0)])
got = 0
for _ in range(50):
    for tp, recs in c.poll(timeout_ms=200).items():
        got += len(recs)
    if got >= ${FETCH_RECORDS.length}:
        break
c.close()
assert got >= ${FETCH_RECORDS.length}, got
`;
  await runProcess(PYTHON, ['-c', script], '');
  return skipped;
}

// ---------------------------------------------------------------------------------------------
// writing fixtures

const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** Frames repeated with only a new correlation id are kept once; non-Produce frames at most twice per version. */
function select(frames: Captured[]): Captured[] {
  const seen = new Set<string>();
  const perVersion = new Map<string, number>();
  const out: Captured[] = [];
  for (const c of frames) {
    const normalized = Buffer.from(c.frame);
    normalized.writeInt32BE(0, 4);
    const key = `${c.client}|${normalized.toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const vk = `${c.client}|${c.apiKey}|${c.apiVersion}`;
    const n = perVersion.get(vk) ?? 0;
    const keepAll = c.apiKey === ApiKey.Produce || c.apiKey === ApiKey.InitProducerId;
    if (!keepAll && n >= 2) continue;
    perVersion.set(vk, n + 1);
    out.push(c);
  }
  return out;
}

function describe(c: Captured): string {
  const api = apis[c.apiKey]!.name;
  if (c.apiKey === ApiKey.Produce) return `${api} from the ${c.scenario} scenario (producer compression ${c.codec ?? 'none'})`;
  return `${api} sent during the ${c.scenario} scenario`;
}

function clientVersions(): Record<GoldenClient, string> {
  const kafkajsVersion = (JSON.parse(readFileSync(requireHere.resolve('kafkajs/package.json'), 'utf8')) as { version: string }).version;
  const kcatLine = execFileSync('kcat', ['-V']).toString().split('\n').find((l) => l.startsWith('Version')) ?? '';
  const m = /Version (\S+).*librdkafka (\S+)/.exec(kcatLine);
  const py = execFileSync(PYTHON, ['-c', 'import kafka; print(kafka.__version__)']).toString().trim();
  const platformaticVersion = (JSON.parse(readFileSync(path.join(here, '../../../../node_modules/@platformatic/kafka/package.json'), 'utf8')) as { version: string }).version;
  return { kafkajs: kafkajsVersion, platformatic: `@platformatic/kafka ${platformaticVersion}`, kcat: m ? `kcat ${m[1]} / librdkafka ${m[2]}` : kcatLine, 'kafka-python': py };
}

async function main(): Promise<void> {
  const versions = clientVersions();
  const broker = new FakeBroker();
  await broker.start();
  const notes: string[] = [];
  const only = process.argv.slice(2);
  try {
    if (only.length === 0 || only.includes('kafkajs')) await runKafkajs(broker);
    if (only.length === 0 || only.includes('kcat')) await runKcat(broker);
    if (only.length === 0 || only.includes('kafka-python')) notes.push(...(await runKafkaPython(broker)));
    if (only.length === 0 || only.includes('platformatic')) notes.push(...(await runPlatformatic(broker)));
  } finally {
    current = null;
    await broker.stop();
  }

  const selected = select(captured);
  rmSync(fixturesDir, { recursive: true, force: true });
  const counters = new Map<string, number>();
  const fixtures: GoldenFixture[] = [];
  for (const c of selected) {
    const api = apis[c.apiKey]!;
    const base = `${c.client}/${kebab(api.name)}-v${c.apiVersion}`;
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    const file = `${base}-${n}.bin`;
    mkdirSync(path.join(fixturesDir, c.client), { recursive: true });
    writeFileSync(path.join(fixturesDir, file), c.frame);
    const fx: GoldenFixture = {
      file,
      client: c.client,
      clientVersion: versions[c.client],
      scenario: c.scenario,
      apiKey: c.apiKey,
      apiName: api.name,
      apiVersion: c.apiVersion,
      requestHeaderVersion: api.requestHeaderVersion(c.apiVersion),
      description: describe(c),
    };
    if (c.codec !== undefined) fx.codec = c.codec;
    fixtures.push(fx);
  }
  const manifest: GoldenManifest = {
    format: 'each .bin is one request frame as sent by the client, without its 4-byte size prefix',
    capturedWith: 'packages/protocol/test/golden/capture.ts',
    fixtures,
  };
  writeFileSync(path.join(fixturesDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const total = selected.reduce((s, c) => s + c.frame.length, 0);
  console.log(`captured ${captured.length} frames, kept ${selected.length} (${total} bytes)`);
  const summary = new Map<string, Set<string>>();
  for (const f of fixtures) {
    const k = `${f.client} ${f.clientVersion}`;
    if (!summary.has(k)) summary.set(k, new Set());
    summary.get(k)!.add(`${f.apiName} v${f.apiVersion}`);
  }
  for (const [k, s] of summary) console.log(`  ${k}: ${[...s].join(', ')}`);
  for (const n of notes) console.log(`  skipped: ${n}`);
}

await main();
