/**
 * Time source for everything time-dependent in the broker (long polls, idle timeouts,
 * retention), so tests drive time with FakeClock instead of sleeping.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Wall-clock time (Date.now): timestamps, and whatever Kafka measures on the wall clock. */
  now(): number;
  /**
   * Milliseconds that only move forward (performance.now on the system clock), for delays and
   * backoffs: a wall clock stepped back by NTP or an operator must not stretch a 1 s backoff into
   * minutes. Missing: `now()` serves.
   */
  monotonic?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

interface SystemTimer extends TimerHandle {
  timer: NodeJS.Timeout;
}

export class SystemClock implements Clock {
  private nextId = 1;
  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    const h: SystemTimer = { id: this.nextId++, timer };
    return h;
  }
  clearTimeout(handle: TimerHandle): void {
    clearTimeout((handle as SystemTimer).timer);
  }
}

export const systemClock: Clock = new SystemClock();

interface FakeTimer extends TimerHandle {
  due: number;
  fn: () => void;
}

/** A manual clock: timers fire only inside advance(), in due order. */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
    this.timers.push(t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.indexOf(handle as FakeTimer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Pending timers (for assertions). */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing every timer that falls due, including ones scheduled meanwhile. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timers) if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      if (next === undefined) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = target;
  }
}
