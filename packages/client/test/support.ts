/** Helpers for tests: which APIs the broker under test serves. */
import type { TestBroker } from '@samsa/broker/testkit';
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
