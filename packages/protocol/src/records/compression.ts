import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { CompressionType } from './batch-header.js';
import { ProtocolDecodeError, ProtocolEncodeError } from '../primitives/errors.js';

/**
 * Kafka's four codecs, framed exactly as Kafka clients frame them:
 * - gzip: a gzip stream (node:zlib).
 * - snappy: written in the xerial framing the Java client writes; read both xerial framing and
 *   raw snappy (librdkafka and kafkajs write raw).
 * - lz4: the LZ4 frame format (not raw blocks), independent blocks, no block checksums (64 KiB
 *   blocks for inputs that fit, like Java; larger inputs get 256 KiB+ blocks, which all readers
 *   accept). Kafka before 0.10 wrote a wrong frame-descriptor checksum; legacy messages may
 *   carry it.
 * - zstd: standard zstd frames (any number, with or without content size).
 * The native codec packages are loaded on first use, so a platform without one of them still
 * runs everything that does not need that codec.
 */

/** A codec's package could not be loaded on this platform. Not a decode error: the bytes may be fine. */
export class CodecUnavailableError extends Error {
  override readonly name = 'CodecUnavailableError';
}

export interface CompressOptions {
  /** gzip: 1-9 (default 6, Kafka's default); zstd: 1-22 (default 3, Kafka's default). Ignored by snappy and lz4. */
  level?: number;
}

export interface DecompressOptions {
  /**
   * The data comes from a legacy (magic 0/1) message: tolerate the LZ4 frame-descriptor checksum
   * that Kafka before 0.10 computed over the wrong bytes.
   */
  legacy?: boolean;
}

interface SnappyLib {
  compressSync(data: Buffer, opts?: { copyOutputData?: boolean }): Buffer;
  uncompressSync(data: Buffer, opts?: { asBuffer?: boolean; copyOutputData?: boolean }): Buffer | string;
  compress(data: Buffer): Promise<Buffer>;
  uncompress(data: Buffer, opts?: { asBuffer?: boolean }): Promise<Buffer | string>;
}
interface Lz4Lib {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
  compressFrame(data: Uint8Array): Promise<Buffer>;
  decompressFrame(data: Uint8Array): Promise<Buffer>;
}
interface ZstdEncoder { encodeSync(data: Buffer): Buffer; encode(data: Buffer): Promise<Buffer> }
interface ZstdDecoder { decodeSync(data: Buffer): Buffer; decode(data: Buffer): Promise<Buffer> }
interface ZstdLib {
  Encoder: new (level: number) => ZstdEncoder;
  Decoder: new () => ZstdDecoder;
}

const requireFromHere = createRequire(import.meta.url);

function load<T>(pkg: string, codec: string): T {
  try {
    return requireFromHere(pkg) as T;
  } catch (e) {
    throw new CodecUnavailableError(`${codec} compression needs the package ${pkg}, which failed to load here: ${(e as Error).message}`);
  }
}

let snappyLib: SnappyLib | undefined;
let lz4Lib: Lz4Lib | undefined;
let zstdLib: ZstdLib | undefined;
let zstdDecoder: ZstdDecoder | undefined;
const zstdEncoders = new Map<number, ZstdEncoder>();

const snappy = (): SnappyLib => (snappyLib ??= load<SnappyLib>('snappy', 'snappy'));
const lz4 = (): Lz4Lib => (lz4Lib ??= load<Lz4Lib>('lz4-napi', 'lz4'));
const zstd = (): ZstdLib => (zstdLib ??= load<ZstdLib>('@toondepauw/node-zstd', 'zstd'));
const zstdDec = (): ZstdDecoder => (zstdDecoder ??= new (zstd().Decoder)());
function zstdEnc(level: number): ZstdEncoder {
  let enc = zstdEncoders.get(level);
  if (enc === undefined) {
    enc = new (zstd().Encoder)(level);
    zstdEncoders.set(level, enc);
  }
  return enc;
}

