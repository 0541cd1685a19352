// Connect's group protocol bytes (ConnectProtocol V0, Kafka's classic Struct encoding: int16
// version, int16-length strings, int32-count arrays, task -1 = the connector) and the eager
// round-robin assignment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAssignment, decodeWorkerState, eagerAssign, encodeAssignment, encodeWorkerState } from '../src/index.js';

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
