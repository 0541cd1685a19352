// Connect's group protocol bytes (ConnectProtocol V0, Kafka's classic Struct encoding: int16
// version, int16-length strings, int32-count arrays, task -1 = the connector) and the eager
// round-robin assignment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAssignment, decodeWorkerState, eagerAssign, encodeAssignment, encodeWorkerState, IncrementalCooperativeAssignor, offeredProtocols } from '../src/index.js';

test('worker metadata: version 0, url, config offset', () => {
  const buf = encodeWorkerState({ url: 'http://w:1/', configOffset: 7n });
  assert.equal(buf.toString('hex'), '0000' + '000b' + Buffer.from('http://w:1/').toString('hex') + '0000000000000007');
  assert.deepEqual(decodeWorkerState(buf), { url: 'http://w:1/', configOffset: 7n });
});

test('assignment: connectors as task -1 under their name, tasks by connector', () => {
  const a = { error: 0, leader: 'L', leaderUrl: 'u', configOffset: 3n, connectors: ['c1'], tasks: [{ connector: 'c1', task: 0 }, { connector: 'c2', task: 1 }] };
  const buf = encodeAssignment(a);
  const expected =
    '0000' + '0000' + '0001' + Buffer.from('L').toString('hex') + '0001' + Buffer.from('u').toString('hex') + '0000000000000003' +
    '00000002' +
    '0002' + Buffer.from('c1').toString('hex') + '00000002' + 'ffffffff' + '00000000' +
    '0002' + Buffer.from('c2').toString('hex') + '00000001' + '00000001';
  assert.equal(buf.toString('hex'), expected);
  assert.deepEqual(decodeAssignment(buf), a);
  assert.throws(() => decodeAssignment(buf.subarray(0, 10)));
});

test('eager assignment deals connectors then tasks round-robin over sorted members', () => {
  const out = eagerAssign(['m2', 'm1'], ['b', 'a'], [{ connector: 'a', task: 1 }, { connector: 'a', task: 0 }, { connector: 'b', task: 0 }]);
  assert.deepEqual(out.get('m1'), { connectors: ['a'], tasks: [{ connector: 'a', task: 0 }, { connector: 'b', task: 0 }] });
  assert.deepEqual(out.get('m2'), { connectors: ['b'], tasks: [{ connector: 'a', task: 1 }] });
});

test('connect.protocol offers its protocol and the older ones, most preferred first', () => {
  assert.deepEqual(offeredProtocols('sessioned').map((p) => [p.name, p.version]), [['sessioned', 2], ['compatible', 1], ['default', 0]]);
  assert.deepEqual(offeredProtocols('compatible').map((p) => p.name), ['compatible', 'default']);
  assert.deepEqual(offeredProtocols('eager').map((p) => p.name), ['default']);
});

test('V1/V2 metadata carries the current allocation; V1 assignments add revoked lists and the delay', () => {
  const a = { version: 1, error: 0, leader: 'L', leaderUrl: 'u', configOffset: 3n, connectors: ['c1'], tasks: [{ connector: 'c1', task: 0 }], revokedConnectors: [], revokedTasks: [{ connector: 'c2', task: 4 }], delay: 250 };
  const buf = encodeAssignment(a);
  const expected =
    '0001' + '0000' + '0001' + Buffer.from('L').toString('hex') + '0001' + Buffer.from('u').toString('hex') + '0000000000000003' +
    '00000001' + '0002' + Buffer.from('c1').toString('hex') + '00000002' + 'ffffffff' + '00000000' +
    '00000001' + '0002' + Buffer.from('c2').toString('hex') + '00000001' + '00000004' +
    '000000fa';
  assert.equal(buf.toString('hex'), expected);
  assert.deepEqual(decodeAssignment(buf), a);
  // an assignment written without the optional trailing fields reads with their defaults
  const short = decodeAssignment(buf.subarray(0, buf.length - 4 - 16));
  assert.deepEqual([short.revokedTasks, short.delay], [[], 0]);

  const meta = encodeWorkerState({ url: 'http://w:1/', configOffset: 9n, allocation: a }, 2);
  assert.equal(meta.readInt16BE(0), 2);
  const back = decodeWorkerState(meta);
  assert.deepEqual([back.url, back.configOffset, back.allocation?.connectors, back.allocation?.tasks, back.allocation?.version], ['http://w:1/', 9n, ['c1'], [{ connector: 'c1', task: 0 }], 2]);
  // nothing running: a null allocation (int32 -1)
  const empty = encodeWorkerState({ url: 'x', configOffset: 0n, allocation: null }, 1);
  assert.equal(empty.subarray(-4).toString('hex'), 'ffffffff');
  assert.equal(decodeWorkerState(empty).allocation, null);
});

