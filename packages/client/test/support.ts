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
