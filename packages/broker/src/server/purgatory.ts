/**
 * Delayed operations waiting on partitions (Kafka's DelayedOperationPurgatory, simplified):
 * a long-poll fetch watches the partitions it reads and completes when enough bytes were
 * appended to them, or when its timer (from the injected clock) fires.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export interface DelayedOperation {
  /** Called when `key` changed (bytes appended); returns true when the operation can complete now. */
  onUpdate(key: string, bytes: number): boolean;
  /** Runs exactly once: after onUpdate returned true, on expiry, or on purgatory shutdown. */
  complete(reason: 'satisfied' | 'expired' | 'shutdown'): void;
}

interface Entry {
  op: DelayedOperation;
  keys: readonly string[];
  timer: TimerHandle | null;
  done: boolean;
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Entry>>();
  private readonly entries = new Set<Entry>();

  constructor(private readonly clock: Clock) {}

  /** Operations currently waiting. */
  get size(): number {
    return this.entries.size;
  }

  /** Number of operations watching a key. */
  watching(key: string): number {
    return this.watchers.get(key)?.size ?? 0;
  }

  watch(op: DelayedOperation, keys: readonly string[], timeoutMs: number): void {
    const entry: Entry = { op, keys, timer: null, done: false };
    this.entries.add(entry);
    for (const k of keys) {
      let set = this.watchers.get(k);
      if (set === undefined) this.watchers.set(k, (set = new Set()));
      set.add(entry);
    }
    entry.timer = this.clock.setTimeout(() => this.finish(entry, 'expired'), Math.max(0, timeoutMs));
  }

  /** An append (or other change) on `key`: gives each waiting operation the chance to complete. */
  notify(key: string, bytes: number): void {
    const set = this.watchers.get(key);
    if (set === undefined) return;
    for (const entry of [...set]) {
      if (entry.done) continue;
      let ready: boolean;
      try {
        ready = entry.op.onUpdate(key, bytes);
      } catch {
        ready = true;
      }
      if (ready) this.finish(entry, 'satisfied');
    }
  }

  /** Completes everything (broker shutdown). */
  shutdown(): void {
    for (const e of [...this.entries]) this.finish(e, 'shutdown');
  }

  private finish(entry: Entry, reason: 'satisfied' | 'expired' | 'shutdown'): void {
    if (entry.done) return;
    entry.done = true;
    if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
    this.entries.delete(entry);
    for (const k of entry.keys) {
      const set = this.watchers.get(k);
      if (set === undefined) continue;
      set.delete(entry);
      if (set.size === 0) this.watchers.delete(k);
    }
    entry.op.complete(reason);
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
