import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopicOperationError } from '../../src/metadata/errors.js';
import { assignReplicas } from '../../src/metadata/replica-assignment.js';

const brokers = (ids: number[], rack: (id: number) => string | null = () => null) => ids.map((id) => ({ id, rack: rack(id) }));

test("Kafka's placement with a fixed start index (AdminUtils.assignReplicasToBrokers)", () => {
  assert.deepEqual(assignReplicas(brokers([0, 1, 2, 3, 4]), 10, 3, { startIndex: 0 }), [
    [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
    [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
  ]);
  // Added partitions continue the pattern from the current count.
  assert.deepEqual(assignReplicas(brokers([0, 1, 2, 3, 4]), 2, 3, { startIndex: 0, startPartition: 5 }), [[0, 2, 3], [1, 3, 4]]);
});

test('any start: every broker holds the same number of replicas and leads the same number of partitions', () => {
  for (let i = 0; i < 20; i++) {
    const a = assignReplicas(brokers([1, 2, 3]), 6, 3);
    const replicas = new Map<number, number>();
    const leaders = new Map<number, number>();
    for (const r of a) {
      assert.equal(new Set(r).size, 3);
      for (const b of r) replicas.set(b, (replicas.get(b) ?? 0) + 1);
      leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
    }
    assert.deepEqual([...replicas.values()], [6, 6, 6]);
    assert.deepEqual([...leaders.values()], [2, 2, 2]);
  }
});

test('rack-aware when every broker has a rack: each partition spans as many racks as it can', () => {
  const racks: Record<number, string> = { 0: 'a', 1: 'b', 2: 'b', 3: 'c', 4: 'c', 5: 'a' };
  const a = assignReplicas(brokers([0, 1, 2, 3, 4, 5], (id) => racks[id]!), 12, 3);
  for (const r of a) assert.equal(new Set(r.map((b) => racks[b])).size, 3, `partition replicas ${r} on racks ${r.map((b) => racks[b])}`);
  const count = new Map<number, number>();
  for (const r of a) for (const b of r) count.set(b, (count.get(b) ?? 0) + 1);
  assert.deepEqual([...count.values()].sort(), [6, 6, 6, 6, 6, 6]);
  assert.throws(() => assignReplicas(brokers([0, 1], (id) => (id === 0 ? 'a' : null)), 1, 2), /Not all brokers have rack information/);
});

test("too few brokers: INVALID_REPLICATION_FACTOR with Kafka's message", () => {
  assert.throws(() => assignReplicas(brokers([0, 1, 2]), 1, 4), (e: unknown) => e instanceof TopicOperationError && e.errorName === 'INVALID_REPLICATION_FACTOR'
    && e.message === 'Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.');
});
