/**
 * The consumer: manual assignment (assign/seek/pause/resume/position) or group subscription
 * (classic protocol), a fetch loop with long polls per leader, record decoding (compressed
 * batches on the thread pool), auto/manual commit, and two ways to read: `for await` over
 * messages, or run({ eachMessage | eachBatch }).
 *
 * Positions carry the leader epoch of the record before them (KIP-320): after a leader change
 * the consumer asks the new leader where that epoch ends (OffsetForLeaderEpoch) before it
 * fetches again, so a log truncated by an unclean election is detected instead of skipped. With
 * `clientRack` (KIP-392) it reads from the replica the leader prefers for its rack.
 */
import { ApiKey, apiByName, ErrorCode, KafkaError } from '@samsa/protocol';
import {
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_RECORD_COUNT,
  CompressionType,
  ControlRecordType,
  decodeControlRecordKey,
  decodeRecordBatchHeader,
  decodeRecordSet,
  decodeRecords,
  decompress,
  scanBatches,
} from '@samsa/protocol/records';
import { batchContext, type ConsumedMessage, copyStart, FetchedRecords, RecordSlabs } from './fetched-record.js';
import { Cluster, type ClusterOptions, METADATA_REFRESH_CODES, sleep } from './cluster.js';
import { resolveOptions } from './config.js';
import { ClientError, ClientErrorCode, ClosedError, type DivergentOffset, isRetriable, LogTruncationError } from './errors.js';
import { ASSIGNORS, type Assignor } from './group/assignors.js';
import { ClassicMembership, type TopicPartitions } from './group/classic-membership.js';
import { ConsumerProtocolMembership } from './group/consumer-protocol-membership.js';
import { commitOffsets, COORDINATOR_ERRORS, fetchOffsets, type OffsetToCommit } from './group/coordinator.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets } from './list-offsets.js';
import type { ConsumerGroupMetadata } from './transaction-manager.js';

export interface ConsumerOptions extends ClusterOptions {
  groupId?: string;
  /** group.instance.id (static membership). */
  groupInstanceId?: string;
  /** auto.offset.reset (default 'latest', as Kafka). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** enable.auto.commit (default true when groupId is set). */
  enableAutoCommit?: boolean;
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxPollIntervalMs?: number;
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  fetchMaxBytes?: number;
  maxPartitionFetchBytes?: number;
  isolationLevel?: 'read_uncommitted' | 'read_committed';
  /** check.crcs (default true, as Kafka's Java consumer; librdkafka's default is false): verify each batch's CRC32C. */
  checkCrcs?: boolean;
  /** partition.assignment.strategy, by name (default ['range', 'cooperative-sticky'] as Kafka). */
  assignors?: Array<string | Assignor>;
  /** group.protocol: 'classic' (default) or 'consumer' (KIP-848: the coordinator assigns). */
  groupProtocol?: 'classic' | 'consumer';
  /** group.remote.assignor (group.protocol=consumer): 'uniform' or 'range'; default: the broker's choice. */
  groupRemoteAssignor?: string;
  /**
   * client.rack (KIP-392): the rack this consumer runs in. Sent with each Fetch; a broker with
   * replica.selector.class set then names a replica in this rack to read from, which the
   * consumer follows until an error or metadata.max.age.ms passes.
   */
  clientRack?: string;
}

export type { ConsumedMessage };

export interface FetchedBatch {
  topic: string;
  partition: number;
  highWatermark: bigint;
  messages: ConsumedMessage[];
}

/** A polled partition's records before they are made objects (the `for await` path makes them one by one). */
interface PolledBatch {
  topic: string;
  partition: number;
  highWatermark: bigint;
  records: FetchedRecords;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until resolved (committed offset or reset policy). */
  position: bigint | null;
  paused: boolean;
  /** A fetch for it is in flight or its data awaits hand-out. */
  busy: boolean;
  /** Bumped by seek/assign so stale fetch results are dropped. */
  epoch: number;
  highWatermark: bigint;
  lastCommitted: bigint | null;
  /** Offset-reset strategy forced for this partition (from seekToBeginning/End). */
  resetTo: 'earliest' | 'latest' | null;
  /** Leader epoch of the record before `position` (Kafka's FetchPosition.offsetEpoch); -1 unknown. */
  offsetEpoch: number;
  /** The leader and leader epoch the position was last checked against (FetchPosition.currentLeader). */
  leaderSeen: number;
  leaderEpochSeen: number;
  /** The position waits for OffsetForLeaderEpoch to confirm it (KIP-320); no fetches meanwhile. */
  awaitingValidation: boolean;
  /** No validation request before this time (retry.backoff.ms after a failed one). */
  validateAfter: number;
  /** The replica the leader told this consumer to read from (KIP-392), -1 for the leader, and until when. */
  readReplica: number;
  readReplicaUntil: number;
}

interface Completed {
  state: PartitionState;
  epoch: number;
  fetchOffset: bigint;
  nextOffset: bigint;
  lastEpoch: number;
  highWatermark: bigint;
  records: FetchedRecords;
}

const FETCH_SESSION_ID_NOT_FOUND = 70;
const INVALID_FETCH_SESSION_EPOCH = 71;

/** A fetch session with one broker (KIP-227): its id, the epoch to send next, and the partitions and offsets it holds. */
interface FetchSession {
  id: number;
  epoch: number;
  sent: Map<string, bigint>;
  partitions: Map<string, { topic: string; partition: number }>;
}

const JAVA_ASSIGNOR_NAMES: Record<string, string> = { RangeAssignor: 'range', RoundRobinAssignor: 'roundrobin', CooperativeStickyAssignor: 'cooperative-sticky' };

const key = (t: string, p: number): string => `${t}\u0000${p}`;

function toTopicPartitions(list: Array<{ topic: string; partition: number }>): TopicPartitions {
  const out: TopicPartitions = new Map();
  for (const { topic, partition } of list) {
    let l = out.get(topic);
    if (l === undefined) out.set(topic, (l = []));
    l.push(partition);
  }
  return out;
}

