/**
 * kafka-dump-log (Kafka's DumpLogSegments): reads segment files directly — .log (batches, and
 * records with --deep-iteration / --print-data-log), .index, .timeindex, .txnindex — and prints
 * them in DumpLogSegments' format. Needs no broker.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  CompressionType,
  ControlRecordType,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  decodeLegacyMessage,
  decodeRecordBatchHeader,
  decodeRecords,
  decodeRecordSet,
  TimestampType,
  verifyBatchCrc,
} from '@samsa/protocol/records';
import type { ToolSpec } from '../args.js';
import { describeError, type Io, type Tool, ToolError } from '../tool.js';

export const dumpLogSpec: ToolSpec = {
  name: 'kafka-dump-log',
  summary: 'This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.',
  options: [
    { name: 'files', kind: 'value', metavar: 'String: file1, file2, ...', description: 'REQUIRED: The comma separated list of data and index log files to be dumped.' },
    { name: 'print-data-log', kind: 'flag', description: 'If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.' },
    { name: 'verify-index-only', kind: 'flag', description: 'If set, just verify the index log without printing its content.' },
    { name: 'index-sanity-check', kind: 'flag', description: 'If set, just checks the index sanity without printing its content.' },
    { name: 'max-message-size', kind: 'value', metavar: 'Integer: size', default: '5242880', description: 'Size of largest message.' },
    { name: 'max-bytes', kind: 'value', metavar: 'Integer: size', default: '2147483647', description: 'Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).' },
    { name: 'deep-iteration', kind: 'flag', description: 'If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.' },
    { name: 'value-decoder-class', kind: 'optional', metavar: 'String', description: 'If set, used to deserialize the messages (only the default StringDecoder is available).' },
    { name: 'key-decoder-class', kind: 'optional', metavar: 'String', description: 'If set, used to deserialize the keys (only the default StringDecoder is available).' },
    { name: 'offsets-decoder', kind: 'flag', description: 'If set, log data will be parsed as offset data from the __consumer_offsets topic (not available yet).' },
    { name: 'transaction-log-decoder', kind: 'flag', description: 'If set, log data will be parsed as transaction metadata from the __transaction_state topic (not available yet).' },
    { name: 'cluster-metadata-decoder', kind: 'flag', description: 'If set, log data will be parsed as cluster metadata records (not available).' },
    { name: 'remote-log-metadata-decoder', kind: 'flag', description: 'Not available.', hidden: true },
    { name: 'share-group-state-decoder', kind: 'flag', description: 'Not available.', hidden: true },
    { name: 'skip-record-metadata', kind: 'flag', description: 'Skip metadata when printing records. This flag also skips control records.' },
  ],
};

const CODEC_NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };
const INT32_MAX = 0x7fffffff;

/** Buffers output; flushes in large writes. */
class Out {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly io: Io) {}
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length > 0) this.io.out(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function readPrefix(path: string, maxBytes: number): Buffer {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new ToolError(`${path} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message})`);
  }
  const n = Math.min(size, maxBytes);
  const buf = Buffer.allocUnsafe(n);
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < n) {
      const r = readSync(fd, buf, got, n - got, got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const baseOffsetOf = (file: string): bigint => {
  const stem = basename(file).split('.')[0]!;
  if (!/^\d+$/.test(stem)) throw new ToolError(`${file}: the file name does not start with a base offset`);
  return BigInt(stem);
};

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));
const incrementSequence = (seq: number, delta: number): number => (seq > INT32_MAX - delta ? delta - (INT32_MAX - seq) - 1 : seq + delta);

interface DumpOptions {
  printContents: boolean;
  deep: boolean;
  skipMetadata: boolean;
  maxBytes: number;
}

