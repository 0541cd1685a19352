/**
 * Time source for everything time-dependent in the broker (long polls, idle timeouts,
 * retention), so tests drive time with FakeClock instead of sleeping.
 */
export interface TimerHandle {
    readonly id: number;
}
export interface Clock {
    now(): number;
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clearTimeout(handle: TimerHandle): void;
}
export declare class SystemClock implements Clock {
    private nextId;
    now(): number;
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clearTimeout(handle: TimerHandle): void;
}
export declare const systemClock: Clock;
/** A manual clock: timers fire only inside advance(), in due order. */
export declare class FakeClock implements Clock {
    private time;
    private nextId;
    private timers;
    constructor(startMs?: number);
    now(): number;
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clearTimeout(handle: TimerHandle): void;
    /** Pending timers (for assertions). */
    get pendingTimers(): number;
    /** Moves time forward, firing every timer that falls due, including ones scheduled meanwhile. */
    advance(ms: number): void;
}
