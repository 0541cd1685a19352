/**
 * The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager) on the
 * coordinator runtime: one shard per `__transaction_state` partition, holding the metadata of
 * the transactional ids that hash to it. Every state change is a record written before the
 * answer, so a restarted (or new) coordinator replays the log into the same state and finishes
 * what was prepared.
 *
 * A transaction goes Empty -> Ongoing (AddPartitionsToTxn / AddOffsetsToTxn) -> PrepareCommit or
 * PrepareAbort (EndTxn, or the timeout) -> markers written to every partition of the transaction
 * -> CompleteCommit / CompleteAbort. While a transaction is being completed, requests for its id
 * get CONCURRENT_TRANSACTIONS, which clients retry.
 *
 * Fencing: InitProducerId bumps the epoch (a new producer id when the epoch would overflow), so
 * requests and batches of an older instance of the same transactional id are refused
 * (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH on the partitions); an open transaction of the old
 * instance is aborted first. A transaction open longer than its timeout is aborted with a bumped
 * epoch, which fences the producer that abandoned it.
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { partitionForGroup } from '../partitioner.js';
import type { CoordinatorRecord } from '../records.js';
import { appendErrorToResponseError, CoordinatorRuntime, type CoordinatorPartitionWriter, type CoordinatorResult, type CoordinatorShard, type ShardContext } from '../runtime.js';
import { decodeTxnRecord, TxnState, txnRecord, txnTombstone, type TxnLogEntry } from './txn-records.js';

export const MAX_PRODUCER_EPOCH = 32767;
const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
const MARKER_RETRY_MS = 100;

export interface TxnCoordinatorConfig {
  numPartitions: number;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredIntervalMs: number;
  /** request.timeout.ms: how long a state write waits for the in-sync replicas (as Kafka's TransactionStateManager) */
  writeTimeoutMs?: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** Writes COMMIT/ABORT markers to partition leaders (Kafka's TransactionMarkerChannelManager). */
export interface TxnMarkerChannel {
  /** Resolves with the partitions whose marker could not be written yet (retriable); unknown partitions count as done. */
  writeMarkers(m: { producerId: bigint; producerEpoch: number; coordinatorEpoch: number; commit: boolean; partitions: TopicPartitionRef[] }): Promise<TopicPartitionRef[]>;
}

export interface TxnMetadata extends TxnLogEntry {
  transactionalId: string;
  /** The id/epoch before the last bump (KIP-360 retries of InitProducerId); in memory only. */
  lastProducerId: bigint;
  lastProducerEpoch: number;
}

export class TxnShard implements CoordinatorShard {
  readonly txns = new Map<string, TxnMetadata>();
  /**
   * Ids with a state change written but not committed yet (Kafka's pendingState): their state
   * here is still the committed one, so other requests for them get CONCURRENT_TRANSACTIONS.
   */
  readonly pendingWrites = new Set<string>();

  constructor(
    readonly ctx: ShardContext,
    private readonly loaded: (shard: TxnShard) => void,
  ) {}

  replay(record: CoordinatorRecord): void {
    const r = decodeTxnRecord(record.key, record.value);
    if (r === null) return;
    if (r.entry === null) {
      this.txns.delete(r.transactionalId);
      return;
    }
    const prev = this.txns.get(r.transactionalId);
    const bumped = prev !== undefined && (prev.producerId !== r.entry.producerId || prev.producerEpoch !== r.entry.producerEpoch);
    this.txns.set(r.transactionalId, {
      ...r.entry,
      transactionalId: r.transactionalId,
      lastProducerId: bumped ? prev.producerId : (prev?.lastProducerId ?? NO_PRODUCER_ID),
      lastProducerEpoch: bumped ? prev.producerEpoch : (prev?.lastProducerEpoch ?? NO_PRODUCER_EPOCH),
    });
  }

  onLoaded(): void {
    this.loaded(this);
  }
}

/** The changed entry as a record (the shard applies it by replay once written). */
function update(md: TxnMetadata, change: Partial<TxnLogEntry>): CoordinatorRecord {
  return txnRecord(md.transactionalId, { ...md, ...change });
}

/** PRODUCER_FENCED did not exist before these versions; older clients get INVALID_PRODUCER_EPOCH (as Kafka). */
export function fencedCodeFor(code: number, version: number, firstVersionWithFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/** What a failed `__transaction_state` write answers (Kafka's TransactionStateManager.appendTransactionToLog). */
function codeOf(e: unknown): number {
  return e instanceof KafkaError ? appendErrorToResponseError(e.code) : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/**
 * A state change of one transactional id: the id is pending until the record commits (or the
 * write fails), so concurrent requests for it see CONCURRENT_TRANSACTIONS, not a stale state.
 */
function change<T>(shard: TxnShard, transactionalId: string, records: CoordinatorRecord[], response: T, afterWrite?: (error: unknown) => void): CoordinatorResult<T> {
  shard.pendingWrites.add(transactionalId);
  return {
    records, response,
    afterWrite: (error) => {
      shard.pendingWrites.delete(transactionalId);
      afterWrite?.(error);
    },
  };
}

export interface TxnCoordinatorOptions {
  clock: Clock;
  config: TxnCoordinatorConfig;
  writer: CoordinatorPartitionWriter;
  markers: TxnMarkerChannel;
  generateProducerId(): Promise<bigint>;
  log?: Logger;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export class TransactionCoordinator {
  readonly runtime: CoordinatorRuntime<TxnShard>;
  readonly config: TxnCoordinatorConfig;
  numPartitions: number;
  /** Leader epoch of each loaded partition: the coordinator epoch its markers carry. */
  private readonly coordinatorEpochs = new Map<number, number>();
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private closed = false;

  constructor(private readonly opts: TxnCoordinatorOptions) {
    this.config = opts.config;
    this.numPartitions = opts.config.numPartitions;
    this.clock = opts.clock;
    this.log = opts.log;
    this.runtime = new CoordinatorRuntime<TxnShard>({
      clock: opts.clock,
      writer: opts.writer,
      newShard: (ctx) => new TxnShard(ctx, (shard) => this.onShardLoaded(shard)),
      ...(opts.config.writeTimeoutMs !== undefined ? { writeTimeoutMs: opts.config.writeTimeoutMs } : {}),
      ...(opts.log !== undefined ? { log: opts.log } : {}),
    });
  }

  partitionFor(transactionalId: string): number {
    return partitionForGroup(transactionalId, this.numPartitions);
  }

  loadPartition(partition: number, epoch = 0): Promise<void> {
    this.coordinatorEpochs.set(partition, epoch);
    return this.runtime.load(partition, epoch);
  }

  unloadPartition(partition: number): void {
    this.coordinatorEpochs.delete(partition);
    this.runtime.unload(partition);
  }

  close(): void {
    this.closed = true;
    this.runtime.close();
  }

  /** NONE when this broker coordinates the id now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  status(transactionalId: string): number {
    const p = this.partitionFor(transactionalId);
    if (this.runtime.isLoaded(p)) return ErrorCode.NONE;
    return this.runtime.isHosted(p) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  // ---- timers and recovery --------------------------------------------------------------------

  private onShardLoaded(shard: TxnShard): void {
    // Transactions prepared before a crash or a coordinator move: finish them (Kafka's
    // TransactionStateManager hands them to the marker channel after loading).
    for (const md of shard.txns.values()) {
      if (md.state === TxnState.PrepareCommit || md.state === TxnState.PrepareAbort) this.completeTransaction(shard.ctx.partition, md);
    }
    this.scheduleTimeoutCheck(shard);
    this.scheduleExpiration(shard);
  }

  private scheduleTimeoutCheck(shard: TxnShard): void {
    shard.ctx.timer.schedule('abort-timed-out', this.config.abortTimedOutIntervalMs, () => {
      this.scheduleTimeoutCheck(shard);
      return this.abortTimedOut(shard);
    });
  }

  private scheduleExpiration(shard: TxnShard): void {
    shard.ctx.timer.schedule('remove-expired', this.config.removeExpiredIntervalMs, () => {
      this.scheduleExpiration(shard);
      return this.expireTransactionalIds(shard);
    });
  }

  /**
   * Aborts transactions open longer than their timeout (Kafka's abortTimedOutTransactions): the
   * epoch is bumped first, so the producer that abandoned the transaction is fenced.
   */
  abortTimedOut(shard: TxnShard): CoordinatorResult<void> {
    const now = this.clock.now();
    const records: CoordinatorRecord[] = [];
    const aborting: string[] = [];
    for (const md of shard.txns.values()) {
      if (md.state !== TxnState.Ongoing || md.startTimestampMs + md.timeoutMs > now || shard.pendingWrites.has(md.transactionalId)) continue;
      const epoch = md.producerEpoch < MAX_PRODUCER_EPOCH - 1 ? md.producerEpoch + 1 : md.producerEpoch;
      this.log?.info(`Aborting transaction ${md.transactionalId} (producer id ${md.producerId}) which timed out after ${md.timeoutMs} ms; bumping the epoch to ${epoch}`);
      records.push(update(md, { state: TxnState.PrepareAbort, producerEpoch: epoch, lastUpdateTimestampMs: now }));
      aborting.push(md.transactionalId);
      shard.pendingWrites.add(md.transactionalId);
    }
    return {
      records,
      response: undefined,
      afterWrite: (error) => {
        for (const id of aborting) shard.pendingWrites.delete(id);
        if (error !== null) return;
        for (const id of aborting) {
          const md = shard.txns.get(id);
          if (md !== undefined) this.completeTransaction(shard.ctx.partition, md);
        }
      },
    };
  }

  /** Removes ids idle (Empty or completed) for transactional.id.expiration.ms: a tombstone each. */
  expireTransactionalIds(shard: TxnShard): CoordinatorResult<void> {
    const now = this.clock.now();
    const records: CoordinatorRecord[] = [];
    for (const md of shard.txns.values()) {
      const idle = md.state === TxnState.Empty || md.state === TxnState.CompleteCommit || md.state === TxnState.CompleteAbort;
      if (idle && md.lastUpdateTimestampMs + this.config.idExpirationMs <= now && !shard.pendingWrites.has(md.transactionalId)) records.push(txnTombstone(md.transactionalId));
    }
    return { records, response: undefined };
  }

  /** Writes the markers of a prepared transaction, then its Complete state; retries until done or unloaded. */
  private completeTransaction(partition: number, prepared: TxnMetadata): void {
    const commit = prepared.state === TxnState.PrepareCommit;
    const coordinatorEpoch = this.coordinatorEpochs.get(partition) ?? 0;
    let pending: TopicPartitionRef[] = [];
    for (const [topic, ps] of prepared.partitions) for (const p of ps) pending.push({ topic, partition: p });
    const { transactionalId, producerId, producerEpoch } = prepared;
    const attempt = async (): Promise<void> => {
      if (this.closed || this.coordinatorEpochs.get(partition) !== coordinatorEpoch) return;
      try {
        pending = await this.opts.markers.writeMarkers({ producerId, producerEpoch, coordinatorEpoch, commit, partitions: pending });
      } catch (e) {
        this.log?.warn(`Writing transaction markers of ${transactionalId} failed; retrying`, e);
      }
      if (pending.length > 0) {
        this.clock.setTimeout(() => void attempt(), MARKER_RETRY_MS);
        return;
      }
      if (this.closed || this.coordinatorEpochs.get(partition) !== coordinatorEpoch) return;
      try {
        const retry = await this.runtime.write(partition, (shard): CoordinatorResult<boolean> => {
          const md = shard.txns.get(transactionalId);
          if (shard.pendingWrites.has(transactionalId)) return { records: [], response: true };
          if (md === undefined || md.producerId !== producerId || md.producerEpoch !== producerEpoch || md.state !== prepared.state) return { records: [], response: false };
          const now = this.clock.now();
          return change(shard, transactionalId, [update(md, { state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestampMs: now })], false);
        });
        if (retry) this.clock.setTimeout(() => void attempt(), MARKER_RETRY_MS);
      } catch (e) {
        this.log?.warn(`Completing transaction ${transactionalId} failed; retrying`, e);
        this.clock.setTimeout(() => void attempt(), MARKER_RETRY_MS);
      }
    };
    void attempt();
  }

  // ---- requests ---------------------------------------------------------------------------------

  /** InitProducerId with a transactional id (Kafka's handleInitProducerId). */
  async initProducerId(transactionalId: string, timeoutMs: number, givenProducerId: bigint, givenEpoch: number): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const partition = this.partitionFor(transactionalId);
    try {
      // A new producer id is needed for a new id or an exhausted epoch; allocation is
      // asynchronous, so it happens before the (synchronous) state change.
      const needsNewId = this.runtime.read(partition, (s) => {
        const md = s.txns.get(transactionalId);
        return md === undefined || md.producerEpoch >= MAX_PRODUCER_EPOCH - 1;
      });
      const newId = needsNewId ? await this.opts.generateProducerId() : NO_PRODUCER_ID;
      let abortOngoing: TxnMetadata | null = null;
      const res = await this.runtime.write(partition, (shard): CoordinatorResult<InitProducerIdResult> => {
        const now = this.clock.now();
        if (shard.pendingWrites.has(transactionalId)) return { records: [], response: fail(ErrorCode.CONCURRENT_TRANSACTIONS) };
        const md = shard.txns.get(transactionalId);
        if (md === undefined) {
          if (newId < 0n) return { records: [], response: fail(ErrorCode.CONCURRENT_TRANSACTIONS) };
          const entry: TxnLogEntry = { producerId: newId, producerEpoch: 0, timeoutMs, state: TxnState.Empty, partitions: new Map(), lastUpdateTimestampMs: now, startTimestampMs: -1 };
          return change(shard, transactionalId, [txnRecord(transactionalId, entry)], { errorCode: ErrorCode.NONE, producerId: newId, producerEpoch: 0 });
        }
        if (givenProducerId >= 0n) {
          // KIP-360: the producer says who it was; anyone else is a zombie.
          const isCurrent = givenProducerId === md.producerId && givenEpoch === md.producerEpoch;
          const isRetry = givenProducerId === md.lastProducerId && givenEpoch === md.lastProducerEpoch;
          if (isRetry && md.state === TxnState.Empty) return { records: [], response: { errorCode: ErrorCode.NONE, producerId: md.producerId, producerEpoch: md.producerEpoch } };
          if (!isCurrent && !(givenProducerId === md.producerId && givenEpoch < md.producerEpoch && md.state === TxnState.CompleteAbort)) {
            return { records: [], response: fail(ErrorCode.PRODUCER_FENCED) };
          }
        }
        switch (md.state) {
          case TxnState.PrepareCommit:
          case TxnState.PrepareAbort:
          case TxnState.PrepareEpochFence:
            return { records: [], response: fail(ErrorCode.CONCURRENT_TRANSACTIONS) };
          case TxnState.Ongoing: {
            // The previous instance left a transaction open: fence it and abort; the client retries.
            const epoch = md.producerEpoch < MAX_PRODUCER_EPOCH - 1 ? md.producerEpoch + 1 : md.producerEpoch;
            return change(shard, transactionalId, [update(md, { state: TxnState.PrepareAbort, producerEpoch: epoch, lastUpdateTimestampMs: now })], fail(ErrorCode.CONCURRENT_TRANSACTIONS), (error) => {
              if (error === null) abortOngoing = shard.txns.get(transactionalId) ?? null;
            });
          }
          default: {
            const exhausted = md.producerEpoch >= MAX_PRODUCER_EPOCH - 1;
            if (exhausted && newId < 0n) return { records: [], response: fail(ErrorCode.CONCURRENT_TRANSACTIONS) };
            const producerId = exhausted ? newId : md.producerId;
            const producerEpoch = exhausted ? 0 : md.producerEpoch + 1;
            return change(shard, transactionalId, [update(md, { producerId, producerEpoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), lastUpdateTimestampMs: now, startTimestampMs: -1 })], { errorCode: ErrorCode.NONE, producerId, producerEpoch });
          }
        }
      });
      if (abortOngoing !== null) this.completeTransaction(partition, abortOngoing);
      return res;
    } catch (e) {
      return fail(codeOf(e));
    }
  }

  /** The checks every transactional request makes (Kafka's ownership/epoch checks). */
  private validate(md: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (md === undefined || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (md.state === TxnState.PrepareCommit || md.state === TxnState.PrepareAbort || md.state === TxnState.PrepareEpochFence) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (md.state === TxnState.Dead) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn / AddOffsetsToTxn (Kafka's handleAddPartitionsToTransaction): the
   * partitions join the transaction, which becomes Ongoing. Returns one code for all of them.
   * `verifyOnly` (KIP-890, brokers asking before a transactional append) only checks membership.
   */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartitionRef[], verifyOnly = false): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    try {
      return await this.runtime.write(this.partitionFor(transactionalId), (shard): CoordinatorResult<number> => {
        const md = shard.txns.get(transactionalId);
        const code = this.validate(md, producerId, producerEpoch);
        if (code !== ErrorCode.NONE) return { records: [], response: code };
        const m = md!;
        const missing = partitions.filter((tp) => m.partitions.get(tp.topic)?.has(tp.partition) !== true);
        // Kafka's handleVerifyPartitionsInTransaction: the leader turns this into INVALID_TXN_STATE for clients that predate the code.
        if (verifyOnly) return { records: [], response: m.state === TxnState.Ongoing && missing.length === 0 ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE };
        if (m.state === TxnState.Ongoing && missing.length === 0) return { records: [], response: ErrorCode.NONE };
        if (shard.pendingWrites.has(transactionalId)) return { records: [], response: ErrorCode.CONCURRENT_TRANSACTIONS };
        const now = this.clock.now();
        const wasOngoing = m.state === TxnState.Ongoing;
        const next = new Map<string, Set<number>>();
        if (wasOngoing) for (const [t, ps] of m.partitions) next.set(t, new Set(ps));
        for (const tp of partitions) {
          let set = next.get(tp.topic);
          if (set === undefined) next.set(tp.topic, (set = new Set()));
          set.add(tp.partition);
        }
        return change(shard, transactionalId, [update(m, { state: TxnState.Ongoing, partitions: next, lastUpdateTimestampMs: now, startTimestampMs: wasOngoing ? m.startTimestampMs : now })], ErrorCode.NONE);
      });
    } catch (e) {
      return codeOf(e);
    }
  }

  /** EndTxn (Kafka's handleEndTransaction): writes the Prepare state and answers; markers follow. */
  async endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const partition = this.partitionFor(transactionalId);
    try {
      let prepared: TxnMetadata | null = null;
      const code = await this.runtime.write(partition, (shard): CoordinatorResult<number> => {
        if (shard.pendingWrites.has(transactionalId)) return { records: [], response: ErrorCode.CONCURRENT_TRANSACTIONS };
        const md = shard.txns.get(transactionalId);
        if (md === undefined || md.producerId !== producerId) return { records: [], response: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
        if (md.producerEpoch !== producerEpoch) return { records: [], response: ErrorCode.PRODUCER_FENCED };
        switch (md.state) {
          case TxnState.Ongoing:
            return change(shard, transactionalId, [update(md, { state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, lastUpdateTimestampMs: this.clock.now() })], ErrorCode.NONE, (error) => {
              if (error === null) prepared = shard.txns.get(transactionalId) ?? null;
            });
          case TxnState.CompleteCommit:
            return { records: [], response: commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE };
          case TxnState.CompleteAbort:
            return { records: [], response: commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE };
          case TxnState.PrepareCommit:
            return { records: [], response: commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE };
          case TxnState.PrepareAbort:
            return { records: [], response: commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS };
          default:
            return { records: [], response: ErrorCode.INVALID_TXN_STATE };
        }
      });
      if (prepared !== null) this.completeTransaction(partition, prepared);
      return code;
    } catch (e) {
      return codeOf(e);
    }
  }

  /** The metadata of a transactional id, or an error code (DescribeTransactions). */
  describe(transactionalId: string): TxnMetadata | number {
    try {
      const md = this.runtime.read(this.partitionFor(transactionalId), (s) => s.txns.get(transactionalId));
      return md ?? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND;
    } catch (e) {
      return codeOf(e);
    }
  }

  /** Every transaction of the loaded partitions (ListTransactions). */
  list(): TxnMetadata[] {
    const out: TxnMetadata[] = [];
    for (const p of this.runtime.activePartitions()) this.runtime.read(p, (s) => out.push(...s.txns.values()));
    return out;
  }
}
