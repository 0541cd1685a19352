/**
 * The aborted-transaction index of one log (Kafka's TransactionIndex): one `.txnindex` file per
 * segment, named after the segment's base offset, holding an entry for every transaction whose
 * ABORT marker is in that segment. Entries are Kafka's 34-byte AbortedTxn: version int16 (0),
 * producerId int64, firstOffset int64, lastOffset int64 (the marker), lastStableOffset int64.
 *
 * read_committed fetches ask for the aborted transactions overlapping the range they return, so
 * consumers can drop those records. The entries are kept in memory too (they are few: one per
 * aborted transaction); the files make them survive restarts, since the producer state is
 * rebuilt only from its newest snapshot on.
 */
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TXN_INDEX_SUFFIX = '.txnindex';
const ENTRY_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  lastStableOffset: bigint;
}

interface Entry extends AbortedTxn {
  segmentBaseOffset: bigint;
}

const fileName = (segmentBaseOffset: bigint): string => `${segmentBaseOffset.toString().padStart(20, '0')}${TXN_INDEX_SUFFIX}`;

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  b.writeBigInt64BE(e.producerId, 2);
  b.writeBigInt64BE(e.firstOffset, 10);
  b.writeBigInt64BE(e.lastOffset, 18);
  b.writeBigInt64BE(e.lastStableOffset, 26);
  return b;
}

export class AbortedTxnIndex {
  /** Ordered by lastOffset (markers are appended in offset order). */
  private entries: Entry[] = [];

  constructor(private dir: string | null) {
    if (dir !== null) this.load(dir);
  }

  private load(dir: string): void {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(TXN_INDEX_SUFFIX)).sort()) {
      const base = BigInt(name.slice(0, -TXN_INDEX_SUFFIX.length));
      const buf = readFileSync(join(dir, name));
      // A torn last entry (crash mid-write) is dropped; the marker replay re-adds it.
      for (let p = 0; p + ENTRY_SIZE <= buf.length; p += ENTRY_SIZE) {
        if (buf.readInt16BE(p) !== VERSION) break;
        this.entries.push({
          segmentBaseOffset: base,
          producerId: buf.readBigInt64BE(p + 2),
          firstOffset: buf.readBigInt64BE(p + 10),
          lastOffset: buf.readBigInt64BE(p + 18),
          lastStableOffset: buf.readBigInt64BE(p + 26),
        });
      }
    }
    this.entries.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
  }

  /** The log moved to `dir` (AlterReplicaLogDirs): the index files are written there from now on. */
  relocate(dir: string | null): void {
    this.dir = dir;
    this.rewriteFiles();
  }

  get size(): number {
    return this.entries.length;
  }

  /** Records an aborted transaction whose marker landed in the segment starting at `segmentBaseOffset`. */
  append(txn: AbortedTxn, segmentBaseOffset: bigint): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && txn.lastOffset <= last.lastOffset) {
      // Replayed after a restart: already indexed.
      if (this.entries.some((e) => e.lastOffset === txn.lastOffset && e.producerId === txn.producerId)) return;
    }
    this.entries.push({ ...txn, segmentBaseOffset });
    if (this.dir !== null) appendFileSync(join(this.dir, fileName(segmentBaseOffset)), encode(txn));
  }

  /** Aborted transactions with data in [fetchOffset, upperBoundOffset) (Kafka's collectAbortedTxns). */
  collect(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (const e of this.entries) {
      if (e.lastOffset >= fetchOffset && e.firstOffset < upperBoundOffset) {
        out.push({ producerId: e.producerId, firstOffset: e.firstOffset, lastOffset: e.lastOffset, lastStableOffset: e.lastStableOffset });
      }
    }
    return out;
  }

  /**
   * The cleaner merged the segments at `oldBaseOffsets` into one at `newBaseOffset`: their
   * entries become `retained` (the aborted transactions whose ABORT marker it kept), filed under
   * the new segment (Kafka writes the cleaned segment's own .txnindex).
   */
  replaceSegments(oldBaseOffsets: readonly bigint[], newBaseOffset: bigint, retained: readonly AbortedTxn[]): void {
    const old = new Set(oldBaseOffsets);
    const kept = this.entries.filter((e) => !old.has(e.segmentBaseOffset));
    for (const t of retained) kept.push({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: t.lastStableOffset, segmentBaseOffset: newBaseOffset });
    kept.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
    this.entries = kept;
    this.rewriteFiles();
  }

  /** The log was truncated to `endOffset`: entries of markers at or after it go. */
  truncateTo(endOffset: bigint): void {
    const kept = this.entries.filter((e) => e.lastOffset < endOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.rewriteFiles();
  }

  /** The log start moved: transactions wholly before it are no longer needed. */
  dropBefore(logStartOffset: bigint): void {
    const kept = this.entries.filter((e) => e.lastOffset >= logStartOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.rewriteFiles();
  }

  private rewriteFiles(): void {
    const dir = this.dir;
    if (dir === null) return;
    const bySegment = new Map<bigint, Buffer[]>();
    for (const e of this.entries) {
      let list = bySegment.get(e.segmentBaseOffset);
      if (list === undefined) bySegment.set(e.segmentBaseOffset, (list = []));
      list.push(encode(e));
    }
    for (const name of readdirSync(dir).filter((n) => n.endsWith(TXN_INDEX_SUFFIX))) {
      const base = BigInt(name.slice(0, -TXN_INDEX_SUFFIX.length));
      if (!bySegment.has(base)) rmSync(join(dir, name), { force: true });
    }
    for (const [base, list] of bySegment) writeFileSync(join(dir, fileName(base)), Buffer.concat(list));
  }
}
