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
export class LeaderEpochFileCache {
    entries;
    path;
    /** `dir` is the partition directory (null: kept in memory only, for the memory engine). */
    constructor(dir) {
        this.path = dir === null ? null : join(dir, LEADER_EPOCH_CHECKPOINT);
        this.entries = this.path === null ? [] : readEpochCheckpoint(this.path);
    }
    /** Whether a checkpoint existed (false: rebuild from the log's batches). */
    get isEmpty() {
        return this.entries.length === 0;
    }
    get epochEntries() {
        return this.entries;
    }
    get latestEpoch() {
        return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1].epoch;
    }
    /**
     * Records that `epoch` starts at `startOffset` (Kafka's assign). Entries that a new epoch
     * contradicts (same or larger epoch, same or larger start) are dropped first.
     */
    assign(epoch, startOffset) {
        if (!this.assignInMemory(epoch, startOffset))
            return;
        this.persist();
    }
    /** assign() without writing the file (batch rebuilds write once at the end). */
    assignInMemory(epoch, startOffset) {
        if (epoch < 0)
            return false;
        const latest = this.entries[this.entries.length - 1];
        if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= startOffset)
            return false;
        this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
        this.entries.push({ epoch, startOffset });
        return true;
    }
    /**
     * OffsetForLeaderEpoch: the largest epoch <= requested and the offset where the next epoch
     * starts (the log end for the latest epoch); (UNDEFINED_EPOCH, -1) when nothing is known.
     */
    endOffsetFor(requestedEpoch, logEndOffset) {
        if (requestedEpoch === UNDEFINED_EPOCH)
            return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
        if (this.latestEpoch === requestedEpoch)
            return { epoch: requestedEpoch, endOffset: logEndOffset };
        const higher = this.entries.findIndex((e) => e.epoch > requestedEpoch);
        if (higher < 0)
            return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
        const floor = higher === 0 ? undefined : this.entries[higher - 1];
        return { epoch: floor === undefined ? requestedEpoch : floor.epoch, endOffset: this.entries[higher].startOffset };
    }
    /** The log was truncated to end at `endOffset`: epochs that started at or after it are gone. */
    truncateFromEnd(endOffset) {
        const kept = this.entries.filter((e) => e.startOffset < endOffset);
        if (kept.length === this.entries.length)
            return;
        this.entries = kept;
        this.persist();
    }
    /** The log start moved to `startOffset`: the epoch covering it now starts there. */
    truncateFromStart(startOffset) {
        let firstKept = 0;
        while (firstKept + 1 < this.entries.length && this.entries[firstKept + 1].startOffset <= startOffset)
            firstKept++;
        const first = this.entries[firstKept];
        if (first === undefined || (firstKept === 0 && first.startOffset >= startOffset))
            return;
        this.entries = [{ epoch: first.epoch, startOffset: first.startOffset < startOffset ? startOffset : first.startOffset }, ...this.entries.slice(firstKept + 1)];
        this.persist();
    }
    /** Forgets everything (truncateFullyAndStartAt). */
    clear() {
        if (this.entries.length === 0)
            return;
        this.entries = [];
        this.persist();
    }
    persist() {
        if (this.path === null)
            return;
        let text = `0\n${this.entries.length}\n`;
        for (const e of this.entries)
            text += `${e.epoch} ${e.startOffset}\n`;
        writeFileDurably(this.path, text);
    }
}
export function readEpochCheckpoint(path) {
    if (!existsSync(path))
        return [];
    const lines = readFileSync(path, 'utf8').split('\n');
    if (lines[0]?.trim() !== '0')
        throw new StorageIoError(`unsupported leader epoch checkpoint version in ${path}: ${lines[0]}`);
    const count = Number(lines[1]);
    if (!Number.isInteger(count) || count < 0)
        throw new StorageIoError(`malformed leader epoch checkpoint ${path}`);
    const out = [];
    for (let i = 0; i < count; i++) {
        const m = /^(\d+) (\d+)$/.exec((lines[2 + i] ?? '').trim());
        if (m === null)
            throw new StorageIoError(`malformed line ${i + 3} in ${path}`);
        out.push({ epoch: Number(m[1]), startOffset: BigInt(m[2]) });
    }
    return out;
}
//# sourceMappingURL=leader-epoch-cache.js.map