/**
 * What the request router asks the security module around each request of a listener:
 * `before` (the SASL gate and legacy tokens, see ListenerAuthenticator.intercept),
 * `muteDelayMs` (a throttled connection's next requests wait, Kafka's channel muting), and
 * `after` (quota accounting: Produce request bytes against producer_byte_rate, Fetch record
 * bytes against consumer_byte_rate, handler time against request_percentage; the throttle
 * time, or a handler's own (controller_mutation_rate), goes into the response's
 * throttle_time_ms and mutes the connection that long).
 */
import { ApiKey } from '@samsa/protocol';
import type { Connection, DispatchResult } from '../server/connection.js';
import type { Clock } from '../util/clock.js';
import type { ListenerAuthenticator } from './authenticator.js';
import type { QuotaManager } from './quotas.js';

const UNTHROTTLED: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

interface FetchLike {
  responses?: Array<{ partitions?: Array<{ records?: Buffer | null }> }>;
}

export class RequestGate {
  private readonly mutedUntil = new WeakMap<Connection, number>();

  constructor(
    private readonly authenticator: ListenerAuthenticator,
    private readonly quotas: QuotaManager,
    private readonly clock: Clock,
  ) {}

  before(frame: Buffer, apiKey: number, conn: Connection): DispatchResult | Promise<DispatchResult> | undefined {
    return this.authenticator.sasl ? this.authenticator.intercept(frame, apiKey, conn) : undefined;
  }

  /** Whether requests are accounted (some quota is configured); the router times handlers only then. */
  get accounting(): boolean {
    return this.quotas.active;
  }

  /** How long the connection's next request must wait (0 = not muted). */
  muteDelayMs(conn: Connection): number {
    const until = this.mutedUntil.get(conn);
    if (until === undefined) return 0;
    const wait = until - this.clock.now();
    if (wait <= 0) this.mutedUntil.delete(conn);
    return Math.max(0, wait);
  }

  /** Accounts a completed request; sets throttleTimeMs on the response and mutes the connection when over quota. */
  after(apiKey: number, conn: Connection, clientId: string, frameBytes: number, handlerMs: number, response: unknown): void {
    if (UNTHROTTLED.has(apiKey)) return;
    const user = this.authenticator.session(conn).principal.name;
    let throttle = 0;
    if (apiKey === ApiKey.Produce) throttle = this.quotas.record('producer_byte_rate', user, clientId, frameBytes);
    else if (apiKey === ApiKey.Fetch) throttle = this.quotas.record('consumer_byte_rate', user, clientId, fetchedBytes(response as FetchLike));
    throttle = Math.max(throttle, this.quotas.record('request_percentage', user, clientId, handlerMs));
    // A handler's own throttle (controller_mutation_rate) mutes the connection too.
    const withThrottle = response !== null && typeof response === 'object' && 'throttleTimeMs' in response ? (response as { throttleTimeMs: number }) : null;
    throttle = Math.max(throttle, withThrottle?.throttleTimeMs ?? 0);
    if (throttle <= 0) return;
    if (withThrottle !== null) withThrottle.throttleTimeMs = throttle;
    this.mutedUntil.set(conn, Math.max(this.mutedUntil.get(conn) ?? 0, this.clock.now() + throttle));
  }
}

function fetchedBytes(res: FetchLike | null): number {
  let n = 0;
  for (const t of res?.responses ?? []) for (const p of t.partitions ?? []) n += p.records?.length ?? 0;
  return n;
}
