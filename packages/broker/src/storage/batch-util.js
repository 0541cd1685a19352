/**
 * Batch-level helpers shared by both engines. Everything here reads v2 batch headers in place;
 * record bodies are only walked for ListOffsets-by-timestamp, never on append or fetch.
 * Offsets and timestamps are JS numbers inside the storage layer (exact up to 2^53) so the hot
 * path allocates no bigints per batch; the PartitionLog surface converts to bigint.
 */
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND, BATCH_ATTRIBUTES, BATCH_BASE_OFFSET, BATCH_BASE_TIMESTAMP, BATCH_CRC, BATCH_HEADER_SIZE, BATCH_LAST_OFFSET_DELTA, BATCH_LENGTH, BATCH_LOG_OVERHEAD, BATCH_MAGIC, BATCH_MAX_TIMESTAMP, BATCH_RECORD_COUNT, batchLastOffsetDelta, batchPartitionLeaderEpoch, batchSize, crc32c, decompressSync, } from '@samsa/protocol/records';
import { CorruptRecordError } from './errors.js';
/** Smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD;
/** Bytes of header needed to know a batch's base offset, size and last offset. */
export const BATCH_LOCATE_BYTES = BATCH_LAST_OFFSET_DELTA + 4;
/** Reads a big-endian int64 as a number (exact within ±2^53). */
export function readInt64(buf, pos) {
    return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}
export function writeInt64(buf, value, pos) {
    const hi = Math.floor(value / 4294967296);
    buf.writeInt32BE(hi, pos);
    buf.writeUInt32BE(value - hi * 4294967296, pos + 4);
}
export const headerBaseOffset = (buf, pos) => readInt64(buf, pos + BATCH_BASE_OFFSET);
export const headerMaxTimestamp = (buf, pos) => readInt64(buf, pos + BATCH_MAX_TIMESTAMP);
// int32 fields: the protocol's accessors already return numbers.
export const headerSize = batchSize;
export const headerLastOffsetDelta = batchLastOffsetDelta;
export const headerLeaderEpoch = batchPartitionLeaderEpoch;
/**
 * Checks that `buf` is a sequence of whole v2 batches (structure only: the caller validated
 * CRCs) and summarises it. Throws CorruptRecordError otherwise.
 */
export function scanAppend(buf) {
    let pos = 0;
    let batchCount = 0;
    let offsetCount = 0;
    let maxTimestamp = -1;
    let largestBatch = 0;
    const end = buf.length;
    if (end === 0)
        throw new CorruptRecordError('empty append');
    while (pos < end) {
        if (end - pos < BATCH_HEADER_SIZE)
            throw new CorruptRecordError(`truncated batch header at byte ${pos}`);
        const length = buf.readInt32BE(pos + BATCH_LENGTH);
        if (length < MIN_BATCH_LENGTH || pos + BATCH_LOG_OVERHEAD + length > end) {
            throw new CorruptRecordError(`bad batch length ${length} at byte ${pos}`);
        }
        if (buf[pos + BATCH_MAGIC] !== 2)
            throw new CorruptRecordError(`unsupported magic ${buf[pos + BATCH_MAGIC]} at byte ${pos}`);
        const delta = buf.readInt32BE(pos + BATCH_LAST_OFFSET_DELTA);
        if (delta < 0)
            throw new CorruptRecordError(`negative lastOffsetDelta at byte ${pos}`);
        const size = BATCH_LOG_OVERHEAD + length;
        const ts = readInt64(buf, pos + BATCH_MAX_TIMESTAMP);
        if (ts > maxTimestamp)
            maxTimestamp = ts;
        if (size > largestBatch)
            largestBatch = size;
        offsetCount += delta + 1;
        batchCount++;
        pos += size;
    }
    return { batchCount, offsetCount, maxTimestamp, largestBatch };
}
/**
 * Stamps log append time into a batch (message.timestamp.type=LogAppendTime): maxTimestamp and
 * the timestamp-type attribute bit, then recomputes the CRC (which covers attributes onwards).
 */
export function stampLogAppendTime(buf, pos, size, nowMs) {
    buf.writeInt16BE(buf.readInt16BE(pos + BATCH_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + BATCH_ATTRIBUTES);
    writeInt64(buf, nowMs, pos + BATCH_MAX_TIMESTAMP);
    buf.writeUInt32BE(crc32c(buf.subarray(pos + BATCH_ATTRIBUTES, pos + size)), pos + BATCH_CRC);
}
/** True when the stored CRC32C matches the bytes (recovery). */
export function batchCrcValid(buf, pos, size) {
    return crc32c(buf.subarray(pos + BATCH_ATTRIBUTES, pos + size)) === buf.readUInt32BE(pos + BATCH_CRC);
}
/** Structural sanity of a batch header found on disk (before its CRC is checked). */
export function headerLooksValid(buf, pos) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH);
    return length >= MIN_BATCH_LENGTH && buf[pos + BATCH_MAGIC] === 2 && buf.readInt32BE(pos + BATCH_LAST_OFFSET_DELTA) >= 0;
}
/** The protocol package's codecs (throws for a codec whose package is not installed). */
export const defaultDecompressor = (codec, data) => decompressSync(codec, data);
/**
 * Calls `visit(offset, timestamp)` for each record of the batch at `pos`, in order, until it
 * returns true; returns whether a visit returned true. Returns null when the records cannot be
 * walked (compressed without a decompressor, or malformed).
 */
export function visitRecordTimestamps(buf, pos, decompress, visit) {
    const size = headerSize(buf, pos);
    const baseOffset = headerBaseOffset(buf, pos);
    const attributes = buf.readInt16BE(pos + BATCH_ATTRIBUTES);
    const count = buf.readInt32BE(pos + BATCH_RECORD_COUNT);
    if ((attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0) {
        // Every record carries the log append time (the batch's maxTimestamp).
        const ts = headerMaxTimestamp(buf, pos);
        const last = baseOffset + headerLastOffsetDelta(buf, pos);
        for (let o = baseOffset; o <= last; o++)
            if (visit(o, ts))
                return true;
        return false;
    }
    let data = buf;
    let p = pos + BATCH_HEADER_SIZE;
    let end = pos + size;
    const codec = attributes & ATTR_COMPRESSION_MASK;
    if (codec !== 0) {
        if (decompress === undefined)
            return null;
        try {
            data = decompress(codec, buf.subarray(p, end));
        }
        catch {
            return null;
        }
        p = 0;
        end = data.length;
    }
    const baseTimestamp = readInt64(buf, pos + BATCH_BASE_TIMESTAMP);
    const cursor = { p };
    try {
        for (let i = 0; i < count && cursor.p < end; i++) {
            const length = readVarlong(data, cursor);
            const recordEnd = cursor.p + length;
            cursor.p += 1; // attributes
            const tsDelta = readVarlong(data, cursor);
            const offsetDelta = readVarlong(data, cursor);
            if (visit(baseOffset + offsetDelta, baseTimestamp + tsDelta))
                return true;
            cursor.p = recordEnd;
        }
    }
    catch {
        return null;
    }
    return false;
}
/** Zigzag varint/varlong as a number (exact within ±2^53). */
function readVarlong(buf, cursor) {
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 10; i++) {
        if (cursor.p >= buf.length)
            throw new RangeError('varint past end');
        const b = buf[cursor.p++];
        result += (b & 0x7f) * mult;
        if ((b & 0x80) === 0)
            return result % 2 === 1 ? -(result + 1) / 2 : result / 2;
        mult *= 128;
    }
    throw new RangeError('varint too long');
}
//# sourceMappingURL=batch-util.js.map