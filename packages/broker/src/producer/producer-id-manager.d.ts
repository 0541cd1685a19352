/**
 * Producer id allocation (Kafka's ProducerIdManager). Ids are handed out from blocks of
 * PRODUCER_ID_BLOCK_SIZE reserved in the metadata store with a compare-and-swap on one key, so
 * an id is never given twice: not across restarts (the reserved block is persisted before any id
 * of it is used; ids left in a block at shutdown are skipped) and not across brokers sharing a
 * store. The stored value mirrors ZooKeeper-mode Kafka's /latest_producer_id_block.
 */
import type { MetadataStore } from '../metadata/metadata-store.js';
export declare const PRODUCER_ID_BLOCK_KEY = "/latest_producer_id_block";
export declare const PRODUCER_ID_BLOCK_SIZE = 1000n;
/** The id block could not be reserved (metadata store unavailable): Kafka COORDINATOR_LOAD_IN_PROGRESS, retriable. */
export declare class ProducerIdUnavailableError extends Error {
    readonly name = "ProducerIdUnavailableError";
}
/** Every producer id up to int64 max was used: Kafka answers UNKNOWN_SERVER_ERROR. */
export declare class ProducerIdsExhaustedError extends Error {
    readonly name = "ProducerIdsExhaustedError";
}
export interface ProducerIdBlock {
    brokerId: number;
    /** first id of the block */
    start: bigint;
    /** last id of the block (inclusive) */
    end: bigint;
}
export declare function encodeBlock(b: ProducerIdBlock): string;
export declare function decodeBlock(s: string): ProducerIdBlock;
export declare class ProducerIdManager {
    private readonly store;
    private readonly brokerId;
    private readonly blockSize;
    /** Next id to hand out; > end when the current block is used up. */
    private next;
    private end;
    private reserving;
    constructor(store: MetadataStore, brokerId: number, blockSize?: bigint);
    /** The block ids are currently taken from (null before the first allocation). */
    get currentBlock(): ProducerIdBlock | null;
    generateProducerId(): Promise<bigint>;
    private reserveBlock;
}
