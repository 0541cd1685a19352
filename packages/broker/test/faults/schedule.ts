/** Seeded fault schedules: the same seed gives the same faults, targets, times and durations. */
import { prng } from '../fuzz/structured-fuzz.js';

export type FaultKind = 'kill' | 'pause' | 'isolate' | 'partition-brokers' | 'one-way-to-brokers' | 'cut-from-store' | 'cut-then-kill';
/**
 * The default mix. `cut-then-kill` (cut from the other brokers, then kill -9 before the ISR
 * shrinks) is opt-in (`--kinds`), so that the seeds of earlier soaks keep their schedules.
 */
export const FAULT_KINDS: FaultKind[] = ['kill', 'pause', 'isolate', 'partition-brokers', 'one-way-to-brokers', 'cut-from-store'];
export const ALL_FAULT_KINDS: FaultKind[] = [...FAULT_KINDS, 'cut-then-kill'];
/** How long `cut-then-kill` keeps the broker cut off before the kill: under replica.lag.time.max.ms. */
export const CUT_BEFORE_KILL_MS = 1500;

export interface ScheduledFault {
  kind: FaultKind;
  broker: number;
  /** ms after the workload starts. */
  atMs: number;
  durationMs: number;
}


/** One to `maxFaults` faults one after another, each healed before the next, inside `windowMs`. */
export function scheduleFor(seed: number, brokers: number, windowMs: number, sessionTimeoutMs: number, maxFaults = 2, kinds: FaultKind[] = FAULT_KINDS): ScheduledFault[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const count = 1 + Math.floor(rnd() * maxFaults);
  const faults: ScheduledFault[] = [];
  let at = 1500 + Math.floor(rnd() * 1000);
  for (let i = 0; i < count && at < windowMs; i++) {
    const kind = pick(kinds);
    // A pause outlasts the session timeout (a GC-like stall the store notices); the others 2-6 s.
    const durationMs = kind === 'pause' ? sessionTimeoutMs + 1000 + Math.floor(rnd() * 1500) : 2000 + Math.floor(rnd() * 4000);
    faults.push({ kind, broker: 1 + Math.floor(rnd() * brokers), atMs: at, durationMs });
    at += durationMs + 1500 + Math.floor(rnd() * 1500);
  }
  return faults;
}
