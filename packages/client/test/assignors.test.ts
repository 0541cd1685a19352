import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor, type MemberSubscription } from '../src/group/assignors.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../src/group/classic-membership.js';

const member = (memberId: string, topics: string[], owned: Array<{ topic: string; partitions: number[] }> = [], generationId = -1): MemberSubscription => ({ memberId, groupInstanceId: null, topics, ownedPartitions: owned, generationId });
const flat = (a: Map<string, number[]> | undefined) => [...(a ?? new Map<string, number[]>())].flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)).sort();

describe('assignors', () => {
  it('range: Kafka RangeAssignorTest layouts', () => {
    // 2 consumers, 2 topics of 3 partitions: c0 gets t-0,1 of each, c1 gets t-2 of each
    const a = rangeAssignor.assign([member('c0', ['t1', 't2']), member('c1', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    assert.deepEqual(flat(a.get('c0')), ['t1-0', 't1-1', 't2-0', 't2-1']);
    assert.deepEqual(flat(a.get('c1')), ['t1-2', 't2-2']);
  });

  it('roundrobin: interleaves across topics', () => {
    const a = roundRobinAssignor.assign([member('c0', ['t1', 't2']), member('c1', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]));
    assert.deepEqual(flat(a.get('c0')), ['t1-0', 't1-2', 't2-1']);
    assert.deepEqual(flat(a.get('c1')), ['t1-1', 't2-0', 't2-2']);
  });

  it('cooperative-sticky: balanced, keeps owned partitions when a member joins', () => {
    const first = cooperativeStickyAssignor.assign([member('a', ['t'])], new Map([['t', 4]]));
    assert.deepEqual(flat(first.get('a')), ['t-0', 't-1', 't-2', 't-3']);
    const second = cooperativeStickyAssignor.assign([member('a', ['t'], [{ topic: 't', partitions: [0, 1, 2, 3] }], 1), member('b', ['t'])], new Map([['t', 4]]));
    const a = flat(second.get('a'));
    const b = flat(second.get('b'));
    assert.equal(a.length, 2);
    assert.equal(b.length, 2);
    assert.ok(a.every((p) => ['t-0', 't-1', 't-2', 't-3'].includes(p)));
    assert.equal(new Set([...a, ...b]).size, 4);
    // a third member with uneven subscriptions still gets only what it subscribed to
    const third = cooperativeStickyAssignor.assign([member('a', ['t', 'u']), member('b', ['t'])], new Map([['t', 2], ['u', 2]]));
    assert.ok(flat(third.get('b')).every((p) => p.startsWith('t-')));
    assert.equal(flat(third.get('a')).length + flat(third.get('b')).length, 4);
  });

  it('subscription and assignment encodings round-trip (consumer protocol v3)', () => {
    const sub = encodeSubscription(['t', 'u'], new Map([['t', [1, 3]]]), 7);
    assert.equal(sub.readInt16BE(0), 3);
    assert.deepEqual(decodeSubscription(sub), { topics: ['t', 'u'], owned: [{ topic: 't', partitions: [1, 3] }], generationId: 7 });
    assert.deepEqual(decodeAssignment(encodeAssignment(new Map([['t', [2, 0]]]))), new Map([['t', [0, 2]]]));
  });
});
