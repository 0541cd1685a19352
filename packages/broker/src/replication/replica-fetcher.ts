/**
 * Followers copy their leaders with Kafka's own Fetch API (Kafka's ReplicaFetcherManager and
 * ReplicaFetcherThread). One fetcher per (source broker, fetcher id) batches every partition
 * it follows from that broker into one long-poll Fetch (v15+: ReplicaState carries our broker
 * id; older leaders get replica_id); `num.replica.fetchers` spreads partitions over fetchers by
 * hash. The leader's batches are appended byte for byte (offsets, epochs, CRCs as sent).
 *
 * A partition starts in `truncating`: after a leader change the follower asks the leader
 * with OffsetForLeaderEpoch where its latest epoch ends and cuts any divergent tail (KIP-101,
 * KIP-279), then fetches from its log end. Errors that mean "the metadata moved" (fenced or
 * unknown epoch, not leader) park the partition for replica.fetch.backoff.ms; the metadata
 * delta that follows moves it to its new leader.
 */
import type { ReplicationThrottle } from './replication-throttle.js';
import { ApiKey, apiByName, ErrorCode, errorByCode, type FetchRequest, type FetchResponse, type OffsetForLeaderEpochResponse } from '@samsa/protocol';
import { BATCH_LENGTH, BATCH_LOG_OVERHEAD, batchLastOffset } from '@samsa/protocol/records';
import type { Connection } from '@samsa/network';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../cluster/leader-epoch-cache.js';
import type { Partition } from '../cluster/partition.js';
import type { InterBrokerChannel } from '../security/inter-broker.js';

/** Versions a fetcher speaks; a request goes at min(this, the leader's max). */
const FETCHER_MAX_VERSIONS: ReadonlyMap<number, number> = new Map([
  [ApiKey.ApiVersions, 3],
  [ApiKey.Fetch, 17],
  [ApiKey.OffsetForLeaderEpoch, 4],
  [ApiKey.ListOffsets, 10],
]);
const FETCHER_MIN_VERSIONS: ReadonlyMap<number, number> = new Map([
  [ApiKey.Fetch, 4],
  [ApiKey.OffsetForLeaderEpoch, 3],
  [ApiKey.ListOffsets, 1],
]);
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;

export interface FetcherHost {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where a broker listens for other brokers (undefined while it is not registered). */
  brokerEndpoint(brokerId: number): { host: string; port: number } | undefined;
  /** How connections to other brokers are made (inter-broker listener, TLS, SASL). */
  readonly interBroker: InterBrokerChannel;
  /** Called after follower appends and high-watermark moves. */
  onFollowerProgress?(replica: Partition): void;
  /** follower.replication.throttled.rate over throttled partitions. */
  readonly followerThrottle?: ReplicationThrottle;
}

/** A partition a fetcher follows in one leader epoch. */
interface FetchState {
  readonly replica: Partition;
  readonly topicId: string;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  phase: 'truncating' | 'fetching';
  /** Parked until then (clock ms) after an error. */
  delayedUntil: number;
}

export function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Kafka's fetcher id: abs(31 * topic.hashCode + partition) % num.replica.fetchers. */
export function fetcherIdFor(topic: string, partition: number, numFetchers: number): number {
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(31, h) + topic.charCodeAt(i)) | 0;
  return Math.abs((Math.imul(31, h) + partition) | 0) % numFetchers;
}

export interface FollowRequest {
  replica: Partition;
  topicId: string;
  leaderId: number;
  leaderEpoch: number;
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** Which fetcher follows each partition. */
  private readonly owner = new Map<string, ReplicaFetcher>();

  constructor(private readonly host: FetcherHost) {}

  /** Starts (or restarts, in a new epoch or from a new leader) following partitions. */
  addPartitions(parts: readonly FollowRequest[]): void {
    const numFetchers = this.host.config.int('num.replica.fetchers');
    for (const p of parts) {
      const key = partitionKeyOf(p.replica.topic, p.replica.partition);
      this.owner.get(key)?.remove(key);
      const endpoint = this.host.brokerEndpoint(p.leaderId);
      const fetcherKey = `${p.leaderId}/${fetcherIdFor(p.replica.topic, p.replica.partition, numFetchers)}`;
      let f = this.fetchers.get(fetcherKey);
      if (f !== undefined && endpoint !== undefined && (f.host !== endpoint.host || f.port !== endpoint.port)) {
        // The leader came back on another address: a new connection for everything it leads.
        const moved = f.drain();
        f.shutdown();
        this.fetchers.delete(fetcherKey);
        f = undefined;
        for (const [k, s] of moved) this.addState(fetcherKey, endpoint, k, s);
      }
      this.addState(fetcherKey, endpoint, key, { replica: p.replica, topicId: p.topicId, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, phase: 'truncating', delayedUntil: 0 });
    }
  }

