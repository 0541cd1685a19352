/** Helpers for tests: which APIs the broker under test serves. */
import assert from 'node:assert/strict';
import type { TestBroker } from '@samsa/broker/testkit';
import { apiByName, decodeRecordSet } from '@samsa/protocol';
import { Cluster } from '../src/cluster.js';

/** Names of APIs (from the list) the broker does not advertise. */
export async function missingApis(broker: TestBroker, apiKeys: Record<string, number>): Promise<string[]> {
  const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
  try {
    const conn = await cluster.anyConnection();
    return Object.entries(apiKeys).filter(([, key]) => conn.brokerRange(key) === undefined).map(([name]) => name);
  } finally {
    cluster.close();
  }
}

/** null if the broker finds a coordinator for a group within `timeoutMs`, else why not. */
export async function coordinatorUnavailable(broker: TestBroker, timeoutMs = 3000): Promise<string | null> {
  const { findCoordinator } = await import('../src/group/coordinator.js');
  const cluster = new Cluster({ bootstrapServers: broker.bootstrap });
  try {
    await findCoordinator(cluster, 'probe-group', 0, timeoutMs);
    return null;
  } catch (err) {
    return `broker's group coordinator is not available: ${(err as Error).message}`;
  } finally {
    cluster.close();
  }
}

/** Every record of a partition, read with a raw Fetch (independent of the consumer). */
export async function readPartition(bootstrap: string, topic: string, partition: number): Promise<Array<{ offset: bigint; key: string | null; value: string | null }>> {
  const cluster = new Cluster({ bootstrapServers: bootstrap });
  try {
    await cluster.waitForTopics([topic], 5000);
    const conn = cluster.broker(cluster.leaderOf(topic, partition));
    const { response } = await conn.send(apiByName.Fetch, () => ({ maxWaitMs: 0, minBytes: 0, topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 10_000_000 }] }] }));
    const p = response.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return decodeRecordSet(p.records ?? Buffer.alloc(0)).map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null }));
  } finally {
    cluster.close();
  }
}
