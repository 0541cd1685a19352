/**
 * The leader-epoch cache of one partition (Kafka's LeaderEpochFileCache): for each leader epoch
 * the first offset written in it, persisted as Kafka's `leader-epoch-checkpoint` in the
 * partition directory:
 *   0            <- version
 *   <count>
 *   <epoch> <startOffset>
 * It follows the log as an observer: every appended batch carries its partitionLeaderEpoch, so
 * leader and follower appends keep it right alike; truncation and log-start moves trim it.
 * OffsetForLeaderEpoch (KIP-101/279) answers from it, and followers truncate with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_LENGTH, BATCH_LOG_OVERHEAD, batchBaseOffset, batchLastOffset, batchPartitionLeaderEpoch } from '@samsa/protocol/records';
import type { LogObserver, PartitionLog } from '../storage/partition-log.js';
import { writeFileAtomic } from '../util/fs.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export class LeaderEpochCache implements LogObserver {
  private entries: EpochEntry[] = [];
  private readonly file: string | null;

  constructor(private readonly log: PartitionLog) {
    this.file = log.dir === null ? null : join(log.dir, LEADER_EPOCH_CHECKPOINT);
    if (this.file !== null && existsSync(this.file)) this.entries = parseCheckpoint(readFileSync(this.file, 'utf8'), this.file);
    else this.rebuildFromLog();
    // A crash may leave entries past the recovered log end, or before a moved log start.
    this.truncateFromEnd(log.logEndOffset, false);
    this.truncateFromStart(log.logStartOffset, false);
    log.addObserver(this);
  }

  detach(): void {
    this.log.removeObserver(this);
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  get epochEntries(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Records that `epoch` starts at `startOffset` (becoming leader, or a batch of a newer epoch). */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.epoch >= epoch) return;
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /**
   * Kafka's LeaderEpochFileCache.endOffsetFor: for the latest epoch, the log end; otherwise the
   * largest epoch <= `requested` and the start of the epoch after it (an epoch older than all
   * we have answers with the first start offset; a newer one, or none at all, is UNDEFINED).
   */
  endOffsetFor(requested: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const n = this.entries.length;
    if (requested === UNDEFINED_EPOCH || n === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.entries[n - 1]!.epoch === requested) return { epoch: requested, endOffset: logEndOffset };
    let higher = 0;
    while (higher < n && this.entries[higher]!.epoch <= requested) higher++;
    if (higher === n) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const start = this.entries[higher]!.startOffset;
    return { epoch: higher === 0 ? requested : this.entries[higher - 1]!.epoch, endOffset: start };
  }

  // ---- LogObserver -----------------------------------------------------------------------

  onAppend(batches: Buffer): void {
    let pos = 0;
    while (pos + BATCH_LOG_OVERHEAD <= batches.length) {
      const epoch = batchPartitionLeaderEpoch(batches, pos);
      if (epoch > this.latestEpoch) this.assign(epoch, batchBaseOffset(batches, pos));
      pos += BATCH_LOG_OVERHEAD + batches.readInt32BE(pos + BATCH_LENGTH);
    }
  }

  onTruncate(logEndOffset: bigint): void {
    this.truncateFromEnd(logEndOffset, true);
  }

  onLogStartOffsetChange(logStartOffset: bigint): void {
    this.truncateFromStart(logStartOffset, true);
  }

  /** Drops epochs starting at or after `offset` (the log was truncated to it). */
  truncateFromEnd(offset: bigint, persist = true): void {
    const before = this.entries.length;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.startOffset >= offset) this.entries.pop();
    if (persist && this.entries.length !== before) this.persist();
  }

  /** Epochs wholly before the log start go; the one spanning it now starts there. */
  private truncateFromStart(offset: bigint, persist: boolean): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= offset) i++;
    const first = this.entries[i];
    const changed = i > 0 || (first !== undefined && first.startOffset < offset);
    if (!changed) return;
    this.entries = this.entries.slice(i);
    if (this.entries[0]!.startOffset < offset) this.entries[0] = { epoch: this.entries[0]!.epoch, startOffset: offset };
    if (persist) this.persist();
  }

  /** No checkpoint (an older data dir): the batch headers say which epoch wrote what. */
  private rebuildFromLog(): void {
    let offset = this.log.logStartOffset;
    const end = this.log.logEndOffset;
    while (offset < end) {
      const { records } = this.log.read(offset, 1 << 20, { minOneBatch: true });
      if (records.length === 0) break;
      let pos = 0;
      let last = offset;
      while (pos + BATCH_LOG_OVERHEAD <= records.length) {
        const epoch = batchPartitionLeaderEpoch(records, pos);
        if (epoch >= 0 && epoch > this.latestEpoch) this.entries.push({ epoch, startOffset: batchBaseOffset(records, pos) });
        const size = BATCH_LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH);
        last = batchLastOffset(records, pos) + 1n;
        pos += size;
      }
      if (last <= offset) break;
      offset = last;
    }
    if (this.entries.length > 0) this.persist();
  }

  private persist(): void {
    if (this.file === null) return;
    let text = `0\n${this.entries.length}\n`;
    for (const e of this.entries) text += `${e.epoch} ${e.startOffset}\n`;
    writeFileAtomic(this.file, text);
  }
}

function parseCheckpoint(text: string, path: string): EpochEntry[] {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '0') throw new Error(`unsupported leader-epoch-checkpoint version in ${path}: ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new Error(`malformed leader-epoch-checkpoint ${path}`);
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const parts = (lines[2 + i] ?? '').trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[0]!) || !/^\d+$/.test(parts[1]!)) throw new Error(`malformed line ${i + 3} in ${path}`);
    out.push({ epoch: Number(parts[0]), startOffset: BigInt(parts[1]!) });
  }
  return out;
}