  private addState(fetcherKey: string, endpoint: { host: string; port: number } | undefined, key: string, state: FetchState): void {
    let f = this.fetchers.get(fetcherKey);
    if (f === undefined) {
      const fetcherId = Number(fetcherKey.split('/')[1]);
      f = new ReplicaFetcher(this.host, state.leaderId, fetcherId, endpoint);
      this.fetchers.set(fetcherKey, f);
      f.start();
    }
    f.add(key, state);
    this.owner.set(key, f);
  }

  removePartitions(keys: Iterable<string>): void {
    for (const key of keys) {
      const f = this.owner.get(key);
      if (f === undefined) continue;
      f.remove(key);
      this.owner.delete(key);
    }
    this.shutdownIdleFetchers();
  }

  /** A leader's address became known or changed: fetchers without one retry now. */
  brokersChanged(): void {
    for (const f of this.fetchers.values()) f.refreshEndpoint();
  }

  private shutdownIdleFetchers(): void {
    for (const [k, f] of this.fetchers) {
      if (f.size > 0) continue;
      f.shutdown();
      this.fetchers.delete(k);
    }
  }

  /** Partitions followed, by key, with their fetch phase (tests, metrics). */
  followed(): Map<string, 'truncating' | 'fetching'> {
    const out = new Map<string, 'truncating' | 'fetching'>();
    for (const f of this.fetchers.values()) for (const [k, s] of f.states()) out.set(k, s.phase);
    return out;
  }

  get fetcherCount(): number {
    return this.fetchers.size;
  }

  shutdown(): void {
    for (const f of this.fetchers.values()) f.shutdown();
    this.fetchers.clear();
    this.owner.clear();
  }
}

class ReplicaFetcher {
  private readonly partitions = new Map<string, FetchState>();
  private connection: Connection | null = null;
  private running = false;
  private wakeUp: (() => void) | null = null;
  private readonly log: Logger;
  host = '';
  port = 0;

  constructor(private readonly env: FetcherHost, readonly leaderId: number, readonly fetcherId: number, endpoint: { host: string; port: number } | undefined) {
    this.log = env.log.child(`kafka.server.ReplicaFetcherThread`);
    if (endpoint !== undefined) {
      this.host = endpoint.host;
      this.port = endpoint.port;
    }
  }

  get size(): number {
    return this.partitions.size;
  }

  states(): IterableIterator<[string, FetchState]> {
    return this.partitions.entries();
  }

  add(key: string, state: FetchState): void {
    this.partitions.set(key, state);
    this.wake();
  }

  remove(key: string): void {
    this.partitions.delete(key);
  }

  drain(): Map<string, FetchState> {
    const all = new Map(this.partitions);
    this.partitions.clear();
    return all;
  }

  refreshEndpoint(): void {
    this.wake();
  }

  start(): void {
    this.running = true;
    void this.run();
  }

