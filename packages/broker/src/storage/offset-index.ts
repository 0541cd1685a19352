/**
 * Kafka's offset index (.index): entries of (relative offset int32, position int32), both
 * big-endian, mapping a batch's last offset (relative to the segment base) to the file position
 * where that batch starts. Sparse: one entry per index.interval.bytes of log.
 */
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class OffsetIndex extends IndexFile {
  private constructor(path: string, maxIndexBytes: number, existingEntries: number | null) {
    super(path, OFFSET_INDEX_ENTRY_SIZE, maxIndexBytes, existingEntries);
  }

  static create(path: string, maxIndexBytes: number): OffsetIndex {
    // The file is created at the first persist (roll, flush, close), as Kafka's lazy indexes.
    return new OffsetIndex(path, maxIndexBytes, null);
  }

  /** Opens an existing file; null when it is corrupt (size not a multiple of the entry size). */
  static open(path: string, maxIndexBytes: number): OffsetIndex | null {
    const n = IndexFile.entriesOnDisk(path, OFFSET_INDEX_ENTRY_SIZE);
    return n === null ? null : new OffsetIndex(path, maxIndexBytes, n);
  }

  append(relativeOffset: number, position: number): void {
    const at = this.slot();
    const buf = this.buf!;
    buf.writeInt32BE(relativeOffset, at);
    buf.writeInt32BE(position, at + 4);
  }

  /** Position of the last entry whose relative offset <= target; 0 when none. */
  lookup(relativeTarget: number): number {
    if (this.count === 0) return 0;
    const buf = this.loaded();
    let lo = 0;
    let hi = this.count - 1;
    if (buf.readInt32BE(0) > relativeTarget) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (buf.readInt32BE(mid * OFFSET_INDEX_ENTRY_SIZE) <= relativeTarget) lo = mid;
      else hi = mid - 1;
    }
    return buf.readInt32BE(lo * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  lastEntry(): { relativeOffset: number; position: number } | null {
    if (this.count === 0) return null;
    const e = this.entryBytes(this.count - 1);
    return { relativeOffset: e.readInt32BE(0), position: e.readInt32BE(4) };
  }
}