export class Consumer implements AsyncIterable<ConsumedMessage> {
  readonly cluster: Cluster;
  readonly groupId: string | null;
  private readonly groupInstanceId: string | null;
  private readonly opts: Required<Pick<ConsumerOptions, 'autoOffsetReset' | 'autoCommitIntervalMs' | 'fetchMinBytes' | 'fetchMaxWaitMs' | 'fetchMaxBytes' | 'maxPartitionFetchBytes'>>;
  private readonly isolationLevel: number;
  private readonly checkCrcs: boolean;
  /** Where fetched records are copied to, so each Fetch response's memory is reused for the next one. */
  private readonly recordSlabs = new RecordSlabs();
  private readonly clientRack: string;
  /** Nodes with an OffsetForLeaderEpoch validation in flight. */
  private readonly validationsInFlight = new Set<number>();
  readonly autoCommit: boolean;
  private readonly states = new Map<string, PartitionState>();
  private readonly completed: Completed[] = [];
  private readonly nodesInFlight = new Set<number>();
  private readonly fetchSessions = new Map<number, FetchSession>();
  private wake: (() => void) | null = null;
  private fetchError: Error | null = null;
  private membership: ClassicMembership | ConsumerProtocolMembership | null = null;
  private subscribed: string[] = [];
  private lastAutoCommit = Date.now();
  private connectStarted = false;
  private closed = false;

  /** Errors a fetch or validation retries after a metadata refresh instead of handing to poll(). */
  private isTransient(err: unknown): boolean {
    return isRetriable(err) || (err instanceof KafkaError && METADATA_REFRESH_CODES.has(err.code));
  }
  private running = false;
  private runDone: Promise<void> | null = null;
  /** Bumped by stop(): iterators started before it end. */
  stopRequested = 0;

  constructor(options: ConsumerOptions) {
    const opts = resolveOptions(options);
    this.cluster = new Cluster(opts);
    this.groupId = opts.groupId ?? null;
    this.groupInstanceId = opts.groupInstanceId ?? null;
    this.opts = {
      autoOffsetReset: opts.autoOffsetReset ?? 'latest',
      autoCommitIntervalMs: opts.autoCommitIntervalMs ?? 5000,
      fetchMinBytes: opts.fetchMinBytes ?? 1,
      fetchMaxWaitMs: opts.fetchMaxWaitMs ?? 500,
      fetchMaxBytes: opts.fetchMaxBytes ?? 52428800,
      maxPartitionFetchBytes: opts.maxPartitionFetchBytes ?? 1048576,
    };
    this.isolationLevel = opts.isolationLevel === 'read_committed' ? 1 : 0;
    this.checkCrcs = opts.checkCrcs ?? true;
    this.clientRack = opts.clientRack ?? '';
    this.autoCommit = this.groupId !== null && (opts.enableAutoCommit ?? true);
    if (this.groupId !== null) {
      const assignors = (opts.assignors ?? ['range', 'cooperative-sticky']).map((a) => {
        if (typeof a !== 'string') return a;
        // Java's class names too (partition.assignment.strategy pasted from a Java config)
        const short = a.replace(/^org\.apache\.kafka\.clients\.consumer\./, '');
        const found = ASSIGNORS[a] ?? ASSIGNORS[JAVA_ASSIGNOR_NAMES[short] ?? ''];
        if (found === undefined) throw new ClientError(ClientErrorCode.CONFIG, `unknown assignor ${a} (known: ${Object.keys(ASSIGNORS).join(', ')})`);
        return found;
      });
      this.membership = new (opts.groupProtocol === 'consumer' ? ConsumerProtocolMembership : ClassicMembership)(
        this.cluster,
        {
          groupId: this.groupId,
          groupInstanceId: opts.groupInstanceId ?? null,
          sessionTimeoutMs: opts.sessionTimeoutMs ?? 45000,
          rebalanceTimeoutMs: opts.maxPollIntervalMs ?? 300000,
          heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 3000,
          assignors,
          remoteAssignor: opts.groupRemoteAssignor ?? null,
        },
        {
          subscription: () => this.subscribed,
          onAssigned: async (tps) => {
            for (const [t, ps] of tps) for (const p of ps) this.addPartition(t, p);
            await this.onAssigned?.(tps);
          },
          onRevoked: async (tps) => {
            if (this.autoCommit) await this.commitSync(this.positionsOf(tps)).catch(() => {});
            // Before the partitions go (and before the group moves on): the callback may still commit for them.
            await this.onRevoked?.(tps);
            for (const [t, ps] of tps) for (const p of ps) this.states.delete(key(t, p));
          },
          onLost: async (tps) => {
            for (const [t, ps] of tps) for (const p of ps) this.states.delete(key(t, p));
            await (this.onLost ?? this.onRevoked)?.(tps);
          },
        },
      );
    }
  }

  /** Called after partitions are assigned by the group; the rebalance waits for a returned promise. */
  onAssigned: ((partitions: TopicPartitions) => unknown) | undefined;
  /**
   * Called when the group takes partitions away (Kafka's onPartitionsRevoked), while they are still
   * assigned and before the group can hand them to another member: the rebalance waits for a
   * returned promise, so offsets (or a transaction, sendOffsetsToTransaction with groupMetadata())
   * committed here are committed by the member that owned them. With a cooperative assignor this
   * can run between two polls. Also called for lost partitions when onLost is not set.
   */
  onRevoked: ((partitions: TopicPartitions) => unknown) | undefined;
  /**
   * Called when partitions were lost (Kafka's onPartitionsLost): the member left the group
   * (session expired, fenced), so another member may own them already and nothing may be
   * committed for them. Unset, onRevoked is called instead.
   */
  onLost: ((partitions: TopicPartitions) => unknown) | undefined;

