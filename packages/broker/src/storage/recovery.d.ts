import type { FileSegment } from './segment.js';
/** Sequential chunked reads of a segment's .log, so scans cost one syscall per MiB. */
export declare class SegmentReader {
    private readonly segment;
    private readonly chunkSize;
    private buf;
    private start;
    private length;
    constructor(segment: FileSegment, chunkSize?: number);
    /**
     * Makes bytes [position, position + length) available; returns the buffer offset of
     * `position`, or -1 if the file ends first.
     */
    ensure(position: number, length: number): number;
    get buffer(): Buffer;
}
/** Walks whole batches from `position`; visit(buf, pos, filePosition) returns true to stop. Stops at a torn batch. */
export declare function scanBatches(segment: FileSegment, position: number, visit: (buf: Buffer, pos: number, filePosition: number) => boolean): void;
export interface RecoveryResult {
    /** bytes cut off the end of the .log */
    truncatedBytes: number;
    batches: number;
}
/**
 * Rebuilds a segment's state and indexes from its .log, validating every batch (structure,
 * CRC32C, increasing offsets), and truncates the file at the first invalid one.
 */
export declare function recoverSegment(segment: FileSegment, indexIntervalBytes: number, minNextOffset: number, verifyCrc?: boolean): RecoveryResult;
/**
 * Loads the state of a segment that needs no recovery (clean shutdown): the max timestamp from
 * the time index's last entry, and, for the active segment, the next offset and the timestamps
 * of the batches after the last offset index entry (Kafka's readNextOffset). Returns false if
 * that tail is not made of whole batches (then the caller recovers the segment).
 */
export declare function loadSegmentState(segment: FileSegment, active: boolean, nextSegmentBase: number | null): boolean;
