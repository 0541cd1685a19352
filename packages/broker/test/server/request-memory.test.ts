/**
 * queued.max.request.bytes (issue 9 item 5): with a small bound, many connections sending
 * large produce requests at once are all answered, every record lands intact, and the
 * broker's memory stays bounded: connections whose requests find the pool exhausted stop
 * being read until memory is released, as Kafka's memory pool mutes channels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { RequestMemoryPool } from '../../src/server/request-memory.js';
import { freePort, startServer } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';

const CONNECTIONS = 32;
const REQUESTS_PER_CONNECTION = 2;
const RECORD_BYTES = 4 << 20;
const POOL_BYTES = 4 << 20;

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? -1 : Number(m[1]) / 1024;
}

test('the request memory pool: non-strict reservations, mute while exhausted, wake in order on release', () => {
  const pool = new RequestMemoryPool(100);
  assert.ok(pool.tryReserve(60));
  assert.ok(pool.tryReserve(60), 'memory was free: a request larger than what is left still gets in whole');
  assert.equal(pool.tryReserve(1), false, 'exhausted');
  const woken: string[] = [];
  pool.wait({ wake: () => woken.push('a') });
  pool.wait({ wake: () => woken.push('b') });
  pool.release(10);
  assert.deepEqual(woken, [], 'still 110 of 100 held');
  pool.release(60);
  assert.deepEqual(woken, ['a', 'b'], 'memory free again: the muted connections wake in order');
  assert.equal(new RequestMemoryPool(-1).tryReserve(1 << 30), true, '-1 (the default): unbounded');
});

test(`queued.max.request.bytes=${POOL_BYTES}: ${CONNECTIONS} connections x ${REQUESTS_PER_CONNECTION} pipelined 4 MiB produce requests at once are all answered intact, broker memory bounded`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-request-memory-'));
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    `listeners=PLAINTEXT://127.0.0.1:${port}`, `log.dirs=${join(dir, 'logs')}`, 'offsets.topic.replication.factor=1',
    `queued.max.request.bytes=${process.env['SAMSA_TEST_QUEUED_MAX_REQUEST_BYTES'] ?? POOL_BYTES}`, 'message.max.bytes=8388608', '',
  ].join('\n'));
  const server = await startServer(props, [], { LOG_DIR: join(dir, 'server-logs') });
  const pid = server.child.pid!;
  const clients: WireClient[] = [];
  try {
    const admin = await WireClient.connect(port);
    clients.push(admin);
    const created = await admin.send(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'big', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    for (let i = 0; i < CONNECTIONS; i++) clients.push(await WireClient.connect(port));
    const baseline = rssMb(pid, 'VmRSS');

    // Every request carries the same 4 MiB record (one buffer, written behind each request's own
    // header), so the test itself stays small while 256 MiB are offered to the broker at once.
    const value = Buffer.alloc(RECORD_BYTES, 0x5a);
    const template = admin.encode(ApiKey.Produce, 9, {
      transactionalId: null, acks: -1, timeoutMs: 60_000,
      topicData: [{ name: 'big', partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ value }])) }] }],
    }, 0).frame;
    const headerBytes = 4 + 2 + 2 + 4 + 2 + Buffer.byteLength(admin.clientId);
    const body = template.subarray(headerBytes);
    const answers = await Promise.all(clients.slice(1).map((client) => Promise.all(Array.from({ length: REQUESTS_PER_CONNECTION }, () => {
      const header = Buffer.from(client.encode(ApiKey.Produce, 9, {
        transactionalId: null, acks: -1, timeoutMs: 60_000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
      }).frame.subarray(0, headerBytes));
      const correlationId = header.readInt32BE(8);
      header.writeInt32BE(template.length - 4, 0);
      const answer = client.expect(ApiKey.Produce, 9, correlationId);
      client.sendRaw(header);
      client.sendRaw(body);
      return answer;
    }))));
    const peakGrowth = rssMb(pid, 'VmHWM') - baseline;
    t.diagnostic(`broker RSS ${baseline.toFixed(0)} MB before the burst, peak ${(baseline + peakGrowth).toFixed(0)} MB`);
    const offsets = new Set<bigint>();
    for (const res of answers.flat()) {
      const p = res.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, ErrorCode.NONE);
      offsets.add(p.baseOffset);
    }
    assert.equal(offsets.size, CONNECTIONS * REQUESTS_PER_CONNECTION, 'every request appended once');
    // Every record is intact.
    let read = 0;
    for (let offset = 0n; offset < BigInt(CONNECTIONS * REQUESTS_PER_CONNECTION);) {
      const f = await admin.send(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 32 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 32 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const batches = decodeRecordBatches(f.responses[0].partitions[0].records);
      assert.ok(batches.length > 0);
      for (const b of batches) for (const rec of b.records) {
        assert.ok(rec.value!.equals(value), `record at ${offset} intact`);
        read++;
        offset = b.baseOffset + BigInt(rec.offsetDelta) + 1n;
      }
    }
    assert.equal(read, CONNECTIONS * REQUESTS_PER_CONNECTION);
    // Unbounded (queued.max.request.bytes=-1), the broker assembles every connection's request
    // at once: hundreds of MB; bounded, a few requests at a time.
    assert.ok(peakGrowth < 128, `broker RSS grew by ${peakGrowth.toFixed(0)} MB during the burst`);
  } finally {
    for (const c of clients) c.close();
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
