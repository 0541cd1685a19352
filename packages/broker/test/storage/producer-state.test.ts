import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CorruptSnapshotError,
  decodeSnapshot,
  decrementSequence,
  deleteSnapshotsAfter,
  encodeSnapshot,
  incrementSequence,
  InvalidProducerEpochError,
  InvalidTxnStateError,
  OutOfOrderSequenceError,
  ProducerStateManager,
  snapshotFileName,
} from '../../src/storage/producer-state.js';
import { ControlRecordType, encodeControlRecordKey, encodeRecordBatch } from '@samsa/protocol/records';
import { header, headerBytes, markerBytes, withTempDir, type TestBatch } from './producer-state-helpers.js';

const PID = 1000n;

function manager(clock = { t: 0 }, expirationMs = 86_400_000): ProducerStateManager {
  return new ProducerStateManager({ maxProducerIdExpirationMs: expirationMs, now: () => clock.t });
}

/** A tiny log: assigns offsets and records appended batches, as the engine would. */
class Log {
  next = 0n;
  readonly batches: Buffer[] = [];
  constructor(readonly state: ProducerStateManager) {}

  produce(b: TestBatch) {
    const h = header(b);
    const r = this.state.checkAndPrepare(h);
    if (r.kind === 'duplicate') return r;
    const base = this.next;
    const last = base + BigInt(b.count - 1);
    this.next = last + 1n;
    this.batches.push(headerBytes(b, base));
    this.state.onAppended(h, base, last);
    return { kind: 'append' as const, base, last };
  }

  marker(pid: bigint, epoch: number, commit: boolean, coordinatorEpoch: number) {
    const bytes = markerBytes(pid, epoch, this.next, commit, coordinatorEpoch);
    this.state.replay(bytes); // a marker goes through the same path as a replayed control batch
    this.batches.push(bytes);
    this.next += 1n;
  }
}

test('in-order appends are accepted and recorded', () => {
  const log = new Log(manager());
  let seq = 0;
  for (let i = 0; i < 10; i++) {
    const r = log.produce({ producerId: PID, epoch: 0, seq, count: 3 });
    assert.equal(r.kind, 'append');
    seq += 3;
  }
  const [p] = log.state.activeProducers();
  assert.deepEqual(p, {
    producerId: PID,
    producerEpoch: 0,
    lastSequence: 29,
    lastTimestamp: 1000n,
    coordinatorEpoch: -1,
    currentTxnStartOffset: -1n,
  });
  assert.equal(log.state.endOffset, 30n);
});

test('each of the last 5 batches is detected as a duplicate with its original offsets', () => {
  const log = new Log(manager());
  const sent: Array<{ b: TestBatch; base: bigint; last: bigint }> = [];
  let seq = 0;
  for (let i = 0; i < 8; i++) {
    const b = { producerId: PID, epoch: 3, seq, count: i + 1, timestamp: BigInt(5000 + i) };
    const r = log.produce(b);
    assert.equal(r.kind, 'append');
    if (r.kind === 'append') sent.push({ b, base: r.base, last: r.last });
    seq += b.count;
  }
  for (const s of sent.slice(-5)) {
    const r = log.state.checkAndPrepare(header(s.b));
    assert.deepEqual(r, { kind: 'duplicate', firstOffset: s.base, lastOffset: s.last, timestamp: s.b.timestamp });
  }
  // the 6th batch back is no longer remembered: its sequence is out of order
  assert.throws(() => log.state.checkAndPrepare(header(sent[2]!.b)), OutOfOrderSequenceError);
  assert.throws(() => log.state.checkAndPrepare(header(sent[0]!.b)), OutOfOrderSequenceError);
  // a retry covering a different range than any batch is not a duplicate either
  const lastSent = sent[7]!.b;
  assert.throws(() => log.state.checkAndPrepare(header({ ...lastSent, count: lastSent.count - 1 })), OutOfOrderSequenceError);
});

test('gaps and repeats of the next sequence are out of order', () => {
  const log = new Log(manager());
  log.produce({ producerId: PID, epoch: 0, seq: 0, count: 5 });
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 6, count: 1 })), OutOfOrderSequenceError);
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 4, count: 1 })), OutOfOrderSequenceError);
  assert.equal(log.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 5, count: 1 })).kind, 'append');
});

