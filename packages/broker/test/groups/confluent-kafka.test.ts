/**
 * Consumer groups with confluent-kafka members (child processes): balanced assignment, an idle extra member,
 * failure detection of a SIGKILLed member, exactly-once across the rebalance with commit after
 * processing, no loss when a member dies mid-stream. See scenarios.ts.
 */
import { test } from 'node:test';
import { idleFourthMember, killAndRebalance } from './scenarios.js';
import { clientMissing } from './support.js';
import { requireClient } from '../support/interop.js';

const missing = clientMissing('confluent-kafka');

test('confluent-kafka: three members split six partitions; a SIGKILLed member\'s partitions move within the session timeout; every record consumed exactly once', { timeout: 90_000 }, async () => {
  requireClient(missing);
  await killAndRebalance('confluent-kafka');
});

test('confluent-kafka: a fourth member on a three-partition topic stays idle, then takes over from a member that leaves', { timeout: 60_000 }, async () => {
  requireClient(missing);
  await idleFourthMember('confluent-kafka');
});

test('confluent-kafka with cooperative-sticky (incremental rebalances): same guarantees', { timeout: 90_000 }, async () => {
  requireClient(missing);
  await killAndRebalance('confluent-kafka', { strategy: 'cooperative-sticky' });
});
