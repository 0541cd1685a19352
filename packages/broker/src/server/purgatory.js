export class Purgatory {
    clock;
    watchers = new Map();
    entries = new Set();
    constructor(clock) {
        this.clock = clock;
    }
    /** Operations currently waiting. */
    get size() {
        return this.entries.size;
    }
    /** Number of operations watching a key. */
    watching(key) {
        return this.watchers.get(key)?.size ?? 0;
    }
    watch(op, keys, timeoutMs) {
        const entry = { op, keys, timer: null, done: false };
        this.entries.add(entry);
        for (const k of keys) {
            let set = this.watchers.get(k);
            if (set === undefined)
                this.watchers.set(k, (set = new Set()));
            set.add(entry);
        }
        entry.timer = this.clock.setTimeout(() => this.finish(entry, 'expired'), Math.max(0, timeoutMs));
    }
    /** An append (or other change) on `key`: gives each waiting operation the chance to complete. */
    notify(key, bytes) {
        const set = this.watchers.get(key);
        if (set === undefined)
            return;
        for (const entry of [...set]) {
            if (entry.done)
                continue;
            let ready;
            try {
                ready = entry.op.onUpdate(key, bytes);
            }
            catch {
                ready = true;
            }
            if (ready)
                this.finish(entry, 'satisfied');
        }
    }
    /** Completes everything (broker shutdown). */
    shutdown() {
        for (const e of [...this.entries])
            this.finish(e, 'shutdown');
    }
    finish(entry, reason) {
        if (entry.done)
            return;
        entry.done = true;
        if (entry.timer !== null)
            this.clock.clearTimeout(entry.timer);
        this.entries.delete(entry);
        for (const k of entry.keys) {
            const set = this.watchers.get(k);
            if (set === undefined)
                continue;
            set.delete(entry);
            if (set.size === 0)
                this.watchers.delete(k);
        }
        entry.op.complete(reason);
    }
}
export function partitionKey(topic, partition) {
    return `${topic}\u0000${partition}`;
}
//# sourceMappingURL=purgatory.js.map