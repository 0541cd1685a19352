export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** Sessions unused this long may be evicted for a new one (Kafka: 2 minutes). */
export const EVICTION_AGE_MS = 120_000;
export class FetchSession {
    id;
    epoch;
    usesTopicIds;
    /** Insertion-ordered: the response lists partitions in this order. */
    partitions = new Map();
    lastUsedMs;
    constructor(id, epoch, nowMs, usesTopicIds) {
        this.id = id;
        this.epoch = epoch;
        this.usesTopicIds = usesTopicIds;
        this.lastUsedMs = nowMs;
    }
}
export function sessionPartitionKey(topicOrId, partition) {
    return `${topicOrId}:${partition}`;
}
export class FetchSessionCache {
    maxSlots;
    clock;
    sessions = new Map();
    constructor(maxSlots, clock) {
        this.maxSlots = maxSlots;
        this.clock = clock;
    }
    get size() {
        return this.sessions.size;
    }
    get(id) {
        return this.sessions.get(id);
    }
    /**
     * Resolves a fetch request's (sessionId, epoch) to what the fetch should do. Full fetches
     * with epoch 0 create a session when a slot is free (or one can be evicted).
     */
    lookup(sessionId, epoch, usesTopicIds, isFromFollower = false) {
        const now = this.clock.now();
        if (epoch === FINAL_EPOCH) {
            if (sessionId !== 0)
                this.sessions.delete(sessionId);
            return { kind: 'sessionless' };
        }
        if (epoch === INITIAL_EPOCH) {
            if (sessionId !== 0)
                this.sessions.delete(sessionId);
            return { kind: 'new', session: this.create(now, usesTopicIds, isFromFollower) };
        }
        const s = this.sessions.get(sessionId);
        if (s === undefined)
            return { kind: 'error', error: 'FETCH_SESSION_ID_NOT_FOUND' };
        if (s.epoch !== epoch)
            return { kind: 'error', error: 'INVALID_FETCH_SESSION_EPOCH' };
        if (s.usesTopicIds !== usesTopicIds)
            return { kind: 'error', error: 'FETCH_SESSION_TOPIC_ID_ERROR' };
        s.lastUsedMs = now;
        return { kind: 'incremental', session: s };
    }
    /** Called once the response for the session's current epoch is built. */
    advance(s) {
        s.epoch = s.epoch >= 0x7fffffff ? 1 : s.epoch + 1;
    }
    remove(id) {
        this.sessions.delete(id);
    }
    create(now, usesTopicIds, _isFromFollower) {
        if (this.maxSlots <= 0)
            return null;
        if (this.sessions.size >= this.maxSlots) {
            // Evict the least recently used session if it has been idle long enough.
            let lru;
            for (const s of this.sessions.values())
                if (lru === undefined || s.lastUsedMs < lru.lastUsedMs)
                    lru = s;
            if (lru === undefined || now - lru.lastUsedMs < EVICTION_AGE_MS)
                return null;
            this.sessions.delete(lru.id);
        }
        let id;
        do
            id = 1 + Math.floor(Math.random() * 0x7ffffffe);
        while (this.sessions.has(id));
        const s = new FetchSession(id, 1, now, usesTopicIds);
        this.sessions.set(id, s);
        return s;
    }
}
//# sourceMappingURL=fetch-session-cache.js.map