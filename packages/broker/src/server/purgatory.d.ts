/**
 * Delayed operations waiting on partitions (Kafka's DelayedOperationPurgatory, simplified):
 * a long-poll fetch watches the partitions it reads and completes when enough bytes were
 * appended to them, or when its timer (from the injected clock) fires.
 */
import type { Clock } from '../util/clock.js';
export interface DelayedOperation {
    /** Called when `key` changed (bytes appended); returns true when the operation can complete now. */
    onUpdate(key: string, bytes: number): boolean;
    /** Runs exactly once: after onUpdate returned true, on expiry, or on purgatory shutdown. */
    complete(reason: 'satisfied' | 'expired' | 'shutdown'): void;
}
export declare class Purgatory {
    private readonly clock;
    private readonly watchers;
    private readonly entries;
    constructor(clock: Clock);
    /** Operations currently waiting. */
    get size(): number;
    /** Number of operations watching a key. */
    watching(key: string): number;
    watch(op: DelayedOperation, keys: readonly string[], timeoutMs: number): void;
    /** An append (or other change) on `key`: gives each waiting operation the chance to complete. */
    notify(key: string, bytes: number): void;
    /** Completes everything (broker shutdown). */
    shutdown(): void;
    private finish;
}
export declare function partitionKey(topic: string, partition: number): string;
