/**
 * What a handler is and what it can reach. Adding an API = one file exporting an ApiHandler
 * plus one line in handlers/index.ts; ApiVersions is derived from that list.
 */
import type { ApiKey, RequestHeader } from '@samsa/protocol';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { BrokerGroupCoordinator } from '../coordinator/group/broker-group-coordinator.js';
import type { BrokerTransactionCoordinator } from '../coordinator/transaction/broker-transaction-coordinator.js';
import type { AdvertisedListener } from '../config/broker-config.js';
import type { Controller } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import type { TopicManager } from '../metadata/topic-manager.js';
import type { ProducerManager } from '../producer/producer-manager.js';
import type { Connection } from '../server/connection.js';
import type { FetchSessionCache } from '../server/fetch-session-cache.js';
import type { Purgatory } from '../server/purgatory.js';
import type { ReplicationManager } from '../replication/replication-manager.js';
import type { BrokerSecurity } from '../security/broker-security.js';
import type { AppendInfo, PartitionLog, StorageEngine } from '../storage/partition-log.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/** Returned by a handler for requests that get no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/** The broker's parts, as handlers see them. */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** The current metadata image (replaced on every change; never mutate). */
  readonly metadata: MetadataImage;
  /** Topic create/delete/partitions/configs. */
  readonly topics: TopicManager;
  /** The hosted partitions (Kafka's ReplicaManager): handlers reach logs only through a Partition. */
  readonly partitions: ReplicaManager;
  readonly storage: StorageEngine;
  readonly purgatory: Purgatory;
  readonly fetchSessions: FetchSessionCache;
  /** The host/port clients of a listener should use for this broker. */
  advertisedListener(listenerName: string): AdvertisedListener;
  /** ApiVersions entries, derived from the handler list. */
  readonly apiVersions: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
  /** Producer ids and idempotent producer state (null when the broker runs without them). */
  readonly producers: ProducerManager | null;
  /** Consumer groups and committed offsets (null/absent when the broker runs without one). */
  readonly groupCoordinator?: BrokerGroupCoordinator | null;
  /** Transactions (`__transaction_state`); null/absent when the broker runs without one. */
  readonly transactionCoordinator?: BrokerTransactionCoordinator | null;
  /** Follower fetchers, ISR changes and controlled shutdown (absent in brokers built without them). */
  readonly replication?: ReplicationManager | null;
  /** This broker's controller role (leader elections are served by the active one). */
  readonly controller?: Controller;
  /** Authentication, ACLs, quotas (null/absent: no authorizer, no quotas, PLAINTEXT only). */
  readonly security?: BrokerSecurity | null;
  /** Topic auto-creation (Metadata, and later FindCoordinator's internal topics). */
  autoCreateTopic(name: string): Promise<void>;
}

export interface RequestContext {
  readonly broker: BrokerServices;
  readonly connection: Connection;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly listenerName: string;
}

export interface ApiHandler<Req = any, Res = any> {
  readonly apiKey: ApiKey;
  /** Advertised range in ApiVersions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Lowest version actually served when it differs from the advertised minimum: Produce is
   * advertised from v0 but v0-v2 requests are refused, as Kafka 4 does (KAFKA-18659).
   */
  readonly minServedVersion?: number;
  handle(ctx: RequestContext, request: Req, version: number): Res | NoResponse | Promise<Res | NoResponse>;
}

/**
 * Per-partition hook around a client append (producer state: sequence checks, duplicates,
 * transactions). beforeAppend runs after format validation; it throws a ProducerStateError
 * (mapped to its Kafka code) to reject, or returns the AppendInfo of an already-written
 * duplicate to answer without appending. afterAppend sees the assigned offsets.
 */
export interface PartitionAppendHook {
  beforeAppend(log: PartitionLog, batch: Buffer, ctx: { transactionalId: string | null }): AppendInfo | null;
  afterAppend?(log: PartitionLog, batch: Buffer, info: AppendInfo): void;
  /** Whether transactional batches are accepted. */
  readonly supportsTransactions: boolean;
  /** Loads a log's state ahead of its first append (partitions being created, in a loop that yields). */
  attach?(log: PartitionLog): unknown;
  /** Whether a producer has a transaction open in a log (KIP-890: its first batch there needs verifying). */
  hasOngoingTransaction?(log: PartitionLog, producerId: bigint): boolean;
  /** The first offset of the oldest open transaction of a log (bounds its last stable offset). */
  firstUnstableOffset?(log: PartitionLog): bigint | null;
  /** Aborted transactions with data in [fetchOffset, upperBoundOffset), for read_committed fetches. */
  abortedTransactions?(log: PartitionLog, fetchOffset: bigint, upperBoundOffset: bigint): Array<{ producerId: bigint; firstOffset: bigint }>;
}
