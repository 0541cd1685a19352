/**
 * Kafka's LeaderEpochFileCache: for each leader epoch the first offset written in it, kept in
 * the partition directory as `leader-epoch-checkpoint`:
 *   0                  <- version
 *   <count>
 *   <epoch> <startOffset>
 * Followers use it (through OffsetForLeaderEpoch) to find where their log diverges from the
 * leader's. Entries are strictly increasing in both epoch and start offset. The file is written
 * only when an entry is added or truncated away (once per leadership change, not per append).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from '../storage/checkpoint.js';
import { StorageIoError } from '../storage/errors.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

export class LeaderEpochFileCache {
  private entries: EpochEntry[];
  private path: string | null;

  /** `dir` is the partition directory (null: kept in memory only, for the memory engine). */
  constructor(dir: string | null) {
    this.path = dir === null ? null : join(dir, LEADER_EPOCH_CHECKPOINT);
    this.entries = this.path === null ? [] : readEpochCheckpoint(this.path);
  }

  /** Whether a checkpoint existed (false: rebuild from the log's batches). */
  /** The partition's log moved to `dir` (AlterReplicaLogDirs): the checkpoint is written there from now on. */
  relocate(dir: string | null): void {
    this.path = dir === null ? null : join(dir, LEADER_EPOCH_CHECKPOINT);
    this.persist();
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  get epochEntries(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign). Entries that a new epoch
   * contradicts (same or larger epoch, same or larger start) are dropped first.
   */
  assign(epoch: number, startOffset: bigint): void {
    if (!this.assignInMemory(epoch, startOffset)) return;
    // Without an fsync, as Kafka since KAFKA-15046: a new epoch is written at every leadership
    // change of every partition (20,000 fsyncs when a broker creates or leads 20,000 partitions),
    // and an epoch lost to a power failure comes back from the batches' leader epochs.
    this.persist(false);
  }

  /** assign() without writing the file (batch rebuilds write once at the end). */
  assignInMemory(epoch: number, startOffset: bigint): boolean {
    if (epoch < 0) return false;
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= requested and the offset where the next epoch
   * starts (the log end for the latest epoch); (UNDEFINED_EPOCH, -1) when nothing is known.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    if (requestedEpoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.latestEpoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const floor = higher === 0 ? undefined : this.entries[higher - 1];
    return { epoch: floor === undefined ? requestedEpoch : floor.epoch, endOffset: this.entries[higher]!.startOffset };
  }

  /** The log was truncated to end at `endOffset`: epochs that started at or after it are gone. */
  truncateFromEnd(endOffset: bigint): void {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    // No fsync (Kafka's truncateFromEndAsyncFlush): stale entries past the log end that a crash
    // leaves in the file are cut again when the partition is next opened.
    this.persist(false);
  }

  /** The log start moved to `startOffset`: the epoch covering it now starts there. */
  truncateFromStart(startOffset: bigint): void {
    let firstKept = 0;
    while (firstKept + 1 < this.entries.length && this.entries[firstKept + 1]!.startOffset <= startOffset) firstKept++;
    const first = this.entries[firstKept];
    if (first === undefined || (firstKept === 0 && first.startOffset >= startOffset)) return;
    this.entries = [{ epoch: first.epoch, startOffset: first.startOffset < startOffset ? startOffset : first.startOffset }, ...this.entries.slice(firstKept + 1)];
    this.persist();
  }

  /** Forgets everything (truncateFullyAndStartAt). */
  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.persist();
  }

  persist(sync = true): void {
    if (this.path === null) return;
    let text = `0\n${this.entries.length}\n`;
    for (const e of this.entries) text += `${e.epoch} ${e.startOffset}\n`;
    writeFileDurably(this.path, text, sync);
  }
}

export function readEpochCheckpoint(path: string): EpochEntry[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  if (text === '') return []; // written without an fsync and lost to a power failure: rebuilt from the log
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '0') throw new StorageIoError(`unsupported leader epoch checkpoint version in ${path}: ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new StorageIoError(`malformed leader epoch checkpoint ${path}`);
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const m = /^(\d+) (\d+)$/.exec((lines[2 + i] ?? '').trim());
    if (m === null) throw new StorageIoError(`malformed line ${i + 3} in ${path}`);
    out.push({ epoch: Number(m[1]), startOffset: BigInt(m[2]!) });
  }
  return out;
}