const t = (connector: string, task: number): { connector: string; task: number } => ({ connector, task });
const tasksOf = (n: number): Array<{ connector: string; task: number }> => Array.from({ length: n }, (_, i) => t('c', i));

test('incremental cooperative: a joining member takes only the excess, revoked first and placed next round', () => {
  const assignor = new IncrementalCooperativeAssignor(1000, () => 0);
  const first = assignor.assign([{ memberId: 'a', connectors: [], tasks: [] }, { memberId: 'b', connectors: [], tasks: [] }], ['c'], tasksOf(6));
  assert.deepEqual([first.get('a')!.tasks.length, first.get('b')!.tasks.length], [3, 3]);
  const holdA = { memberId: 'a', connectors: first.get('a')!.connectors, tasks: first.get('a')!.tasks };
  const holdB = { memberId: 'b', connectors: first.get('b')!.connectors, tasks: first.get('b')!.tasks };
  // c joins: nothing new to place, a and b each revoke one task (fair share is 2), nobody gets anything yet
  const second = assignor.assign([holdA, holdB, { memberId: 'c', connectors: [], tasks: [] }], ['c'], tasksOf(6));
  assert.deepEqual([second.get('a')!.revokedTasks.length, second.get('b')!.revokedTasks.length], [1, 1]);
  assert.deepEqual([...second.values()].flatMap((x) => x.tasks), []);
  const revoked = [...second.values()].flatMap((x) => x.revokedTasks);
  const keep = (h: typeof holdA): typeof holdA => ({ ...h, tasks: h.tasks.filter((x) => !revoked.some((r) => r.task === x.task)) });
  // next round: the revoked two go to c; a and b are told nothing
  const third = assignor.assign([keep(holdA), keep(holdB), { memberId: 'c', connectors: [], tasks: [] }], ['c'], tasksOf(6));
  assert.deepEqual(third.get('c')!.tasks.map((x) => x.task).sort(), revoked.map((x) => x.task).sort());
  assert.deepEqual([third.get('a')!, third.get('b')!].map((x) => x.tasks.length + x.revokedTasks.length), [0, 0]);
});

test('incremental cooperative: lost work waits scheduled.rebalance.max.delay.ms, then is spread; deleted work is revoked', () => {
  let now = 0;
  const assignor = new IncrementalCooperativeAssignor(1000, () => now);
  const first = assignor.assign([{ memberId: 'a', connectors: [], tasks: [] }, { memberId: 'b', connectors: [], tasks: [] }], ['c'], tasksOf(4));
  const holdA = { memberId: 'a', connectors: first.get('a')!.connectors, tasks: first.get('a')!.tasks };
  // b is gone: its tasks are withheld, a is told to come back in 1000 ms
  const second = assignor.assign([holdA], ['c'], tasksOf(4));
  assert.deepEqual([second.get('a')!.tasks, second.get('a')!.delay], [[], 1000]);
  now = 400;
  assert.equal(assignor.assign([holdA], ['c'], tasksOf(4)).get('a')!.delay, 600);
  now = 1000;
  const after = assignor.assign([holdA], ['c'], tasksOf(4)).get('a')!;
  assert.deepEqual([after.delay, after.tasks.length, after.revokedTasks.length], [0, 2, 0]);
  // tasks.max lowered to 1: a stops the tasks that no longer exist
  const all = { memberId: 'a', connectors: ['c'], tasks: tasksOf(4) };
  assert.deepEqual(assignor.assign([all], ['c'], tasksOf(1)).get('a')!.revokedTasks.map((x) => x.task).sort(), [1, 2, 3]);
});