const GZIP_DEFAULT_LEVEL = 6;
const ZSTD_DEFAULT_LEVEL = 3;

// ---- snappy (xerial framing) ----

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's SnappyOutputStream default block size, which Kafka's Java client uses. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function xerialHeader(): Buffer {
  const h = Buffer.allocUnsafe(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(1, 8); // version
  h.writeInt32BE(1, 12); // minimum compatible version
  return h;
}

function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new ProtocolDecodeError('truncated xerial snappy block length', pos);
    const size = data.readInt32BE(pos);
    pos += 4;
    if (size < 0 || pos + size > data.length) throw new ProtocolDecodeError(`xerial snappy block of ${size} bytes exceeds data`, pos - 4);
    blocks.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return blocks;
}

function framedLength(block: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(block.length, 0);
  return b;
}

function snappyCompressSync(data: Buffer): Buffer {
  const lib = snappy();
  const parts: Buffer[] = [xerialHeader()];
  for (let i = 0; i < data.length; i += XERIAL_BLOCK_SIZE) {
    // copyOutputData: results in V8 memory; napi external buffers are much slower to collect on Node 20
    const block = lib.compressSync(data.subarray(i, i + XERIAL_BLOCK_SIZE), { copyOutputData: true });
    parts.push(framedLength(block), block);
  }
  return Buffer.concat(parts);
}

async function snappyCompress(data: Buffer): Promise<Buffer> {
  const lib = snappy();
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += XERIAL_BLOCK_SIZE) chunks.push(data.subarray(i, i + XERIAL_BLOCK_SIZE));
  const blocks = await Promise.all(chunks.map((c) => lib.compress(c)));
  const parts: Buffer[] = [xerialHeader()];
  for (const block of blocks) parts.push(framedLength(block), block);
  return Buffer.concat(parts);
}

function snappyDecompressSync(data: Buffer): Buffer {
  const lib = snappy();
  const opts = { asBuffer: true, copyOutputData: true };
  if (!isXerial(data)) return lib.uncompressSync(data, opts) as Buffer;
  const blocks = xerialBlocks(data);
  if (blocks.length === 1) return lib.uncompressSync(blocks[0]!, opts) as Buffer;
  return Buffer.concat(blocks.map((b) => lib.uncompressSync(b, opts) as Buffer));
}

async function snappyDecompress(data: Buffer): Promise<Buffer> {
  const lib = snappy();
  if (!isXerial(data)) return (await lib.uncompress(data, { asBuffer: true })) as Buffer;
  const out = await Promise.all(xerialBlocks(data).map((b) => lib.uncompress(b, { asBuffer: true }) as Promise<Buffer>));
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

// ---- lz4 (frame format) ----

const LZ4_MAGIC = 0x184d2204;

/** xxHash32 with seed 0 for inputs shorter than 16 bytes: enough for an LZ4 frame descriptor. */
function xxh32Short(data: Buffer, start: number, end: number): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
  let h = (P5 + (end - start)) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = (h + Math.imul(data.readUInt32LE(i), P3)) | 0;
    h = Math.imul(rotl(h, 17), P4);
  }
  for (; i < end; i++) {
    h = (h + Math.imul(data[i]!, P5)) | 0;
    h = Math.imul(rotl(h, 11), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Kafka before 0.10 hashed the magic number too when writing the LZ4 frame-descriptor checksum.
 * Java ignores that byte for legacy messages; we rewrite it (in a copy) so the decoder accepts it.
 */
function fixLegacyLz4HeaderChecksum(data: Buffer): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_MAGIC) return data;
  const flg = data[4]!;
  const descriptorEnd = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  if (descriptorEnd >= data.length) return data;
  const hc = (xxh32Short(data, 4, descriptorEnd) >>> 8) & 0xff;
  if (data[descriptorEnd] === hc) return data;
  const copy = Buffer.from(data);
  copy[descriptorEnd] = hc;
  return copy;
}

// ---- dispatch ----

