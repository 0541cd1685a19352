/**
 * Offset syncs and offset translation, with Kafka's rules (OffsetSyncStore). Per source
 * partition it keeps up to 64 syncs, index 0 the latest, older ones spaced roughly
 * exponentially (index i lies within 2^i offsets of the latest and at least 2^(i-2) past the
 * next older one), so translation is precise near the live end and still possible far behind.
 *
 * Translation of a committed upstream offset uses the latest sync at or before it: the
 * downstream offset of that sync when they are equal, else one past it. It never translates
 * ahead of where the group really was, so a consumer that fails over re-reads at most the
 * records since that sync and skips none. Nothing is translated before the syncs topic has been
 * read to its end once; a group behind every sync kept translates to -1 (not usable).
 */
import { Admin, type ConsumerOptions } from '@samsa/client';
import { KafkaBasedLog } from '../kafka-log.js';
import { type OffsetSync, OffsetSyncFormat } from './mirror-records.js';

export const SYNCS_PER_PARTITION = 64;

const pow2 = (n: number): number => 2 ** n;

/** syncs[i] is recent enough relative to syncs[j] (i < j). */
function invariantB(iSync: OffsetSync, jSync: OffsetSync, i: number, j: number): boolean {
  return iSync === jSync || iSync.upstreamOffset <= jSync.upstreamOffset + pow2(j) - pow2(i);
}

/** syncs[i] is separated enough from syncs[j]. */
function invariantC(iSync: OffsetSync, jSync: OffsetSync, i: number): boolean {
  return iSync === jSync || iSync.upstreamOffset >= jSync.upstreamOffset + pow2(Math.max(i - 2, 0));
}

/** Applies a new sync to a partition's array (a fresh copy; `original` is not changed). */
export function updateSyncs(original: readonly OffsetSync[] | undefined, sync: OffsetSync, onlyKeepLatest: boolean): OffsetSync[] {
  if (original === undefined || onlyKeepLatest || sync.upstreamOffset < original[0]!.upstreamOffset) return new Array<OffsetSync>(SYNCS_PER_PARTITION).fill(sync);
  const syncs = [...original];
  let replacement = sync;
  let replacementIndex = 0;
  syncs[0] = replacement;
  for (let current = 1; current < SYNCS_PER_PARTITION; current++) {
    const previous = current - 1;
    let skip: boolean;
    // prefer keeping an older value from the original array when it satisfies every invariant here
    do {
      const old = original[replacementIndex]!;
      const recent = invariantB(syncs[previous]!, old, previous, current);
      const separatedFromPrevious = invariantC(syncs[previous]!, old, previous);
      const next = current + 1;
      const separatedFromNext = next >= SYNCS_PER_PARTITION || invariantC(old, syncs[next]!, current);
      const duplicate = replacementIndex + 1 < SYNCS_PER_PARTITION && old === original[replacementIndex + 1];
      const promote = recent && separatedFromPrevious && separatedFromNext;
      if (promote) replacement = old;
      skip = duplicate || !separatedFromPrevious;
      if (promote || skip) replacementIndex++;
    } while (replacementIndex < current && skip);
    if (invariantB(syncs[previous]!, syncs[current]!, previous, current)) break; // holds for the rest too
    syncs[current] = replacement;
  }
  return syncs;
}

/** The sync to translate from: the latest at or before the offset, else the oldest kept. */
function lookupLatestSync(syncs: readonly OffsetSync[], upstreamOffset: number): OffsetSync {
  for (const s of syncs) if (s.upstreamOffset <= upstreamOffset) return s;
  return syncs[SYNCS_PER_PARTITION - 1]!;
}

export class OffsetSyncStore {
  private readonly syncs = new Map<string, OffsetSync[]>();
  private readToEnd = false;
  private initializationMustReadToEnd = true;
  private log: KafkaBasedLog | null = null;
  private admin: Admin | null = null;

  /** Applies one sync as read from the topic. */
  handle(sync: OffsetSync): void {
    const key = `${sync.topic}\u0000${sync.partition}`;
    this.syncs.set(key, updateSyncs(this.syncs.get(key), sync, !this.readToEnd && this.initializationMustReadToEnd));
  }

  /** Reads the offset-syncs topic (partition 0) to its end and keeps following it. */
  async start(topic: string, consumer: Omit<ConsumerOptions, 'groupId'>, admin: Admin, initializationMustReadToEnd: boolean): Promise<void> {
    this.initializationMustReadToEnd = initializationMustReadToEnd;
    this.admin = admin;
    this.log = new KafkaBasedLog(topic, consumer, admin, null, (m) => {
      try {
        this.handle(OffsetSyncFormat.decode(m.key, m.value));
      } catch (err) {
        console.warn(`Ignored invalid offset sync at ${m.topic}-${m.partition}@${m.offset}: ${(err as Error).message}`);
      }
    }, (p) => p === 0);
    await this.log.start();
    this.readToEnd = true;
  }

  /** Marks the store read (for stores fed with handle() directly). */
  markReadToEnd(): void {
    this.readToEnd = true;
  }

  /** The downstream offset for a committed upstream offset; null when it cannot be translated (yet), -1 when too old. */
  translateDownstream(topic: string, partition: number, upstreamOffset: number): number | null {
    if (!this.readToEnd) return null;
    const syncs = this.syncs.get(`${topic}\u0000${partition}`);
    if (syncs === undefined) return null;
    const sync = lookupLatestSync(syncs, upstreamOffset);
    if (sync.upstreamOffset > upstreamOffset) return -1;
    // past the sync we only know the next record lands after its downstream offset
    return sync.downstreamOffset + (upstreamOffset === sync.upstreamOffset ? 0 : 1);
  }

  /** The distinct syncs kept for a partition, latest first. */
  syncsOf(topic: string, partition: number): OffsetSync[] {
    const s = this.syncs.get(`${topic}\u0000${partition}`) ?? [];
    return s.filter((x, i) => i === 0 || x !== s[i - 1]);
  }

  async stop(): Promise<void> {
    await this.log?.stop();
    await this.admin?.close().catch(() => {});
  }
}
