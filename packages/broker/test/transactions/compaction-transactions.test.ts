/**
 * Compaction and retention with transactions (issue 14 item 6), through a real broker (file
 * storage, injected clock, wire client): the cleaner never cleans past the last stable offset,
 * removes the records of aborted transactions (which never supersede committed ones), keeps a
 * marker while data of its transaction remains, then for delete.retention.ms, then removes it
 * (Kafka's two passes); the .txnindex follows cleaning and retention. Transactional batches are
 * hand-built and ended with WriteTxnMarkers, so the test decides every offset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { ATTR_DELETE_HORIZON, ControlRecordType, createRecordBatch, decodeControlRecordKey, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { FakeClock, startBroker, type TestBroker } from '../../src/testkit/index.js';
import { createLogger } from '../../src/util/log.js';
import { WireClient } from '../testkit/wire-client.js';

const quiet = createLogger('test', { level: 'ERROR' });
const DELETE_RETENTION_MS = 1000;

interface Entry { offset: bigint; kind: 'data' | 'commit' | 'abort'; key?: string; value?: string | null; horizon: boolean }

class Writer {
  private readonly seqs = new Map<bigint, number>();
  constructor(private readonly c: WireClient, private readonly topic: string, private readonly clock: FakeClock) {}

  /** One batch of `key=value` records; transactional when a producer id is given. */
  async put(kvs: string[], producerId = -1n): Promise<bigint> {
    const seq = this.seqs.get(producerId) ?? 0;
    const records = kvs.map((kv) => {
      const [k, v] = kv.split('=');
      return { key: Buffer.from(k!), value: Buffer.from(v!), timestamp: BigInt(this.clock.now()) };
    });
    const batch = encodeRecordBatch(createRecordBatch(records, producerId >= 0n ? { isTransactional: true, producerId, producerEpoch: 0, baseSequence: seq } : {}));
    const r = await this.c.send(ApiKey.Produce, 9, { transactionalId: producerId >= 0n ? 'hand-built' : null, acks: -1, timeoutMs: 5000, topicData: [{ name: this.topic, partitionData: [{ index: 0, records: batch }] }] });
    const p = r.responses[0].partitionResponses[0];
    assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage);
    if (producerId >= 0n) this.seqs.set(producerId, seq + kvs.length);
    return p.baseOffset;
  }

  async end(producerId: bigint, commit: boolean): Promise<void> {
    const r = await this.c.send(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId, producerEpoch: 0, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: this.topic, partitionIndexes: [0] }] }] });
    assert.equal(r.markers[0].topics[0].partitions[0].errorCode, ErrorCode.NONE);
  }
}

/** Everything in the log, control batches included (the leader's view, as a follower reads it). */
function entries(tb: TestBroker, topic: string): Entry[] {
  const p = tb.broker.partitions.getPartition(topic, 0)!;
  const out: Entry[] = [];
  const bytes = p.readRecords(p.logStartOffset, 1 << 24, { isolation: 'log-end', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: false }).records;
  for (const b of decodeRecordBatches(bytes)) {
    const horizon = (b.attributes & ATTR_DELETE_HORIZON) !== 0;
    for (const r of b.records) {
      const offset = b.baseOffset + BigInt(r.offsetDelta);
      if (b.isControl) out.push({ offset, kind: decodeControlRecordKey(r.key).type === ControlRecordType.Commit ? 'commit' : 'abort', horizon });
      else out.push({ offset, kind: 'data', key: r.key!.toString(), value: r.value?.toString() ?? null, horizon });
    }
  }
  return out;
}

const offsetsOf = (es: Entry[]): bigint[] => es.map((e) => e.offset);

/** The .txnindex entries on disk: producer id and marker offset of each. */
function txnIndexFiles(tb: TestBroker, topic: string): Array<{ producerId: bigint; lastOffset: bigint }> {
  const dir = tb.broker.partitions.getPartition(topic, 0)!.log.dir!;
  const out: Array<{ producerId: bigint; lastOffset: bigint }> = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.txnindex'))) {
    const buf = readFileSync(join(dir, name));
    for (let p = 0; p + 34 <= buf.length; p += 34) out.push({ producerId: buf.readBigInt64BE(p + 2), lastOffset: buf.readBigInt64BE(p + 18) });
  }
  return out;
}

