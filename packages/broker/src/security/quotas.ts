/**
 * Client quotas as Kafka's ClientQuotaManager: producer_byte_rate, consumer_byte_rate and
 * request_percentage per (user, client-id) with Kafka's precedence over the configured
 * entities and defaults, measured over quota.window.num windows of
 * quota.window.size.seconds. A client over its quota gets throttle_time_ms = how long it
 * must stay quiet for its rate to fall back to the quota; the broker answers at once with that
 * time and holds the connection's next requests until it has passed (channel muting, KIP-219).
 */
import type { Clock } from '../util/clock.js';
import { DEFAULT_ENTITY, type EntityConfigStore } from './entity-configs.js';

export type QuotaType = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage' | 'controller_mutation_rate';
export const CLIENT_QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;

/** A sampled rate: values summed per window, averaged over the elapsed span of the kept windows. */
class Rate {
  private readonly windows: Array<{ start: number; value: number }> = [];

  constructor(private readonly windowMs: number, private readonly numWindows: number) {}

  record(value: number, now: number): void {
    const last = this.windows[this.windows.length - 1];
    if (last === undefined || now - last.start >= this.windowMs) {
      this.windows.push({ start: now, value });
      while (this.windows.length > this.numWindows) this.windows.shift();
    } else {
      last.value += value;
    }
  }

  /** Units per second over the windows, as Kafka's Rate: the span is at least (numWindows-1) windows. */
  perSecond(now: number): number {
    this.expire(now);
    if (this.windows.length === 0) return 0;
    let total = 0;
    for (const w of this.windows) total += w.value;
    const elapsed = Math.max(now - this.windows[0]!.start, (this.numWindows - 1) * this.windowMs);
    return (total * 1000) / elapsed;
  }

  /** The span the rate is measured over (ms). */
  span(now: number): number {
    this.expire(now);
    if (this.windows.length === 0) return this.windowMs;
    return Math.max(now - this.windows[0]!.start, (this.numWindows - 1) * this.windowMs);
  }

  private expire(now: number): void {
    while (this.windows.length > 0 && now - this.windows[0]!.start > this.windowMs * this.numWindows) this.windows.shift();
  }
}

export class QuotaManager {
  private readonly rates = new Map<string, Rate>();
  private resolved = new Map<string, number | null>();
  /** Whether any quota is configured at all (no accounting otherwise). */
  active = false;

  constructor(
    private readonly entities: EntityConfigStore,
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly numWindows: number,
  ) {
    entities.onChange(() => this.refresh());
  }

  /** Forgets resolved quotas (the entity configs changed). */
  refresh(): void {
    this.resolved = new Map();
    this.active = false;
    for (const [, configs] of this.entities.entries()) {
      for (const k of configs.keys()) if ((CLIENT_QUOTA_KEYS as readonly string[]).includes(k)) this.active = true;
    }
  }

  /** Kafka's precedence: user+client, user+default client, user, default user+client, ..., client, default client. */
  quota(type: QuotaType, user: string, clientId: string): number | null {
    const cacheKey = `${type}\u0000${user}\u0000${clientId}`;
    const hit = this.resolved.get(cacheKey);
    if (hit !== undefined) return hit;
    const candidates: Array<{ user: string | null; clientId: string | null }> = [
      { user, clientId }, { user, clientId: DEFAULT_ENTITY }, { user, clientId: null },
      { user: DEFAULT_ENTITY, clientId }, { user: DEFAULT_ENTITY, clientId: DEFAULT_ENTITY }, { user: DEFAULT_ENTITY, clientId: null },
      { user: null, clientId }, { user: null, clientId: DEFAULT_ENTITY },
    ];
    let value: number | null = null;
    for (const e of candidates) {
      const v = this.entities.configs(e).get(type);
      if (v !== undefined) {
        value = Number(v);
        break;
      }
    }
    this.resolved.set(cacheKey, value);
    return value;
  }

  /**
   * Records usage (bytes, or request handling time in ms for request_percentage) and returns
   * the throttle time in ms (0 when within quota).
   */
  record(type: QuotaType, user: string, clientId: string, amount: number): number {
    const quota = this.quota(type, user, clientId);
    if (quota === null) return 0;
    // request_percentage is a share of one thread: n% = n/100 ms of handling per ms.
    const bound = type === 'request_percentage' ? (quota / 100) * 1000 : quota;
    const key = `${type}\u0000${user}\u0000${clientId}`;
    let rate = this.rates.get(key);
    if (rate === undefined) {
      rate = new Rate(this.windowMs, this.numWindows);
      this.rates.set(key, rate);
    }
    const now = this.clock.now();
    rate.record(amount, now);
    const observed = rate.perSecond(now);
    if (observed <= bound) return 0;
    // Kafka's QuotaUtils.throttleTime: how long until the rate over the window drops to the bound.
    const throttle = ((observed - bound) / bound) * rate.span(now);
    return Math.min(Math.round(throttle), this.windowMs * this.numWindows);
  }
}

/**
 * controller_mutation_rate (KIP-599): partitions created or deleted per second, as a token
 * bucket holding quota x quota.window.num x quota.window.size.seconds tokens. Strict requests
 * (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+) are refused with
 * THROTTLING_QUOTA_EXCEEDED while the bucket is empty; older versions are always accepted and
 * only throttled. The throttle time is how long the bucket needs to refill to zero.
 */
export class MutationQuota {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly quotas: QuotaManager, private readonly clock: Clock, private readonly burstSeconds: number) {}

  /** Records `partitions` mutations unless refused; returns whether accepted and the throttle time. */
  record(user: string, clientId: string, partitions: number, strict: boolean): { accepted: boolean; throttleMs: number } {
    const rate = this.quotas.quota('controller_mutation_rate', user, clientId);
    if (rate === null) return { accepted: true, throttleMs: 0 };
    const key = `${user}\u0000${clientId}`;
    const now = this.clock.now();
    const burst = rate * this.burstSeconds;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(key, b);
    const throttle = (): number => (b.tokens < 0 ? Math.ceil((-b.tokens / rate) * 1000) : 0);
    if (strict && b.tokens < 0) return { accepted: false, throttleMs: throttle() };
    b.tokens -= partitions;
    return { accepted: true, throttleMs: throttle() };
  }
}
