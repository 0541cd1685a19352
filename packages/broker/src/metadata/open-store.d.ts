import type { BrokerConfig } from '../config/broker-config.js';
import { type MetadataStore } from './metadata-store.js';
export type StoreKind = 'local' | 'zookeeper' | 'etcd';
export declare function storeKind(config: BrokerConfig): StoreKind;
export declare function openMetadataStore(config: BrokerConfig, localDir: string | null): Promise<MetadataStore>;
