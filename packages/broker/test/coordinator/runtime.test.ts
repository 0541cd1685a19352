import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, KafkaError } from '@samsa/protocol';
import type { CoordinatorRecord } from '../../src/coordinator/records.js';
import { CoordinatorRuntime, InMemoryPartitionWriter, type CoordinatorShard, type ShardContext } from '../../src/coordinator/runtime.js';
import { FakeClock } from '../../src/util/clock.js';

/** A counter shard: each record's value is a number to add; a null value resets it. */
class CounterShard implements CoordinatorShard {
  total = 0;
  offsets: bigint[] = [];
  loaded = false;
  constructor(readonly ctx: ShardContext) {}
  replay(r: CoordinatorRecord, offset: bigint): void {
    this.total = r.value === null ? 0 : this.total + r.value.readInt32BE(0);
    this.offsets.push(offset);
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
    assert.equal(rt.write(0, () => ({ records: [add(2), add(3)], response: 'ok' })), 'ok');
    assert.equal(rt.write(0, () => ({ records: [add(10)], response: 'ok2' })), 'ok2');
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
    assert.throws(() => rt.write(0, () => ({ records: [add(1)], response: 1, afterWrite: (e) => (seen = e) })), /boom/);
    assert.equal((seen as Error).message, 'boom');
    assert.equal(rt.read(0, (s) => s.total), 0);
  });

  it('NOT_COORDINATOR before load and after unload; COORDINATOR_LOAD_IN_PROGRESS during a long replay', async () => {
    const writer = new InMemoryPartitionWriter();
    {
      const { rt } = runtime(writer);
      assert.throws(() => rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_COORDINATOR);
      await rt.load(0);
      for (let i = 0; i < 50; i++) rt.write(0, () => ({ records: [add(1)], response: null }));
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
    })();
    const { rt } = runtime(slow, new FakeClock(), 1);
    const loading = rt.load(0);
    assert.throws(() => rt.read(0, (s) => s.total), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await loading;
    assert.equal(rt.read(0, (s) => s.total), 50);
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
