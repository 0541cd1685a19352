import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { CoordinatorRecord } from '../records.js';
import { CoordinatorRuntime, type CoordinatorPartitionWriter, type CoordinatorResult, type CoordinatorShard, type ShardContext } from '../runtime.js';
import { type TxnLogEntry } from './txn-records.js';
export declare const MAX_PRODUCER_EPOCH = 32767;
export interface TxnCoordinatorConfig {
    numPartitions: number;
    /** transaction.max.timeout.ms */
    maxTimeoutMs: number;
    /** transactional.id.expiration.ms */
    idExpirationMs: number;
    /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
    abortTimedOutIntervalMs: number;
    /** transaction.remove.expired.transaction.cleanup.interval.ms */
    removeExpiredIntervalMs: number;
}
export interface TopicPartitionRef {
    topic: string;
    partition: number;
}
/** Writes COMMIT/ABORT markers to partition leaders (Kafka's TransactionMarkerChannelManager). */
export interface TxnMarkerChannel {
    /** Resolves with the partitions whose marker could not be written yet (retriable); unknown partitions count as done. */
    writeMarkers(m: {
        producerId: bigint;
        producerEpoch: number;
        coordinatorEpoch: number;
        commit: boolean;
        partitions: TopicPartitionRef[];
    }): Promise<TopicPartitionRef[]>;
}
export interface TxnMetadata extends TxnLogEntry {
    transactionalId: string;
    /** The id/epoch before the last bump (KIP-360 retries of InitProducerId); in memory only. */
    lastProducerId: bigint;
    lastProducerEpoch: number;
}
export declare class TxnShard implements CoordinatorShard {
    readonly ctx: ShardContext;
    private readonly loaded;
    readonly txns: Map<string, TxnMetadata>;
    constructor(ctx: ShardContext, loaded: (shard: TxnShard) => void);
    replay(record: CoordinatorRecord): void;
    onLoaded(): void;
}
/** PRODUCER_FENCED did not exist before these versions; older clients get INVALID_PRODUCER_EPOCH (as Kafka). */
export declare function fencedCodeFor(code: number, version: number, firstVersionWithFenced: number): number;
export interface TxnCoordinatorOptions {
    clock: Clock;
    config: TxnCoordinatorConfig;
    writer: CoordinatorPartitionWriter;
    markers: TxnMarkerChannel;
    generateProducerId(): Promise<bigint>;
    log?: Logger;
}
export interface InitProducerIdResult {
    errorCode: number;
    producerId: bigint;
    producerEpoch: number;
}
export declare class TransactionCoordinator {
    private readonly opts;
    readonly runtime: CoordinatorRuntime<TxnShard>;
    readonly config: TxnCoordinatorConfig;
    numPartitions: number;
    /** Leader epoch of each loaded partition: the coordinator epoch its markers carry. */
    private readonly coordinatorEpochs;
    private readonly clock;
    private readonly log;
    private closed;
    constructor(opts: TxnCoordinatorOptions);
    partitionFor(transactionalId: string): number;
    loadPartition(partition: number, epoch?: number): Promise<void>;
    unloadPartition(partition: number): void;
    close(): void;
    /** NONE when this broker coordinates the id now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
    status(transactionalId: string): number;
    private onShardLoaded;
    private scheduleTimeoutCheck;
    private scheduleExpiration;
    /**
     * Aborts transactions open longer than their timeout (Kafka's abortTimedOutTransactions): the
     * epoch is bumped first, so the producer that abandoned the transaction is fenced.
     */
    abortTimedOut(shard: TxnShard): CoordinatorResult<void>;
    /** Removes ids idle (Empty or completed) for transactional.id.expiration.ms: a tombstone each. */
    expireTransactionalIds(shard: TxnShard): CoordinatorResult<void>;
    /** Writes the markers of a prepared transaction, then its Complete state; retries until done or unloaded. */
    private completeTransaction;
    /** InitProducerId with a transactional id (Kafka's handleInitProducerId). */
    initProducerId(transactionalId: string, timeoutMs: number, givenProducerId: bigint, givenEpoch: number): Promise<InitProducerIdResult>;
    /** The checks every transactional request makes (Kafka's ownership/epoch checks). */
    private validate;
    /**
     * AddPartitionsToTxn / AddOffsetsToTxn (Kafka's handleAddPartitionsToTransaction): the
     * partitions join the transaction, which becomes Ongoing. Returns one code for all of them.
     * `verifyOnly` (KIP-890, brokers asking before a transactional append) only checks membership.
     */
    addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartitionRef[], verifyOnly?: boolean): number;
    /** EndTxn (Kafka's handleEndTransaction): writes the Prepare state and answers; markers follow. */
    endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): number;
    /** The metadata of a transactional id, or an error code (DescribeTransactions). */
    describe(transactionalId: string): TxnMetadata | number;
    /** Every transaction of the loaded partitions (ListTransactions). */
    list(): TxnMetadata[];
}
