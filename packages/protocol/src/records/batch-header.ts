/**
 * Fixed layout of a RecordBatch v2 header (Kafka's DefaultRecordBatch). The broker reads and
 * patches these fields in place on the produce path, without decoding the records.
 */
export const BATCH_BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const BATCH_PARTITION_LEADER_EPOCH = 12;
export const BATCH_MAGIC = 16;
export const BATCH_CRC = 17;
export const BATCH_ATTRIBUTES = 21;
export const BATCH_LAST_OFFSET_DELTA = 23;
export const BATCH_BASE_TIMESTAMP = 27;
export const BATCH_MAX_TIMESTAMP = 35;
export const BATCH_PRODUCER_ID = 43;
export const BATCH_PRODUCER_EPOCH = 51;
export const BATCH_BASE_SEQUENCE = 53;
export const BATCH_RECORD_COUNT = 57;
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const BATCH_LOG_OVERHEAD = 12;

/** Attribute bits. */
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Field accessors over a batch that starts at `pos` in `buf`. No copies, no validation. */
export const batchBaseOffset = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + BATCH_BASE_OFFSET);
export const batchLength = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_LENGTH);
/** Total size of the batch on the wire/disk including the 12-byte log overhead. */
export const batchSize = (buf: Buffer, pos = 0): number => BATCH_LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH);
export const batchMagic = (buf: Buffer, pos = 0): number => buf.readInt8(pos + BATCH_MAGIC);
export const batchCrc = (buf: Buffer, pos = 0): number => buf.readUInt32BE(pos + BATCH_CRC);
export const batchAttributes = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + BATCH_ATTRIBUTES);
export const batchLastOffsetDelta = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_LAST_OFFSET_DELTA);
export const batchBaseTimestamp = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + BATCH_BASE_TIMESTAMP);
export const batchMaxTimestamp = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + BATCH_MAX_TIMESTAMP);
export const batchProducerId = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + BATCH_PRODUCER_ID);
export const batchProducerEpoch = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + BATCH_PRODUCER_EPOCH);
export const batchBaseSequence = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_BASE_SEQUENCE);
export const batchRecordCount = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_RECORD_COUNT);
export const batchPartitionLeaderEpoch = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + BATCH_PARTITION_LEADER_EPOCH);
export const batchCompression = (buf: Buffer, pos = 0): CompressionType => (buf.readInt16BE(pos + BATCH_ATTRIBUTES) & ATTR_COMPRESSION_MASK) as CompressionType;
export const batchIsTransactional = (buf: Buffer, pos = 0): boolean => (buf.readInt16BE(pos + BATCH_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0;
export const batchIsControl = (buf: Buffer, pos = 0): boolean => (buf.readInt16BE(pos + BATCH_ATTRIBUTES) & ATTR_CONTROL) !== 0;
export const batchLastOffset = (buf: Buffer, pos = 0): bigint => batchBaseOffset(buf, pos) + BigInt(batchLastOffsetDelta(buf, pos));

/** Assigns offsets in place: the CRC does not cover baseOffset nor partitionLeaderEpoch. */
export function setBatchBaseOffset(buf: Buffer, baseOffset: bigint, pos = 0): void {
  buf.writeBigInt64BE(baseOffset, pos + BATCH_BASE_OFFSET);
}

export function setBatchPartitionLeaderEpoch(buf: Buffer, epoch: number, pos = 0): void {
  buf.writeInt32BE(epoch, pos + BATCH_PARTITION_LEADER_EPOCH);
}
