/**
 * Incremental fetch sessions (KIP-227). A client opens a session with a full fetch (epoch 0);
 * later fetches (epoch 1, 2, ...) send only changed partitions and get back only partitions
 * with news (records, a moved high watermark / log start offset, or an error).
 */
import type { Clock } from '../util/clock.js';
export declare const INITIAL_EPOCH = 0;
export declare const FINAL_EPOCH = -1;
/** Sessions unused this long may be evicted for a new one (Kafka: 2 minutes). */
export declare const EVICTION_AGE_MS = 120000;
export interface SessionPartition {
    topic: string;
    topicId: string;
    partition: number;
    fetchOffset: bigint;
    partitionMaxBytes: number;
    currentLeaderEpoch: number;
    /** What the last response told the client, to decide whether this one must mention it. */
    lastHighWatermark: bigint;
    lastLastStableOffset: bigint;
    lastLogStartOffset: bigint;
}
export declare class FetchSession {
    readonly id: number;
    epoch: number;
    readonly usesTopicIds: boolean;
    /** Insertion-ordered: the response lists partitions in this order. */
    readonly partitions: Map<string, SessionPartition>;
    lastUsedMs: number;
    constructor(id: number, epoch: number, nowMs: number, usesTopicIds: boolean);
}
export type SessionLookup = {
    kind: 'sessionless';
} | {
    kind: 'new';
    session: FetchSession | null;
} | {
    kind: 'incremental';
    session: FetchSession;
} | {
    kind: 'error';
    error: 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH' | 'FETCH_SESSION_TOPIC_ID_ERROR';
};
export declare function sessionPartitionKey(topicOrId: string, partition: number): string;
export declare class FetchSessionCache {
    private readonly maxSlots;
    private readonly clock;
    private readonly sessions;
    constructor(maxSlots: number, clock: Clock);
    get size(): number;
    get(id: number): FetchSession | undefined;
    /**
     * Resolves a fetch request's (sessionId, epoch) to what the fetch should do. Full fetches
     * with epoch 0 create a session when a slot is free (or one can be evicted).
     */
    lookup(sessionId: number, epoch: number, usesTopicIds: boolean, isFromFollower?: boolean): SessionLookup;
    /** Called once the response for the session's current epoch is built. */
    advance(s: FetchSession): void;
    remove(id: number): void;
    private create;
}
