/**
 * How the tools' --zookeeper options reach the metadata store: one session with Kafka's tool
 * timeouts, its ZooKeeper client logging WARN and above on stderr (as Kafka's
 * tools-log4j.properties), so reconnects are seen and INFO lines stay out of the tool's output.
 */
import { createLogger, ZooKeeperMetadataStore } from '@samsa/broker';

export function connectZooKeeperStore(zookeeperConnect: string): Promise<ZooKeeperMetadataStore> {
  return ZooKeeperMetadataStore.connect({ connect: zookeeperConnect, sessionTimeoutMs: 30000, connectionTimeoutMs: 30000, log: createLogger('org.apache.zookeeper.ClientCnxn', { level: 'WARN' }) });
}
