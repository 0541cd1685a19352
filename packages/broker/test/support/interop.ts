/**
 * Shared steps of the client interop tests: a deterministic record set per codec, a raw-wire
 * reader that returns what the broker stored (batch codec + decoded records), comparison,
 * bounded child processes (Python, kcat), and ApiVersions probes to skip what is not served.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { CompressionType, decodeRecordBatches, toDecodedRecords } from '@samsa/protocol/records';
import { WireClient } from '../testkit/wire-client.js';

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];
export const CODEC_TYPE: Record<Codec, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export const PYTHON = '/usr/bin/python3';

/**
 * The interop tests need their clients (.ci/run installs them): a missing one fails the test
 * with the reason, never skips it (a skip would hide a broker regression).
 */
export function requireClient(missing: string | false | null): void {
  if (missing !== false && missing !== null) throw new Error(`${missing}: install it (see .ci/run) to run this test`);
}
export const KCAT = '/usr/bin/kcat';

/** A record as the tests describe it: strings, so every client (and kcat's text I/O) can carry it. */
export interface SampleRecord {
  partition: number;
  key: string | null;
  value: string;
  headers: Array<[string, string]>;
  /** Epoch ms (CreateTime set by the producer). */
  timestamp: number;
}

export interface SampleOptions {
  partitions?: number;
  perPartition?: number;
  /** Allow null keys (kcat's line format cannot send them). */
  nullKeys?: boolean;
  /** Several headers per record, including a repeated key (not every client API allows it). */
  repeatedHeaderKeys?: boolean;
  baseTimestamp?: number;
}

/**
 * Records spread over partitions, with keys (some null), headers (0-3, some repeated keys,
 * non-ASCII text) and distinct, non-monotonic timestamps, plus one value big enough to make
 * the codecs do real work.
 */
export function sampleRecords(tag: string, opts: SampleOptions = {}): SampleRecord[] {
  const partitions = opts.partitions ?? 3;
  const per = opts.perPartition ?? 12;
  const base = opts.baseTimestamp ?? 1_700_000_000_000;
  const out: SampleRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < per; i++) {
      const n = p * per + i;
      const headers: Array<[string, string]> = [];
      for (let h = 0; h < n % 4; h++) headers.push([`h${h}`, `${tag}-${n}-${h}-é`]);
      if (opts.repeatedHeaderKeys === true && n % 5 === 0) headers.push(['dup', 'one'], ['dup', 'two']);
      out.push({
        partition: p,
        key: opts.nullKeys === true && n % 7 === 3 ? null : `key-${tag}-${n}`,
        value: i === 5 ? `big-${tag}-${n}-` + 'abcdefghij'.repeat(300 + n) : `value-${tag}-${n}-ü`,
        headers,
        // Timestamps go backwards and forwards within a batch: deltas can be negative.
        timestamp: base + n * 1000 + (i % 3 === 0 ? -500 : 250),
      });
    }
  }
  return out;
}

export function byPartition<T extends { partition: number }>(records: readonly T[]): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const r of records) {
    const l = m.get(r.partition);
    if (l === undefined) m.set(r.partition, [r]);
    else l.push(r);
  }
  return m;
}

/** What a consumer saw, normalized for comparison. */
export interface SeenRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}

/** Same key/value/headers/timestamp, in the same order, per partition; offsets 0..n-1. */
export function assertSameRecords(seen: readonly SeenRecord[], expected: readonly SampleRecord[], label: string, opts: { timestamps?: boolean } = {}): void {
  const exp = byPartition(expected);
  const got = byPartition(seen);
  assert.deepEqual([...got.keys()].sort(), [...exp.keys()].sort(), `${label}: partitions`);
  for (const [p, e] of exp) {
    const g = got.get(p)!;
    assert.equal(g.length, e.length, `${label}: record count of partition ${p}`);
    for (let i = 0; i < e.length; i++) {
      const where = `${label}: partition ${p} record ${i}`;
      assert.equal(g[i]!.offset, i, `${where}: offset`);
      assert.equal(g[i]!.key, e[i]!.key, `${where}: key`);
      assert.equal(g[i]!.value, e[i]!.value, `${where}: value`);
      assert.deepEqual(g[i]!.headers, e[i]!.headers, `${where}: headers`);
      if (opts.timestamps !== false) assert.equal(g[i]!.timestamp, e[i]!.timestamp, `${where}: timestamp`);
    }
  }
}

export interface StoredBatchInfo {
  baseOffset: number;
  compression: CompressionType;
  records: number;
}

export interface StoredPartition {
  batches: StoredBatchInfo[];
  records: SeenRecord[];
  highWatermark: number;
}

/**
 * Reads a partition from offset 0 to the high watermark over the raw wire (Fetch v11, our own
 * decoder), so the test sees exactly which batches and codecs the client wrote.
 */