  connect(): Promise<void> {
    this.connectStarted = true;
    return this.cluster.ready();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('consumer');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- assignment -------------------------------------------------------------------------

  /** Manual assignment (replaces the current one). */
  assign(partitions: Array<{ topic: string; partition: number }>): void {
    this.ensureOpen();
    if (this.membership !== null && this.subscribed.length > 0) throw new ClientError(ClientErrorCode.CONFIG, 'assign() and subscribe() cannot be mixed');
    const keep = new Set(partitions.map((p) => key(p.topic, p.partition)));
    for (const k of [...this.states.keys()]) if (!keep.has(k)) this.states.delete(k);
    for (const p of partitions) this.addPartition(p.topic, p.partition);
    this.cluster.track(partitions.map((p) => p.topic));
  }

  /** Group subscription to topics (needs groupId). */
  subscribe(topics: string[] | { topics: string[] }): void {
    this.ensureOpen();
    if (this.membership === null) throw new ClientError(ClientErrorCode.CONFIG, 'subscribe() needs a groupId');
    const list = Array.isArray(topics) ? topics : topics.topics;
    this.subscribed = [...new Set([...this.subscribed, ...list])];
    this.cluster.track(this.subscribed);
    this.membership.requestRejoin();
  }

  assignment(): Array<{ topic: string; partition: number }> {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  private addPartition(topic: string, partition: number): void {
    if (this.states.has(key(topic, partition))) return;
    this.states.set(key(topic, partition), {
      topic, partition, position: null, paused: false, busy: false, epoch: 0, highWatermark: -1n, lastCommitted: null, resetTo: null,
      offsetEpoch: -1, leaderSeen: -1, leaderEpochSeen: -1, awaitingValidation: false, validateAfter: 0, readReplica: -1, readReplicaUntil: 0,
    });
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const s = this.states.get(key(topic, partition));
    if (s === undefined) throw new ClientError(ClientErrorCode.CONFIG, `${topic}-${partition} is not assigned to this consumer`);
    return s;
  }

  /**
   * Moves a partition's position. With `leaderEpoch` (the epoch of the record before `offset`,
   * as a committed offset carries it) the position is validated against the leader before the
   * next fetch (KIP-320), as Kafka's seek(partition, OffsetAndMetadata).
   */
  seek(tp: { topic: string; partition: number; offset: bigint | number | string; leaderEpoch?: number | undefined }): void {
    const s = this.stateOf(tp.topic, tp.partition);
    s.position = BigInt(tp.offset);
    s.resetTo = null;
    s.epoch++;
    s.busy = false;
    s.offsetEpoch = tp.leaderEpoch ?? -1;
    s.awaitingValidation = s.offsetEpoch >= 0;
    s.validateAfter = 0;
  }

  seekToBeginning(tps: Array<{ topic: string; partition: number }>): void {
    this.resetPositions(tps, 'earliest');
  }

  seekToEnd(tps: Array<{ topic: string; partition: number }>): void {
    this.resetPositions(tps, 'latest');
  }

  private resetPositions(tps: Array<{ topic: string; partition: number }>, to: 'earliest' | 'latest'): void {
    for (const tp of tps) {
      const s = this.stateOf(tp.topic, tp.partition);
      s.position = null;
      s.resetTo = to;
      s.epoch++;
      s.busy = false;
      s.awaitingValidation = false;
    }
  }

  pause(tps: Array<{ topic: string; partition: number }>): void {
    for (const tp of tps) this.stateOf(tp.topic, tp.partition).paused = true;
  }

  resume(tps: Array<{ topic: string; partition: number }>): void {
    for (const tp of tps) this.stateOf(tp.topic, tp.partition).paused = false;
    this.wake?.();
  }

  paused(): Array<{ topic: string; partition: number }> {
    return [...this.states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The next offset that will be returned for a partition (resolving it if unknown). */
  async position(tp: { topic: string; partition: number }): Promise<bigint> {
    const s = this.stateOf(tp.topic, tp.partition);
    if (s.position === null) await this.resolvePositions([s]);
    return s.position!;
  }

  // ---- positions ----------------------------------------------------------------------------

  private async resolvePositions(states: PartitionState[]): Promise<void> {
    const pending = states.filter((s) => s.position === null);
    if (pending.length === 0) return;
    await this.connect();
    // committed offsets first (group, no explicit reset requested)
    if (this.groupId !== null) {
      const ask = pending.filter((s) => s.resetTo === null);
      if (ask.length > 0) {
        const committed = await this.withCoordinator((conn) => fetchOffsets(conn, this.groupId!, [...toTopicPartitions(ask)].map(([topic, partitions]) => ({ topic, partitions })), this.isolationLevel === 1));
        for (const c of committed) {
          const s = this.states.get(key(c.topic, c.partition));
          if (s !== undefined && s.position === null && c.offset >= 0n) {
            s.position = c.offset;
            s.lastCommitted = c.offset;
            // A committed offset with its epoch is checked against the leader's log first (KIP-320):
            // it may have been truncated since the commit.
            s.offsetEpoch = c.leaderEpoch;
            s.awaitingValidation = c.leaderEpoch >= 0;
            s.validateAfter = 0;
          }
        }
      }
    }
    const reset = pending.filter((s) => s.position === null);
    if (reset.length === 0) return;
    const queries = reset.map((s) => {
      const policy = s.resetTo ?? this.opts.autoOffsetReset;
      if (policy === 'none') throw new ClientError(ClientErrorCode.NO_OFFSET, `no committed offset for ${s.topic}-${s.partition} and auto.offset.reset=none`);
      return { topic: s.topic, partition: s.partition, timestamp: policy === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP };
    });
    const answers = await listOffsets(this.cluster, queries, this.isolationLevel);
    for (const a of answers) {
      const s = this.states.get(key(a.topic, a.partition));
      if (s !== undefined && s.position === null) {
        s.position = a.offset;
        s.resetTo = null;
        s.offsetEpoch = a.leaderEpoch;
        s.awaitingValidation = false;
        const p = this.cluster.partitionInfo(s.topic, s.partition);
        s.leaderSeen = p?.leader ?? -1;
        s.leaderEpochSeen = p?.leaderEpoch ?? -1;
      }
    }
  }

  // ---- fetching -----------------------------------------------------------------------------

  /**
   * One poll, as Kafka's: joins/rebalances if needed, auto-commits, resolves positions and
   * returns the batches that arrived within `timeoutMs` (advancing positions past them).
   */
  async poll(timeoutMs = 1000): Promise<FetchedBatch[]> {
    return (await this.pollUntil(timeoutMs, () => false)).map(toFetchedBatch);
  }

  /** poll() that also returns (empty-handed) once `stopped()` turns true. */
  private async pollUntil(timeoutMs: number, stopped: () => boolean): Promise<PolledBatch[]> {
    this.ensureOpen();
    await this.connect();
    const deadline = Date.now() + timeoutMs;
    // The rebalance goes on in the background past the timeout; until it ends there is nothing to hand out.
    if (this.membership !== null && this.subscribed.length > 0 && !(await this.membership.ensureActiveWithin(timeoutMs))) return [];
    if (this.autoCommit && Date.now() - this.lastAutoCommit >= this.opts.autoCommitIntervalMs) {
      this.lastAutoCommit = Date.now();
      this.commitAsync();
    }
    await this.resolvePositions([...this.states.values()]);
    for (;;) {
      if (this.fetchError !== null) {
        const e = this.fetchError;
        this.fetchError = null;
        throw e;
      }
      const out = this.handOut();
      // Prefetch: the next fetches go out before the records are processed.
      this.sendFetches();
      if (out.length > 0) return out;
      const left = deadline - Date.now();
      // A rebalance ends the poll early, only for a subscribed consumer: one that assign()s its
      // partitions (with a groupId for commits) never joins, and returning at once would make a
      // poll loop spin without ever giving the sockets a turn.
      if (left <= 0 || this.closed || stopped() || (this.subscribed.length > 0 && (this.membership?.needsRejoin ?? false))) return [];
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = null;
          resolve();
        }, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
      if (this.states.size > 0 && [...this.states.values()].some((s) => s.position === null)) await this.resolvePositions([...this.states.values()]);
    }
  }

  private handOut(): PolledBatch[] {
    const out: PolledBatch[] = [];
    const heldBack: Completed[] = [];
    while (this.completed.length > 0) {
      const c = this.completed.shift()!;
      const s = c.state;
      if (this.states.get(key(s.topic, s.partition)) !== s || s.epoch !== c.epoch || s.position !== c.fetchOffset) continue; // revoked or sought meanwhile
      if (s.paused) {
        heldBack.push(c); // prefetched before pause(): handed out after resume()
        continue;
      }
      s.busy = false;
      s.position = c.nextOffset;
      s.offsetEpoch = c.lastEpoch;
      s.highWatermark = c.highWatermark;
      if (c.records.length > 0) out.push({ topic: s.topic, partition: s.partition, highWatermark: c.highWatermark, records: c.records });
    }
    this.completed.push(...heldBack);
    return out;
  }

  private sendFetches(): void {
    const byNode = new Map<number, PartitionState[]>();
    let toValidate: Map<number, PartitionState[]> | null = null;
    let needMetadata = false;
    let now = 0;
    for (const s of this.states.values()) {
      if (s.paused || s.busy || s.position === null) continue;
      const info = this.cluster.partitionInfo(s.topic, s.partition);
      const leader = info?.leader ?? -1;
      if (leader < 0) {
        needMetadata = true;
        continue;
      }
      if (leader !== s.leaderSeen || info!.leaderEpoch !== s.leaderEpochSeen) this.onLeaderChange(s, leader, info!.leaderEpoch);
      if (s.awaitingValidation) {
        if (now === 0) now = Date.now();
        if (s.validateAfter > now || this.validationsInFlight.has(leader)) continue;
        toValidate ??= new Map();
        let l = toValidate.get(leader);
        if (l === undefined) toValidate.set(leader, (l = []));
        l.push(s);
        continue;
      }
      let node = leader;
      if (s.readReplica >= 0) {
        if (now === 0) now = Date.now();
        if (now < s.readReplicaUntil && this.cluster.hasBroker(s.readReplica)) node = s.readReplica;
        else s.readReplica = -1; // the lease ran out (metadata.max.age.ms): ask the leader again
      }
      if (this.nodesInFlight.has(node)) continue;
      let l = byNode.get(node);
      if (l === undefined) byNode.set(node, (l = []));
      l.push(s);
    }
    if (needMetadata) this.cluster.refreshMetadata().catch(() => {});
    if (toValidate !== null) for (const [node, states] of toValidate) void this.validatePositions(node, states);
    for (const [node, states] of byNode) void this.fetchFrom(node, states);
  }

  /**
   * The partition's leader or its epoch moved (Kafka's maybeValidatePositionForCurrentLeader): a
   * position that knows its epoch is validated before the next fetch; the read replica the
   * old leader chose is forgotten.
   */
  private onLeaderChange(s: PartitionState, leader: number, leaderEpoch: number): void {
    s.leaderSeen = leader;
    s.leaderEpochSeen = leaderEpoch;
    s.readReplica = -1;
    if (s.offsetEpoch >= 0 && leaderEpoch >= 0) {
      s.awaitingValidation = true;
      s.validateAfter = 0;
    }
  }

  /**
   * OffsetForLeaderEpoch (v3+, replica id -1) for positions awaiting validation (KIP-320): the
   * leader says where the position's epoch ends in its log. A position past that end read
   * records the log no longer has (an unclean election truncated them): with auto.offset.reset
   * earliest/latest the consumer goes back to where the logs agree, as Kafka's consumer does;
   * with none it raises LogTruncationError. A leader without the API (or an older version) skips
   * the check, as Kafka does.
   */
  private async validatePositions(node: number, states: PartitionState[]): Promise<void> {
    this.validationsInFlight.add(node);
    const asked = states.map((s) => ({ s, epoch: s.epoch, position: s.position!, offsetEpoch: s.offsetEpoch, leaderEpoch: s.leaderEpochSeen }));
    const backOff = (x: { s: PartitionState }): void => {
      x.s.validateAfter = Date.now() + this.cluster.retryBackoffMs;
    };
    try {
      const conn = this.cluster.broker(node);
      if (!conn.connected) await conn.connect();
      if (!conn.supports(ApiKey.OffsetForLeaderEpoch)) {
        for (const x of asked) if (x.s.epoch === x.epoch) x.s.awaitingValidation = false;
        return;
      }
      const byTopic = new Map<string, typeof asked>();
      for (const x of asked) {
        let l = byTopic.get(x.s.topic);
        if (l === undefined) byTopic.set(x.s.topic, (l = []));
        l.push(x);
      }
      const { response } = await conn.send(apiByName.OffsetForLeaderEpoch, () => ({
        replicaId: -1,
        topics: [...byTopic].map(([topic, xs]) => ({
          topic,
          partitions: xs.map((x) => ({ partition: x.s.partition, currentLeaderEpoch: x.leaderEpoch, leaderEpoch: x.offsetEpoch })),
        })),
      }));
      const truncated: DivergentOffset[] = [];
      let refresh = false;
      for (const t of response.topics) {
        for (const r of t.partitions) {
          const x = byTopic.get(t.topic)?.find((y) => y.s.partition === r.partition);
          // Sought, reset or revoked meanwhile: this answer is about a position that is gone.
          if (x === undefined || x.s.epoch !== x.epoch || this.states.get(key(t.topic, r.partition)) !== x.s || !x.s.awaitingValidation) continue;
          if (r.errorCode !== ErrorCode.NONE) {
            backOff(x);
            if (METADATA_REFRESH_CODES.has(r.errorCode) || r.errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH) refresh = true;
            else if (!KafkaError.from(r.errorCode).retriable) this.fetchError = KafkaError.from(r.errorCode, `OffsetForLeaderEpoch ${t.topic}-${r.partition}`);
            continue;
          }
          const endEpoch = r.leaderEpoch ?? -1;
          if (r.endOffset < 0n || endEpoch < 0) {
            // The leader has no entry for the epoch or an older one: nothing to resume from.
            if (this.opts.autoOffsetReset === 'none') {
              truncated.push({ topic: t.topic, partition: r.partition, position: x.position, offset: null, leaderEpoch: null });
              backOff(x);
            } else {
              x.s.position = null;
              x.s.awaitingValidation = false;
              x.s.epoch++;
            }
          } else if (r.endOffset < x.position) {
            if (this.opts.autoOffsetReset === 'none') {
              truncated.push({ topic: t.topic, partition: r.partition, position: x.position, offset: r.endOffset, leaderEpoch: endEpoch });
              backOff(x);
            } else {
              // The first offset known to diverge: everything from there on is what the new leader holds.
              x.s.position = r.endOffset;
              x.s.offsetEpoch = endEpoch;
              x.s.awaitingValidation = false;
              x.s.epoch++;
              this.onLogTruncation?.({ topic: t.topic, partition: r.partition, position: x.position, offset: r.endOffset, leaderEpoch: endEpoch });
            }
          } else {
            x.s.awaitingValidation = false;
          }
        }
      }
      if (truncated.length > 0) this.fetchError = new LogTruncationError(truncated);
      if (refresh) this.cluster.refreshMetadata().catch(() => {});
    } catch (err) {
      for (const x of asked) backOff(x);
      if (this.isTransient(err)) this.cluster.refreshMetadata().catch(() => {});
      else this.fetchError = err as Error;
    } finally {
      this.validationsInFlight.delete(node);
      this.wake?.();
    }
  }

  /**
   * Called when the consumer finds its position past the end of its leader epoch on a new leader
   * and moves back to where the logs agree (auto.offset.reset earliest/latest; Kafka logs this as
   * "Truncation detected"). Records from `offset` on are read again: they are what the log now holds.
   */
  onLogTruncation: ((truncation: DivergentOffset) => void) | undefined;

  /**
   * One Fetch to a leader (or the read replica it named, KIP-392) for its fetchable partitions.
   * With a fetch session (KIP-227, Fetch v7+) only partitions whose fetch offset changed are
   * sent, partitions no longer fetched here are forgotten, and the broker answers only for
   * partitions with news.
   */
  private async fetchFrom(node: number, states: PartitionState[]): Promise<void> {
    this.nodesInFlight.add(node);
    const snapshot = new Map<string, { s: PartitionState; epoch: number; offset: bigint }>();
    for (const s of states) {
      snapshot.set(key(s.topic, s.partition), { s, epoch: s.epoch, offset: s.position! });
      s.busy = true;
    }
    const session = this.fetchSessions.get(node) ?? null;
    try {
      const byTopic = new Map<string, Array<{ s: PartitionState; offset: bigint }>>();
      for (const [k, x] of snapshot) {
        if (session !== null && session.sent.get(k) === x.offset) continue; // the session has it
        let l = byTopic.get(x.s.topic);
        if (l === undefined) byTopic.set(x.s.topic, (l = []));
        l.push(x);
      }
      const forgotten = new Map<string, number[]>();
      if (session !== null) {
        for (const [k, tp] of session.partitions) {
          if (snapshot.has(k)) continue;
          let l = forgotten.get(tp.topic);
          if (l === undefined) forgotten.set(tp.topic, (l = []));
          l.push(tp.partition);
        }
      }
      const { version, response, release } = await this.cluster.broker(node).sendReleasable(
        apiByName.Fetch,
        (v) => ({
          replicaId: -1,
          maxWaitMs: this.opts.fetchMaxWaitMs,
          minBytes: this.opts.fetchMinBytes,
          maxBytes: this.opts.fetchMaxBytes,
          isolationLevel: this.isolationLevel,
          ...(v >= 11 ? { rackId: this.clientRack } : {}),
          ...(v >= 7
            ? {
                sessionId: session?.id ?? 0,
                sessionEpoch: session?.epoch ?? 0, // 0: full fetch that opens a session
                forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({ topic, partitions })),
              }
            : {}),
          topics: [...byTopic].map(([topic, xs]) => ({
            topic,
            partitions: xs.map((x) => ({
              partition: x.s.partition,
              ...(v >= 9 ? { currentLeaderEpoch: x.s.leaderEpochSeen } : {}),
              fetchOffset: x.offset,
              partitionMaxBytes: this.opts.maxPartitionFetchBytes,
            })),
          })),
        }),
        { extraTimeoutMs: this.opts.fetchMaxWaitMs },
      );
      const code = response.errorCode ?? 0;
      if (code === FETCH_SESSION_ID_NOT_FOUND || code === INVALID_FETCH_SESSION_EPOCH) {
        this.fetchSessions.delete(node); // the next fetch is a full one
        for (const x of snapshot.values()) if (x.s.epoch === x.epoch) x.s.busy = false;
        return;
      }
      if (code !== 0) throw KafkaError.from(code);
      this.recordSession(node, session, version >= 7 ? response.sessionId ?? 0 : 0, snapshot);
      const seen = new Set<PartitionState>();
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const x = snapshot.get(key(t.topic ?? '', p.partitionIndex));
          if (x === undefined) continue;
          seen.add(x.s);
          await this.onPartitionData(node, x.s, x.epoch, x.offset, p, release !== null);
        }
      }
      // Every record kept is in recordSlabs now: the response's memory takes the next response.
      release?.();
      for (const x of snapshot.values()) if (!seen.has(x.s) && x.s.epoch === x.epoch) x.s.busy = false;
    } catch (err) {
      this.fetchSessions.delete(node);
      for (const x of snapshot.values()) {
        if (x.s.epoch === x.epoch) x.s.busy = false;
        if (x.s.readReplica === node) x.s.readReplica = -1; // the read replica failed: back to the leader
      }
      if (!this.isTransient(err)) this.fetchError = err as Error;
      else {
        this.cluster.refreshMetadata().catch(() => {});
        await sleep(this.cluster.retryBackoffMs);
      }
    } finally {
      this.nodesInFlight.delete(node);
      this.wake?.();
    }
  }

