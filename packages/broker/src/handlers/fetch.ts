/**
 * Fetch (1). v4-v17: v4 is the first version with record batch v2 only responses (v0-v3 would
 * need down-conversion to magic 0/1, which Kafka 4 dropped too). Topic ids from v13, sessions
 * (KIP-227) from v7, read_committed stops at the last stable offset (= high watermark while
 * there are no transactions). A fetch that finds fewer than min_bytes waits in the purgatory
 * until appends bring enough bytes or max_wait_ms passes, then reads again. Records go into
 * the response by reference. Follower fetching (KIP-392): a consumer's v11+ fetch may be served
 * by a follower (up to the follower's high watermark), and with replica.selector.class the
 * leader answers a consumer with rack_id by naming an in-sync replica in that rack
 * (preferred_read_replica, no records) instead of reading.
 */
import { ApiKey, ErrorCode, type FetchRequest, type FetchResponse } from '@samsa/protocol';
import { ZERO_UUID } from '../metadata/uuid.js';
import type { DelayedOperation } from '../server/purgatory.js';
import { partitionKey } from '../server/purgatory.js';
import { logEndKey } from '../cluster/replica-manager.js';
import { sessionPartitionKey, type FetchSession, type SessionPartition } from '../server/fetch-session-cache.js';
import { mapError } from '../server/error-mapping.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { AclOperation, authorize, authorizeCluster, ResourceType } from '../security/authorize.js';
import { unhostedPartitionError } from '../server/leadership.js';
import type { Partition, PartitionReadResult } from '../cluster/partition.js';
import type { PreparedRead } from '../storage/partition-log.js';
import { preferredReadReplica } from '../cluster/replica-selector.js';

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

export const READ_COMMITTED = 1;
const EMPTY: Buffer = Buffer.alloc(0);

/** One partition to read in this fetch. */
interface FetchTarget {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** Set when the topic id of the request is unknown. */
  unknownTopicId: boolean;
  /** Cached partition of an incremental session (decides whether the response mentions it). */
  cached: SessionPartition | null;
  /** The principal may not read the topic: answered TOPIC_AUTHORIZATION_FAILED, never kept in a session. */
  denied?: boolean;
}

interface FetchParams {
  version: number;
  /** The fetching follower's broker id (ReplicaState, or replica_id before v15), -1 for a consumer. */
  replicaId: number;
  maxBytes: number;
  minBytes: number;
  isolationLevel: number;
  usesTopicIds: boolean;
  incremental: boolean;
  /** A consumer's v11+ fetch (KIP-392): followers may answer it. */
  followerMayAnswer: boolean;
  /** The consumer's rack_id when replica.selector.class is set, else '' (no redirection). */
  selectorRack: string;
}

function errorPartition(partition: number, code: number): PartitionData {
  return {
    partitionIndex: partition, errorCode: code, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
    abortedTransactions: null, preferredReadReplica: -1, records: EMPTY,
  };
}

/** What reading a fetch's targets gave. errors: some partition answers now (an error, or a preferred read replica to go to). */
interface ReadResult {
  data: PartitionData[];
  bytes: number;
  errors: boolean;
}

/** A read in progress: resumes at a target after reading its cold bytes off the event loop. */
interface ReadState extends ReadResult {
  remaining: number;
  minOneBatch: boolean;
  /** Cold bytes read for the partition being read: their memory goes back once its read copied them. */
  prepared: PreparedRead | null;
}

function releasePrepared(state: ReadState): void {
  state.prepared?.release();
  state.prepared = null;
}

/**
 * Reads every target once, in order; returns partition data in target order and the total
 * record bytes. A partition whose bytes may not be in the page cache is read off the event loop
 * first (only what this fetch will return of it), then the reads go on: the event loop never
 * waits for the disk, and the result is a Promise then.
 */
function readAll(broker: BrokerServices, targets: readonly FetchTarget[], p: FetchParams): ReadResult | Promise<ReadResult> {
  const state: ReadState = { data: new Array(targets.length), bytes: 0, errors: false, remaining: p.maxBytes, minOneBatch: true, prepared: null };
  const done = (): ReadResult => {
    releasePrepared(state);
    return state;
  };
  const r = readFrom(broker, targets, p, state, 0, -1);
  return r === null ? done() : r.then(done, (e: unknown) => {
    done();
    throw e;
  });
}

