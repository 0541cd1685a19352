/** Seeded fault schedules: the same seed gives the same faults, targets, times and durations. */
import { prng } from '../fuzz/structured-fuzz.js';

export type FaultKind =
  | 'kill' | 'pause' | 'isolate' | 'partition-brokers' | 'one-way-to-brokers' | 'cut-from-store' | 'cut-then-kill'
  | 'clock-skew'
  | 'zk-kill' | 'zk-pause' | 'zk-leader-kill' | 'zk-leader-pause' | 'zk-quorum-loss'
  | 'loss-between-brokers' | 'delay-between-brokers'
  | 'txn-kill';
/**
 * The default mix. The other kinds are opt-in (`--kinds`), so that the seeds of earlier soaks
 * keep their schedules: `cut-then-kill` (cut from the other brokers, then kill -9 before the
 * ISR shrinks), the clock, ZooKeeper-member and packet kinds, and `txn-kill` (which also turns
 * on the transactional workload).
 */
export const FAULT_KINDS: FaultKind[] = ['kill', 'pause', 'isolate', 'partition-brokers', 'one-way-to-brokers', 'cut-from-store'];
export const ZK_FAULT_KINDS: FaultKind[] = ['zk-kill', 'zk-pause', 'zk-leader-kill', 'zk-leader-pause', 'zk-quorum-loss'];
export const ALL_FAULT_KINDS: FaultKind[] = [...FAULT_KINDS, 'cut-then-kill', 'clock-skew', ...ZK_FAULT_KINDS, 'loss-between-brokers', 'delay-between-brokers', 'txn-kill'];
/** How long `cut-then-kill` keeps the broker cut off before the kill: under replica.lag.time.max.ms. */
export const CUT_BEFORE_KILL_MS = 1500;

export interface ScheduledFault {
  kind: FaultKind;
  /** The broker, or for the ZooKeeper kinds the ensemble member (1-3). */
  broker: number;
  /** ms after the workload starts. */
  atMs: number;
  durationMs: number;
  /**
   * The fault's size, from a stream of its own (so the kinds of earlier soaks keep their
   * schedules): minutes of clock skew, percent of packets lost, ms of delay.
   */
  amount: number;
}

/** The size of a fault of `kind`, from `r` in [0, 1). */
function amountFor(kind: FaultKind, r: number): number {
  switch (kind) {
    case 'clock-skew':
      // 2-10 minutes, forward or backward.
      return (r < 0.5 ? 1 : -1) * (2 + Math.floor((r * 2 % 1) * 9));
    case 'loss-between-brokers':
      return 10 + Math.floor(r * 31); // percent
    case 'delay-between-brokers':
      return 50 + Math.floor(r * 451); // ms
    default:
      return 0;
  }
}

/** One to `maxFaults` faults one after another, each healed before the next, inside `windowMs`. */
export function scheduleFor(seed: number, brokers: number, windowMs: number, sessionTimeoutMs: number, maxFaults = 2, kinds: FaultKind[] = FAULT_KINDS): ScheduledFault[] {
  const rnd = prng(seed);
  const sizes = prng(seed ^ 0x5eed5);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const count = 1 + Math.floor(rnd() * maxFaults);
  const faults: ScheduledFault[] = [];
  let at = 1500 + Math.floor(rnd() * 1000);
  for (let i = 0; i < count && at < windowMs; i++) {
    const kind = pick(kinds);
    // A pause outlasts the session timeout (a GC-like stall the store notices); the others 2-6 s.
    const durationMs = kind === 'pause' ? sessionTimeoutMs + 1000 + Math.floor(rnd() * 1500) : 2000 + Math.floor(rnd() * 4000);
    faults.push({ kind, broker: 1 + Math.floor(rnd() * brokers), atMs: at, durationMs, amount: amountFor(kind, sizes()) });
    at += durationMs + 1500 + Math.floor(rnd() * 1500);
  }
  return faults;
}