  /** After a successful fetch: what the broker's session now holds, and the next epoch. */
  private recordSession(node: number, session: FetchSession | null, responseSessionId: number, snapshot: Map<string, { s: PartitionState; offset: bigint }>): void {
    if (responseSessionId === 0 || (session !== null && session.id !== responseSessionId)) {
      this.fetchSessions.delete(node);
      return;
    }
    const sent = new Map<string, bigint>();
    const partitions = new Map<string, { topic: string; partition: number }>();
    for (const [k, x] of snapshot) {
      sent.set(k, x.offset);
      partitions.set(k, { topic: x.s.topic, partition: x.s.partition });
    }
    const epoch = session === null ? 1 : session.epoch >= 0x7fffffff ? 1 : session.epoch + 1;
    this.fetchSessions.set(node, { id: responseSessionId, epoch, sent, partitions });
  }

  private async onPartitionData(
    node: number,
    s: PartitionState,
    epoch: number,
    fetchOffset: bigint,
    p: { errorCode: number; highWatermark: bigint; records: Buffer | null; abortedTransactions?: Array<{ producerId: bigint; firstOffset: bigint }> | null; preferredReadReplica?: number },
    /** The response's memory is reused after this: copy the records out of it. */
    copyOut: boolean,
  ): Promise<void> {
    if (s.epoch !== epoch) return;
    if (p.errorCode !== 0) {
      s.busy = false;
      if (s.readReplica === node) {
        // Any error from the read replica (behind, no longer a replica, out of range there):
        // back to the leader, which answers for the log or names another replica (as Kafka).
        s.readReplica = -1;
        if (p.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) this.cluster.refreshMetadata().catch(() => {});
        return;
      }
      if (p.errorCode === ErrorCode.FENCED_LEADER_EPOCH || p.errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH) {
        // The leader's epoch is not the one we know: find the current leader, then validate the position against it (KIP-320).
        if (s.offsetEpoch >= 0) s.awaitingValidation = true;
        this.cluster.refreshMetadata().catch(() => {});
        return;
      }
      if (p.errorCode === 1 /* OFFSET_OUT_OF_RANGE */) {
        if (this.opts.autoOffsetReset === 'none') {
          this.fetchError = new ClientError(ClientErrorCode.NO_OFFSET, `offset ${fetchOffset} out of range for ${s.topic}-${s.partition} and auto.offset.reset=none`);
          return;
        }
        s.position = null;
        s.epoch++;
        return;
      }
      if (METADATA_REFRESH_CODES.has(p.errorCode) || KafkaError.from(p.errorCode).retriable) {
        this.cluster.refreshMetadata().catch(() => {});
        return;
      }
      this.fetchError = KafkaError.from(p.errorCode, `fetch ${s.topic}-${s.partition}`);
      return;
    }
    const preferred = p.preferredReadReplica ?? -1;
    if (preferred >= 0 && preferred !== node) {
      s.readReplica = preferred;
      s.readReplicaUntil = Date.now() + this.cluster.metadataMaxAgeMs;
    }
    const records = p.records ?? Buffer.alloc(0);
    const { records: decoded, nextOffset, lastEpoch } = await decodeFetchedRecords(s.topic, s.partition, records, fetchOffset, this.isolationLevel === 1 ? p.abortedTransactions ?? [] : null, this.checkCrcs, copyOut ? this.recordSlabs : null);
    if (decoded.length === 0 && nextOffset === fetchOffset) {
      s.busy = false;
      s.highWatermark = p.highWatermark;
      return;
    }
    this.completed.push({ state: s, epoch, fetchOffset, nextOffset, lastEpoch, highWatermark: p.highWatermark, records: decoded });
  }