/** Reads targets[from...]; a Promise (of the rest read) when one needs a cold read first, else null when all are read. */
function readFrom(broker: BrokerServices, targets: readonly FetchTarget[], p: FetchParams, state: ReadState, from: number, prepared: number): Promise<void> | null {
  const data = state.data;
  for (let i = from; i < targets.length; i++) {
    const t = targets[i]!;
    if (t.unknownTopicId || t.denied === true) {
      data[i] = errorPartition(t.partition, t.denied === true ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_ID);
      state.errors = true;
      continue;
    }
    const hosted = broker.partitions.topic(t.topic);
    const partition = hosted?.partitions[t.partition];
    if (hosted === undefined || partition === undefined || (p.usesTopicIds && hosted.image.id !== t.topicId)) {
      const known = hosted !== undefined && (!p.usesTopicIds || hosted.image.id === t.topicId);
      data[i] = errorPartition(t.partition, known || !p.usesTopicIds ? unhostedPartitionError(broker, t.topic, t.partition) : ErrorCode.UNKNOWN_TOPIC_ID);
      state.errors = true;
      continue;
    }
    try {
      if (p.selectorRack !== '') {
        const preferred = preferredReadReplica(partition, broker.metadata, broker.nodeId, p.selectorRack, t.fetchOffset);
        if (preferred >= 0) {
          partition.checkLeaderEpoch(t.currentLeaderEpoch, true);
          data[i] = {
            partitionIndex: t.partition, errorCode: ErrorCode.NONE, highWatermark: partition.highWatermark, lastStableOffset: partition.lastStableOffset,
            logStartOffset: partition.logStartOffset, abortedTransactions: null, preferredReadReplica: preferred, records: EMPTY,
          };
          state.errors = true;
          continue;
        }
      }
      // A throttled partition gets no data while the leader's replication throttle is exceeded.
      const throttle = p.replicaId >= 0 && broker.replication?.leaderThrottle.applies(t.topic, t.partition) === true ? broker.replication.leaderThrottle : null;
      const held = throttle?.isExceeded() === true;
      const limit = held ? 0 : Math.max(0, Math.min(t.partitionMaxBytes, state.remaining));
      // Followers read to the log end; consumers see only what the ISR has.
      const isolation = p.replicaId >= 0 ? 'log-end' : p.isolationLevel === READ_COMMITTED ? 'txn-committed' : 'high-watermark';
      const readOpts = { isolation, minOneBatch: state.minOneBatch && !held, currentLeaderEpoch: t.currentLeaderEpoch, fetchOnlyFromLeader: !p.followerMayAnswer } as const;
      if (i !== prepared) {
        const cold = partition.prepareRead(t.fetchOffset, limit, readOpts);
        if (cold !== null) {
          // Resume here once the bytes are in memory (a failed cold read is reported by the read itself).
          return cold.then(
            (r) => {
              state.prepared = r;
              return readFrom(broker, targets, p, state, i, i) ?? undefined;
            },
            () => readFrom(broker, targets, p, state, i, i) ?? undefined,
          );
        }
      }
      // Out of range is reported even when this partition gets no bytes (a zero-byte read checks it).
      let info: PartitionReadResult;
      try {
        info = partition.readRecords(t.fetchOffset, limit, readOpts);
      } finally {
        // The read copied what was read off the event loop for it: the next partition's cold read reuses that memory.
        releasePrepared(state);
      }
      const records = info.records;
      if (records.length > 0) {
        throttle?.record(records.length);
        state.minOneBatch = false;
        state.remaining -= records.length;
        state.bytes += records.length;
      }
      data[i] = {
        partitionIndex: t.partition, errorCode: ErrorCode.NONE, highWatermark: info.highWatermark, lastStableOffset: info.lastStableOffset, logStartOffset: info.logStartOffset,
        abortedTransactions: p.isolationLevel === READ_COMMITTED ? abortedTransactionsOf(broker, partition, t.fetchOffset, records.length > 0 ? info.lastStableOffset : t.fetchOffset) : null,
        preferredReadReplica: -1, records,
      };
    } catch (e) {
      const m = mapError(e);
      if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error reading ${t.topic}-${t.partition} at ${t.fetchOffset}`, e);
      data[i] = errorPartition(t.partition, m.code);
      state.errors = true;
    }
  }
  return null;
}

/** The aborted transactions a read_committed consumer must filter out of what it got. */
function abortedTransactionsOf(broker: BrokerServices, partition: Partition, fetchOffset: bigint, upperBoundOffset: bigint): Array<{ producerId: bigint; firstOffset: bigint }> {
  if (upperBoundOffset <= fetchOffset) return [];
  return broker.partitions.appendHook?.abortedTransactions?.(partition.log, fetchOffset, upperBoundOffset) ?? [];
}

/**
 * Builds the response from the read results; in an incremental session only partitions with
 * news are listed, and the session remembers what it told the client.
 */
function buildResponse(targets: readonly FetchTarget[], data: readonly PartitionData[], p: FetchParams, sessionId: number): FetchResponse {
  const responses: FetchResponse['responses'] = [];
  let last: FetchResponse['responses'][number] | undefined;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    const d = data[i]!;
    const c = t.cached;
    if (c !== null) {
      const changed = d.errorCode !== ErrorCode.NONE || d.records!.length > 0 || d.highWatermark !== c.lastHighWatermark
        || d.lastStableOffset !== c.lastLastStableOffset || d.logStartOffset !== c.lastLogStartOffset;
      c.lastHighWatermark = d.highWatermark;
      c.lastLastStableOffset = d.lastStableOffset ?? -1n;
      c.lastLogStartOffset = d.logStartOffset ?? -1n;
      if (p.incremental && !changed) continue;
    }
    const same = last !== undefined && (p.usesTopicIds ? last.topicId === t.topicId : last.topic === t.topic);
    if (!same) {
      last = p.usesTopicIds ? { topicId: t.topicId, partitions: [] } : { topic: t.topic, partitions: [] };
      responses.push(last);
    }
    last!.partitions.push(d);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses };
}

/** A long poll waiting for min_bytes: counts appended bytes, then reads everything again. */
class DelayedFetch implements DelayedOperation {
  private accumulated: number;
  resolve!: (r: FetchResponse) => void;

  constructor(
    private readonly broker: BrokerServices,
    private readonly targets: readonly FetchTarget[],
    private readonly params: FetchParams,
    private readonly sessionId: number,
    initialBytes: number,
  ) {
    this.accumulated = initialBytes;
  }

  onUpdate(_key: string, bytes: number): boolean {
    if (bytes === 0) return true; // a partition went away: answer now with the error
    this.accumulated += bytes;
    return this.accumulated >= this.params.minBytes;
  }

  complete(): void {
    const read = readAll(this.broker, this.targets, this.params);
    const respond = ({ data }: ReadResult): void => this.resolve(buildResponse(this.targets, data, this.params, this.sessionId));
    if (read instanceof Promise) void read.then(respond);
    else respond(read);
  }
}

/**
 * A follower's fetch offset is its log end: the leader learns it before reading, so the
 * response carries the high watermark it lets through (Kafka's updateFollowerFetchState).
 */
function recordFollowerFetches(broker: BrokerServices, targets: readonly FetchTarget[], replicaId: number): void {
  const replication = broker.replication;
  if (replication === undefined || replication === null) return;
  for (const t of targets) {
    // A replica refused CLUSTER_ACTION reads nothing and must not count towards the ISR either.
    if (t.unknownTopicId || t.denied === true) continue;
    const partition = broker.partitions.getPartition(t.topic, t.partition);
    if (partition !== undefined) replication.recordFollowerFetch(partition, replicaId, t.fetchOffset, -1n);
  }
}

function sessionError(code: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode: code, sessionId: 0, responses: [] };
}

function handle(ctx: RequestContext, req: FetchRequest, version: number): FetchResponse | Promise<FetchResponse> {
  const broker = ctx.broker;
  const usesTopicIds = version >= 13;
  const image = broker.metadata;
  const fetchMaxBytes = broker.config.int('fetch.max.bytes');
  const params: FetchParams = {
    version,
    replicaId: version >= 15 ? req.replicaState?.replicaId ?? -1 : req.replicaId ?? -1,
    maxBytes: Math.min(req.maxBytes ?? 0x7fffffff, fetchMaxBytes),
    minBytes: req.minBytes,
    isolationLevel: req.isolationLevel ?? 0,
    usesTopicIds,
    incremental: false,
    followerMayAnswer: false,
    selectorRack: '',
  };
  if (params.replicaId < 0 && version >= 11) {
    params.followerMayAnswer = true;
    if (broker.config.get('replica.selector.class') !== null) params.selectorRack = req.rackId ?? '';
  }

  let session: FetchSession | null = null;
  if (version >= 7) {
    const lookup = broker.fetchSessions.lookup(req.sessionId ?? 0, req.sessionEpoch ?? -1, usesTopicIds);
    if (lookup.kind === 'error') return sessionError(ErrorCode[lookup.error]);
    if (lookup.kind === 'new') session = lookup.session;
    else if (lookup.kind === 'incremental') {
      session = lookup.session;
      params.incremental = true;
    }
  }

  // Request partitions (added to or updated in the session).
  const requested: FetchTarget[] = [];
  const denied: FetchTarget[] = [];
  // Followers fetch with CLUSTER_ACTION on the cluster; consumers need READ on each topic.
  // (v15+ decodes replica_id as -1: the follower is known by ReplicaState, as params has it.)
  const follower = params.replicaId >= 0;
  const followerAllowed = follower && authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
  for (const ft of req.topics) {
    let name: string;
    let topicId: string;
    let unknownTopicId = false;
    if (usesTopicIds) {
      topicId = ft.topicId ?? ZERO_UUID;
      const t = image.topicsById.get(topicId);
      name = t?.name ?? '';
      unknownTopicId = t === undefined;
    } else {
      name = ft.topic ?? '';
      topicId = image.topic(name)?.id ?? ZERO_UUID;
    }
    const allowed = unknownTopicId || (follower ? followerAllowed : authorize(ctx, AclOperation.READ, ResourceType.TOPIC, name));
    for (const fp of ft.partitions) {
      (allowed ? requested : denied).push({
        topic: name, topicId, partition: fp.partition, fetchOffset: fp.fetchOffset, partitionMaxBytes: fp.partitionMaxBytes,
        currentLeaderEpoch: fp.currentLeaderEpoch ?? -1, unknownTopicId, cached: null, denied: !allowed,
      });
    }
  }

  let targets: FetchTarget[];
  if (session === null) {
    targets = requested;
  } else {
    const parts = session.partitions;
    if (params.incremental) {
      for (const fg of req.forgottenTopicsData ?? []) {
        const key = usesTopicIds ? fg.topicId ?? ZERO_UUID : fg.topic ?? '';
        for (const p of fg.partitions) parts.delete(sessionPartitionKey(key, p));
      }
    }
    for (const r of requested) {
      const key = sessionPartitionKey(usesTopicIds ? r.topicId : r.topic, r.partition);
      const cur = parts.get(key);
      if (cur !== undefined) {
        cur.fetchOffset = r.fetchOffset;
        cur.partitionMaxBytes = r.partitionMaxBytes;
        cur.currentLeaderEpoch = r.currentLeaderEpoch;
      } else {
        parts.set(key, {
          topic: r.topic, topicId: r.topicId, partition: r.partition, fetchOffset: r.fetchOffset, partitionMaxBytes: r.partitionMaxBytes,
          currentLeaderEpoch: r.currentLeaderEpoch, lastHighWatermark: -2n, lastLastStableOffset: -2n, lastLogStartOffset: -2n,
        });
      }
    }
    targets = [];
    for (const sp of parts.values()) {
      const unknownTopicId = usesTopicIds && !image.topicsById.has(sp.topicId);
      targets.push({
        topic: sp.topic, topicId: sp.topicId, partition: sp.partition, fetchOffset: sp.fetchOffset, partitionMaxBytes: sp.partitionMaxBytes,
        currentLeaderEpoch: sp.currentLeaderEpoch, unknownTopicId, cached: sp,
      });
    }
    if (params.incremental) broker.fetchSessions.advance(session);
  }
  const sessionId = session?.id ?? 0;
  if (denied.length > 0) targets = [...targets, ...denied];

  if (params.replicaId >= 0) recordFollowerFetches(broker, targets, params.replicaId);
  const first = readAll(broker, targets, params);
  if (first instanceof Promise) return first.then((r) => respondOrWait(broker, targets, params, sessionId, req.maxWaitMs, r));
  return respondOrWait(broker, targets, params, sessionId, req.maxWaitMs, first);
}

function respondOrWait(broker: BrokerServices, targets: FetchTarget[], params: FetchParams, sessionId: number, maxWaitMs: number, first: ReadResult): FetchResponse | Promise<FetchResponse> {
  if (first.bytes >= params.minBytes || maxWaitMs <= 0 || first.errors || targets.length === 0) {
    return buildResponse(targets, first.data, params, sessionId);
  }
  // Long poll: wait for appends on the partitions read here. These reads are read again when
  // it completes, so their pooled buffers go back now.
  for (const d of first.data) if (d.records !== null && d.records !== undefined) broker.storage.readBuffers.release(d.records);
  const delayed = new DelayedFetch(broker, targets, params, sessionId, first.bytes);
  // Consumers wait for the high watermark; followers for the log end (and learn HW moves too).
  const keys = targets.map((t) => partitionKey(t.topic, t.partition));
  if (params.replicaId >= 0) for (const t of targets) keys.push(logEndKey(t.topic, t.partition));
  return new Promise<FetchResponse>((resolve) => {
    delayed.resolve = resolve;
    broker.purgatory.watch(delayed, keys, maxWaitMs);
  });
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  handle,
};
