/**
 * CreatePartitions (37). v0-v3. Partitions can only be added: a count equal to or below the
 * current one is INVALID_PARTITIONS. Manual assignments name the replicas of each new
 * partition and are checked as Kafka's controller does (one per new partition, registered
 * brokers, no repeats, the topic's replication factor). validate_only writes nothing. A
 * timeout <= 0 answers REQUEST_TIMED_OUT for partitions that are nevertheless added.
 */
import { type CreatePartitionsRequest, type CreatePartitionsResponse } from '@samsa/protocol';
import type { MetadataImage } from '../metadata/image.js';
import type { ApiHandler } from './types.js';
type PartitionsTopic = CreatePartitionsRequest['topics'][number];
/** Kafka's checks, with its messages; throws TopicOperationError. */
export declare function checkNewPartitions(image: MetadataImage, topic: PartitionsTopic): void;
export declare const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>;
export {};