async function readCommitted(c: WireClient, topic: string, from = 0n): Promise<{ lastStableOffset: bigint; records: Array<[bigint, string, string | null]>; aborted: bigint[] }> {
  const r = await c.send(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 24, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: from, partitionMaxBytes: 1 << 24, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = r.responses[0].partitions[0];
  const aborted = new Set<bigint>((p.abortedTransactions ?? []).map((a: { producerId: bigint }) => a.producerId));
  const records: Array<[bigint, string, string | null]> = [];
  for (const b of decodeRecordBatches(p.records ?? Buffer.alloc(0))) {
    if (b.isControl || (b.isTransactional && aborted.has(b.producerId))) continue;
    for (const x of b.records) records.push([b.baseOffset + BigInt(x.offsetDelta), x.key!.toString(), x.value?.toString() ?? null]);
  }
  return { lastStableOffset: p.lastStableOffset, records, aborted: [...aborted] };
}

test('compaction with transactions: stops at the LSO, removes aborted data, keeps markers until delete.retention.ms after their data', async (t) => {
  const clock = new FakeClock(Date.now());
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-compaction-'));
  const tb = await startBroker({
    storage: 'file', dataDir, clock, logger: quiet,
    config: {
      'log.cleaner.backoff.ms': '3600000', // the test runs each cleaning itself
      'transaction.partition.verification.enable': 'false', // hand-built transactions, no coordinator
      'producer.id.expiration.ms': '1500', 'producer.id.expiration.check.interval.ms': '500',
    },
  });
  const c = await WireClient.connect(tb.port);
  t.after(async () => {
    c.close();
    await tb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await tb.broker.topics.createTopic({
    name: 'ct', numPartitions: 1,
    // About one batch per segment: everything but the last batch can be cleaned.
    configs: { 'cleanup.policy': 'compact', 'segment.bytes': '100', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': String(DELETE_RETENTION_MS) },
  });
  const w = new Writer(c, 'ct', clock);
  const partition = tb.broker.partitions.getPartition('ct', 0)!;
  const cleaner = tb.broker.logCleaner!;

  assert.equal(await w.put(['k1=a1', 'k2=a2'], 100n), 0n); // committed transaction
  await w.end(100n, true); // 2
  assert.equal(await w.put(['k1=x1', 'k3=x3'], 200n), 3n); // aborted transaction
  await w.end(200n, false); // 5
  assert.equal(await w.put(['k2=b2']), 6n);
  assert.equal(await w.put(['k1=open'], 300n), 7n); // still open: the LSO stays at 7
  assert.equal(await w.put(['k4=c4']), 8n);
  assert.equal(await w.put(['k9=f1']), 9n); // the active segment
  assert.equal(partition.lastStableOffset, 7n);
  assert.deepEqual(txnIndexFiles(tb, 'ct'), [{ producerId: 200n, lastOffset: 5n }]);

  // Pass 1: up to the LSO only. The aborted records go (k1=x1 did not supersede k1=a1); the
  // markers stay, their transactions' data having been read in this pass.
  await cleaner.cleanAll();
  assert.ok(cleaner.checkpointOf(partition.log)! <= 7n, 'not cleaned past the last stable offset');
  let log = entries(tb, 'ct');
  assert.deepEqual(offsetsOf(log), [0n, 2n, 5n, 6n, 7n, 8n, 9n]);
  assert.deepEqual(log.find((e) => e.offset === 0n), { offset: 0n, kind: 'data', key: 'k1', value: 'a1', horizon: false });
  assert.equal(log.find((e) => e.offset === 7n)?.value, 'open', 'the open transaction is untouched');
  assert.ok(log.every((e) => !e.horizon), 'no marker has a delete horizon yet');
  assert.deepEqual(txnIndexFiles(tb, 'ct'), [{ producerId: 200n, lastOffset: 5n }], 'the kept ABORT marker keeps its index entry');
  const rc1 = await readCommitted(c, 'ct');
  assert.equal(rc1.lastStableOffset, 7n);
  assert.deepEqual(rc1.records, [[0n, 'k1', 'a1'], [6n, 'k2', 'b2']]);

  // The open transaction commits; more data; the producers expire (producer.id.expiration.ms),
  // so the cleaner stops keeping their last batches as empty headers. Pass 2: k1=a1 is superseded
  // by the committed k1=open, the empty header left of the aborted batch goes; both markers stay,
  // data of their transactions having been read once more in this pass.
  await w.end(300n, true); // 10
  assert.equal(await w.put(['k5=e5']), 11n);
  assert.equal(await w.put(['k9=f2']), 12n);
  assert.equal(partition.lastStableOffset, partition.highWatermark);
  clock.advance(2000);
  assert.equal(tb.broker.producers!.activeProducers(partition.log).length, 0, 'the producers expired');
  await cleaner.cleanAll();
  log = entries(tb, 'ct');
  assert.ok(!offsetsOf(log).includes(0n), 'k1=a1 superseded by the committed k1=open');
  assert.deepEqual(log.filter((e) => e.kind !== 'data'), [
    { offset: 2n, kind: 'commit', horizon: false }, { offset: 5n, kind: 'abort', horizon: false }, { offset: 10n, kind: 'commit', horizon: false },
  ]);

  // Pass 3: no data of transactions 100 and 200 is left: their markers start delete.retention.ms,
  // and the ABORT marker's index entry goes (nothing to filter any more). Transaction 300's data
  // (k1=open) is still there: its marker stays as it is.
  assert.equal(await w.put(['k9=f3']), 13n);
  await cleaner.cleanAll();
  log = entries(tb, 'ct');
  assert.deepEqual(log.filter((e) => e.kind !== 'data'), [
    { offset: 2n, kind: 'commit', horizon: true }, { offset: 5n, kind: 'abort', horizon: true }, { offset: 10n, kind: 'commit', horizon: false },
  ]);
  assert.deepEqual(txnIndexFiles(tb, 'ct'), [], 'the index entry went with its aborted data');
  assert.deepEqual(tb.broker.producers!.abortedTransactions(partition.log, 0n, 100n), []);

  // Not before delete.retention.ms ...
  clock.advance(DELETE_RETENTION_MS - 10);
  assert.equal(await w.put(['k9=f4']), 14n);
  await cleaner.cleanAll();
  assert.deepEqual(entries(tb, 'ct').filter((e) => e.kind !== 'data').map((e) => e.offset), [2n, 5n, 10n], 'markers wait out delete.retention.ms');
  // ... but after it, they go.
  clock.advance(20);
  await cleaner.cleanAll();
  assert.deepEqual(entries(tb, 'ct').filter((e) => e.kind !== 'data').map((e) => e.offset), [10n], 'markers removed after delete.retention.ms');

  // What read_committed consumers see is the latest committed value of each key, nothing aborted.
  const latest = new Map((await readCommitted(c, 'ct')).records.map(([, k, v]) => [k, v]));
  assert.deepEqual(Object.fromEntries(latest), { k2: 'b2', k1: 'open', k4: 'c4', k5: 'e5', k9: 'f4' });
  assert.ok(!latest.has('k3'), 'nothing of the aborted transaction');
});

test('retention keeps the .txnindex consistent: entries of deleted segments go with them', async (t) => {
  const clock = new FakeClock(Date.now());
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-retention-'));
  const tb = await startBroker({ storage: 'file', dataDir, clock, logger: quiet, config: { 'transaction.partition.verification.enable': 'false' } });
  const c = await WireClient.connect(tb.port);
  t.after(async () => {
    c.close();
    await tb.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await tb.broker.topics.createTopic({ name: 'rt', numPartitions: 1, configs: { 'segment.bytes': '100', 'retention.ms': '60000' } });
  const w = new Writer(c, 'rt', clock);
  await w.put(['a=1'], 500n);
  await w.end(500n, false); // 1: aborted, in an old segment
  clock.advance(30_000);
  await w.put(['b=1'], 600n);
  await w.end(600n, false); // 3: aborted, in a newer segment
  await w.put(['c=1']);
  await w.put(['d=1']);
  assert.deepEqual(txnIndexFiles(tb, 'rt').map((e) => e.lastOffset), [1n, 3n]);
  clock.advance(35_000); // the first two segments are past retention.ms; the retention check runs
  tb.broker.applyRetention();
  const p = tb.broker.partitions.getPartition('rt', 0)!;
  assert.ok(p.logStartOffset >= 2n, `log start ${p.logStartOffset}`);
  assert.deepEqual(txnIndexFiles(tb, 'rt').map((e) => e.lastOffset), [3n], 'the deleted segments took their index entries along');
  assert.deepEqual(tb.broker.producers!.abortedTransactions(p.log, 0n, 100n).map((a) => a.producerId), [600n]);
  const rc = await readCommitted(c, 'rt', p.logStartOffset);
  assert.deepEqual(rc.records.map(([, k]) => k), ['c', 'd'], 'read_committed still filters the aborted transaction that remains');
});
