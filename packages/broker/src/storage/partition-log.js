/**
 * The storage contract the broker's handlers use. One PartitionLog per topic-partition, one
 * StorageEngine per broker (file engine in production, memory engine for tests and embedding).
 * Both engines pass the same conformance suite (test/storage/conformance.ts).
 *
 * Data is kept as Kafka RecordBatch v2 bytes exactly as produced, with offsets assigned in
 * place; the log never decodes records on the append or read path.
 *
 * Buffers returned by read() are views the caller must not modify (the memory engine returns
 * its stored bytes). Failures are the typed errors of errors.ts, mapped to Kafka codes by the
 * server. Offsets and timestamps are exact up to 2^53 inside the engines.
 */
export const UNKNOWN_SEGMENT_BASE = -1n;
export function offsetOnlyMetadata(offset) {
    return { messageOffset: offset, segmentBaseOffset: UNKNOWN_SEGMENT_BASE, relativePositionInSegment: -1 };
}
//# sourceMappingURL=partition-log.js.map