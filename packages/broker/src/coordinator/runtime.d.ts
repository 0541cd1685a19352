import type { Partition } from '../cluster/partition.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { CoordinatorRecord } from './records.js';
/** What an operation returns: records to append, and the response once they are written. */
export interface CoordinatorResult<T> {
    records: CoordinatorRecord[];
    response: T;
    /**
     * false when the operation already applied its change to the in-memory state (classic group
     * operations do; Kafka's replayRecords flag), true (default) to apply the records by replay.
     */
    replayRecords?: boolean;
    /** Called after the append (error = null) or when it failed; Kafka's appendFuture. */
    afterWrite?: (error: unknown) => void;
}
export declare function result<T>(response: T, records?: CoordinatorRecord[], replayRecords?: boolean): CoordinatorResult<T>;
/** Where a coordinator's records go: the partitions of its internal topic. */
export interface CoordinatorPartitionWriter {
    /** Appends one RecordBatch, durably as far as the log promises; returns its base offset. Throws on failure. */
    append(partition: number, batch: Buffer): bigint;
    /** Whole batches from `offset` (for replay); empty records at the end of the log. */
    read(partition: number, offset: bigint, maxBytes: number): {
        records: Buffer;
        logStartOffset: bigint;
        logEndOffset: bigint;
    };
}
/** Kafka's InMemoryPartitionWriter: batches kept in memory, offsets assigned as a log would. */
export declare class InMemoryPartitionWriter implements CoordinatorPartitionWriter {
    private readonly logs;
    /** Set to make the next appends throw (write-failure tests). */
    failAppends: Error | null;
    append(partition: number, batch: Buffer): bigint;
    read(partition: number, offset: bigint, _maxBytes: number): {
        records: Buffer;
        logStartOffset: bigint;
        logEndOffset: bigint;
    };
    /** Every batch written to a partition, as a log reader would see it. */
    batches(partition: number): Buffer;
}
/**
 * The broker's writer: the internal topic's Partitions, through a resolver (partitions come and
 * go with metadata). Appends go through the leader path (leader check, epoch stamping); replay
 * reads the whole local log, as Kafka's coordinator loader does.
 */
export declare class PartitionLogWriter implements CoordinatorPartitionWriter {
    private readonly resolve;
    private readonly clock;
    constructor(resolve: (partition: number) => Partition | undefined, clock: Clock);
    private partition;
    append(partition: number, batch: Buffer): bigint;
    read(partition: number, offset: bigint, maxBytes: number): {
        records: Buffer;
        logStartOffset: bigint;
        logEndOffset: bigint;
    };
}
/** Keyed timers of one shard (Kafka's CoordinatorTimer): scheduling a key replaces its previous timer. */
export interface CoordinatorTimer {
    schedule(key: string, delayMs: number, op: () => CoordinatorResult<void>): void;
    cancel(key: string): void;
    isScheduled(key: string): boolean;
}
export interface CoordinatorShard {
    /** Applies one record (from replay, or after a write with replayRecords). */
    replay(record: CoordinatorRecord, offset: bigint): void;
    /** The shard finished loading (reschedule timers for what was loaded). */
    onLoaded?(): void;
    /** The shard is being unloaded (resign, shutdown). */
    onUnloaded?(): void;
}
export interface ShardContext {
    readonly partition: number;
    readonly clock: Clock;
    readonly timer: CoordinatorTimer;
    readonly log: Logger | null;
}
export interface RuntimeOptions<S> {
    clock: Clock;
    writer: CoordinatorPartitionWriter;
    newShard(ctx: ShardContext): S;
    log?: Logger;
    /** Bytes per read while loading; the runtime yields to the event loop between reads. */
    loadChunkBytes?: number;
}
export declare class CoordinatorRuntime<S extends CoordinatorShard> {
    private readonly opts;
    private readonly shards;
    private readonly clock;
    private readonly writer;
    constructor(opts: RuntimeOptions<S>);
    /** Partitions that are active (loaded) here. */
    activePartitions(): number[];
    isLoaded(partition: number): boolean;
    isHosted(partition: number): boolean;
    /**
     * Becomes coordinator of a partition: replays it, then serves it. Operations in between answer
     * COORDINATOR_LOAD_IN_PROGRESS. Returns when the shard is active.
     */
    load(partition: number, epoch?: number): Promise<void>;
    /** Stops coordinating a partition: its timers stop, its state is dropped. */
    unload(partition: number): void;
    close(): void;
    private active;
    /** Reads a shard's state (no records). */
    read<T>(partition: number, fn: (shard: S) => T): T;
    /**
     * Runs an operation: its records are appended as one batch before the response is returned.
     * A failed append throws (mapped by the caller), after telling the operation through afterWrite.
     */
    write<T>(partition: number, op: (shard: S) => CoordinatorResult<T>): T;
    private complete;
    private timerFor;
}
