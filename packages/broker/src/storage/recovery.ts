/**
 * Reading a segment batch by batch, and Kafka's segment recovery: after an unclean shutdown
 * every segment past the recovery point is scanned, each batch's structure and CRC32C checked,
 * the .log truncated at the first torn or corrupt batch, and the indexes rebuilt.
 */
import { BATCH_HEADER_SIZE } from '@samsa/protocol/records';
import { batchCrcValid, headerBaseOffset, headerLastOffsetDelta, headerLooksValid, headerMaxTimestamp, headerSize } from './batch-util.js';
import type { FileSegment } from './segment.js';

const CHUNK = 1 << 20;

/** Sequential chunked reads of a segment's .log, so scans cost one syscall per MiB. */
export class SegmentReader {
  private buf: Buffer = Buffer.allocUnsafe(0);
  private start = 0; // file position of buf[0]
  private length = 0;

  constructor(private readonly segment: FileSegment, private readonly chunkSize = CHUNK) {}

  /**
   * Makes bytes [position, position + length) available; returns the buffer offset of
   * `position`, or -1 if the file ends first.
   */
  ensure(position: number, length: number): number {
    if (position >= this.start && position + length <= this.start + this.length) return position - this.start;
    const want = Math.max(length, this.chunkSize);
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
    const n = this.segment.readInto(this.buf, 0, Math.min(want, Math.max(0, this.segment.size - position)), position);
    this.start = position;
    this.length = n;
    return n >= length ? 0 : -1;
  }

  get buffer(): Buffer {
    return this.buf;
  }
}

/** Walks whole batches from `position`; visit(buf, pos, filePosition) returns true to stop. Stops at a torn batch. */
export function scanBatches(segment: FileSegment, position: number, visit: (buf: Buffer, pos: number, filePosition: number) => boolean): void {
  const reader = new SegmentReader(segment, position === 0 ? CHUNK : 64 * 1024);
  let filePos = position;
  while (filePos + BATCH_HEADER_SIZE <= segment.size) {
    let at = reader.ensure(filePos, BATCH_HEADER_SIZE);
    if (at < 0 || !headerLooksValid(reader.buffer, at)) return;
    const size = headerSize(reader.buffer, at);
    at = reader.ensure(filePos, size);
    if (at < 0) return;
    if (visit(reader.buffer, at, filePos)) return;
    filePos += size;
  }
}

export interface RecoveryResult {
  /** bytes cut off the end of the .log */
  truncatedBytes: number;
  batches: number;
  /** bytes of whole, valid batches kept */
  validBytes: number;
  /** why the rest was cut (null when nothing was) */
  reason: string | null;
}

/**
 * Rebuilds a segment's state and indexes from its .log, validating every batch (structure,
 * CRC32C, increasing offsets), and truncates the file at the first invalid one.
 */
