import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KafkaError } from '@samsa/protocol';
import type { CoordinatorRecord } from '../../src/coordinator/records.js';
import { CoordinatorRuntime, InMemoryPartitionWriter, type CoordinatorShard, type ShardContext } from '../../src/coordinator/runtime.js';
import { FakeClock } from '../../src/util/clock.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A counter shard: each record's value is a number to add; a null value resets it. */
class CounterShard implements CoordinatorShard {
  total = 0;
  offsets: bigint[] = [];
  loaded = false;
  constructor(readonly ctx: ShardContext) {}
  /** Transactional additions waiting for their marker, by producer id. */
  pending = new Map<bigint, number>();
  replay(r: CoordinatorRecord, offset: bigint, producerId: bigint): void {
    if (producerId >= 0n) {
      this.pending.set(producerId, (this.pending.get(producerId) ?? 0) + r.value!.readInt32BE(0));
      return;
    }
    this.total = r.value === null ? 0 : this.total + r.value.readInt32BE(0);
    this.offsets.push(offset);
  }
  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    if (commit) this.total += this.pending.get(producerId) ?? 0;
    this.pending.delete(producerId);
  }
  onLoaded(): void {
    this.loaded = true;
  }
}

function add(n: number): CoordinatorRecord {
  const v = Buffer.alloc(4);
  v.writeInt32BE(n);
  return { key: Buffer.from('k'), value: v };
}

function runtime(writer = new InMemoryPartitionWriter(), clock = new FakeClock(), loadChunkBytes?: number) {
  const shards: CounterShard[] = [];
  const rt = new CoordinatorRuntime<CounterShard>({
    clock, writer, ...(loadChunkBytes !== undefined ? { loadChunkBytes } : {}),
    newShard: (ctx) => {
      const s = new CounterShard(ctx);
      shards.push(s);
      return s;
    },
  });
  return { rt, writer, clock, shards };
}