test('a new epoch resets sequences and must start at 0; older epochs are fenced', () => {
  const log = new Log(manager());
  log.produce({ producerId: PID, epoch: 1, seq: 0, count: 10 });
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 2, seq: 10, count: 1 })), OutOfOrderSequenceError);
  assert.equal(log.produce({ producerId: PID, epoch: 2, seq: 0, count: 2 }).kind, 'append');
  assert.equal(log.state.lastEntry(PID)!.batches.length, 1, 'the old epoch batches are forgotten');
  // the old epoch is fenced, even for what would have been its next sequence or a duplicate
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 1, seq: 10, count: 1 })), InvalidProducerEpochError);
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 1, seq: 0, count: 10 })), InvalidProducerEpochError);
  assert.equal(log.state.checkAndPrepare(header({ producerId: PID, epoch: 2, seq: 2, count: 1 })).kind, 'append');
});

test('unknown producers are accepted at any sequence (Kafka >= 2.5); non-idempotent batches skip all checks', () => {
  const log = new Log(manager());
  assert.equal(log.produce({ producerId: 77n, epoch: 4, seq: 1234, count: 2 }).kind, 'append');
  assert.equal(log.state.checkAndPrepare(header({ producerId: 77n, epoch: 4, seq: 1236, count: 1 })).kind, 'append');
  for (let i = 0; i < 3; i++) {
    assert.equal(log.produce({ producerId: -1n, epoch: -1, seq: -1, count: 4 }).kind, 'append');
  }
  assert.equal(log.state.producerIdCount, 1);
  assert.equal(log.state.endOffset, 14n);
});

test('sequences wrap from int32 max to 0', () => {
  const MAX = 0x7fffffff;
  assert.equal(incrementSequence(MAX, 1), 0);
  assert.equal(incrementSequence(MAX - 1, 3), 1);
  assert.equal(decrementSequence(1, 3), MAX - 1);
  const log = new Log(manager());
  log.produce({ producerId: PID, epoch: 0, seq: MAX - 4, count: 3 }); // MAX-4 .. MAX-2
  const wrapping = { producerId: PID, epoch: 0, seq: MAX - 1, count: 4 }; // MAX-1, MAX, 0, 1
  assert.equal(header(wrapping).lastSequence, 1);
  assert.equal(log.produce(wrapping).kind, 'append');
  assert.equal(log.state.checkAndPrepare(header(wrapping)).kind, 'duplicate');
  assert.equal(log.produce({ producerId: PID, epoch: 0, seq: 2, count: 1 }).kind, 'append');
  // exactly at the boundary
  const log2 = new Log(manager());
  log2.produce({ producerId: PID, epoch: 0, seq: MAX - 1, count: 2 });
  assert.equal(log2.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 0, count: 1 })).kind, 'append');
  assert.throws(() => log2.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 1, count: 1 })), OutOfOrderSequenceError);
});

test('producers idle for producer.id.expiration.ms are removed, open transactions are kept', () => {
  const clock = { t: 0 };
  const log = new Log(manager(clock, 60_000));
  log.produce({ producerId: 1n, epoch: 0, seq: 0, count: 1, timestamp: 10_000n });
  log.produce({ producerId: 2n, epoch: 0, seq: 0, count: 1, timestamp: 50_000n });
  log.produce({ producerId: 3n, epoch: 0, seq: 0, count: 1, timestamp: 10_000n, transactional: true });
  clock.t = 69_999;
  assert.equal(log.state.removeExpiredProducers(), 0);
  clock.t = 70_000;
  assert.equal(log.state.removeExpiredProducers(), 1);
  assert.deepEqual(log.state.activeProducers().map((p) => p.producerId).sort(), [2n, 3n]);
  clock.t = 1_000_000;
  log.state.removeExpiredProducers();
  assert.deepEqual(log.state.activeProducers().map((p) => p.producerId), [3n]);
  // the expired producer is unknown again: accepted at any sequence
  assert.equal(log.state.checkAndPrepare(header({ producerId: 1n, epoch: 0, seq: 99, count: 1 })).kind, 'append');
});