export async function readStored(port: number, topic: string, partition: number, opts: { maxBytes?: number } = {}): Promise<StoredPartition> {
  const c = await WireClient.connect(port, '127.0.0.1', 'interop-verifier');
  try {
    const out: StoredPartition = { batches: [], records: [], highWatermark: 0 };
    let offset = 0n;
    for (let round = 0; round < 10_000; round++) {
      const fr = await c.send(ApiKey.Fetch, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: opts.maxBytes ?? 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: opts.maxBytes ?? 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const pd = fr.responses[0].partitions[0];
      assert.equal(pd.errorCode, ErrorCode.NONE, `fetch ${topic}-${partition}@${offset}`);
      out.highWatermark = Number(pd.highWatermark);
      if (offset >= pd.highWatermark) break;
      const batches = decodeRecordBatches(pd.records);
      assert.ok(batches.length > 0, `fetch ${topic}-${partition}@${offset} returned no complete batch below the high watermark ${pd.highWatermark}`);
      for (const b of batches) {
        out.batches.push({ baseOffset: Number(b.baseOffset), compression: b.compression, records: b.records.length });
        for (const r of toDecodedRecords(b)) {
          if (r.offset < offset) continue;
          out.records.push({
            partition, offset: Number(r.offset), key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null,
            headers: r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null]), timestamp: Number(r.timestamp),
          });
        }
        offset = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
    }
    return out;
  } finally {
    c.close();
  }
}

/** Reads every partition of the expected set and checks the records and the codec of every batch. */
export async function assertStored(
  port: number, topic: string, expected: readonly SampleRecord[], codec: Codec, label: string,
  opts: { timestamps?: boolean; uncompressedFallback?: boolean } = {},
): Promise<SeenRecord[]> {
  // `codec` is what the batches must carry, which is not always what the client was asked for
  // (see librdkafkaStoredCodec). uncompressedFallback: librdkafka sends a batch uncompressed
  // when compressing would not shrink it, so then only the largest batch must carry the codec.
  const all: SeenRecord[] = [];
  for (const p of byPartition(expected).keys()) {
    const stored = await readStored(port, topic, p);
    const largest = stored.batches.reduce((a, b) => (b.records > a.records ? b : a), stored.batches[0]!);
    for (const b of stored.batches) {
      const where = `${label}: batch at ${topic}-${p}@${b.baseOffset} (${b.records} records) codec`;
      if (opts.uncompressedFallback === true && b !== largest && b.compression === CompressionType.None) continue;
      assert.equal(CompressionType[b.compression], CompressionType[CODEC_TYPE[codec]], where);
    }
    all.push(...stored.records);
  }
  assertSameRecords(all, expected, `${label} (stored)`, opts);
  return all;
}

/**
 * The codec librdkafka (kcat, confluent-kafka) really writes when asked for `codec`: it enables
 * LZ4 only when the broker advertises FindCoordinator (its feature map dates LZ4 support by the
 * 0.8.2 group coordinator API) and silently sends uncompressed batches otherwise.
 */
export function librdkafkaStoredCodec(codec: Codec, served: ReadonlyMap<number, unknown>): Codec {
  return codec === 'lz4' && !served.has(ApiKey.FindCoordinator) ? 'none' : codec;
}

/** The API keys the broker serves, from ApiVersions (so tests can skip what is not there yet). */
export async function servedApis(port: number): Promise<Map<number, { minVersion: number; maxVersion: number }>> {
  const c = await WireClient.connect(port, '127.0.0.1', 'interop-probe');
  try {
    const r = await c.send(ApiKey.ApiVersions, 0, {});
    assert.equal(r.errorCode, ErrorCode.NONE);
    return new Map(r.apiKeys.map((a: { apiKey: number; minVersion: number; maxVersion: number }) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }]));
  } finally {
    c.close();
  }
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program with a hard time limit: on timeout the child (by its PID) gets SIGKILL and
 * the promise rejects with what it printed. Rejects on a non-zero exit too, unless allowed.
 */
export function runChild(file: string, args: readonly string[], opts: { timeoutMs: number; input?: string | Buffer; allowFailure?: boolean; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res: ChildResult = { code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      const what = `${file} ${args.join(' ')}`;
      if (timedOut) reject(new Error(`${what}: timed out after ${opts.timeoutMs} ms\nstdout:\n${res.stdout.slice(-4000)}\nstderr:\n${res.stderr.slice(-4000)}`));
      else if (code !== 0 && opts.allowFailure !== true) reject(new Error(`${what}: exit ${code ?? signal}\nstdout:\n${res.stdout.slice(-4000)}\nstderr:\n${res.stderr.slice(-4000)}`));
      else resolve(res);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Whether a Python module imports under /usr/bin/python3 (codec modules are optional). */
export async function pythonHasModule(name: string): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  const r = await runChild(PYTHON, ['-c', `import ${name}`], { timeoutMs: 20_000, allowFailure: true });
  return r.code === 0;
}
