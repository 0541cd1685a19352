/**
 * kafkajs's own encoders and decoders (its internal protocol modules), with codecs registered
 * the way kafkajs users do. kafkajs-snappy is the real plugin. The real kafkajs-lz4 and
 * @kafkajs/zstd plugins need native builds that fail without install scripts, so their
 * equivalents are registered: lz4js writes/reads LZ4 frames (as kafkajs-lz4's node-lz4 does) and
 * zstd frames come from our codec (as @kafkajs/zstd's cppzst writes plain zstd frames).
 */
import { createRequire } from 'node:module';
import { CompressionType, compressSync, decompressSync } from '../../src/records/index.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder { buffer: Buffer }
interface KafkajsCodec { compress(encoder: KafkajsEncoder): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> }
type KafkajsHeaders = Record<string, Buffer | string | (Buffer | string)[]>;

const kafkajs = require('kafkajs') as { CompressionCodecs: Record<number, () => KafkajsCodec>; CompressionTypes: Record<string, number> };
const lz4js = require('lz4js') as { compress(data: Uint8Array): Uint8Array; decompress(data: Uint8Array): Uint8Array };

kafkajs.CompressionCodecs[CompressionType.Snappy] = require('kafkajs-snappy') as () => KafkajsCodec;
kafkajs.CompressionCodecs[CompressionType.Lz4] = () => ({
  compress: async (encoder) => Buffer.from(lz4js.compress(encoder.buffer)),
  decompress: async (buffer) => Buffer.from(lz4js.decompress(buffer)),
});
kafkajs.CompressionCodecs[CompressionType.Zstd] = () => ({
  compress: async (encoder) => compressSync(CompressionType.Zstd, encoder.buffer),
  decompress: async (buffer) => decompressSync(CompressionType.Zstd, buffer),
});

export const lz4jsCompress = (data: Buffer): Buffer => Buffer.from(lz4js.compress(data));
export const lz4jsDecompress = (data: Buffer): Buffer => Buffer.from(lz4js.decompress(data));
export const kafkajsSnappy = (require('kafkajs-snappy') as () => KafkajsCodec)();

type RecordEncoderFn = (r: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers?: KafkajsHeaders }) => KafkajsEncoder;
type RecordBatchEncoderFn = (b: Record<string, unknown>) => Promise<KafkajsEncoder>;
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as RecordEncoderFn;
const KafkajsRecordBatch = (require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: RecordBatchEncoderFn }).RecordBatch;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;
const KafkajsRecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KafkajsDecodedBatch>;
const KafkajsMessageSet = require('kafkajs/src/protocol/messageSet') as (o: { messageVersion: number; compression?: number; entries: KafkajsMessage[] }) => KafkajsEncoder;

export interface KafkajsMessage { key: Buffer | null; value: Buffer | null; timestamp?: number; compression?: number }
export interface KafkajsDecodedRecord { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: KafkajsHeaders }
export interface KafkajsDecodedBatch {
  firstOffset: string; firstTimestamp: string; maxTimestamp: string; producerId: string; producerEpoch: number; firstSequence: number;
  inTransaction: boolean; isControlBatch: boolean; lastOffsetDelta: number; records: KafkajsDecodedRecord[];
}

export interface KafkajsBatchInput {
  compression: CompressionType;
  firstOffset: string;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers?: KafkajsHeaders }[];
}

/** A RecordBatch v2 as kafkajs's producer encodes it. */
export async function kafkajsEncodeBatch(input: KafkajsBatchInput): Promise<Buffer> {
  const Long = require('kafkajs/src/utils/long') as { fromString(s: string): unknown };
  const encoder = await KafkajsRecordBatch({
    ...input,
    firstOffset: Long.fromString(input.firstOffset),
    producerId: Long.fromString(input.producerId),
    records: input.records.map((r) => KafkajsRecord(r)),
  });
  return encoder.buffer;
}

/** kafkajs's consumer-side decoding of one batch. */
export async function kafkajsDecodeBatch(buf: Buffer): Promise<KafkajsDecodedBatch> {
  return KafkajsRecordBatchDecoder(new KafkajsDecoder(buf));
}

/** A legacy message set as kafkajs's Produce v0-v2 encodes it (offsets -1 uncompressed, 0..n-1 inside a wrapper). */
export async function kafkajsEncodeMessageSet(messageVersion: 0 | 1, compression: CompressionType, entries: KafkajsMessage[]): Promise<Buffer> {
  const inner = KafkajsMessageSet({ messageVersion, compression, entries });
  if (compression === CompressionType.None) return inner.buffer;
  const codec = kafkajs.CompressionCodecs[compression]!();
  const value = await codec.compress(inner);
  return KafkajsMessageSet({ messageVersion, entries: [{ key: null, value, compression, timestamp: entries[0]?.timestamp ?? 0 }] }).buffer;
}

/** kafkajs's legacy wrapper message around an already compressed inner message set. */
export function kafkajsWrapMessageSet(messageVersion: 0 | 1, compression: CompressionType, value: Buffer, timestamp = 0): Buffer {
  return KafkajsMessageSet({ messageVersion, entries: [{ key: null, value, compression, timestamp }] }).buffer;
}

/** kafkajs's uncompressed legacy message set, offsets 0..n-1 (as inside a wrapper). */
export function kafkajsInnerMessageSet(messageVersion: 0 | 1, entries: KafkajsMessage[]): Buffer {
  return KafkajsMessageSet({ messageVersion, compression: CompressionType.Gzip, entries }).buffer;
}
