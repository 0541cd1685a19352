// Issue 13 item 2: a CreateTopics of 10,000 partitions blocked the broker's event loop for
// 0.8-3.2 s (every log created in one turn, then 10,000 partition states in a second metadata
// change). The logs are now created in 20 ms slices that yield (ReplicaManager.createLogs) and
// the states are written with the assignment: another client's produce and fetch round trips
// stay short while the topic is created. On a `samsa server` process, as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode, type CreateTopicsResponse } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { freePort, startServer, type ServerProcess } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';
import { MAX_RECORDS_PER_USER_OP } from '../../src/server/request-limits.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { mountTmpfs } from './tmpfs.js';

// The largest topic one CreateTopics may create: 1 topic record + 9,999 partition records is Kafka's
// 10,000-record bound on one operation (QuorumController.MAX_RECORDS_PER_USER_OP).
const PARTITIONS = MAX_RECORDS_PER_USER_OP - 1;
/**
 * Bounds on the second client's round trips during each operation. Before, its one round trip
 * waited for the whole operation (0.8-3.2 s quiet, 7.7 s at load 20). The bounds hold on a
 * loaded 2-core machine (load 20: p50 37 ms, longest wait 21% of the operation), so the longest
 * wait and the p90 are bounded against the operation's own duration, which load stretches alike.
 * One wait of 15-22% of the operation remains even on a quiet machine (the metadata change of
 * 10,000 partition states is applied and published in one turn, ~300 ms): the longest wait is
 * bounded at half the operation (an operation that blocks the loop throughout waits ~100%), and
 * the p90 at a fifth. (With under 100 round trips a p99 would be that one longest wait.)
 */
const P50_LIMIT_MS = 150;
const MAX_SHARE = 0.5;
const P90_SHARE = 0.2;
const MIN_ROUND_TRIPS = 40;

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Served {
  elapsedMs: number;
  roundTrips: number;
  p50: number;
  p90: number;
  max: number;
}

/** Runs `operation` while the steady client produces and fetches one record at a time, round trip by round trip. */
async function whileServing<T>(steady: WireClient, operation: Promise<T>, from: bigint): Promise<{ result: T; served: Served; next: bigint }> {
  let done = false;
  const op = operation.finally(() => (done = true));
  const roundTrips: number[] = [];
  const records = encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from('steady') }]));
  let offset = from;
  const started = performance.now();
  while (!done && performance.now() - started < 100_000) {
    let t = performance.now();
    const p = await steady.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'steady', partitionData: [{ index: 0, records }] }] });
    roundTrips.push(performance.now() - t);
    assert.equal(p.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    t = performance.now();
    const f = await steady.send(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'steady', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    roundTrips.push(performance.now() - t);
    assert.equal(f.responses[0].partitions[0].errorCode, ErrorCode.NONE);
    offset++;
  }
  const result = await op;
  const sorted = [...roundTrips].sort((a, b) => a - b);
  const served = { elapsedMs: performance.now() - started, roundTrips: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), max: sorted[sorted.length - 1] ?? 0 };
  return { result, served, next: offset };
}

function describe(what: string, s: Served): string {
  return `${what} ${s.elapsedMs.toFixed(0)} ms; ${s.roundTrips} round trips meanwhile: p50 ${s.p50.toFixed(1)} ms, p90 ${s.p90.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
}

/** The other client was served throughout: many round trips, short ones. */
function assertServed(what: string, s: Served): void {
  const summary = describe(what, s);
  console.log(summary);
  assert.ok(s.roundTrips >= MIN_ROUND_TRIPS, summary);
  assert.ok(s.p50 < P50_LIMIT_MS, summary);
  assert.ok(s.p90 < P90_SHARE * s.elapsedMs, summary);
  assert.ok(s.max < MAX_SHARE * s.elapsedMs, summary);
}

test(`CreateTopics of ${PARTITIONS.toLocaleString('en')} partitions, CreatePartitions to ${(PARTITIONS + 2).toLocaleString('en')} and DeleteTopics leave another client's round trips short`, { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-create-latency-'));
  // On a tmpfs: 20,000 file creations on this shared VM's disk measure its journal, not the broker.
  const fs = mountTmpfs('1g');
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${join(fs.path, 'logs')}\noffsets.topic.replication.factor=1\n`);
  let server: ServerProcess | null = null;
  try {
    server = await startServer(props, [], { LOG_DIR: join(dir, 'logs') });
    const admin = await WireClient.connect(port);
    const steady = await WireClient.connect(port);
    const createTopic = (name: string, numPartitions: number): Promise<CreateTopicsResponse> =>
      admin.send(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60_000, validateOnly: false });
    assert.equal((await createTopic('steady', 1)).topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await createTopic('grown', 1)).topics[0]!.errorCode, ErrorCode.NONE);

    const created = await whileServing(steady, createTopic('wide', PARTITIONS), 0n);
    const wide = created.result.topics[0]!;
    assert.equal(wide.errorCode, ErrorCode.NONE, wide.errorMessage ?? '');
    assert.equal(wide.numPartitions, PARTITIONS);
    assertServed('CreateTopics', created.served);

    // The fuzz soak's request: CreatePartitions v3 to 10,001 partitions (10,000 added).
    const grown = await whileServing(steady, admin.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'grown', count: PARTITIONS + 2, assignments: null }], timeoutMs: 60_000, validateOnly: false }), created.next);
    assert.equal(grown.result.results[0]!.errorCode, ErrorCode.NONE, grown.result.results[0]!.errorMessage ?? '');
    assertServed('CreatePartitions', grown.served);

    const deleted = await whileServing(steady, admin.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'wide', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 60_000 }), grown.next);
    assert.equal(deleted.result.responses[0]!.errorCode, ErrorCode.NONE);
    assertServed('DeleteTopics', deleted.served);

    const meta = await admin.send(ApiKey.Metadata, 12, { topics: [{ name: 'grown', topicId: ZERO_UUID }, { name: 'wide', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(meta.topics[0]!.partitions.length, PARTITIONS + 2);
    assert.equal(meta.topics[1]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    admin.close();
    steady.close();
  } finally {
    server?.child.kill('SIGKILL');
    await server?.exited;
    fs.unmount();
    rmSync(dir, { recursive: true, force: true });
  }
});
