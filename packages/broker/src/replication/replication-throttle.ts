/**
 * Replication throttles (Kafka's ReplicationQuotaManager): the bytes of throttled replicas'
 * replication traffic are measured over replication.quota.window.num windows of
 * replication.quota.window.size.seconds (Kafka's 11 x 1 s); while the rate is above
 * leader|follower.replication.throttled.rate, the leader sends throttled partitions no data and
 * the follower leaves them out of its fetches. A partition is throttled on this broker when the
 * topic's leader|follower.replication.throttled.replicas lists "partition:thisBroker" or is "*".
 * Each 1 s window is also capped at the rate: Kafka's Rate alone lets ten windows' worth through
 * at once whenever its 10 s minimum span or an expiring sample leaves room, which in real time
 * moves a backlog in bursts far above the throttle over any few seconds.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataImage } from '../metadata/image.js';

const WINDOW_MS = 1000;
const WINDOWS = 11;

export class ReplicationThrottle {
  private readonly samples: Array<{ start: number; bytes: number }> = [];

  constructor(
    private readonly kind: 'leader' | 'follower',
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly image: () => MetadataImage,
    private readonly now: () => number,
  ) {}

  private get bound(): number {
    return Number(this.config.long(`${this.kind}.replication.throttled.rate`));
  }

  /** Whether this partition's replication traffic on this broker is throttled. */
  applies(topic: string, partition: number): boolean {
    if (this.bound >= Number.MAX_SAFE_INTEGER) return false;
    const list = this.image().topic(topic)?.configs.get(`${this.kind}.replication.throttled.replicas`);
    if (list === undefined || list.trim() === '') return false;
    if (list.trim() === '*') return true;
    const entry = `${partition}:${this.nodeId}`;
    return list.split(',').some((e) => e.trim() === entry);
  }

  record(bytes: number): void {
    const now = this.now();
    const last = this.samples.at(-1);
    if (last !== undefined && now - last.start < WINDOW_MS) last.bytes += bytes;
    else this.samples.push({ start: now, bytes });
    while (this.samples.length > WINDOWS) this.samples.shift();
  }

  /** Bytes per second over the kept windows (at least WINDOWS-1 windows long, as Kafka's Rate). */
  rate(): number {
    const now = this.now();
    while (this.samples.length > 0 && now - this.samples[0]!.start > WINDOWS * WINDOW_MS) this.samples.shift();
    if (this.samples.length === 0) return 0;
    const elapsed = Math.max(now - this.samples[0]!.start, (WINDOWS - 1) * WINDOW_MS);
    return (this.samples.reduce((n, s) => n + s.bytes, 0) * 1000) / elapsed;
  }

  isExceeded(): boolean {
    const bound = this.bound;
    const last = this.samples.at(-1);
    const currentWindow = last !== undefined && this.now() - last.start < WINDOW_MS ? last.bytes : 0;
    return currentWindow > bound || this.rate() > bound;
  }
}