function dumpLog(file: string, o: DumpOptions, out: Out, nonConsecutive: Map<string, Array<[bigint, bigint]>>): void {
  out.write(`Log starting offset: ${baseOffsetOf(file)}\n`);
  const buf = readPrefix(file, o.maxBytes);
  let pos = 0;
  let lastOffset = -1n;
  const gaps: Array<[bigint, bigint]> = [];
  while (pos + BATCH_LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(pos + BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_MAGIC + 1 || pos + size > buf.length) break;
    const magic = buf.readInt8(pos + BATCH_MAGIC);
    const recordLine = (offset: bigint, tsType: string, ts: bigint, key: Buffer | null, value: Buffer | null, extra: string, control: boolean): void => {
      if (offset !== lastOffset + 1n) gaps.push([lastOffset, offset]);
      lastOffset = offset;
      let line = '';
      if (!o.skipMetadata) line += `| offset: ${offset} ${tsType}: ${ts} keySize: ${key === null ? -1 : key.length} valueSize: ${value === null ? -1 : value.length}${extra}`;
      if (o.printContents && !control) {
        let prefix = o.skipMetadata ? '| ' : ' ';
        if (key !== null) {
          line += `${prefix}key: ${text(key)}`;
          prefix = ' ';
        }
        if (value !== null) line += `${prefix}payload: ${text(value)}`;
      }
      out.write(`${line}\n`);
    };
    if (magic >= 2) {
      const h = decodeRecordBatchHeader(buf, pos, { verifyCrc: false });
      const valid = verifyBatchCrc(buf, pos);
      const last = h.baseOffset + BigInt(h.lastOffsetDelta);
      const lastSeq = h.baseSequence < 0 ? -1 : incrementSequence(h.baseSequence, h.lastOffsetDelta);
      const tsType = h.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime';
      out.write(
        `baseOffset: ${h.baseOffset} lastOffset: ${last} count: ${h.recordCount} baseSequence: ${h.baseSequence} lastSequence: ${lastSeq} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${h.isTransactional} isControl: ${h.isControl} deleteHorizonMs: ${h.hasDeleteHorizon ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty'} position: ${pos} ${tsType}: ${h.maxTimestamp} size: ${h.sizeInBytes} magic: ${h.magic} compresscodec: ${CODEC_NAMES[h.compression] ?? 'unknown'} crc: ${h.crc >>> 0} isvalid: ${valid}\n`,
      );
      if (o.deep) {
        let records;
        try {
          records = decodeRecords(h);
        } catch (e) {
          throw new ToolError(`Found invalid records in batch at position ${pos} of ${file}: ${describeError(e)}`);
        }
        for (const r of records) {
          const offset = h.baseOffset + BigInt(r.offsetDelta);
          const ts = h.timestampType === TimestampType.LogAppendTime ? h.maxTimestamp : h.baseTimestamp + BigInt(r.timestampDelta);
          const seq = h.baseSequence < 0 ? -1 : incrementSequence(h.baseSequence, r.offsetDelta);
          let extra = ` sequence: ${seq} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`;
          if (h.isControl) extra += controlDescription(r.key, r.value);
          if (o.skipMetadata && h.isControl) continue;
          recordLine(offset, tsType, ts, r.key, r.value, extra, h.isControl);
        }
      }
    } else {
      // legacy message (magic 0/1): one entry, maybe a compressed wrapper
      const m = decodeLegacyMessage(buf, pos, { verifyCrc: false });
      let valid = true;
      try {
        decodeLegacyMessage(buf, pos);
      } catch {
        valid = false;
      }
      const tsType = m.magic === 0 ? 'NoTimestampType' : m.timestampType === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime';
      out.write(`offset: ${m.offset} position: ${pos} ${tsType}: ${m.timestamp} size: ${m.sizeInBytes} magic: ${m.magic} compresscodec: ${CODEC_NAMES[m.compression] ?? 'unknown'} crc: ${m.crc >>> 0} isvalid: ${valid}\n`);
      if (o.deep) {
        const records = decodeRecordSet(buf.subarray(pos, pos + size), { verifyCrc: false });
        for (const r of records) recordLine(r.offset, tsType, r.timestamp, r.key, r.value, m.compression === CompressionType.None ? ` isValid: ${valid} crc: ${m.crc >>> 0}` : '', false);
      }
    }
    pos += size;
  }
  if (gaps.length > 0) nonConsecutive.set(resolve(file), gaps);
  const trailing = buf.length - pos;
  if (trailing > 0 && o.maxBytes === INT32_MAX) out.write(`Found ${trailing} invalid bytes at the end of ${basename(file)}\n`);
}

function controlDescription(key: Buffer | null, value: Buffer | null): string {
  let type: ControlRecordType;
  let typeId = -1;
  try {
    const k = decodeControlRecordKey(key);
    type = k.type;
    typeId = k.type as number;
  } catch {
    return ` controlType: UNKNOWN(${typeId})`;
  }
  if (type === ControlRecordType.Abort || type === ControlRecordType.Commit) {
    const marker = decodeEndTxnMarker({ key, value });
    const name = type === ControlRecordType.Abort ? 'ABORT' : 'COMMIT';
    return ` endTxnMarker: ${name} coordinatorEpoch: ${marker?.coordinatorEpoch ?? -1}`;
  }
  return ` controlType: ${ControlRecordType[type] ?? 'UNKNOWN'}(${typeId})`;
}

