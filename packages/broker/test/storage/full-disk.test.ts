// Issue 13 item 5: on a full disk the partition stayed failed until a restart, ~120 acknowledged
// records were unreadable meanwhile, DeleteTopics failed with UNKNOWN_SERVER_ERROR, the log end
// offset counted a record never written and shutdown was unclean. On a small tmpfs: produce
// until the disk is full; the produce gets KAFKA_STORAGE_ERROR, every acknowledged record stays
// readable, the log end is what was acknowledged, DeleteRecords and DeleteTopics free space,
// the partition takes writes again, and shutdown and restart are clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { Broker } from '../../src/broker.js';
import { WireClient } from '../testkit/wire-client.js';
import { mountTmpfs } from './tmpfs.js';

const VALUE_BYTES = 16 * 1024;
const value = (i: number): Buffer => Buffer.concat([Buffer.from(`record-${i}:`), Buffer.alloc(VALUE_BYTES, 0x61)]);

async function produce(c: WireClient, topic: string, values: Buffer[]): Promise<{ code: number; baseOffset: bigint }> {
  const records = encodeRecordBatch(createRecordBatch(values.map((v) => ({ key: null, value: v }))));
  const r = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = r.responses[0].partitionResponses[0];
  return { code: p.errorCode, baseOffset: p.baseOffset };
}

async function readAll(c: WireClient, topic: string, from: bigint): Promise<{ values: string[]; highWatermark: bigint; logStartOffset: bigint }> {
  const values: string[] = [];
  let offset = from;
  let highWatermark = -1n;
  let logStartOffset = -1n;
  for (;;) {
    const f = await c.send(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    const p = f.responses[0].partitions[0];
    assert.equal(p.errorCode, ErrorCode.NONE, `fetch at ${offset}`);
    highWatermark = p.highWatermark;
    logStartOffset = p.logStartOffset;
    const batches = decodeRecordBatches(p.records);
    if (batches.length === 0) break;
    for (const b of batches) {
      b.records.forEach((r, i) => {
        if (b.baseOffset + BigInt(i) >= offset) values.push(r.value!.subarray(0, r.value!.indexOf(0x3a)).toString());
      });
      offset = b.baseOffset + BigInt(b.records.length);
    }
  }
  return { values, highWatermark, logStartOffset };
}

test('a full disk: KAFKA_STORAGE_ERROR, acknowledged records readable, log end = acknowledged, DeleteRecords/DeleteTopics free space, writes resume, clean shutdown', { timeout: 120_000 }, async () => {
  const fs = mountTmpfs('12m');
  const logs = join(fs.path, 'logs');
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': logs, 'offsets.topic.replication.factor': '1', 'log.segment.bytes': String(1024 * 1024) };
  let broker: Broker | null = new Broker({ config });
  try {
    await broker.start();
    await broker.topics.createTopic({ name: 'fill', numPartitions: 1 });
    await broker.topics.createTopic({ name: 'victim', numPartitions: 1 });
    let c = await WireClient.connect(broker.boundListeners[0]!.port);
    // Something to delete later.
    for (let i = 0; i < 40; i++) assert.equal((await produce(c, 'victim', [value(i)])).code, ErrorCode.NONE);

    const acknowledged: string[] = [];
    let storageErrors = 0;
    let closes = 0;
    for (let i = 0; storageErrors < 3 && i < 2000; i++) {
      let r;
      try {
        r = await produce(c, 'fill', [value(acknowledged.length)]);
      } catch {
        // The produce whose write failed after it was staged: its connection closes rather than acknowledge it.
        closes++;
        c = await WireClient.connect(broker.boundListeners[0]!.port);
        continue;
      }
      if (r.code === ErrorCode.NONE) {
        assert.equal(r.baseOffset, BigInt(acknowledged.length), 'offsets follow what was acknowledged');
        acknowledged.push(`record-${acknowledged.length}`);
      } else {
        assert.equal(r.code, ErrorCode.KAFKA_STORAGE_ERROR);
        storageErrors++;
      }
    }
    assert.equal(storageErrors, 3, `the disk never filled (${acknowledged.length} acknowledged, ${closes} closes)`);
    assert.ok(acknowledged.length > 100, `${acknowledged.length} acknowledged`);

    // Every acknowledged record is readable, and the log end counts nothing else.
    let read = await readAll(c, 'fill', 0n);
    assert.deepEqual(read.values, acknowledged);
    assert.equal(read.highWatermark, BigInt(acknowledged.length));
    const lo = await c.send(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fill', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    assert.equal(lo.topics[0].partitions[0].offset, BigInt(acknowledged.length));

    // Freeing space on the full disk: DeleteTopics, then DeleteRecords.
    const dt = await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'victim', topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 10_000 });
    assert.equal(dt.responses[0].errorCode, ErrorCode.NONE, dt.responses[0].errorMessage);
    assert.equal(existsSync(join(logs, 'victim-0')), false, 'its log is gone');
    const half = BigInt(Math.floor(acknowledged.length / 2));
    const dr = await c.send(ApiKey.DeleteRecords, 2, { topics: [{ name: 'fill', partitions: [{ partitionIndex: 0, offset: half }] }], timeoutMs: 5000 });
    assert.equal(dr.topics[0].partitions[0].errorCode, ErrorCode.NONE, `DeleteRecords: ${dr.topics[0].partitions[0].errorCode}`);
    assert.equal(dr.topics[0].partitions[0].lowWatermark, half);

    // The partition takes writes again.
    for (let i = 0; i < 5; i++) {
      const r = await produce(c, 'fill', [value(acknowledged.length)]);
      assert.equal(r.code, ErrorCode.NONE, `produce after freeing space: ${r.code}`);
      assert.equal(r.baseOffset, BigInt(acknowledged.length));
      acknowledged.push(`record-${acknowledged.length}`);
    }
    read = await readAll(c, 'fill', half);
    assert.deepEqual(read.values, acknowledged.slice(Number(half)));
    c.close();

    // A clean shutdown (the marker is written), and a restart that reads the same.
    await broker.stop();
    broker = null;
    assert.ok(existsSync(join(logs, '.kafka_cleanshutdown')));
    broker = new Broker({ config });
    await broker.start();
    c = await WireClient.connect(broker.boundListeners[0]!.port);
    read = await readAll(c, 'fill', half);
    assert.deepEqual(read.values, acknowledged.slice(Number(half)));
    assert.equal(read.logStartOffset, half);
    assert.equal(broker.metadata.topic('victim'), undefined);
    c.close();
  } finally {
    await broker?.stop();
    fs.unmount();
  }
});
