/**
 * Consumer groups with confluent-kafka members (child processes): balanced assignment, an idle extra member,
 * failure detection of a SIGKILLed member, exactly-once across the rebalance with commit after
 * processing, no loss when a member dies mid-stream. See scenarios.ts.
 */
import { test } from 'node:test';
import { idleFourthMember, killAndRebalance } from './scenarios.js';
import { clientMissing } from './support.js';

const skip = clientMissing('confluent-kafka');

test('confluent-kafka: three members split six partitions; a SIGKILLed member\'s partitions move within the session timeout; every record consumed exactly once', { skip, timeout: 90_000 }, async () => {
  await killAndRebalance('confluent-kafka');
});

test('confluent-kafka: a fourth member on a three-partition topic stays idle, then takes over from a member that leaves', { skip, timeout: 60_000 }, async () => {
  await idleFourthMember('confluent-kafka');
});

test('confluent-kafka with cooperative-sticky (incremental rebalances): same guarantees', { skip, timeout: 90_000 }, async () => {
  await killAndRebalance('confluent-kafka', { strategy: 'cooperative-sticky' });
});