function unknownType(type: number): never {
  throw new ProtocolDecodeError(`unknown compression type ${type}`);
}

function wrapDecodeError(codec: string, e: unknown): never {
  if (e instanceof ProtocolDecodeError || e instanceof CodecUnavailableError) throw e;
  throw new ProtocolDecodeError(`${codec} decompression failed: ${(e as Error)?.message ?? String(e)}`);
}

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

function codecName(type: CompressionType): string {
  return CompressionType[type]?.toLowerCase() ?? `type ${type}`;
}

function checkLoaded(type: CompressionType): void {
  if (type === CompressionType.Snappy) snappy();
  else if (type === CompressionType.Lz4) lz4();
  else if (type === CompressionType.Zstd) zstd();
}

/** Compresses `data` as Kafka's codec `type` frames it. */
export function compressSync(type: CompressionType, data: Buffer, opts: CompressOptions = {}): Buffer {
  switch (type) {
    case CompressionType.None: return data;
    case CompressionType.Gzip: return zlib.gzipSync(data, { level: opts.level ?? GZIP_DEFAULT_LEVEL });
    case CompressionType.Snappy: return snappyCompressSync(data);
    case CompressionType.Lz4: return lz4().compressFrameSync(data);
    case CompressionType.Zstd: return zstdEnc(opts.level ?? ZSTD_DEFAULT_LEVEL).encodeSync(data);
    default: throw new ProtocolEncodeError(`unknown compression type ${type as number}`);
  }
}

/** As compressSync, on the libuv thread pool (keeps large batches off the event loop). */
export async function compress(type: CompressionType, data: Buffer, opts: CompressOptions = {}): Promise<Buffer> {
  switch (type) {
    case CompressionType.None: return data;
    case CompressionType.Gzip: return gzipAsync(data, { level: opts.level ?? GZIP_DEFAULT_LEVEL });
    case CompressionType.Snappy: return snappyCompress(data);
    case CompressionType.Lz4: return lz4().compressFrame(data);
    case CompressionType.Zstd: return zstdEnc(opts.level ?? ZSTD_DEFAULT_LEVEL).encode(data);
    default: throw new ProtocolEncodeError(`unknown compression type ${type as number}`);
  }
}

/**
 * Decompresses Kafka-framed `data`. Bad bytes throw ProtocolDecodeError (the codec libraries'
 * errors are wrapped); a codec package missing on this platform throws CodecUnavailableError.
 */
export function decompressSync(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Buffer {
  if (type === CompressionType.None) return data;
  checkLoaded(type);
  try {
    switch (type) {
      case CompressionType.Gzip: return zlib.gunzipSync(data);
      case CompressionType.Snappy: return snappyDecompressSync(data);
      case CompressionType.Lz4: return lz4().decompressFrameSync(opts.legacy === true ? fixLegacyLz4HeaderChecksum(data) : data);
      case CompressionType.Zstd: return zstdDec().decodeSync(data);
      default: return unknownType(type);
    }
  } catch (e) {
    return wrapDecodeError(codecName(type), e);
  }
}

/** As decompressSync, on the libuv thread pool. */
export async function decompress(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Promise<Buffer> {
  if (type === CompressionType.None) return data;
  checkLoaded(type);
  try {
    switch (type) {
      case CompressionType.Gzip: return await gunzipAsync(data);
      case CompressionType.Snappy: return await snappyDecompress(data);
      case CompressionType.Lz4: return await lz4().decompressFrame(opts.legacy === true ? fixLegacyLz4HeaderChecksum(data) : data);
      case CompressionType.Zstd: return await zstdDec().decode(data);
      default: return unknownType(type);
    }
  } catch (e) {
    return wrapDecodeError(codecName(type), e);
  }
}

/** Whether the codec's package loads on this platform (gzip and none always do). */
export function isCodecAvailable(type: CompressionType): boolean {
  try {
    checkLoaded(type);
    return type >= CompressionType.None && type <= CompressionType.Zstd;
  } catch {
    return false;
  }
}
