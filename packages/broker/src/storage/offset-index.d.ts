/**
 * Kafka's offset index (.index): entries of (relative offset int32, position int32), both
 * big-endian, mapping a batch's last offset (relative to the segment base) to the file position
 * where that batch starts. Sparse: one entry per index.interval.bytes of log.
 */
import { IndexFile } from './index-file.js';
export declare const OFFSET_INDEX_ENTRY_SIZE = 8;
export declare class OffsetIndex extends IndexFile {
    private constructor();
    static create(path: string, maxIndexBytes: number): OffsetIndex;
    /** Opens an existing file; null when it is corrupt (size not a multiple of the entry size). */
    static open(path: string, maxIndexBytes: number): OffsetIndex | null;
    append(relativeOffset: number, position: number): void;
    /** Position of the last entry whose relative offset <= target; 0 when none. */
    lookup(relativeTarget: number): number;
    lastEntry(): {
        relativeOffset: number;
        position: number;
    } | null;
}