  // ---- commits ------------------------------------------------------------------------------

  private positionsOf(tps: TopicPartitions): OffsetToCommit[] {
    const out: OffsetToCommit[] = [];
    for (const [t, ps] of tps) for (const p of ps) {
      const s = this.states.get(key(t, p));
      if (s !== undefined && s.position !== null && s.position !== s.lastCommitted) out.push({ topic: t, partition: p, offset: s.position, leaderEpoch: s.offsetEpoch });
    }
    return out;
  }

  private async withCoordinator<T>(fn: (conn: import('@samsa/network').Connection) => Promise<T>): Promise<T> {
    if (this.groupId === null) throw new ClientError(ClientErrorCode.CONFIG, 'offsets need a groupId');
    const m = this.membership!;
    for (let attempt = 0; ; attempt++) {
      const conn = await m.coordinatorConnection();
      try {
        return await fn(conn);
      } catch (err) {
        const code = err instanceof KafkaError ? err.code : null;
        if (code !== null && COORDINATOR_ERRORS.has(code)) (m as unknown as { coordinator: null }).coordinator = null;
        if (!isRetriable(err) || attempt >= 10) throw err;
        await sleep(this.cluster.retryBackoffMs);
      }
    }
  }

  /** Commits offsets (default: the current positions of every assigned partition). */
  async commitSync(offsets?: Array<{ topic: string; partition: number; offset: bigint | number | string; leaderEpoch?: number; metadata?: string | null }>): Promise<void> {
    const list: OffsetToCommit[] = offsets === undefined
      ? [...this.states.values()].filter((s) => s.position !== null && s.position !== s.lastCommitted).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position!, leaderEpoch: s.offsetEpoch }))
      : offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? null }));
    if (list.length === 0) return;
    const m = this.membership!;
    const inGroup = this.subscribed.length > 0;
    await this.withCoordinator((conn) => commitOffsets(conn, this.groupId!, list, inGroup ? m.generationId : -1, inGroup ? m.memberId : ''));
    for (const o of list) {
      const s = this.states.get(key(o.topic, o.partition));
      if (s !== undefined) s.lastCommitted = o.offset;
    }
  }

  /** As commitSync, without waiting; errors go to the callback. */
  commitAsync(offsets?: Parameters<Consumer['commitSync']>[0], callback?: (err: Error | null) => void): void {
    this.commitSync(offsets).then(
      () => callback?.(null),
      (err: Error) => {
        if (err instanceof KafkaError && (err.code === 27 || err.code === 22 || err.code === 25)) this.membership?.requestRejoin();
        callback?.(err);
      },
    );
  }

  /**
   * The group membership a transactional producer's sendOffsetsToTransaction() takes (KIP-447):
   * the group's coordinator accepts the offsets only from the current generation's member.
   */
  groupMetadata(): ConsumerGroupMetadata {
    if (this.groupId === null) throw new ClientError(ClientErrorCode.CONFIG, 'groupMetadata() needs a groupId');
    const inGroup = this.membership !== null && this.subscribed.length > 0;
    return {
      groupId: this.groupId,
      generationId: inGroup ? this.membership!.generationId : -1,
      memberId: inGroup ? this.membership!.memberId : '',
      groupInstanceId: this.groupInstanceId,
    };
  }

  /**
   * Whether the group is rebalancing this subscribed consumer: a rejoin is pending or under way
   * (the join goes on past a poll's timeout). Offsets committed meanwhile may be refused
   * (REBALANCE_IN_PROGRESS, or ILLEGAL_GENERATION once the generation moves on), which is why
   * Kafka Streams holds its commits until the rebalance ends and commits in onRevoked instead.
   */
  get rebalanceInProgress(): boolean {
    return this.membership !== null && this.subscribed.length > 0 && this.membership.rebalancing;
  }

  /** Committed offsets of partitions (default: the assigned ones). */
  async committed(tps?: Array<{ topic: string; partition: number }>): Promise<Array<{ topic: string; partition: number; offset: bigint }>> {
    const list = tps ?? this.assignment();
    const res = await this.withCoordinator((conn) => fetchOffsets(conn, this.groupId!, [...toTopicPartitions(list)].map(([topic, partitions]) => ({ topic, partitions }))));
    return res.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset }));
  }

  // ---- reading APIs -------------------------------------------------------------------------

  /**
   * `for await (const m of consumer)`: records one at a time, fetched a batch at a time (the
   * next fetches are in flight while a batch is iterated). Leaving the loop (break, throw) or
   * stop() rewinds the partitions to the first record not yet handed to the loop, so commits
   * never cover records the loop did not see.
   */
  [Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    return new MessageIterator(this, (ms, stopped) => this.pollUntil(ms, stopped), (pending) => this.seekBackTo(pending));
  }

  /**
   * Calls eachBatch or eachMessage until stop()/close(). A handler error seeks the partition
   * back to the first unprocessed message and rejects run() with that error.
   */
  async run(handlers: { eachMessage?: (m: ConsumedMessage) => Promise<void> | void; eachBatch?: (b: FetchedBatch) => Promise<void> | void }): Promise<void> {
    if (this.running) throw new ClientError(ClientErrorCode.CONFIG, 'run() is already running');
    this.running = true;
    const stopped = (): boolean => !this.running || this.closed;
    let done!: () => void;
    this.runDone = new Promise<void>((r) => (done = r));
    try {
      while (!stopped()) {
        const batches = (await this.pollUntil(1000, stopped)).map(toFetchedBatch);
        for (let i = 0; i < batches.length; i++) {
          if (stopped()) {
            // stop() during the previous batch: the rest of this poll is fetched again later
            this.rewind(batches.slice(i).map((b) => ({ batch: b, from: 0 })));
            break;
          }
          const b = batches[i]!;
          let index = 0;
          try {
            if (handlers.eachBatch !== undefined) await handlers.eachBatch(b);
            else if (handlers.eachMessage !== undefined) {
              for (; index < b.messages.length; index++) await handlers.eachMessage(b.messages[index]!);
            }
          } catch (err) {
            // redeliver from the failed message, and every later batch of this poll
            this.rewind([{ batch: b, from: handlers.eachBatch !== undefined ? 0 : index }, ...batches.slice(i + 1).map((x) => ({ batch: x, from: 0 }))]);
            throw err;
          }
        }
      }
    } finally {
      this.running = false;
      this.runDone = null;
      done();
    }
  }

  /** Seeks each partition back to the first record of `from` onwards that was not processed. */
  rewind(pending: Array<{ batch: FetchedBatch; from: number }>): void {
    this.seekBackTo(pending.map(({ batch, from }) => ({ topic: batch.topic, partition: batch.partition, first: batch.messages[from] })));
  }

  /** Seeks each partition back to `first` (its first listed unprocessed record, if any). */
  private seekBackTo(pending: Array<{ topic: string; partition: number; first: ConsumedMessage | undefined }>): void {
    const done = new Set<string>();
    for (const { topic, partition, first: m } of pending) {
      const k = key(topic, partition);
      if (done.has(k) || m === undefined || !this.states.has(k)) continue;
      done.add(k);
      this.seek({ topic, partition, offset: m.offset });
      // Back into records just fetched from the current leader: nothing to validate. The record's
      // own epoch stands in for its predecessor's (a later epoch can only end later), so a
      // leader change after this is still checked (KIP-320).
      const s = this.states.get(k)!;
      s.offsetEpoch = m.leaderEpoch ?? -1;
      s.awaitingValidation = false;
    }
  }

  /**
   * Stops run() after the batch its handler is processing (eachBatch) or after the batch's
   * messages (eachMessage), and ends `for await` loops after the current record; records
   * fetched but not processed are fetched again by the next run()/poll(). Resolves when run()
   * has returned.
   */
  stop(): Promise<void> {
    this.running = false;
    this.stopRequested++;
    this.wake?.();
    return this.runDone ?? Promise.resolve();
  }

  /** Commits (auto commit), leaves the group and closes connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.running = false;
    try {
      if (this.autoCommit && this.connectStarted) await this.commitSync().catch(() => {});
      if (this.membership !== null) await this.membership.leave();
    } finally {
      this.closed = true;
      this.wake?.();
      this.cluster.close();
    }
  }
}

/**
 * Records of a partition's fetched bytes at or after `fetchOffset`, and the next offset to
 * fetch (past control batches and records below fetchOffset, so the loop always advances).
 * `aborted` (read_committed) lists aborted transactions whose data batches are skipped.
 */
