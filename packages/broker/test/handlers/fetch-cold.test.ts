// Issue 9 item 3: a Fetch of data older than the broker process (which may not be in the page
// cache) reads it off the event loop, partition by partition, then answers exactly what a fetch
// of the same data written by this process answers (limits, at least one batch, offsets inside
// batches, partition order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import type { FileStorageEngine } from '../../src/storage/file-engine.js';
import { WireClient } from '../testkit/wire-client.js';

const batch = (tag: string): Buffer => encodeRecordBatch(createRecordBatch(Array.from({ length: 4 }, (_, i) => ({ value: Buffer.alloc(2500, `${tag}${i}`) }))));

interface Part {
  partition: number;
  offset: bigint;
  maxBytes: number;
}

/** Fetch requests covering the read limits: fetch max bytes shared in order, partition max bytes, at least one batch. */
const FETCHES: Array<{ parts: Part[]; maxBytes: number }> = [
  { parts: [0, 1, 2].map((partition) => ({ partition, offset: 0n, maxBytes: 25_000 })), maxBytes: 45_000 },
  { parts: [{ partition: 0, offset: 9n, maxBytes: 1000 }], maxBytes: 1 << 20 },
  { parts: [{ partition: 2, offset: 6n, maxBytes: 1 << 20 }, { partition: 1, offset: 0n, maxBytes: 1 << 20 }], maxBytes: 1 },
];

async function fetchAll(tb: TestBroker): Promise<unknown[]> {
  const c = await WireClient.connect(tb.port);
  const out: unknown[] = [];
  for (const f of FETCHES) {
    const r = await c.send(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: f.maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'c', partitions: f.parts.map((p) => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: p.maxBytes, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n })) }],
      forgottenTopicsData: [], rackId: '',
    });
    for (const p of r.responses[0].partitions) {
      assert.equal(p.errorCode, ErrorCode.NONE);
      out.push({ partition: p.partitionIndex, highWatermark: p.highWatermark, records: Buffer.from(p.records) });
    }
  }
  c.close();
  return out;
}

const coldReads = (tb: TestBroker): number => (tb.broker.storage as FileStorageEngine).stager.coldReads;

test('a fetch of data from before a restart is read off the event loop and answers what a fetch of fresh appends answers', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-fetch-cold-'));
  try {
    let tb = await startBroker({ storage: 'file', dataDir });
    let fresh: unknown[];
    try {
      await tb.broker.topics.createTopic({ name: 'c', numPartitions: 3 });
      const producer = await WireClient.connect(tb.port);
      for (let p = 0; p < 3; p++) {
        for (let i = 0; i < 5; i++) {
          const r = await producer.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'c', partitionData: [{ index: p, records: batch(`${p}.${i}.`) }] }] });
          assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
        }
      }
      producer.close();
      fresh = await fetchAll(tb);
      assert.equal(coldReads(tb), 0, 'appended by this broker: read at once');
    } finally {
      await tb.stop();
    }
    tb = await startBroker({ storage: 'file', dataDir });
    try {
      const cold = await fetchAll(tb);
      assert.ok(coldReads(tb) > 0, 'older than this broker: read off the event loop');
      assert.deepEqual(cold, fresh);
      // Batches of ~10,100 bytes: 2 of p0 and 2 of p1 (25,000 each), none of p2 (4,600 of the
      // 45,000 left); 1 of p0 (at least one); 1 of p2 (fetch max 1 byte: the first batch only).
      const batchesIn = (x: unknown): number => Math.round((x as { records: Buffer }).records.length / 10_100);
      assert.deepEqual(cold.map(batchesIn), [2, 2, 0, 1, 1, 0]);
    } finally {
      await tb.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a fetch of many cold partitions holds one partition\'s cold bytes at a time: their memory is reused partition after partition', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-fetch-cold-'));
  const partitions = 20; // more than the engine keeps free cold-read chunks
  try {
    let tb = await startBroker({ storage: 'file', dataDir });
    try {
      await tb.broker.topics.createTopic({ name: 'c', numPartitions: partitions });
      const producer = await WireClient.connect(tb.port);
      for (let p = 0; p < partitions; p++) {
        const r = await producer.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'c', partitionData: [{ index: p, records: batch(`${p}.`) }] }] });
        assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
      }
      producer.close();
    } finally {
      await tb.stop();
    }
    tb = await startBroker({ storage: 'file', dataDir });
    try {
      const c = await WireClient.connect(tb.port);
      const r = await c.send(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'c', partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n })) }],
        forgottenTopicsData: [], rackId: '',
      });
      c.close();
      assert.deepEqual(r.responses[0].partitions.map((p: { errorCode: number; records: Buffer }) => [p.errorCode, p.records.length > 10_000]), Array.from({ length: partitions }, () => [ErrorCode.NONE, true]));
      const stager = (tb.broker.storage as FileStorageEngine).stager;
      assert.ok(stager.coldReads >= partitions, 'older than this broker: read off the event loop');
      assert.ok(stager.coldChunksAllocated <= 2, `${stager.coldChunksAllocated} cold-read chunks allocated for one fetch of ${partitions} cold partitions`);
    } finally {
      await tb.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