export function recoverSegment(segment: FileSegment, indexIntervalBytes: number, minNextOffset: number, verifyCrc = true): RecoveryResult {
  const base = segment.baseOffset;
  const fileSize = segment.size;
  segment.offsetIndex.reset();
  segment.timeIndex.reset();
  segment.maxTimestamp = -1;
  segment.offsetOfMaxTimestamp = -1;
  segment.rollingBasedTimestamp = -1;
  segment.nextOffset = Math.max(base, minNextOffset);
  const reader = new SegmentReader(segment);
  let validBytes = 0;
  let lastIndexEntry = 0;
  let batches = 0;
  let expected = base;
  let reason: string | null = null;
  while (validBytes < fileSize) {
    if (validBytes + BATCH_HEADER_SIZE > fileSize) {
      reason = `incomplete batch header (${fileSize - validBytes} bytes at the end of the file)`;
      break;
    }
    let at = reader.ensure(validBytes, BATCH_HEADER_SIZE);
    if (at < 0) {
      reason = 'the file ended while reading a batch header';
      break;
    }
    let buf = reader.buffer;
    if (!headerLooksValid(buf, at)) {
      reason = `invalid batch header (length ${buf.readInt32BE(at + 8)}, magic ${buf[at + 16]})`;
      break;
    }
    const size = headerSize(buf, at);
    if (validBytes + size > fileSize) {
      reason = `incomplete batch: ${fileSize - validBytes} of its ${size} bytes are in the file`;
      break;
    }
    const batchBase = headerBaseOffset(buf, at);
    const last = batchBase + headerLastOffsetDelta(buf, at);
    if (batchBase < expected || last - base > 0x7fffffff) {
      reason = `batch offsets [${batchBase}, ${last}] out of order (expected ${expected} or later)`;
      break;
    }
    at = reader.ensure(validBytes, size);
    if (at < 0) {
      reason = 'the file ended while reading a batch';
      break;
    }
    buf = reader.buffer;
    if (verifyCrc && !batchCrcValid(buf, at, size)) {
      reason = `CRC32C mismatch in the batch with offsets [${batchBase}, ${last}] (${size} bytes)`;
      break;
    }
    const maxTimestamp = headerMaxTimestamp(buf, at);
    if (batches === 0) segment.rollingBasedTimestamp = maxTimestamp;
    if (maxTimestamp > segment.maxTimestamp) {
      segment.maxTimestamp = maxTimestamp;
      segment.offsetOfMaxTimestamp = last;
    }
    if (validBytes - lastIndexEntry > indexIntervalBytes) {
      segment.offsetIndex.append(last - base, validBytes);
      segment.timeIndex.maybeAppend(segment.maxTimestamp, segment.offsetOfMaxTimestamp - base);
      lastIndexEntry = validBytes;
    }
    expected = last + 1;
    segment.nextOffset = last + 1;
    validBytes += size;
    batches++;
  }
  const truncatedBytes = fileSize - validBytes;
  if (truncatedBytes > 0) segment.truncateTo(validBytes);
  segment.bytesSinceLastIndexEntry = validBytes - lastIndexEntry;
  segment.persistIndexes();
  return { truncatedBytes, batches, validBytes, reason: truncatedBytes > 0 ? reason : null };
}

/**
 * Loads the state of a segment that needs no recovery (clean shutdown): the max timestamp from
 * the time index's last entry, and, for the active segment, the next offset and the timestamps
 * of the batches after the last offset index entry (Kafka's readNextOffset). Returns false if
 * that tail is not made of whole batches (then the caller recovers the segment).
 */
export function loadSegmentState(segment: FileSegment, active: boolean, nextSegmentBase: number | null): boolean {
  const base = segment.baseOffset;
  const lastTime = segment.timeIndex.lastEntry();
  if (lastTime !== null) {
    segment.maxTimestamp = lastTime.timestamp;
    segment.offsetOfMaxTimestamp = base + lastTime.relativeOffset;
  }
  if (!active) {
    // Closed segments end where the next one starts (the exact end only matters to reads, which locate by scanning).
    segment.nextOffset = nextSegmentBase ?? base;
    if (segment.size > 0 && segment.nextOffset <= base) return false;
    return true;
  }
  const lastIndex = segment.offsetIndex.lastEntry();
  segment.bytesSinceLastIndexEntry = segment.size - (lastIndex?.position ?? 0);
  // Scan what the time index does not cover: from the batch of its last entry (which can lag
  // the offset index when the time index filled up).
  let end = lastTime === null ? 0 : segment.offsetIndex.lookup(lastTime.relativeOffset);
  scanBatches(segment, end, (buf, pos, filePos) => {
    const last = headerBaseOffset(buf, pos) + headerLastOffsetDelta(buf, pos);
    const ts = headerMaxTimestamp(buf, pos);
    if (ts > segment.maxTimestamp) {
      segment.maxTimestamp = ts;
      segment.offsetOfMaxTimestamp = last;
    }
    segment.nextOffset = Math.max(segment.nextOffset, last + 1);
    end = filePos + headerSize(buf, pos);
    return false;
  });
  if (end !== segment.size) return false;
  if (segment.size > 0) {
    // The first batch's timestamp drives segment.ms rolling (Kafka's rollingBasedTimestamp).
    const header = Buffer.alloc(BATCH_HEADER_SIZE);
    if (segment.readInto(header, 0, BATCH_HEADER_SIZE, 0) === BATCH_HEADER_SIZE) segment.rollingBasedTimestamp = headerMaxTimestamp(header, 0);
  }
  return true;
}
