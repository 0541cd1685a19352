export class SystemClock {
    nextId = 1;
    now() {
        return Date.now();
    }
    setTimeout(fn, ms) {
        const timer = setTimeout(fn, ms);
        timer.unref?.();
        const h = { id: this.nextId++, timer };
        return h;
    }
    clearTimeout(handle) {
        clearTimeout(handle.timer);
    }
}
export const systemClock = new SystemClock();
/** A manual clock: timers fire only inside advance(), in due order. */
export class FakeClock {
    time;
    nextId = 1;
    timers = [];
    constructor(startMs = 1_700_000_000_000) {
        this.time = startMs;
    }
    now() {
        return this.time;
    }
    setTimeout(fn, ms) {
        const t = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
        this.timers.push(t);
        return t;
    }
    clearTimeout(handle) {
        const i = this.timers.indexOf(handle);
        if (i >= 0)
            this.timers.splice(i, 1);
    }
    /** Pending timers (for assertions). */
    get pendingTimers() {
        return this.timers.length;
    }
    /** Moves time forward, firing every timer that falls due, including ones scheduled meanwhile. */
    advance(ms) {
        const target = this.time + ms;
        for (;;) {
            let next;
            for (const t of this.timers)
                if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id)))
                    next = t;
            if (next === undefined)
                break;
            this.timers.splice(this.timers.indexOf(next), 1);
            this.time = Math.max(this.time, next.due);
            next.fn();
        }
        this.time = target;
    }
}
//# sourceMappingURL=clock.js.map