/**
 * Incremental fetch sessions (KIP-227). A client opens a session with a full fetch (epoch 0);
 * later fetches (epoch 1, 2, ...) send only changed partitions and get back only partitions
 * with news (records, a moved high watermark / log start offset, or an error).
 */
import type { Clock } from '../util/clock.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** Sessions unused this long may be evicted for a new one (Kafka: 2 minutes). */
export const EVICTION_AGE_MS = 120_000;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** What the last response told the client, to decide whether this one must mention it. */
  lastHighWatermark: bigint;
  lastLastStableOffset: bigint;
  lastLogStartOffset: bigint;
}

export class FetchSession {
  /** Insertion-ordered: the response lists partitions in this order. */
  readonly partitions = new Map<string, SessionPartition>();
  lastUsedMs: number;
  constructor(readonly id: number, public epoch: number, nowMs: number, readonly usesTopicIds: boolean) {
    this.lastUsedMs = nowMs;
  }
}

export type SessionLookup =
  | { kind: 'sessionless' }
  | { kind: 'new'; session: FetchSession | null }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; error: 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH' | 'FETCH_SESSION_TOPIC_ID_ERROR' };

export function sessionPartitionKey(topicOrId: string, partition: number): string {
  return `${topicOrId}:${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(private readonly maxSlots: number, private readonly clock: Clock) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * Resolves a fetch request's (sessionId, epoch) to what the fetch should do. Full fetches
   * with epoch 0 create a session when a slot is free (or one can be evicted).
   */
  lookup(sessionId: number, epoch: number, usesTopicIds: boolean, isFromFollower = false): SessionLookup {
    const now = this.clock.now();
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'new', session: this.create(now, usesTopicIds, isFromFollower) };
    }
    const s = this.sessions.get(sessionId);
    if (s === undefined) return { kind: 'error', error: 'FETCH_SESSION_ID_NOT_FOUND' };
    if (s.epoch !== epoch) return { kind: 'error', error: 'INVALID_FETCH_SESSION_EPOCH' };
    if (s.usesTopicIds !== usesTopicIds) return { kind: 'error', error: 'FETCH_SESSION_TOPIC_ID_ERROR' };
    s.lastUsedMs = now;
    return { kind: 'incremental', session: s };
  }

  /** Called once the response for the session's current epoch is built. */
  advance(s: FetchSession): void {
    s.epoch = s.epoch >= 0x7fffffff ? 1 : s.epoch + 1;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  private create(now: number, usesTopicIds: boolean, _isFromFollower: boolean): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    if (this.sessions.size >= this.maxSlots) {
      // Evict the least recently used session if it has been idle long enough.
      let lru: FetchSession | undefined;
      for (const s of this.sessions.values()) if (lru === undefined || s.lastUsedMs < lru.lastUsedMs) lru = s;
      if (lru === undefined || now - lru.lastUsedMs < EVICTION_AGE_MS) return null;
      this.sessions.delete(lru.id);
    }
    let id: number;
    do id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    while (this.sessions.has(id));
    const s = new FetchSession(id, 1, now, usesTopicIds);
    this.sessions.set(id, s);
    return s;
  }
}