  shutdown(): void {
    this.running = false;
    this.connection?.close();
    this.connection = null;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Waits `ms` on the broker clock, or until woken (a partition added, shutdown). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (): void => {
        if (timer !== null) this.env.clock.clearTimeout(timer);
        timer = null;
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      if (Number.isFinite(ms)) timer = this.env.clock.setTimeout(done, Math.max(0, ms));
    });
  }

  private connect(): Connection | null {
    if (this.connection !== null) return this.connection;
    const endpoint = this.env.brokerEndpoint(this.leaderId);
    if (endpoint === undefined) return null;
    this.host = endpoint.host;
    this.port = endpoint.port;
    this.connection = this.env.interBroker.connect(this.leaderId, endpoint, {
      clientId: `broker-${this.env.nodeId}-fetcher-${this.fetcherId}`,
      requestTimeoutMs: this.env.config.int('replica.socket.timeout.ms'),
      maxVersions: FETCHER_MAX_VERSIONS,
      minVersions: FETCHER_MIN_VERSIONS,
    });
    return this.connection;
  }

  private async run(): Promise<void> {
    const backoffMs = this.env.config.int('replica.fetch.backoff.ms');
    while (this.running) {
      if (this.partitions.size === 0) {
        await this.pause(Infinity);
        continue;
      }
      const conn = this.connect();
      if (conn === null) {
        await this.pause(backoffMs);
        continue;
      }
      try {
        const truncating = [...this.partitions].filter(([, s]) => s.phase === 'truncating' && s.delayedUntil <= this.backoffClock());
        if (truncating.length > 0) await this.truncate(conn, truncating);
        const now = this.backoffClock();
        // Over the follower throttle: throttled partitions sit this fetch out (Kafka's ReplicaFetcherThread).
        const throttle = this.env.followerThrottle;
        const overQuota = throttle !== undefined && throttle.isExceeded();
        const fetching = [...this.partitions].filter(([, s]) => s.phase === 'fetching' && s.delayedUntil <= now && !(overQuota && throttle.applies(s.replica.topic, s.replica.partition)));
        if (fetching.length === 0) {
          const next = Math.min(...[...this.partitions.values()].map((s) => s.delayedUntil));
          await this.pause(Math.max(10, Math.min(backoffMs, next - now)));
          continue;
        }
        await this.fetch(conn, fetching);
      } catch (e) {
        if (!this.running) break;
        this.log.warn(`[ReplicaFetcher replicaId=${this.env.nodeId}, leaderId=${this.leaderId}, fetcherId=${this.fetcherId}] Error in fetch from ${this.host}:${this.port} (inter-broker listener ${this.env.interBroker.listenerName}, ${this.env.interBroker.securityProtocol}): ${(e as Error).message}`);
        await this.pause(backoffMs);
      }
    }
  }

  /** OffsetForLeaderEpoch for every partition that needs it, then the truncation KIP-279 prescribes. */
  private async truncate(conn: Connection, entries: Array<[string, FetchState]>): Promise<void> {
    const ask: Array<[string, FetchState]> = [];
    for (const [key, s] of entries) {
      const latest = s.replica.epochCache.latestEpoch;
      if (latest === UNDEFINED_EPOCH) {
        // Nothing with an epoch here: only the committed prefix is known to be good.
        if (s.replica.logEndOffset > 0n) this.truncateTo(s, s.replica.highWatermark);
        s.phase = 'fetching';
        continue;
      }
      ask.push([key, s]);
    }
    if (ask.length === 0) return;
    const byTopic = new Map<string, Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>>();
    for (const [, s] of ask) {
      let list = byTopic.get(s.replica.topic);
      if (list === undefined) byTopic.set(s.replica.topic, (list = []));
      list.push({ partition: s.replica.partition, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: s.replica.epochCache.latestEpoch });
    }
    const { response } = await conn.send(apiByName.OffsetForLeaderEpoch, () => ({
      replicaId: this.env.nodeId,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    }));
    const answers = new Map<string, OffsetForLeaderEpochResponse['topics'][number]['partitions'][number]>();
    for (const t of response.topics) for (const p of t.partitions) answers.set(partitionKeyOf(t.topic, p.partition), p);
    for (const [key, s] of ask) {
      if (this.partitions.get(key) !== s) continue; // moved on while we waited
      const a = answers.get(key);
      if (a === undefined || a.errorCode !== ErrorCode.NONE) {
        this.park(s, a?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, 'OffsetForLeaderEpoch');
        continue;
      }
      this.applyEpochEndOffset(s, a.leaderEpoch ?? UNDEFINED_EPOCH, a.endOffset);
    }
  }

  /** Kafka's AbstractFetcherThread.getOffsetTruncationState. */
  private applyEpochEndOffset(s: FetchState, leaderEpoch: number, leaderEndOffset: bigint): void {
    const r = s.replica;
    const leo = r.logEndOffset;
    if (leaderEndOffset === UNDEFINED_EPOCH_OFFSET) {
      this.truncateTo(s, r.highWatermark);
      s.phase = 'fetching';
      return;
    }
    if (leaderEpoch === UNDEFINED_EPOCH) {
      this.truncateTo(s, leaderEndOffset < leo ? leaderEndOffset : leo);
      s.phase = 'fetching';
      return;
    }
    const own = r.epochCache.endOffsetFor(leaderEpoch, leo);
    if (own.epoch === leaderEpoch || own.endOffset === UNDEFINED_EPOCH_OFFSET) {
      const ownEnd = own.endOffset === UNDEFINED_EPOCH_OFFSET ? leo : own.endOffset;
      const to = leaderEndOffset < ownEnd ? leaderEndOffset : ownEnd;
      this.truncateTo(s, to < leo ? to : leo);
      s.phase = 'fetching';
      return;
    }
    // Our largest epoch <= the leader's is an older one: cut to where it ends and ask again
    // (dropping the newer epochs, even empty ones, so the next question is about an older epoch).
    this.truncateTo(s, own.endOffset < leo ? own.endOffset : leo);
    r.epochCache.truncateFromEnd(own.endOffset);
  }

  private truncateTo(s: FetchState, offset: bigint): void {
    const r = s.replica;
    if (offset >= r.logEndOffset) return;
    this.log.info(`[ReplicaFetcher replicaId=${this.env.nodeId}, leaderId=${this.leaderId}, fetcherId=${this.fetcherId}] Truncating partition ${r.topic}-${r.partition} with TruncationState(offset=${offset}, completed=true) due to leader epoch and offset EpochEndOffset (leader epoch ${s.leaderEpoch}); log end was ${r.logEndOffset}`);
    r.truncateTo(offset);
  }

  /**
   * The time parked partitions wait on: monotonic, as Kafka's DelayedItem (hiResClockMs). On the
   * wall clock a follower whose clock stepped back 7 minutes left partitions it had parked for
   * replica.fetch.backoff.ms unfetched for 7 minutes (the fault suite's clock skew: the
   * __consumer_offsets high watermark stuck below its log end).
   */
  private backoffClock(): number {
    return this.env.clock.monotonic?.() ?? this.env.clock.now();
  }

  private park(s: FetchState, code: number, what: string): void {
    s.delayedUntil = this.backoffClock() + this.env.config.int('replica.fetch.backoff.ms');
    if (code === ErrorCode.TOPIC_AUTHORIZATION_FAILED || code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) {
      // Not a metadata race: nothing replicates until an operator grants it, so say so loudly.
      this.log.warn(`[ReplicaFetcher replicaId=${this.env.nodeId}, leaderId=${this.leaderId}, fetcherId=${this.fetcherId}] ${what} of ${s.replica.topic}-${s.replica.partition} was refused (${errorByCode(code)?.name ?? code}): the inter-broker principal on listener ${this.env.interBroker.listenerName} needs ClusterAction on the cluster (super.users or an ACL)`);
      return;
    }
    this.log.debug(`[ReplicaFetcher replicaId=${this.env.nodeId}, leaderId=${this.leaderId}] ${what} of ${s.replica.topic}-${s.replica.partition} failed with error ${code}; retrying after backoff`);
  }

  private async fetch(conn: Connection, entries: Array<[string, FetchState]>): Promise<void> {
    const c = this.env.config;
    const maxWaitMs = c.int('replica.fetch.wait.max.ms');
    const partitionMaxBytes = c.int('replica.fetch.max.bytes');
    const sent = new Map<string, { state: FetchState; fetchOffset: bigint }>();
    const { version, response } = await conn.send(apiByName.Fetch, (v) => {
      const topics: FetchRequest['topics'] = [];
      const byTopic = new Map<string, FetchRequest['topics'][number]>();
      for (const [key, s] of entries) {
        const r = s.replica;
        let t = byTopic.get(r.topic);
        if (t === undefined) {
          t = v >= 13 ? { topicId: s.topicId, partitions: [] } : { topic: r.topic, partitions: [] };
          byTopic.set(r.topic, t);
          topics.push(t);
        }
        const fetchOffset = r.logEndOffset;
        sent.set(key, { state: s, fetchOffset });
        t.partitions.push({
          partition: r.partition, currentLeaderEpoch: s.leaderEpoch, fetchOffset, lastFetchedEpoch: -1,
          logStartOffset: r.logStartOffset, partitionMaxBytes,
        });
      }
      const req: FetchRequest = {
        maxWaitMs, minBytes: c.int('replica.fetch.min.bytes'), maxBytes: c.int('replica.fetch.response.max.bytes'),
        isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics, forgottenTopicsData: [], rackId: '',
      };
      if (v >= 15) req.replicaState = { replicaId: this.env.nodeId, replicaEpoch: -1n };
      else req.replicaId = this.env.nodeId;
      return req;
    }, { extraTimeoutMs: maxWaitMs });
    if ((response.errorCode ?? 0) !== ErrorCode.NONE) throw new Error(`Fetch failed with error code ${response.errorCode}`);
    const byName = new Map<string, string>();
    for (const { state } of sent.values()) byName.set(state.topicId, state.replica.topic);
    for (const t of response.responses) {
      const topic = version >= 13 ? byName.get(t.topicId ?? '') : t.topic;
      if (topic === undefined) continue;
      for (const pd of t.partitions) {
        const key = partitionKeyOf(topic, pd.partitionIndex);
        const req = sent.get(key);
        if (req === undefined || this.partitions.get(key) !== req.state) continue; // no longer ours in this epoch
        await this.processPartition(conn, req.state, req.fetchOffset, pd);
      }
    }
  }

  private async processPartition(conn: Connection, s: FetchState, fetchOffset: bigint, pd: FetchResponse['responses'][number]['partitions'][number]): Promise<void> {
    const r = s.replica;
    switch (pd.errorCode) {
      case ErrorCode.NONE: {
        if (r.logEndOffset !== fetchOffset) return; // truncated meanwhile
        const records = wholeBatchesFrom(pd.records, fetchOffset);
        if (records !== null) {
          r.appendRecordsAsFollower(records, this.env.clock.now());
          if (this.env.followerThrottle?.applies(r.topic, r.partition)) this.env.followerThrottle.record(records.length);
        }
        r.updateHighWatermarkAsFollower(pd.highWatermark);
        const leaderStart = pd.logStartOffset ?? -1n;
        if (leaderStart > r.logStartOffset && leaderStart <= r.highWatermark) r.log.deleteRecordsBefore(leaderStart);
        this.env.onFollowerProgress?.(r);
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(conn, s);
        return;
      default:
        this.park(s, pd.errorCode, 'Fetch');
    }
  }

  /** Kafka's handleOutOfRangeError: the leader lost our tail (unclean election) or our head (retention). */
  private async handleOutOfRange(conn: Connection, s: FetchState): Promise<void> {
    const r = s.replica;
    const ask = async (timestamp: bigint): Promise<bigint | null> => {
      const { response } = await conn.send(apiByName.ListOffsets, () => ({
        replicaId: this.env.nodeId, isolationLevel: 0,
        topics: [{ name: r.topic, partitions: [{ partitionIndex: r.partition, currentLeaderEpoch: s.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      }));
      const p = response.topics[0]?.partitions[0];
      if (p === undefined || p.errorCode !== ErrorCode.NONE) {
        this.park(s, p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, 'ListOffsets');
        return null;
      }
      return p.offset ?? null;
    };
    const leaderEnd = await ask(LATEST_TIMESTAMP);
    if (leaderEnd === null || this.partitions.get(partitionKeyOf(r.topic, r.partition)) !== s) return;
    if (leaderEnd < r.logEndOffset) {
      this.truncateTo(s, leaderEnd);
      return;
    }
    const leaderStart = await ask(EARLIEST_TIMESTAMP);
    if (leaderStart === null || this.partitions.get(partitionKeyOf(r.topic, r.partition)) !== s) return;
    if (r.logEndOffset < leaderStart) {
      this.log.info(`[ReplicaFetcher replicaId=${this.env.nodeId}, leaderId=${this.leaderId}] Reset fetch offset of ${r.topic}-${r.partition} from ${r.logEndOffset} to the leader's log start offset ${leaderStart}`);
      r.truncateFullyAndStartAt(leaderStart);
    }
  }
}

/**
 * The complete batches of a fetch response from `fetchOffset` on: a leader may send a cut-off
 * last batch (when over max bytes) and, defensively, batches wholly before the fetch offset
 * are skipped. Returns a view, never a copy, in the common case.
 */
function wholeBatchesFrom(records: Buffer | null, fetchOffset: bigint): Buffer | null {
  if (records === null || records.length === 0) return null;
  let start = 0;
  let pos = 0;
  while (pos + BATCH_LOG_OVERHEAD <= records.length) {
    const size = BATCH_LOG_OVERHEAD + records.readInt32BE(pos + BATCH_LENGTH);
    if (pos + size > records.length) break;
    if (batchLastOffset(records, pos) < fetchOffset) start = pos + size;
    pos += size;
  }
  return records.subarray(start, pos);
}