export async function decodeFetched(
  topic: string,
  partition: number,
  buf: Buffer,
  fetchOffset: bigint,
  aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null,
  checkCrcs = true,
): Promise<{ messages: ConsumedMessage[]; nextOffset: bigint; lastEpoch: number }> {
  const { records, nextOffset, lastEpoch } = await decodeFetchedRecords(topic, partition, buf, fetchOffset, aborted, checkCrcs);
  return { messages: records.toArray(), nextOffset, lastEpoch };
}

/**
 * As decodeFetched, the records left as field positions in the fetched bytes (objects made on
 * hand-out). With `slabs`, what the records refer to is copied out of `buf` (which the caller
 * then reuses); without, they are views into `buf`.
 */
export async function decodeFetchedRecords(
  topic: string,
  partition: number,
  buf: Buffer,
  fetchOffset: bigint,
  aborted: Array<{ producerId: bigint; firstOffset: bigint }> | null,
  checkCrcs: boolean,
  slabs: RecordSlabs | null = null,
): Promise<{ records: FetchedRecords; nextOffset: bigint; lastEpoch: number }> {
  let nextOffset = fetchOffset;
  /** partitionLeaderEpoch of the last batch the position moves past (Kafka's CompletedFetch.lastEpoch), -1 for none. */
  let lastEpoch = -1;
  const { positions } = scanBatches(buf);
  // Sized from the batches' record counts (capped: a count is not trusted beyond what the bytes can hold).
  let expected = 0;
  for (const pos of positions) if (buf.length - pos >= BATCH_HEADER_SIZE && buf[pos + BATCH_MAGIC] === 2) expected += Math.max(0, buf.readInt32BE(pos + BATCH_RECORD_COUNT));
  const records = new FetchedRecords(Math.min(expected, (buf.length >>> 3) + 16));
  const abortedOpen = new Set<bigint>();
  const pendingAborts = aborted === null ? [] : [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  for (const pos of positions) {
    const length = buf.readInt32BE(pos + BATCH_LENGTH);
    if (length + BATCH_LOG_OVERHEAD < BATCH_MAGIC + 1) break;
    const magic = buf.readInt8(pos + BATCH_MAGIC);
    if (magic < 2) {
      lastEpoch = -1;
      const end = pos + BATCH_LOG_OVERHEAD + length;
      for (const r of decodeRecordSet(slabs === null ? buf.subarray(pos, end) : Buffer.from(buf.subarray(pos, end)))) {
        if (r.offset >= fetchOffset) records.pushLegacy({ topic, partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, ...(magic === 1 ? { timestampType: (buf.readInt8(pos + BATCH_MAGIC + 1) & 0x08) !== 0 ? 1 : 0 } : {}) });
        if (r.offset + 1n > nextOffset) nextOffset = r.offset + 1n;
      }
      continue;
    }
    const header = decodeRecordBatchHeader(buf, pos, { verifyCrc: checkCrcs });
    const last = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (last + 1n > nextOffset) nextOffset = last + 1n;
    if (last < fetchOffset) continue;
    lastEpoch = header.partitionLeaderEpoch;
    if (aborted !== null) {
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= last) abortedOpen.add(pendingAborts.shift()!.producerId);
      if (header.isControl) {
        if (header.isTransactional) {
          const recs = decodeRecords(header);
          const type = recs.length > 0 ? decodeControlRecordKey(recs[0]!.key).type : null;
          if (type === ControlRecordType.Abort) abortedOpen.delete(header.producerId);
        }
        continue;
      }
      if (header.isTransactional && abortedOpen.has(header.producerId)) continue;
    }
    if (header.isControl) continue;
    const minDelta = fetchOffset > header.baseOffset ? Number(fetchOffset - header.baseOffset) : 0;
    if (header.compression === CompressionType.None) {
      let data = buf;
      let start = pos + BATCH_HEADER_SIZE;
      let end = pos + header.sizeInBytes;
      if (slabs !== null) {
        data = slabs.copy(buf, start, end);
        end = copyStart + end - start;
        start = copyStart;
      }
      const ctx = batchContext(topic, partition, data, header.baseOffset, header.baseTimestamp, header.maxTimestamp, header.timestampType, header.partitionLeaderEpoch);
      records.readBatch(ctx, start, end, header.recordCount, minDelta);
    } else {
      let data = await decompress(header.compression, header.recordsData);
      if (slabs !== null && data.buffer === buf.buffer) data = Buffer.from(data); // a codec that handed back a view of its input
      const ctx = batchContext(topic, partition, data, header.baseOffset, header.baseTimestamp, header.maxTimestamp, header.timestampType, header.partitionLeaderEpoch);
      records.readBatch(ctx, 0, data.length, header.recordCount, minDelta);
    }
  }
  return { records, nextOffset, lastEpoch };
}

