/**
 * kcat 1.7 (librdkafka 2.0): `-P` with every codec (-z), a key delimiter (-K) and headers (-H);
 * `-C -e -o beginning -f ...` reading back what it wrote and what Samsa's own encoder wrote in
 * every codec; `-L -J` metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { assertSameRecords, assertStored, byPartition, CODEC_TYPE, CODECS, KCAT, librdkafkaStoredCodec, requireClient, runChild, sampleRecords, servedApis, type SampleRecord, type SeenRecord } from '../support/interop.js';

const missing = existsSync(KCAT) ? false : `${KCAT} is not installed`;
const KCAT_TIMEOUT_MS = 30_000;

/** Reads the whole topic with kcat; one line per record, tab-separated (values hold no tabs). */
async function kcatConsume(tb: TestBroker, topic: string): Promise<SeenRecord[]> {
  const { stdout } = await runChild(KCAT, ['-C', '-b', tb.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q', '-f', '%p\t%o\t%k\t%s\t%h\t%T\n'], { timeoutMs: KCAT_TIMEOUT_MS });
  return stdout.split('\n').filter((l) => l !== '').map((line) => {
    const [p, o, k, s, h, ts] = line.split('\t');
    return {
      partition: Number(p), offset: Number(o), key: k!, value: s!, timestamp: Number(ts),
      // %h prints k=v pairs joined by commas (our header values hold neither).
      headers: h === '' ? [] : h!.split(',').map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)] as [string, string];
      }),
    };
  });
}

test('kcat produces every codec with keys and headers, and consumes it back in order', async () => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    const served = await servedApis(tb.port);
    const headers: Array<[string, string]> = [['src', 'kcat-é'], ['dup', 'one'], ['dup', 'two']];
    const start = Date.now();
    const jobs: Array<Promise<unknown>> = [];
    const expectedByCodec = new Map<string, SampleRecord[]>();
    for (const codec of CODECS) {
      const topic = `kcat-${codec}`;
      await tb.broker.topics.createTopic({ name: topic, numPartitions: 3 });
      // kcat sets the same headers on every line of one run, and CreateTime itself.
      const records = sampleRecords(`kcat-${codec}`).map((r) => ({ ...r, headers }));
      expectedByCodec.set(topic, records);
      for (const [partition, recs] of byPartition(records)) {
        const input = recs.map((r) => `${r.key}|${r.value}\n`).join('');
        const args = ['-P', '-b', tb.bootstrap, '-t', topic, '-p', String(partition), '-z', codec, '-K', '|', ...headers.flatMap(([k, v]) => ['-H', `${k}=${v}`]), '-X', 'queue.buffering.max.ms=200'];
        jobs.push(runChild(KCAT, args, { timeoutMs: KCAT_TIMEOUT_MS, input }));
      }
    }
    await Promise.all(jobs);
    const end = Date.now();
    for (const codec of CODECS) {
      const topic = `kcat-${codec}`;
      const expected = expectedByCodec.get(topic)!;
      const stored = await assertStored(tb.port, topic, expected, librdkafkaStoredCodec(codec, served), `kcat ${codec}`, { timestamps: false, uncompressedFallback: true });
      for (const r of stored) assert.ok(r.timestamp >= start - 1000 && r.timestamp <= end + 1000, `kcat ${codec}: CreateTime ${r.timestamp} within the run`);
      const seen = await kcatConsume(tb, topic);
      const withStoredTimestamps = expected.map((r) => ({ ...r, timestamp: stored.find((s) => s.partition === r.partition && s.value === r.value)!.timestamp }));
      assertSameRecords(seen, withStoredTimestamps, `kcat ${codec} (kcat consumer)`);
    }
  } finally {
    await tb.stop();
  }
});

test('kcat consumes batches written by Samsa in every codec (xerial snappy, lz4 frames, zstd)', async () => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    const c = await WireClient.connect(tb.port);
    try {
      for (const codec of CODECS) {
        const topic = `samsa-${codec}`;
        await tb.broker.topics.createTopic({ name: topic, numPartitions: 3 });
        const records = sampleRecords(`samsa-${codec}`, { repeatedHeaderKeys: true });
        for (const [partition, recs] of byPartition(records)) {
          // Two batches per partition.
          for (const part of [recs.slice(0, 4), recs.slice(4)]) {
            const batch = encodeRecordBatch(createRecordBatch(part.map((r) => ({
              key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value), timestamp: BigInt(r.timestamp),
              headers: r.headers.map(([key, value]) => ({ key, value: Buffer.from(value) })),
            }))), { compression: CODEC_TYPE[codec] });
            const res = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
            assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
          }
        }
        assertSameRecords(await kcatConsume(tb, topic), records, `kcat reading samsa ${codec}`);
      }
    } finally {
      c.close();
    }
  } finally {
    await tb.stop();
  }
});

test('kcat -L shows brokers, controller, topics, leaders, replicas and ISRs', async () => {
  requireClient(missing);
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'meta-a', numPartitions: 3 });
    await tb.broker.topics.createTopic({ name: 'meta-b', numPartitions: 1 });
    const { stdout } = await runChild(KCAT, ['-L', '-J', '-b', tb.bootstrap], { timeoutMs: KCAT_TIMEOUT_MS });
    const md = JSON.parse(stdout);
    assert.equal(md.controllerid, 0);
    assert.deepEqual(md.brokers, [{ id: 0, name: `localhost:${tb.port}` }]);
    const topics = [...md.topics].sort((a: any, b: any) => a.topic.localeCompare(b.topic));
    assert.deepEqual(topics.map((t: any) => [t.topic, t.partitions.length]), [['meta-a', 3], ['meta-b', 1]]);
    for (const t of topics) {
      for (const p of t.partitions) {
        assert.equal(p.leader, 0);
        assert.deepEqual(p.replicas, [{ id: 0 }]);
        assert.deepEqual(p.isrs, [{ id: 0 }]);
      }
    }
    // An unknown topic with auto-creation off is reported as such, not invented.
    const one = await runChild(KCAT, ['-L', '-J', '-b', tb.bootstrap, '-t', 'meta-a'], { timeoutMs: KCAT_TIMEOUT_MS });
    assert.deepEqual(JSON.parse(one.stdout).topics.map((t: any) => t.topic), ['meta-a']);
  } finally {
    await tb.stop();
  }
});
