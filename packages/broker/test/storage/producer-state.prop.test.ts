// Model test: random idempotent producers sending, retrying, skipping sequences, bumping and
// reusing epochs, with broker restarts (from a snapshot or from a full log replay) in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidProducerEpochError,
  OutOfOrderSequenceError,
  ProducerStateManager,
} from '../../src/storage/producer-state.js';
import { header, headerBytes, withTempDir, type TestBatch } from './producer-state-helpers.js';

type Op =
  | { op: 'next'; pid: number; count: number }
  | { op: 'retry'; pid: number; back: number }
  | { op: 'gap'; pid: number; skip: number }
  | { op: 'old-epoch'; pid: number }
  | { op: 'bump'; pid: number; count: number }
  | { op: 'restart-snapshot' }
  | { op: 'restart-replay' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('next' as const), pid: fc.nat(3), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('retry' as const), pid: fc.nat(3), back: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('gap' as const), pid: fc.nat(3), skip: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('old-epoch' as const), pid: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bump' as const), pid: fc.nat(3), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart-snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart-replay' as const }) },
);

interface Sent { b: TestBatch; base: bigint; last: bigint }
interface ModelProducer { epoch: number; nextSeq: number; sent: Sent[]; remembered: number }

test('producer state agrees with a model of Kafka idempotence', () => {
  withTempDir((dir) => {
    let snapshots = 0; // across runs: each snapshot is newer than the files earlier runs left
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 150, size: 'max' }), (ops) => {
        const make = () => new ProducerStateManager({ maxProducerIdExpirationMs: 86_400_000, now: () => 0 });
        let state = make();
        const log: Buffer[] = [];
        let next = 0n;
        const model = new Map<number, ModelProducer>();

        const append = (b: TestBatch): Sent => {
          const base = next;
          const last = base + BigInt(b.count - 1);
          next = last + 1n;
          log.push(headerBytes(b, base));
          state.onAppended(header(b), base, last);
          return { b, base, last };
        };

        for (const o of ops) {
          if (o.op === 'restart-snapshot' || o.op === 'restart-replay') {
            const fresh = make();
            if (o.op === 'restart-snapshot') {
              const at = BigInt(1_000_000 + snapshots++);
              state.takeSnapshot(dir, at);
              assert.equal(fresh.loadLatestSnapshot(dir, at), at);
              for (const p of model.values()) p.remembered = Math.min(p.remembered, 1);
            } else {
              for (const b of log) fresh.replay(b);
              for (const p of model.values()) p.remembered = Math.min(p.sent.length, 5);
            }
            state = fresh;
            continue;
          }
          const pid = BigInt(o.pid);
          const p = model.get(o.pid);
          switch (o.op) {
            case 'next': {
              const b = { producerId: pid, epoch: p?.epoch ?? 0, seq: p?.nextSeq ?? 0, count: o.count };
              assert.equal(state.checkAndPrepare(header(b)).kind, 'append');
              const s = append(b);
              const m = p ?? { epoch: 0, nextSeq: 0, sent: [], remembered: 0 };
              m.nextSeq += o.count;
              m.sent.push(s);
              m.remembered = Math.min(m.remembered + 1, 5);
              model.set(o.pid, m);
              break;
            }
            case 'retry': {
              if (p === undefined || o.back >= p.sent.length) break;
              const s = p.sent[p.sent.length - 1 - o.back]!;
              if (o.back < p.remembered) {
                assert.deepEqual(state.checkAndPrepare(header(s.b)), {
                  kind: 'duplicate', firstOffset: s.base, lastOffset: s.last, timestamp: 1000n,
                });
              } else {
                assert.throws(() => state.checkAndPrepare(header(s.b)), OutOfOrderSequenceError);
              }
              break;
            }
            case 'gap': {
              if (p === undefined) break;
              const b = { producerId: pid, epoch: p.epoch, seq: p.nextSeq + o.skip, count: 1 };
              assert.throws(() => state.checkAndPrepare(header(b)), OutOfOrderSequenceError);
              break;
            }
            case 'old-epoch': {
              if (p === undefined || p.epoch === 0) break;
              const b = { producerId: pid, epoch: p.epoch - 1, seq: p.nextSeq, count: 1 };
              assert.throws(() => state.checkAndPrepare(header(b)), InvalidProducerEpochError);
              break;
            }
            case 'bump': {
              if (p === undefined) break;
              const wrong = { producerId: pid, epoch: p.epoch + 1, seq: 1, count: o.count };
              assert.throws(() => state.checkAndPrepare(header(wrong)), OutOfOrderSequenceError);
              const b = { producerId: pid, epoch: p.epoch + 1, seq: 0, count: o.count };
              assert.equal(state.checkAndPrepare(header(b)).kind, 'append');
              model.set(o.pid, { epoch: p.epoch + 1, nextSeq: o.count, sent: [append(b)], remembered: 1 });
              break;
            }
          }
        }
        // whatever happened, the producers' visible state is what the model says
        const active = new Map(state.activeProducers().map((a) => [a.producerId, a]));
        for (const [pid, m] of model) {
          const a = active.get(BigInt(pid))!;
          assert.equal(a.producerEpoch, m.epoch);
          assert.equal(a.lastSequence, m.nextSeq - 1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