/** The `for await` iterator: hands out the records of polled batches one by one, making each record's object as it goes. */
class MessageIterator implements AsyncIterator<ConsumedMessage> {
  private batches: PolledBatch[] = [];
  private batchIndex = 0;
  private messageIndex = 0;
  private readonly stopMark: number;
  private finished = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly pollUntil: (ms: number, stopped: () => boolean) => Promise<PolledBatch[]>,
    private readonly seekBack: (pending: Array<{ topic: string; partition: number; first: ConsumedMessage | undefined }>) => void,
  ) {
    this.stopMark = consumer.stopRequested;
  }

  private get stopped(): boolean {
    return this.finished || this.consumer.isClosed || this.consumer.stopRequested !== this.stopMark;
  }

  next(): Promise<IteratorResult<ConsumedMessage>> {
    if (!this.stopped) {
      for (;;) {
        const b = this.batches[this.batchIndex];
        if (b === undefined) return this.fill();
        if (this.messageIndex < b.records.length) {
          // A plain result, not a promise: `for await` awaits it all the same, one allocation less.
          return { done: false, value: b.records.at(this.messageIndex++) } as unknown as Promise<IteratorResult<ConsumedMessage>>;
        }
        this.batchIndex++;
        this.messageIndex = 0;
      }
    }
    return Promise.resolve(this.finish());
  }

  private async fill(): Promise<IteratorResult<ConsumedMessage>> {
    this.batches = [];
    this.batchIndex = 0;
    this.messageIndex = 0;
    while (!this.stopped) {
      try {
        const got = await this.pollUntil(1000, () => this.stopped);
        if (got.length > 0) {
          this.batches = got;
          return this.next();
        }
      } catch (err) {
        if (this.consumer.isClosed) break;
        throw err;
      }
    }
    return this.finish();
  }

  private finish(): IteratorResult<ConsumedMessage> {
    if (!this.finished) {
      this.finished = true;
      if (!this.consumer.isClosed) {
        this.seekBack(
          this.batches.slice(this.batchIndex).map((b, i) => {
            const from = i === 0 ? this.messageIndex : 0;
            return { topic: b.topic, partition: b.partition, first: from < b.records.length ? b.records.at(from) : undefined };
          }),
        );
      }
      this.batches = [];
    }
    return { done: true, value: undefined };
  }

  /** break / throw out of the loop. */
  return(): Promise<IteratorResult<ConsumedMessage>> {
    return Promise.resolve(this.finish());
  }
}

const toFetchedBatch = (b: PolledBatch): FetchedBatch => ({ topic: b.topic, partition: b.partition, highWatermark: b.highWatermark, messages: b.records.toArray() });

export function createConsumer(opts: ConsumerOptions): Consumer {
  return new Consumer(opts);
}
