/**
 * Crash test: `samsa server` (a child process, file storage) takes pipelined acks=1 produce
 * requests from an idempotent raw-wire producer and is killed with SIGKILL mid-stream, then
 * restarted on the same data directory. Afterwards:
 * - every batch served passes its CRC, offsets are contiguous, records are in send order and
 *   none is duplicated (each batch was sent once before the crash);
 * - every acknowledged record is there, at its acknowledged offset;
 * - the producer then resends the batches it never got an answer for, with their original
 *   sequence numbers, as a client would: the recovered producer state (snapshot + log replay)
 *   must recognise those already written, so the log ends with every record exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { batchBaseOffset, batchLastOffsetDelta, batchSize, createRecordBatch, decodeRecordBatch, encodeRecordBatch, verifyBatchCrc, BATCH_HEADER_SIZE } from '@samsa/protocol/records';
import { KafkaProxy } from '../support/proxy.js';
import { freePort, startServer, type ServerProcess } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';

const TOPIC = 'crash';
const RECORDS_PER_BATCH = 20;
const MAX_IN_FLIGHT = 5; // the producer state keeps 5 batches per producer for duplicate detection
const LOAD_MS = 1500;
const MIN_ACKED = 60;

interface SentBatch { seq: number; values: string[]; bytes: Buffer; ackedOffset: bigint | null }

function makeBatch(producerId: bigint, seq: number): SentBatch {
  const values = Array.from({ length: RECORDS_PER_BATCH }, (_, k) => `${String(seq + k).padStart(8, '0')}:${'p'.repeat(80)}`);
  const bytes = encodeRecordBatch(createRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { producerId, producerEpoch: 0, baseSequence: seq }));
  return { seq, values, bytes, ackedOffset: null };
}

const produceBody = (records: Buffer) => ({ acks: 1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });

/** Reads the whole partition, checking every batch's CRC and the offset sequence. */
async function readAll(port: number): Promise<Array<{ offset: bigint; value: string }>> {
  const c = await WireClient.connect(port, '127.0.0.1', 'crash-verifier');
  const out: Array<{ offset: bigint; value: string }> = [];
  try {
    let offset = 0n;
    for (let round = 0; round < 100_000; round++) {
      const r = await c.send(ApiKey.Fetch, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 4 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const p = r.responses[0].partitions[0];
      assert.equal(p.errorCode, ErrorCode.NONE);
      if (offset >= p.highWatermark) break;
      const buf: Buffer = p.records;
      let pos = 0;
      let progressed = false;
      while (pos + BATCH_HEADER_SIZE <= buf.length) {
        const size = batchSize(buf, pos);
        if (pos + size > buf.length) break; // a partial batch at the end of a fetch is normal
        assert.ok(verifyBatchCrc(buf, pos), `corrupt batch served at offset ${batchBaseOffset(buf, pos)}`);
        const base = batchBaseOffset(buf, pos);
        const batch = decodeRecordBatch(buf, pos);
        if (base + BigInt(batchLastOffsetDelta(buf, pos)) >= offset) {
          assert.equal(base, offset, 'batches are contiguous');
          batch.records.forEach((rec, i) => out.push({ offset: base + BigInt(i), value: rec.value!.toString() }));
          offset = base + BigInt(batchLastOffsetDelta(buf, pos)) + 1n;
          progressed = true;
        }
        pos += size;
      }
      assert.ok(progressed, `no whole batch at ${offset} below the high watermark ${p.highWatermark}`);
    }
    return out;
  } finally {
    c.close();
  }
}

test('SIGKILL under pipelined acks=1 load: acknowledged records survive in order, nothing corrupt, retries deduplicated after recovery', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-crash-'));
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'node.id=0',
    `listeners=PLAINTEXT://127.0.0.1:${port}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    `log.dirs=${join(dir, 'logs')}`,
    'num.partitions=1',
    // small segments: rolls (and producer-state snapshots) happen during the load
    'log.segment.bytes=262144',
    '',
  ].join('\n'));
  let server: ServerProcess | null = await startServer(props);
  try {
    // The producer talks through a proxy so the test can make sure some batches reach the broker
    // and are appended, but their acknowledgements are lost in the crash.
    const proxy = await KafkaProxy.listen();
    proxy.setTarget('127.0.0.1', port);
    const c = await WireClient.connect(proxy.port, '127.0.0.1', 'crash-producer');
    const created = await c.send(ApiKey.CreateTopics, 4, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    const init = await c.send(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const producerId: bigint = init.producerId;

    // ---- load, then SIGKILL with requests in flight
    const sent: SentBatch[] = [];
    let nextSeq = 0;
    let inFlight = 0;
    let failed = false; // set when the load stops (the kill is under way)
    let ackedCount = 0;
    const killAt = Date.now() + LOAD_MS;
    const killedServer = server;
    const send = (): void => {
      const b = makeBatch(producerId, nextSeq);
      nextSeq += RECORDS_PER_BATCH;
      sent.push(b);
      inFlight++;
      c.send(ApiKey.Produce, 7, produceBody(Buffer.from(b.bytes))).then((r) => {
        inFlight--;
        const pr = r.responses[0].partitionResponses[0];
        assert.equal(pr.errorCode, ErrorCode.NONE, `batch ${b.seq}`);
        b.ackedOffset = pr.baseOffset;
        ackedCount++;
        pump();
      }, () => {
        inFlight--;
      });
    };
    let resolveLoad: () => void = () => {};
    const loadDone = new Promise<void>((r) => (resolveLoad = r));
    const pump = (): void => {
      if (failed) return;
      // The kill comes after LOAD_MS and at least MIN_ACKED acknowledgements (a loaded machine is slow).
      if (Date.now() >= killAt && ackedCount >= MIN_ACKED) {
        failed = true;
        // From now on the broker still appends what arrives but its answers are lost: a last
        // window of batches is appended and never acknowledged.
        // (No more than MAX_IN_FLIGHT unanswered: responses already received settle first.)
        proxy.dropResponses = true;
        setImmediate(() => {
          while (inFlight < MAX_IN_FLIGHT) send();
          // Kill once the broker has answered (into the void) at least one of the last window.
          const deadline = Date.now() + 20_000;
          const killWhenAnswered = (): void => {
            if (proxy.droppedResponses === 0 && Date.now() < deadline) {
              setImmediate(killWhenAnswered);
              return;
            }
            killedServer.child.kill('SIGKILL');
            // and a few batches that will not reach the broker at all
            for (let i = 0; i < 3; i++) send();
            resolveLoad();
          };
          killWhenAnswered();
        });
        return;
      }
      while (inFlight < MAX_IN_FLIGHT) send();
    };
    pump();
    await loadDone;
    await killedServer.exited;
    c.close();
    await proxy.close();
    const dropped = proxy.droppedResponses;
    const acked = sent.filter((b) => b.ackedOffset !== null);
    const unacked = sent.filter((b) => b.ackedOffset === null);
    assert.ok(acked.length >= MIN_ACKED, `only ${acked.length} batches acknowledged before the kill`);
    assert.ok(unacked.length >= 1 && dropped >= 1, `the kill happened with requests in flight (${unacked.length} unanswered, ${dropped} answers lost)`);
    // acknowledged batches form a prefix: the producer waited for each response in order
    assert.deepEqual(sent.slice(0, acked.length), acked);

    // ---- restart on the same data dir and check what survived
    server = await startServer(props);
    let stored = await readAll(port);
    const expectedValues = sent.flatMap((b) => b.values);
    const storedValues = stored.map((r) => r.value);
    assert.ok(storedValues.length >= acked.length * RECORDS_PER_BATCH, `${storedValues.length} records after recovery, ${acked.length * RECORDS_PER_BATCH} acknowledged`);
    assert.deepEqual(storedValues, expectedValues.slice(0, storedValues.length), 'the log is a prefix of the sent records (in order, no duplicates)');
    for (const b of acked) {
      const at = stored[Number(b.ackedOffset)];
      assert.equal(at?.value, b.values[0], `acknowledged batch ${b.seq} at offset ${b.ackedOffset}`);
    }

    // ---- the producer retries what it never heard back about, with the same sequence numbers
    const c2 = await WireClient.connect(port, '127.0.0.1', 'crash-producer');
    let duplicates = 0;
    let appended = 0;
    for (const b of unacked) {
      const r = await c2.send(ApiKey.Produce, 7, produceBody(Buffer.from(b.bytes)));
      const pr = r.responses[0].partitionResponses[0];
      const wasStored = storedValues.includes(b.values[0]!);
      if (pr.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
        // Kafka's snapshots keep one batch per producer: a batch written just before a snapshot
        // taken at a roll may no longer be recognised. It must then already be in the log.
        assert.ok(wasStored, `batch ${b.seq} refused as out of order but it is not in the log`);
        continue;
      }
      assert.equal(pr.errorCode, ErrorCode.NONE, `retry of batch ${b.seq}`);
      if (wasStored) {
        duplicates++;
        assert.equal(stored[Number(pr.baseOffset)]?.value, b.values[0], `duplicate of batch ${b.seq} answered with its original offset`);
      } else {
        appended++;
      }
    }
    c2.close();
    stored = await readAll(port);
    assert.deepEqual(stored.map((r) => r.value), expectedValues, 'after the retries every record is in the log exactly once, in order');
    process.stderr.write(`# crash test: ${sent.length} batches sent, ${acked.length} acknowledged before SIGKILL, ${unacked.length} retried after restart (${duplicates} recognised as duplicates, ${appended} appended)\n`);

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, server.stderr());
    server = null;
  } finally {
    if (server !== null && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
