/** Window specifications of windowed aggregations and stream-stream joins, as Kafka's. */

export interface TimeWindow {
  start: number;
  end: number;
}

/** Fixed-size windows: tumbling (advance = size) or hopping (advance < size); end exclusive. */
export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {
    if (!(sizeMs > 0)) throw new Error('Window size (sizeMs) must be larger than zero.');
    if (!(advanceMs > 0 && advanceMs <= sizeMs)) throw new Error(`Window advancement interval should be more than zero and less than window duration which is ${sizeMs} ms, but given advancement interval is: ${advanceMs} ms`);
    if (graceMs < 0) throw new Error('Grace period must not be negative.');
  }

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, 0);
  }

  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /** Hopping windows. */
  advanceBy(advanceMs: number): TimeWindows {
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** Every window containing `timestamp`, oldest first. */
  windowsFor(timestamp: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    let start = Math.max(0, timestamp - this.sizeMs + this.advanceMs) - (Math.max(0, timestamp - this.sizeMs + this.advanceMs) % this.advanceMs);
    for (; start <= timestamp; start += this.advanceMs) out.push({ start, end: start + this.sizeMs });
    return out;
  }
}

/**
 * Sliding windows (KIP-450): windows of `timeDifferenceMs` that end at a record (inclusive
 * bounds [t - d, t]), created and updated as records arrive.
 */
export class SlidingWindows {
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {
    if (timeDifferenceMs < 0 || graceMs < 0) throw new Error('Window time difference and grace must not be negative.');
  }

  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(timeDifferenceMs, graceMs);
  }
}

/** Session windows: records of a key closer than the inactivity gap share a session. */
export class SessionWindows {
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {
    if (!(inactivityGapMs > 0)) throw new Error('Gap time cannot be zero or negative.');
    if (graceMs < 0) throw new Error('Grace period must not be negative.');
  }

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return new SessionWindows(gapMs, 0);
  }

  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(gapMs, graceMs);
  }
}

/** Stream-stream join windows: records join when |t1 - t2| is within before/after. */
export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {
    if (beforeMs + afterMs < 0) throw new Error('Window interval (ie, beforeMs+afterMs) must not be negative.');
  }

  static ofTimeDifferenceWithNoGrace(diffMs: number): JoinWindows {
    return new JoinWindows(diffMs, diffMs, 0);
  }

  static ofTimeDifferenceAndGrace(diffMs: number, graceMs: number): JoinWindows {
    return new JoinWindows(diffMs, diffMs, graceMs);
  }

  before(ms: number): JoinWindows {
    return new JoinWindows(ms, this.afterMs, this.graceMs);
  }

  after(ms: number): JoinWindows {
    return new JoinWindows(this.beforeMs, ms, this.graceMs);
  }
}
