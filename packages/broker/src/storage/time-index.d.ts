/**
 * Kafka's time index (.timeindex): entries of (timestamp int64, relative offset int32),
 * big-endian. Each entry holds the largest timestamp seen so far in the segment and the (last)
 * offset of the batch that carried it; timestamps only increase from entry to entry.
 */
import { IndexFile } from './index-file.js';
export declare const TIME_INDEX_ENTRY_SIZE = 12;
export declare class TimeIndex extends IndexFile {
    private lastTimestamp;
    private constructor();
    static create(path: string, maxIndexBytes: number): TimeIndex;
    static open(path: string, maxIndexBytes: number): TimeIndex | null;
    /** Appends when the timestamp is larger than the last entry's (Kafka's maybeAppend). */
    maybeAppend(timestamp: number, relativeOffset: number, skipFullCheck?: boolean): void;
    reset(): void;
    /** Relative offset of the last entry whose timestamp <= ts; -1 when none. */
    lookup(timestamp: number): number;
    lastEntry(): {
        timestamp: number;
        relativeOffset: number;
    } | null;
}
