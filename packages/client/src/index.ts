// @samsa/client: a Kafka client (producer, consumer, admin) over @samsa/protocol.
export { Producer, createProducer, type ProducerOptions, type Message, type RecordMetadata, type CompressionName, type Partitioner } from './producer.js';
export { Consumer, createConsumer, decodeFetched, type ConsumerOptions, type ConsumedMessage, type FetchedBatch } from './consumer.js';
export { Admin, createAdmin, ConfigResourceType, AlterConfigOp, type NewTopic, type TopicDescription, type GroupDescription, type ConfigEntry, type TransactionListing, type TransactionDescription, type ProducerStateDescription } from './admin.js';
export { Cluster, type ClusterOptions, type TopicInfo, type PartitionInfo, type BrokerInfo } from './cluster.js';
export { Connection, type ConnectionOptions, type SaslOptions, type SaslMechanism } from '@samsa/network';
export { defaultConnectionOptions } from './versions.js';
export { securityOptionsFromProperties, SECURITY_PROPERTY_NAMES, unsecuredToken } from './security-properties.js';
export * from './security-admin.js';
export { murmur2, toPositive, defaultPartition, StickyPartitioner } from './partitioner.js';
export { rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor, ASSIGNORS, type Assignor, type MemberSubscription, type Assignment } from './group/assignors.js';
export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP } from './list-offsets.js';
export { resolveOptions, OPTION_SPECS, type KafkaProperties } from './config.js';
export { FetchedRecord } from './fetched-record.js';
export * from './errors.js';
export { type TransactionState, type ConsumerGroupMetadata, type TransactionalOffset } from './transaction-manager.js';
export { runTransform, type TransformOptions, type TransformOutput } from './transform.js';
