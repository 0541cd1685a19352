/**
 * Kafka's time index (.timeindex): entries of (timestamp int64, relative offset int32),
 * big-endian. Each entry holds the largest timestamp seen so far in the segment and the (last)
 * offset of the batch that carried it; timestamps only increase from entry to entry.
 */
import { IndexFile } from './index-file.js';
import { readInt64, writeInt64 } from './batch-util.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex extends IndexFile {
  private lastTimestamp = -1;

  private constructor(path: string, maxIndexBytes: number, existingEntries: number | null) {
    super(path, TIME_INDEX_ENTRY_SIZE, maxIndexBytes, existingEntries);
    if (existingEntries !== null && existingEntries > 0) this.lastTimestamp = this.lastEntry()!.timestamp;
  }

  static create(path: string, maxIndexBytes: number): TimeIndex {
    // The file is created at the first persist (roll, flush, close), as Kafka's lazy indexes.
    return new TimeIndex(path, maxIndexBytes, null);
  }

  static open(path: string, maxIndexBytes: number): TimeIndex | null {
    const n = IndexFile.entriesOnDisk(path, TIME_INDEX_ENTRY_SIZE);
    return n === null ? null : new TimeIndex(path, maxIndexBytes, n);
  }

  /** Appends when the timestamp is larger than the last entry's (Kafka's maybeAppend). */
  maybeAppend(timestamp: number, relativeOffset: number, skipFullCheck = false): void {
    if (timestamp <= this.lastTimestamp && this.count > 0) return;
    if (timestamp < 0) return;
    if (!skipFullCheck && this.isFull()) return;
    const at = this.slot();
    const buf = this.buf!;
    writeInt64(buf, timestamp, at);
    buf.writeInt32BE(relativeOffset, at + 8);
    this.lastTimestamp = timestamp;
  }

  override reset(): void {
    super.reset();
    this.lastTimestamp = -1;
  }

  /** Relative offset of the last entry whose timestamp <= ts; -1 when none. */
  lookup(timestamp: number): number {
    if (this.count === 0) return -1;
    const buf = this.loaded();
    if (readInt64(buf, 0) > timestamp) return -1;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (readInt64(buf, mid * TIME_INDEX_ENTRY_SIZE) <= timestamp) lo = mid;
      else hi = mid - 1;
    }
    return buf.readInt32BE(lo * TIME_INDEX_ENTRY_SIZE + 8);
  }

  lastEntry(): { timestamp: number; relativeOffset: number } | null {
    if (this.count === 0) return null;
    const e = this.entryBytes(this.count - 1);
    return { timestamp: readInt64(e, 0), relativeOffset: e.readInt32BE(8) };
  }
}