test('transactions: first offset tracked, markers close them and set the coordinator epoch', () => {
  const log = new Log(manager());
  log.produce({ producerId: PID, epoch: 0, seq: 0, count: 2, transactional: true });
  log.produce({ producerId: PID, epoch: 0, seq: 2, count: 2, transactional: true });
  assert.equal(log.state.activeProducers()[0]!.currentTxnStartOffset, 0n);
  assert.throws(() => log.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 4, count: 1 })), InvalidTxnStateError);
  log.marker(PID, 0, true, 7);
  const p = log.state.activeProducers()[0]!;
  assert.equal(p.currentTxnStartOffset, -1n);
  assert.equal(p.coordinatorEpoch, 7);
  assert.equal(p.lastSequence, 3, 'a marker does not forget the data batches');
  assert.equal(log.produce({ producerId: PID, epoch: 0, seq: 4, count: 1, transactional: true }).kind, 'append');
  assert.equal(log.state.activeProducers()[0]!.currentTxnStartOffset, 5n);
});

test('replay: a control batch that is not a transaction marker only moves the end offset', () => {
  const state = manager();
  state.replay(headerBytes({ producerId: PID, epoch: 0, seq: 0, count: 2 }, 0n));
  const leaderChange = encodeRecordBatch({
    baseOffset: 2n, isControl: true, baseTimestamp: 1000n, producerId: PID, producerEpoch: 0, baseSequence: -1,
    records: [{ attributes: 0, timestampDelta: 0, offsetDelta: 0, key: encodeControlRecordKey(ControlRecordType.LeaderChange), value: Buffer.alloc(8), headers: [] }],
  });
  state.replay(leaderChange);
  assert.equal(state.endOffset, 3n);
  assert.equal(state.lastEntry(PID)!.batches.length, 1);
  assert.equal(state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 2, count: 1 })).kind, 'append');
});

test('snapshot: Kafka layout, round trip, CRC checked', () => {
  withTempDir((dir) => {
    const log = new Log(manager());
    log.produce({ producerId: 5n, epoch: 2, seq: 0, count: 3, timestamp: 1234n });
    log.produce({ producerId: 5n, epoch: 2, seq: 3, count: 4, timestamp: 1300n });
    log.produce({ producerId: -1n, epoch: -1, seq: -1, count: 1 });
    log.produce({ producerId: 9n, epoch: 0, seq: 0, count: 1, transactional: true, timestamp: 1400n });
    const file = log.state.takeSnapshot(dir, log.next);
    assert.equal(file, join(dir, '00000000000000000009.snapshot'));
    const bytes = readFileSync(file);
    assert.equal(bytes.length, 2 + 4 + 4 + 2 * 46);
    assert.equal(bytes.readInt16BE(0), 1, 'version');
    assert.equal(bytes.readInt32BE(6), 2, 'entry count');
    // first entry, field by field, in Kafka's order
    assert.equal(bytes.readBigInt64BE(10), 5n); // producer_id
    assert.equal(bytes.readInt16BE(18), 2); // epoch
    assert.equal(bytes.readInt32BE(20), 6); // last_sequence
    assert.equal(bytes.readBigInt64BE(24), 6n); // last_offset
    assert.equal(bytes.readInt32BE(32), 3); // offset_delta
    assert.equal(bytes.readBigInt64BE(36), 1300n); // timestamp
    assert.equal(bytes.readInt32BE(44), -1); // coordinator_epoch
    assert.equal(bytes.readBigInt64BE(48), -1n); // current_txn_first_offset
    assert.equal(bytes.readBigInt64BE(56 + 38), 8n, 'second entry: open transaction at offset 8');

    const loaded = manager();
    assert.equal(loaded.loadLatestSnapshot(dir, 100n), 9n);
    assert.deepEqual(loaded.activeProducers(), log.state.activeProducers());
    assert.equal(loaded.endOffset, 9n);
    // the last batch is still detected as a duplicate after the reload, with its offsets
    assert.deepEqual(loaded.checkAndPrepare(header({ producerId: 5n, epoch: 2, seq: 3, count: 4 })), {
      kind: 'duplicate', firstOffset: 3n, lastOffset: 6n, timestamp: 1300n,
    });
    assert.equal(loaded.checkAndPrepare(header({ producerId: 5n, epoch: 2, seq: 7, count: 1 })).kind, 'append');

    const corrupt = Buffer.from(bytes);
    corrupt[20] ^= 1;
    assert.throws(() => decodeSnapshot(corrupt), CorruptSnapshotError);
    assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1)), CorruptSnapshotError);
    const badVersion = Buffer.from(bytes);
    badVersion.writeInt16BE(2, 0);
    assert.throws(() => decodeSnapshot(badVersion), CorruptSnapshotError);
    assert.deepEqual(decodeSnapshot(encodeSnapshot([])), []);
  });
});

