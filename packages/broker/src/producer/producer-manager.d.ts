import type { PartitionAppendHook } from '../handlers/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { AppendInfo, PartitionLog } from '../storage/partition-log.js';
import { type AttachedProducerState } from '../storage/producer-state-log.js';
import { type ActiveProducer, type ProducerStateManager } from '../storage/producer-state.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { ProducerIdManager } from './producer-id-manager.js';
export interface ProducerManagerOptions {
    store: MetadataStore;
    brokerId: number;
    clock: Clock;
    /** producer.id.expiration.ms */
    producerIdExpirationMs: number;
    /** producer.id.expiration.check.interval.ms */
    expirationCheckIntervalMs: number;
    log: Logger;
}
export declare class ProducerManager implements PartitionAppendHook {
    private readonly opts;
    readonly supportsTransactions = true;
    readonly producerIds: ProducerIdManager;
    private readonly attached;
    private expiryTimer;
    private stopped;
    constructor(opts: ProducerManagerOptions);
    /** The producer state of a log, attaching (and rebuilding it from the log) on first use. */
    stateOf(log: PartitionLog): ProducerStateManager;
    attach(log: PartitionLog): AttachedProducerState;
    /**
     * Follows the set of hosted logs (startup and every metadata change): attaches state to new
     * logs, so recovery happens before their first request, and forgets logs no longer hosted.
     */
    track(logs: Iterable<PartitionLog | undefined>): void;
    get attachedLogCount(): number;
    beforeAppend(log: PartitionLog, batch: Buffer, _ctx: {
        transactionalId: string | null;
    }): AppendInfo | null;
    firstUnstableOffset(log: PartitionLog): bigint | null;
    abortedTransactions(log: PartitionLog, fetchOffset: bigint, upperBoundOffset: bigint): Array<{
        producerId: bigint;
        firstOffset: bigint;
    }>;
    activeProducers(log: PartitionLog): ActiveProducer[];
    start(): void;
    private scheduleExpiry;
    /** Drops producers idle for producer.id.expiration.ms in every attached log; returns how many. */
    removeExpiredProducers(): number;
    stop(): void;
}