describe('coordinator runtime', () => {
  it('writes records before answering, replays them, and rebuilds the same state from the log', async () => {
    const { rt, writer, clock } = runtime();
    await rt.load(0);
    assert.equal(await rt.write(0, () => ({ records: [add(2), add(3)], response: 'ok' })), 'ok');
    assert.equal(await rt.write(0, () => ({ records: [add(10)], response: 'ok2' })), 'ok2');
    assert.equal(rt.read(0, (s) => s.total), 15);
    assert.deepEqual(rt.read(0, (s) => s.offsets), [0n, 1n, 2n], 'offsets as the log assigned them');
    const fresh = runtime(writer, clock);
    await fresh.rt.load(0);
    assert.equal(fresh.rt.read(0, (s) => s.total), 15);
    assert.ok(fresh.shards[0]!.loaded);
  });

  it('a failed append reaches afterWrite and the caller, and nothing is replayed', async () => {
    const { rt, writer } = runtime();
    await rt.load(0);
    writer.failAppends = new Error('boom');
    let seen: unknown = null;
    await assert.rejects(rt.write(0, () => ({ records: [add(1)], response: 1, afterWrite: (e) => (seen = e) })), /boom/);
    assert.equal((seen as Error).message, 'boom');
    assert.equal(rt.read(0, (s) => s.total), 0);
  });

  it('NOT_COORDINATOR before load and after unload; COORDINATOR_LOAD_IN_PROGRESS during a long replay', async () => {
    const writer = new InMemoryPartitionWriter();
    {
      const { rt } = runtime(writer);
      assert.throws(() => rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR);
      await rt.load(0);
      for (let i = 0; i < 50; i++) await rt.write(0, () => ({ records: [add(1)], response: null }));
      rt.unload(0);
      assert.throws(() => rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR);
    }
    const slow = new (class extends InMemoryPartitionWriter {
      // One batch per read, like a log read with a small max size.
      override read(partition: number, offset: bigint, maxBytes: number) {
        const r = writer.read(partition, offset, maxBytes);
        const first = r.records.length === 0 ? r.records : r.records.subarray(0, 12 + r.records.readInt32BE(8));
        return { ...r, records: first };
      }
      override highWatermark(partition: number) {
        return writer.highWatermark(partition);
      }
      override awaitCommitted(partition: number, end: bigint, timeoutMs: number) {
        return writer.awaitCommitted(partition, end, timeoutMs);
      }
    })();
    const { rt } = runtime(slow, new FakeClock(), 1);
    const loading = rt.load(0);
    assert.throws(() => rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await loading;
    assert.equal(rt.read(0, (s) => s.total), 50);
  });

  it('a write answers only when its records are committed; they are applied then, in log order', async () => {
    const clock = new FakeClock();
    const writer = new InMemoryPartitionWriter(clock);
    const { rt } = runtime(writer, clock);
    await rt.load(0);
    writer.holdCommits = true;
    const answered: string[] = [];
    const first = rt.write(0, () => ({ records: [add(2)], response: 'a' })).then((v) => answered.push(v));
    const second = rt.write(0, () => ({ records: [add(3)], response: 'b' })).then((v) => answered.push(v));
    await flush();
    assert.deepEqual(answered, [], 'nothing answered before the high watermark moves');
    assert.equal(rt.read(0, (s) => s.total), 0, 'uncommitted records are not visible');
    writer.commit(0, 1n);
    await first;
    assert.deepEqual(answered, ['a']);
    assert.equal(rt.read(0, (s) => s.total), 2);
    // An operation without records that may rest on the pending write waits for it too.
    const third = rt.write<string>(0, () => ({ records: [], response: 'c' })).then((v) => (answered as string[]).push(v));
    await flush();
    assert.deepEqual(answered, ['a']);
    writer.commit(0);
    await Promise.all([second, third]);
    assert.deepEqual(answered, ['a', 'b', 'c']);
    assert.equal(rt.read(0, (s) => s.total), 5);
    assert.equal(await rt.write(0, () => ({ records: [], response: 'd' })), 'd', 'nothing pending: answered at once');
  });

  it('a write not committed within the write timeout answers REQUEST_TIMED_OUT; its records apply if they commit later', async () => {
    const clock = new FakeClock();
    const writer = new InMemoryPartitionWriter(clock);
    const shards: CounterShard[] = [];
    const rt = new CoordinatorRuntime<CounterShard>({ clock, writer, writeTimeoutMs: 1000, newShard: (ctx) => { const s = new CounterShard(ctx); shards.push(s); return s; } });
    await rt.load(0);
    writer.holdCommits = true;
    let after: unknown = null;
    let called = false;
    const w = rt.write(0, () => ({ records: [add(7)], response: 'x', afterWrite: (e) => { after = e; called = true; } }));
    clock.advance(999);
    await flush();
    assert.equal(called, false);
    clock.advance(1);
    await assert.rejects(w, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT);
    assert.ok((after as unknown) instanceof KafkaError);
    assert.equal(rt.read(0, (s) => s.total), 0);
    writer.commit(0);
    await flush();
    assert.equal(rt.read(0, (s) => s.total), 7, 'the log has it, so the state follows once committed');
  });

  it('unload fails waiting writes NOT_COORDINATOR; load serves only once its log end is committed', async () => {
    const clock = new FakeClock();
    const writer = new InMemoryPartitionWriter(clock);
    const { rt } = runtime(writer, clock);
    await rt.load(0);
    writer.holdCommits = true;
    const w = rt.write(0, () => ({ records: [add(1)], response: 1 }));
    rt.unload(0);
    await assert.rejects(w, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR);
    const fresh = runtime(writer, clock);
    const loading = fresh.rt.load(0);
    await flush();
    assert.throws(() => fresh.rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    writer.commit(0);
    await loading;
    assert.equal(fresh.rt.read(0, (s) => s.total), 1);
  });

  it('transactional records wait for their marker: applied on COMMIT, dropped on ABORT, the same on replay', async () => {
    const { rt, writer, clock } = runtime();
    await rt.load(0);
    await rt.write(0, () => ({ records: [add(5)], response: null, transaction: { producerId: 7n, producerEpoch: 0 } }));
    await rt.write(0, () => ({ records: [add(100)], response: null, transaction: { producerId: 8n, producerEpoch: 0 } }));
    assert.equal(rt.read(0, (s) => s.total), 0);
    await rt.writeEndTransactionMarker(0, { producerId: 7n, producerEpoch: 0 }, 0, true);
    await rt.writeEndTransactionMarker(0, { producerId: 8n, producerEpoch: 0 }, 0, false);
    assert.equal(rt.read(0, (s) => s.total), 5);
    const fresh = runtime(writer, clock);
    await fresh.rt.load(0);
    assert.equal(fresh.rt.read(0, (s) => s.total), 5);
    assert.equal(fresh.rt.read(0, (s) => s.pending.size), 0);
  });

  it('keyed timers: rescheduling replaces, cancel stops, unload clears; timer results are written', async () => {
    const { rt, clock, writer } = runtime();
    await rt.load(0);
    const timer = rt.read(0, (s) => s.ctx.timer);
    timer.schedule('a', 100, () => ({ records: [add(1)], response: undefined }));
    clock.advance(50);
    timer.schedule('a', 100, () => ({ records: [add(5)], response: undefined }));
    clock.advance(60);
    assert.equal(rt.read(0, (s) => s.total), 0, 'the first schedule was replaced');
    clock.advance(40);
    assert.equal(rt.read(0, (s) => s.total), 5);
    timer.schedule('b', 10, () => ({ records: [add(100)], response: undefined }));
    timer.cancel('b');
    timer.schedule('c', 10, () => ({ records: [add(100)], response: undefined }));
    rt.unload(0);
    clock.advance(100);
    assert.equal(clock.pendingTimers, 0);
    const fresh = runtime(writer, clock);
    await fresh.rt.load(0);
    assert.equal(fresh.rt.read(0, (s) => s.total), 5, 'only the timer that fired wrote');
  });
});