test('snapshots: a corrupt newest one is deleted and the older one used; newest 2 kept; truncation', () => {
  withTempDir((dir) => {
    const log = new Log(manager());
    log.produce({ producerId: PID, epoch: 0, seq: 0, count: 2 });
    log.state.takeSnapshot(dir, log.next); // 2
    log.produce({ producerId: PID, epoch: 0, seq: 2, count: 2 });
    log.state.takeSnapshot(dir, log.next); // 4
    log.produce({ producerId: PID, epoch: 0, seq: 4, count: 2 });
    log.state.takeSnapshot(dir, log.next); // 6
    assert.deepEqual(readdirSync(dir).sort(), [snapshotFileName(4n), snapshotFileName(6n)]);

    const newest = join(dir, snapshotFileName(6n));
    const bytes = readFileSync(newest);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(newest, bytes);
    const loaded = manager();
    assert.equal(loaded.loadLatestSnapshot(dir, 100n), 4n);
    assert.deepEqual(readdirSync(dir), [snapshotFileName(4n)], 'the corrupt snapshot is deleted');
    assert.equal(loaded.activeProducers()[0]!.lastSequence, 3);
    // snapshots above the recovery point are not used
    assert.equal(manager().loadLatestSnapshot(dir, 3n), null);
    deleteSnapshotsAfter(dir, 3n);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('rebuild after restart: snapshot + replay of the log tail equals the live state', () => {
  withTempDir((dir) => {
    const clock = { t: 0 };
    const log = new Log(manager(clock));
    const seqs = new Map<bigint, { epoch: number; seq: number }>();
    let snapshotAt = -1n;
    for (let i = 0; i < 200; i++) {
      const pid = BigInt(i % 7);
      const s = seqs.get(pid) ?? { epoch: 0, seq: 0 };
      if (pid === 3n && i === 101) { s.epoch = 1; s.seq = 0; } // an epoch bump mid-way
      const count = (i % 4) + 1;
      assert.equal(log.produce({ producerId: pid, epoch: s.epoch, seq: s.seq, count, timestamp: BigInt(i) }).kind, 'append');
      seqs.set(pid, { epoch: s.epoch, seq: s.seq + count });
      if (i === 120) log.marker(6n, 0, false, 3); // not transactional data, but a marker is legal
      if (i === 150) {
        snapshotAt = log.next;
        log.state.takeSnapshot(dir, snapshotAt);
      }
    }
    const rebuilt = manager(clock);
    const from = rebuilt.loadLatestSnapshot(dir, log.next);
    assert.equal(from, snapshotAt);
    for (const b of log.batches) {
      if (b.readBigInt64BE(0) >= from!) rebuilt.replay(b);
    }
    assert.deepEqual(rebuilt.activeProducers(), log.state.activeProducers());
    assert.equal(rebuilt.endOffset, log.next);
    // batches appended after the snapshot keep full duplicate detection
    for (const [pid, entry] of [...Array(7).keys()].map((k) => [BigInt(k), log.state.lastEntry(BigInt(k))!] as const)) {
      assert.deepEqual(rebuilt.lastEntry(pid)!.batches, entry.batches);
    }
    // and a full replay from the start gives the same state
    const full = manager(clock);
    full.replayBuffer(Buffer.concat(log.batches));
    assert.deepEqual(full.activeProducers(), log.state.activeProducers());
  });
});

test('truncateAndReload drops snapshots above the new end and reloads', () => {
  withTempDir((dir) => {
    const log = new Log(manager());
    for (let i = 0; i < 6; i++) {
      log.produce({ producerId: PID, epoch: 0, seq: i * 2, count: 2 });
      if (i === 1 || i === 4) log.state.takeSnapshot(dir, log.next); // 4, 10
    }
    const from = log.state.truncateAndReload(dir, 0n, 6n);
    assert.equal(from, 4n);
    assert.deepEqual(readdirSync(dir), [snapshotFileName(4n)]);
    for (const b of log.batches) if (b.readBigInt64BE(0) >= 4n && b.readBigInt64BE(0) < 6n) log.state.replay(b);
    assert.equal(log.state.activeProducers()[0]!.lastSequence, 5);
    assert.equal(log.state.checkAndPrepare(header({ producerId: PID, epoch: 0, seq: 6, count: 1 })).kind, 'append');
  });
});
