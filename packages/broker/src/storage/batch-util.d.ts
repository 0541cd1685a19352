/** Smallest legal batchLength: a header with no records. */
export declare const MIN_BATCH_LENGTH: number;
/** Bytes of header needed to know a batch's base offset, size and last offset. */
export declare const BATCH_LOCATE_BYTES: number;
/** Reads a big-endian int64 as a number (exact within ±2^53). */
export declare function readInt64(buf: Buffer, pos: number): number;
export declare function writeInt64(buf: Buffer, value: number, pos: number): void;
export declare const headerBaseOffset: (buf: Buffer, pos: number) => number;
export declare const headerMaxTimestamp: (buf: Buffer, pos: number) => number;
export declare const headerSize: (buf: Buffer, pos?: number) => number;
export declare const headerLastOffsetDelta: (buf: Buffer, pos?: number) => number;
export declare const headerLeaderEpoch: (buf: Buffer, pos?: number) => number;
/** Summary of the batches of one append, from a single pass over their headers. */
export interface AppendScan {
    batchCount: number;
    /** sum of (lastOffsetDelta + 1): the offsets the append consumes */
    offsetCount: number;
    maxTimestamp: number;
    largestBatch: number;
}
/**
 * Checks that `buf` is a sequence of whole v2 batches (structure only: the caller validated
 * CRCs) and summarises it. Throws CorruptRecordError otherwise.
 */
export declare function scanAppend(buf: Buffer): AppendScan;
/**
 * Stamps log append time into a batch (message.timestamp.type=LogAppendTime): maxTimestamp and
 * the timestamp-type attribute bit, then recomputes the CRC (which covers attributes onwards).
 */
export declare function stampLogAppendTime(buf: Buffer, pos: number, size: number, nowMs: number): void;
/** True when the stored CRC32C matches the bytes (recovery). */
export declare function batchCrcValid(buf: Buffer, pos: number, size: number): boolean;
/** Structural sanity of a batch header found on disk (before its CRC is checked). */
export declare function headerLooksValid(buf: Buffer, pos: number): boolean;
/** Decompresses a batch's records section: (codec id, compressed bytes) -> raw records bytes. */
export type RecordsDecompressor = (codec: number, data: Buffer) => Buffer;
/** The protocol package's codecs (throws for a codec whose package is not installed). */
export declare const defaultDecompressor: RecordsDecompressor;
/**
 * Calls `visit(offset, timestamp)` for each record of the batch at `pos`, in order, until it
 * returns true; returns whether a visit returned true. Returns null when the records cannot be
 * walked (compressed without a decompressor, or malformed).
 */
export declare function visitRecordTimestamps(buf: Buffer, pos: number, decompress: RecordsDecompressor | undefined, visit: (offset: number, timestamp: number) => boolean): boolean | null;
