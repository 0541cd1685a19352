import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { Purgatory } from '../../src/server/purgatory.js';
import { FetchSessionCache, EVICTION_AGE_MS } from '../../src/server/fetch-session-cache.js';

test('purgatory completes on enough updates or on expiry, exactly once', () => {
  const clock = new FakeClock();
  const p = new Purgatory(clock);
  const done: string[] = [];
  const op = (name: string, need: number) => {
    let got = 0;
    return { onUpdate: (_k: string, b: number) => (got += b) >= need, complete: (why: string) => done.push(`${name}:${why}`) };
  };
  p.watch(op('a', 10), ['t-0', 't-1'], 1000);
  p.watch(op('b', 100), ['t-1'], 500);
  p.notify('t-0', 6);
  p.notify('t-1', 6);
  assert.deepEqual(done, ['a:satisfied']);
  assert.equal(p.watching('t-0'), 0);
  clock.advance(499);
  assert.equal(done.length, 1);
  clock.advance(1);
  assert.deepEqual(done, ['a:satisfied', 'b:expired']);
  assert.equal(p.size, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('fetch session cache: full size blocks new sessions until the LRU one is old enough', () => {
  const clock = new FakeClock();
  const cache = new FetchSessionCache(1, clock);
  const first = cache.lookup(0, 0, false);
  assert.equal(first.kind, 'new');
  const s1 = first.kind === 'new' ? first.session : null;
  assert.ok(s1 !== null);
  const second = cache.lookup(0, 0, false);
  assert.deepEqual(second, { kind: 'new', session: null });
  clock.advance(EVICTION_AGE_MS);
  const third = cache.lookup(0, 0, false);
  assert.ok(third.kind === 'new' && third.session !== null && third.session.id !== s1!.id);
  assert.equal(cache.lookup(s1!.id, 1, false).kind, 'error');
});