function dumpIndex(file: string, verifyOnly: boolean, sanityOnly: boolean, out: Out): void {
  const base = baseOffsetOf(file);
  const buf = readPrefix(file, INT32_MAX);
  const entries = Math.floor(buf.length / 8);
  if (entries === 0 || isAllZero(buf)) {
    out.write(`${file} is empty.\n`);
    return;
  }
  if (sanityOnly) {
    out.write(`${file} passed sanity check.\n`);
    return;
  }
  for (let i = 0; i < entries; i++) {
    const rel = buf.readInt32BE(i * 8);
    const position = buf.readInt32BE(i * 8 + 4);
    if (rel === 0 && i > 0) return; // preallocated tail
    if (!verifyOnly) out.write(`offset: ${base + BigInt(rel)} position: ${position}\n`);
  }
}

function isAllZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function dumpTimeIndex(file: string, verifyOnly: boolean, sanityOnly: boolean, out: Out): void {
  const base = baseOffsetOf(file);
  const buf = readPrefix(file, INT32_MAX);
  const entries = Math.floor(buf.length / 12);
  if (sanityOnly) {
    out.write(`${file} passed sanity check.\n`);
    return;
  }
  for (let i = 0; i < entries; i++) {
    const ts = buf.readBigInt64BE(i * 12);
    const rel = buf.readInt32BE(i * 12 + 8);
    if (rel === 0 && i > 0) return;
    if (ts === 0n && rel === 0 && i === 0 && isAllZero(buf)) return;
    if (!verifyOnly) out.write(`timestamp: ${ts} offset: ${base + BigInt(rel)}\n`);
  }
}

function dumpTxnIndex(file: string, out: Out): void {
  const buf = readPrefix(file, INT32_MAX);
  const SIZE = 34;
  for (let p = 0; p + SIZE <= buf.length; p += SIZE) {
    out.write(`version: ${buf.readInt16BE(p)} producerId: ${buf.readBigInt64BE(p + 2)} firstOffset: ${buf.readBigInt64BE(p + 10)} lastOffset: ${buf.readBigInt64BE(p + 18)} lastStableOffset: ${buf.readBigInt64BE(p + 26)}\n`);
  }
}

export const dumpLogTool: Tool = {
  spec: dumpLogSpec,
  async run(a, io) {
    a.checkRequired('files');
    for (const d of ['offsets-decoder', 'transaction-log-decoder', 'cluster-metadata-decoder', 'remote-log-metadata-decoder', 'share-group-state-decoder']) {
      if (a.has(d)) throw new ToolError(`--${d} is not available in Samsa's dump-log yet`);
    }
    for (const d of ['key-decoder-class', 'value-decoder-class']) {
      const v = a.value(d);
      if (v !== undefined && !/StringDecoder$/.test(v)) throw new ToolError(`Failed to load decoder class ${v}: only the StringDecoder is available`);
    }
    const printContents = a.has('print-data-log') || a.has('key-decoder-class') || a.has('value-decoder-class');
    const o: DumpOptions = { printContents, deep: a.has('deep-iteration') || printContents, skipMetadata: a.has('skip-record-metadata'), maxBytes: a.int('max-bytes') ?? INT32_MAX };
    const out = new Out(io);
    const nonConsecutive = new Map<string, Array<[bigint, bigint]>>();
    let code = 0;
    for (const file of a.required('files').split(',')) {
      out.write(`Dumping ${file}\n`);
      const dot = basename(file).lastIndexOf('.');
      const suffix = dot >= 0 ? basename(file).slice(dot) : '';
      try {
        switch (suffix) {
          case '.log':
            dumpLog(file, o, out, nonConsecutive);
            break;
          case '.index':
            dumpIndex(file, a.has('verify-index-only'), a.has('index-sanity-check'), out);
            break;
          case '.timeindex':
            dumpTimeIndex(file, a.has('verify-index-only'), a.has('index-sanity-check'), out);
            break;
          case '.txnindex':
            dumpTxnIndex(file, out);
            break;
          default:
            out.flush();
            io.err(`Ignoring unknown file ${file}\n`);
        }
      } catch (e) {
        out.flush();
        io.err(`${describeError(e)}\n`);
        code = 1;
      }
    }
    out.flush();
    for (const [f, gaps] of nonConsecutive) {
      io.err(`Non-consecutive offsets in ${f}\n`);
      for (const [x, y] of gaps) io.err(`  ${x} is followed by ${y}\n`);
    }
    return code;
  },
};
