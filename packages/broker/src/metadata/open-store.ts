/**
 * Picks the metadata store from the broker config: `zookeeper.connect` → ZooKeeper (Kafka's
 * layout, so Kafka's ZooKeeper-era tools see it), `metadata.store=etcd://...` → etcd, neither →
 * the local store in the first log dir (a single node, no other process). KRaft-era keys keep
 * working for one combined node; a multi-voter quorum is refused with a pointer to what works.
 */
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import { EtcdMetadataStore } from './etcd/etcd-store.js';
import { LocalMetadataStore, METADATA_DIR, type MetadataStore } from './metadata-store.js';
import { ZooKeeperMetadataStore } from './zookeeper/zookeeper-store.js';

export type StoreKind = 'local' | 'zookeeper' | 'etcd';

export function storeKind(config: BrokerConfig): StoreKind {
  const zk = config.get('zookeeper.connect') as string | null;
  const ms = config.get('metadata.store') as string | null;
  if (zk !== null && zk.trim() !== '' && ms !== null && ms.trim() !== '') {
    throw new ConfigException('Both zookeeper.connect and metadata.store are set: choose one metadata store');
  }
  const voters = config.list('controller.quorum.voters').filter((v) => v.trim() !== '');
  const bootstrap = config.list('controller.quorum.bootstrap.servers').filter((v) => v.trim() !== '');
  const quorum = voters.length > 1 || bootstrap.length > 1;
  if (zk !== null && zk.trim() !== '') return 'zookeeper';
  if (ms !== null && ms.trim() !== '') {
    if (ms.startsWith('etcd://') || ms.startsWith('http://') || ms.startsWith('https://')) return 'etcd';
    if (ms === 'local') return 'local';
    throw new ConfigException(`Invalid value ${ms} for configuration metadata.store: expected etcd://host:port[,host:port...][/prefix] or local`);
  }
  if (quorum) {
    throw new ConfigException(
      `A KRaft controller quorum with several voters (${[...voters, ...bootstrap].join(',')}) is not supported: Samsa keeps cluster metadata in ZooKeeper or etcd. ` +
      'Set zookeeper.connect=host:2181 (or metadata.store=etcd://host:2379) on every broker, or use a single combined node (process.roles=broker,controller with one voter).',
    );
  }
  const roles = config.list('process.roles').map((r) => r.trim());
  if (roles.length > 0 && !roles.includes('broker')) {
    throw new ConfigException(`process.roles=${roles.join(',')}: a controller-only node has nothing to do in Samsa (metadata lives in the local store, ZooKeeper or etcd); use process.roles=broker,controller`);
  }
  return 'local';
}

export async function openMetadataStore(config: BrokerConfig, localDir: string | null): Promise<MetadataStore> {
  const kind = storeKind(config);
  const sessionTimeoutMs = config.int('zookeeper.session.timeout.ms');
  const connectionTimeoutMs = (config.get('zookeeper.connection.timeout.ms') as number | null) ?? sessionTimeoutMs;
  if (kind === 'zookeeper') return ZooKeeperMetadataStore.connect({ connect: config.get('zookeeper.connect') as string, sessionTimeoutMs, connectionTimeoutMs });
  if (kind === 'etcd') return EtcdMetadataStore.connect({ url: config.get('metadata.store') as string, sessionTimeoutMs, connectionTimeoutMs });
  return new LocalMetadataStore(localDir === null ? null : join(localDir, METADATA_DIR));
}
