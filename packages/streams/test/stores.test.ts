// State stores, the same cases against both engines (in memory and LMDB on disk): reads and
// ranges, changelog records for every write, restore from those records into a fresh store,
// window retention and session lookups; and the serdes' Kafka byte formats.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KeyValueStore, Serdes, SessionStore, type StoreType, timeWindowedSerde, WindowStore } from '../src/index.js';
import { SortedKeys } from '../src/state/bytes-store.js';
import type { StoreContext } from '../src/state/stores.js';

const S = Serdes.String();
const L = Serdes.Long();
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function context(streamTime: { t: number }): StoreContext & { changelog: Array<[Buffer, Buffer | null]> } {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-stores-'));
  dirs.push(dir);
  const changelog: Array<[Buffer, Buffer | null]> = [];
  return { taskId: '0_0', taskDir: dir, log: (_s, k, v) => void changelog.push([k, v]), currentStreamTimeMs: () => streamTime.t, changelog };
}

for (const type of ['in_memory', 'persistent'] as StoreType[]) {
  describe(`${type} stores`, () => {
    test('key-value: get, put, delete, range in byte order; changelog replays into a fresh store', async () => {
      const ctx = context({ t: 0 });
      const kv = new KeyValueStore('kv', type, true, S, L);
      kv.init(ctx);
      for (const [k, v] of [['b', 2], ['a', 1], ['d', 4], ['c', 3]] as const) kv.put(k, v);
      kv.put('d', 40);
      assert.equal(kv.delete('c'), 3);
      assert.equal(kv.putIfAbsent('a', 100), 1);
      assert.equal(kv.get('a'), 1);
      assert.equal(kv.get('zz'), null);
      assert.deepEqual([...kv.range('a', 'c')].map((e) => `${e.key}=${e.value}`), ['a=1', 'b=2']);
      assert.deepEqual([...kv.all()].map((e) => `${e.key}=${e.value}`), ['a=1', 'b=2', 'd=40']);
      assert.equal(kv.approximateNumEntries(), 3);
      assert.equal(ctx.changelog.length, 6);
      assert.equal(ctx.changelog[5]![1], null); // the delete is a tombstone
      kv.flush();
      await kv.close();
      const restored = new KeyValueStore('kv', type, true, S, L);
      const ctx2 = context({ t: 0 });
      restored.init(ctx2);
      for (const [k, v] of ctx.changelog) restored.restore(k, v);
      assert.deepEqual([...restored.all()].map((e) => `${e.key}=${e.value}`), ['a=1', 'b=2', 'd=40']);
      assert.equal(ctx2.changelog.length, 0); // restoring does not log again
      await restored.close();
    });

    test('window: fetch by key and time, expiry by stream time, duplicates for joins', async () => {
      const time = { t: 0 };
      const ctx = context(time);
      const ws = new WindowStore('w', type, true, S, L, 100, 10);
      ws.init(ctx);
      ws.put('a', 1, 0);
      ws.put('a', 2, 10);
      ws.put('ab', 9, 10); // a longer key sharing a prefix must not leak into 'a'
      ws.put('a', 3, 50);
      time.t = 50;
      assert.deepEqual([...ws.fetchRange('a', 0, 40)].map((e) => [e.windowStart, e.value]), [[0, 1], [10, 2]]);
      assert.equal(ws.fetch('a', 50), 3);
      assert.deepEqual([...ws.fetchAll(10, 10)].map((e) => `${e.key.key}@${e.key.window.start}-${e.key.window.end}=${e.value}`), ['a@10-20=2', 'ab@10-20=9']);
      time.t = 115; // retention 100: windows starting before 16 are gone
      assert.deepEqual([...ws.fetchRange('a', 0, 100)].map((e) => e.windowStart), [50]);
      await ws.close();
      const dup = new WindowStore('j', type, true, S, S, 100, 0, true);
      dup.init(context({ t: 0 }));
      dup.put('k', 'x', 5);
      dup.put('k', 'y', 5);
      assert.deepEqual([...dup.fetchRange('k', 0, 10)].map((e) => e.value), ['x', 'y']);
      await dup.close();
    });

    test('session: find overlapping sessions, remove, fetch', async () => {
      const ss = new SessionStore('s', type, true, S, L, 1000);
      ss.init(context({ t: 0 }));
      ss.put({ key: 'u', window: { start: 0, end: 10 } }, 2);
      ss.put({ key: 'u', window: { start: 30, end: 40 } }, 5);
      ss.put({ key: 'v', window: { start: 5, end: 6 } }, 1);
      assert.deepEqual([...ss.findSessions('u', 8, 35)].map((e) => `${e.key.window.start}-${e.key.window.end}=${e.value}`), ['0-10=2', '30-40=5']);
      assert.deepEqual([...ss.findSessions('u', 11, 29)], []);
      ss.remove({ key: 'u', window: { start: 0, end: 10 } });
      assert.equal(ss.fetchSession('u', 0, 10), null);
      assert.equal(ss.fetchSession('u', 30, 40), 5);
      await ss.close();
    });
  });
}

test('serdes write Kafka byte formats', () => {
  assert.deepEqual(L.serialize('t', 3), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]));
  assert.deepEqual(L.serialize('t', -1), Buffer.alloc(8, 0xff));
  assert.equal(L.deserialize('t', Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])), 2 ** 32);
  assert.throws(() => L.deserialize('t', Buffer.alloc(4)), /Size of data received by LongDeserializer is not 8/);
  assert.deepEqual(Serdes.Integer().serialize('t', 258), Buffer.from([0, 0, 1, 2]));
  assert.deepEqual(Serdes.Double().serialize('t', 1.5), Buffer.from([0x3f, 0xf8, 0, 0, 0, 0, 0, 0]));
  assert.equal(Serdes.BigLong().deserialize('t', Buffer.from('7fffffffffffffff', 'hex')), 2n ** 63n - 1n);
  assert.deepEqual(Serdes.JSON<{ a: number }>().deserialize('t', Buffer.from('{"a":1}')), { a: 1 });
  assert.equal(S.serialize('t', null), null);
  // TimeWindowedSerializer: key bytes then the 8-byte window start
  const w = timeWindowedSerde(S, 60_000);
  const b = w.serialize('t', { key: 'k', window: { start: 120_000, end: 180_000 } })!;
  assert.equal(b.toString('hex'), `6b${(120000).toString(16).padStart(16, '0')}`);
  assert.deepEqual(w.deserialize('t', b), { key: 'k', window: { start: 120_000, end: 180_000 } });
});

test('SortedKeys (chunked) agrees with a sorted array over random inserts, removes and ceilings', () => {
  const keys = new SortedKeys();
  const ref: string[] = [];
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 20000; i++) {
    const k = `k${rnd(6000).toString().padStart(5, '0')}`;
    const at = ref.indexOf(k);
    if (rnd(3) === 0) {
      if (at >= 0) {
        keys.remove(k);
        ref.splice(at, 1);
      }
    } else if (at < 0) {
      keys.insert(k);
      ref.push(k);
      ref.sort();
    }
    if (i % 500 === 0) {
      const probe = `k${rnd(6000).toString().padStart(5, '0')}`;
      assert.equal(keys.ceiling(probe), ref.find((x) => x >= probe));
      assert.equal(keys.ceiling(probe, true), ref.find((x) => x > probe));
    }
  }
  assert.equal(keys.size, ref.length);
  const all: string[] = [];
  for (let k = keys.ceiling(undefined); k !== undefined; k = keys.ceiling(k, true)) all.push(k);
  assert.deepEqual(all, ref);
});
