/**
 * The transactional producer's state machine and coordinator requests, as Kafka's
 * TransactionManager: FindCoordinator (key type 1), InitProducerId with the transactional id,
 * AddPartitionsToTxn before the first batch to a partition (KIP-890 brokers refuse batches to
 * partitions not added), AddOffsetsToTxn + TxnOffsetCommit (KIP-447 group metadata), EndTxn.
 * Errors fall in Kafka's three classes: retried (coordinator moved or loading,
 * CONCURRENT_TRANSACTIONS, retriable codes), abortable (the transaction must be aborted, the
 * producer lives on) and fatal (fenced by a newer instance: the producer must be closed).
 */
import { apiByName, type ApiDescriptor, ErrorCode, KafkaError } from '@samsa/protocol';
import { type Cluster, sleep } from './cluster.js';
import type { Connection } from '@samsa/network';
import { ClientError, ClientErrorCode, isRetriable } from './errors.js';
import { COORDINATOR_ERRORS, findCoordinator } from './group/coordinator.js';

export type TransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING_TRANSACTION'
  | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

/** What sendOffsetsToTransaction needs of the consumer's group membership (Consumer.groupMetadata()). */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** The consumer's generation (-1: none; the coordinator then skips the generation check). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface TransactionalOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (the last processed one + 1). */
  offset: bigint | number | string;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** Codes after which the producer is unusable: another instance with the same transactional.id took over. */
const FATAL_CODES: ReadonlySet<number> = new Set([
  ErrorCode.PRODUCER_FENCED,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_TXN_STATE,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING,
  ErrorCode.INVALID_TRANSACTION_TIMEOUT,
]);

/**
 * TxnOffsetCommit codes after which only the transaction must be aborted (Kafka's
 * TxnOffsetCommitHandler): the consumer's group moved on (a zombie member), the group is not
 * allowed, or the coordinator could not verify the transaction. Other non-retriable codes are fatal.
 */
const TXN_OFFSET_COMMIT_ABORTABLE: ReadonlySet<number> = new Set([
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
  ErrorCode.FENCED_INSTANCE_ID,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTION_ABORTABLE,
]);

/** What a transactional request retries within max.block.ms: the coordinator moved or is loading, a previous transaction is finishing, or a retriable error. */
function retriesOn(code: number, failure: unknown): boolean {
  return code === ErrorCode.CONCURRENT_TRANSACTIONS || COORDINATOR_ERRORS.has(code) || isRetriable(failure);
}

/** Codes of a produce response that fence the producer (Kafka's Sender maps both to ProducerFencedException). */
export const FENCING_CODES: ReadonlySet<number> = new Set([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);

/** Kafka's producer backs off this little on CONCURRENT_TRANSACTIONS: the coordinator is finishing the previous transaction. */
const CONCURRENT_TRANSACTIONS_BACKOFF_MS = 20;

const key = (t: string, p: number): string => `${t}\u0000${p}`;

/** The hooks into the producer that owns this manager. */
export interface TransactionHost {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** A new producer id/epoch: sequences restart at 0 (InitProducerId). */
  setProducer(producerId: bigint, producerEpoch: number): void;
  /** Partitions were added to the transaction: their batches may go. */
  partitionsAdded(): void;
  /** AddPartitionsToTxn failed for good: fail the partition's batches. */
  failPartition(topic: string, partition: number, err: Error): void;
}

export class TransactionManager {
  state: TransactionState = 'UNINITIALIZED';
  /** The error that put the manager in ABORTABLE_ERROR or FATAL_ERROR. */
  lastError: Error | null = null;
  /** A batch with a sequence number failed or was dropped: the next abort bumps the epoch (KIP-360). */
  epochBumpRequired = false;
  private coordinator: Connection | null = null;
  /** Partitions the coordinator has in the current transaction. */
  private readonly added = new Set<string>();
  /** Partitions written to, waiting for AddPartitionsToTxn. */
  private readonly pending = new Map<string, { topic: string; partition: number }>();
  private addInFlight: Promise<void> | null = null;
  /** The coordinator knows of the current transaction (a partition or the offsets were added). */
  private started = false;

  constructor(
    private readonly cluster: Cluster,
    readonly transactionalId: string,
    readonly transactionTimeoutMs: number,
    private readonly maxBlockMs: number,
    private readonly host: TransactionHost,
  ) {}

  /** Throws unless the state is one of `allowed` (Kafka's IllegalStateException, or the fatal error itself). */
  ensure(operation: string, ...allowed: TransactionState[]): void {
    if (allowed.includes(this.state)) return;
    if (this.state === 'FATAL_ERROR') throw this.lastError!;
    if (this.state === 'ABORTABLE_ERROR') {
      throw new ClientError(ClientErrorCode.TRANSACTION_STATE, `cannot ${operation}: the transaction hit an error and must be aborted (${this.lastError?.message})`, false, { cause: this.lastError });
    }
    const hint = this.state === 'UNINITIALIZED' ? ' (call initTransactions() first)' : this.state === 'READY' ? ' (call beginTransaction() first)' : '';
    throw new ClientError(ClientErrorCode.TRANSACTION_STATE, `cannot ${operation} in transaction state ${this.state}${hint}`);
  }

  /** Whether a partition's batches may be sent (it was added to the current transaction). */
  canSend(topic: string, partition: number): boolean {
    return this.added.has(key(topic, partition));
  }

  /** A record goes to a partition: add it to the transaction before its first batch is sent. */
  onAppend(topic: string, partition: number): void {
    const k = key(topic, partition);
    if (this.added.has(k) || this.pending.has(k)) return;
    this.pending.set(k, { topic, partition });
    if (this.addInFlight === null) this.addInFlight = this.addPendingPartitions();
  }

  /** A batch failed in the transaction: abortable (unless already fatal), and its sequence left a gap. */
  onBatchFailed(err: Error): void {
    this.epochBumpRequired = true;
    if (err instanceof KafkaError && FENCING_CODES.has(err.code)) this.fatal(err);
    else this.abortable(err);
  }

  fatal(err: Error): void {
    this.state = 'FATAL_ERROR';
    this.lastError = err;
  }

  abortable(err: Error): void {
    if (this.state === 'FATAL_ERROR' || this.state === 'ABORTING_TRANSACTION') return;
    this.state = 'ABORTABLE_ERROR';
    this.lastError = err;
  }

  // ---- coordinator requests -----------------------------------------------------------------

  private async coordinatorConnection(deadline: number): Promise<Connection> {
    if (this.coordinator === null) this.coordinator = await findCoordinator(this.cluster, this.transactionalId, 1, Math.max(0, deadline - Date.now()));
    return this.coordinator;
  }

  /**
   * One request to the transaction coordinator, retried (within max.block.ms) while the
   * coordinator moves, loads or finishes a previous transaction; `codeOf` picks the response's
   * error. Other errors are thrown as KafkaError.
   */
  private async toCoordinator<Req, Res>(api: ApiDescriptor<Req, Res>, build: (v: number) => Req, codeOf: (res: Res) => number): Promise<Res> {
    const deadline = Date.now() + this.maxBlockMs;
    for (;;) {
      let code: number;
      let failure: unknown;
      try {
        const conn = await this.coordinatorConnection(deadline);
        const { response } = await conn.send(api, build);
        code = codeOf(response);
        if (code === 0) return response;
        failure = KafkaError.from(code);
      } catch (err) {
        failure = err;
        code = err instanceof KafkaError ? err.code : -1;
        if (!isRetriable(err)) throw err;
        this.coordinator = null; // the connection failed or timed out: look it up again
      }
      if (COORDINATOR_ERRORS.has(code)) this.coordinator = null;
      if (!retriesOn(code, failure)) throw failure;
      if (Date.now() >= deadline) throw this.timedOut(api.name, failure);
      await sleep(code === ErrorCode.CONCURRENT_TRANSACTIONS ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : this.cluster.retryBackoffMs);
    }
  }

  /** A request still failing with a retriable error at max.block.ms (Kafka's TimeoutException: the producer stays usable). */
  private timedOut(what: string, failure: unknown): ClientError {
    return new ClientError(ClientErrorCode.REQUEST_TIMEOUT, `${what} for transactional.id ${this.transactionalId} did not succeed within max.block.ms=${this.maxBlockMs}: ${(failure as Error).message}`, true, { cause: failure });
  }

  /** Classifies an error of a coordinator request: fatal codes fence the producer, others make the transaction abortable. */
  private classify(err: unknown): Error {
    const e = err as Error;
    if (err instanceof KafkaError && FATAL_CODES.has(err.code)) this.fatal(err);
    else if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION') this.abortable(e);
    return e;
  }

  /**
   * InitProducerId for the transactional id: fences older instances and has the coordinator
   * finish (abort) a transaction they left open. `bump` passes the current id and epoch (KIP-360),
   * which keeps the producer id and bumps the epoch.
   */
  async initProducerId(bump: boolean): Promise<void> {
    const res = await this.toCoordinator(apiByName.InitProducerId, (v) => ({
      transactionalId: this.transactionalId,
      transactionTimeoutMs: this.transactionTimeoutMs,
      ...(v >= 3 ? { producerId: bump ? this.host.producerId : -1n, producerEpoch: bump ? this.host.producerEpoch : -1 } : {}),
    }), (r) => r.errorCode);
    this.host.setProducer(res.producerId, res.producerEpoch);
    this.epochBumpRequired = false;
  }

  async initTransactions(): Promise<void> {
    this.ensure('initTransactions', 'UNINITIALIZED', 'INITIALIZING');
    this.state = 'INITIALIZING';
    try {
      await this.initProducerId(false);
    } catch (err) {
      // A timeout may be retried by calling initTransactions() again (as Kafka); a fenced/unauthorized id may not.
      if (err instanceof KafkaError && FATAL_CODES.has(err.code)) this.fatal(err);
      throw err;
    }
    this.state = 'READY';
  }

  beginTransaction(): void {
    this.ensure('beginTransaction', 'READY');
    this.state = 'IN_TRANSACTION';
    this.started = false;
    this.added.clear();
  }

  /** Sends AddPartitionsToTxn for the pending partitions, one request for all of them, until none is left. */
  private async addPendingPartitions(): Promise<void> {
    try {
      while (this.pending.size > 0 && (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION')) {
        const batch = [...this.pending.values()];
        const byTopic = new Map<string, number[]>();
        for (const { topic, partition } of batch) {
          let l = byTopic.get(topic);
          if (l === undefined) byTopic.set(topic, (l = []));
          l.push(partition);
        }
        const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
        try {
          // Per-partition codes: all-or-nothing in Kafka's coordinator, so the first non-zero one stands for the request.
          const res = await this.toCoordinator(apiByName.AddPartitionsToTxn, () => ({
            v3AndBelowTransactionalId: this.transactionalId,
            v3AndBelowProducerId: this.host.producerId,
            v3AndBelowProducerEpoch: this.host.producerEpoch,
            v3AndBelowTopics: topics,
          }), (r) => {
            for (const t of r.resultsByTopicV3AndBelow ?? []) for (const p of t.resultsByPartition) if (p.partitionErrorCode !== 0 && p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED) return p.partitionErrorCode;
            return r.errorCode ?? 0;
          });
          void res;
          this.started = true;
          for (const { topic, partition } of batch) {
            this.pending.delete(key(topic, partition));
            this.added.add(key(topic, partition));
          }
          this.host.partitionsAdded();
        } catch (err) {
          const e = this.classify(err);
          for (const { topic, partition } of batch) {
            this.pending.delete(key(topic, partition));
            this.host.failPartition(topic, partition, e);
          }
        }
      }
    } finally {
      this.addInFlight = null;
    }
  }

  /**
   * Adds the group's offsets to the transaction (AddOffsetsToTxn to the transaction
   * coordinator, then TxnOffsetCommit to the group's coordinator with the consumer's
   * generation and member id, KIP-447): they become the group's committed offsets when the
   * transaction commits, and vanish if it aborts.
   */
  async sendOffsetsToTransaction(offsets: TransactionalOffset[], group: ConsumerGroupMetadata | string): Promise<void> {
    this.ensure('sendOffsetsToTransaction', 'IN_TRANSACTION');
    const meta: ConsumerGroupMetadata = typeof group === 'string' ? { groupId: group, generationId: -1, memberId: '', groupInstanceId: null } : group;
    if (offsets.length === 0) return;
    try {
      await this.toCoordinator(apiByName.AddOffsetsToTxn, () => ({
        transactionalId: this.transactionalId,
        producerId: this.host.producerId,
        producerEpoch: this.host.producerEpoch,
        groupId: meta.groupId,
      }), (r) => r.errorCode);
      this.started = true;
    } catch (err) {
      throw this.classify(err);
    }
    try {
      await this.txnOffsetCommit(offsets, meta);
    } catch (err) {
      throw this.classifyTxnOffsetCommit(err, meta);
    }
  }

  /**
   * A failed TxnOffsetCommit, as Kafka's TxnOffsetCommitHandler sorts it: the consumer is no longer
   * the group's current member (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: Kafka's
   * CommitFailedException, here ClientError COMMIT_FAILED) or another abortable code: the
   * transaction must be aborted and its input processed again; fenced, unauthorized or unexpected
   * codes are fatal. Timeouts stay abortable.
   */
  private classifyTxnOffsetCommit(err: unknown, meta: ConsumerGroupMetadata): Error {
    if (!(err instanceof KafkaError)) return this.classify(err);
    if (err.code === ErrorCode.ILLEGAL_GENERATION || err.code === ErrorCode.UNKNOWN_MEMBER_ID) {
      const e = new ClientError(ClientErrorCode.COMMIT_FAILED, `Transaction offset commit failed due to consumer group metadata mismatch (group ${meta.groupId}, generation ${meta.generationId}, member ${meta.memberId}): ${err.message}`, false, { cause: err });
      this.abortable(e);
      return e;
    }
    if (TXN_OFFSET_COMMIT_ABORTABLE.has(err.code)) this.abortable(err);
    else this.fatal(err);
    return err;
  }

  private async txnOffsetCommit(offsets: TransactionalOffset[], meta: ConsumerGroupMetadata): Promise<void> {
    const byTopic = new Map<string, TransactionalOffset[]>();
    for (const o of offsets) {
      let l = byTopic.get(o.topic);
      if (l === undefined) byTopic.set(o.topic, (l = []));
      l.push(o);
    }
    const deadline = Date.now() + this.maxBlockMs;
    let groupCoordinator: Connection | null = null;
    for (;;) {
      let code = 0;
      let failure: unknown = null;
      try {
        groupCoordinator ??= await findCoordinator(this.cluster, meta.groupId, 0, Math.max(0, deadline - Date.now()));
        const { response } = await groupCoordinator.send(apiByName.TxnOffsetCommit, (v) => ({
          transactionalId: this.transactionalId,
          groupId: meta.groupId,
          producerId: this.host.producerId,
          producerEpoch: this.host.producerEpoch,
          ...(v >= 3 ? { generationId: meta.generationId, memberId: meta.memberId, groupInstanceId: meta.groupInstanceId } : {}),
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), ...(v >= 2 ? { committedLeaderEpoch: p.leaderEpoch ?? -1 } : {}), committedMetadata: p.metadata ?? '' })),
          })),
        }));
        for (const t of response.topics) for (const p of t.partitions) if (p.errorCode !== 0 && code === 0) code = p.errorCode;
        if (code === 0) return;
        failure = KafkaError.from(code, `TxnOffsetCommit for group ${meta.groupId}`);
      } catch (err) {
        if (!isRetriable(err)) throw err;
        failure = err;
        code = err instanceof KafkaError ? err.code : -1;
        groupCoordinator = null;
      }
      if (COORDINATOR_ERRORS.has(code)) groupCoordinator = null;
      if (!retriesOn(code, failure)) throw failure;
      // Still retriable at max.block.ms: a timeout (abortable), not the code itself (which
      // classifyTxnOffsetCommit would take for an unexpected, fatal answer).
      if (Date.now() >= deadline) throw this.timedOut('TxnOffsetCommit', failure);
      await sleep(code === ErrorCode.CONCURRENT_TRANSACTIONS ? CONCURRENT_TRANSACTIONS_BACKOFF_MS : this.cluster.retryBackoffMs);
    }
  }

  /** The producer has flushed: EndTxn(commit) when the coordinator knows of the transaction. */
  async commit(flush: () => Promise<void>): Promise<void> {
    this.ensure('commitTransaction', 'IN_TRANSACTION', 'COMMITTING_TRANSACTION');
    this.state = 'COMMITTING_TRANSACTION';
    try {
      await flush();
    } catch (err) {
      this.abortable(err as Error);
      throw err;
    }
    // A batch that failed during the flush already made the transaction abortable.
    this.ensure('commitTransaction', 'COMMITTING_TRANSACTION');
    await this.waitForAdds();
    if (this.started) {
      try {
        await this.endTxn(true);
      } catch (err) {
        // A timed-out commit may be retried (state stays COMMITTING_TRANSACTION), as Kafka's commitTransaction.
        if (err instanceof ClientError && err.retriable) throw err;
        throw this.classify(err);
      }
    }
    this.completed();
  }

  /**
   * EndTxn(abort) once the producer has dropped what it had not sent and in-flight batches
   * came back; then, if a sequence number was lost, a new epoch (KIP-360) so sequences restart.
   */
  async abort(drain: () => Promise<void>): Promise<void> {
    this.ensure('abortTransaction', 'IN_TRANSACTION', 'ABORTABLE_ERROR', 'ABORTING_TRANSACTION', 'COMMITTING_TRANSACTION');
    this.state = 'ABORTING_TRANSACTION';
    this.pending.clear();
    await drain();
    await this.waitForAdds();
    if (this.state !== 'ABORTING_TRANSACTION') throw this.lastError!; // fenced meanwhile
    try {
      if (this.started) await this.endTxn(false);
      if (this.epochBumpRequired) await this.initProducerId(true);
    } catch (err) {
      if (err instanceof KafkaError && FATAL_CODES.has(err.code)) this.fatal(err);
      throw err;
    }
    this.completed();
  }

  private async waitForAdds(): Promise<void> {
    while (this.addInFlight !== null) await this.addInFlight;
  }

  private async endTxn(committed: boolean): Promise<void> {
    await this.toCoordinator(apiByName.EndTxn, () => ({
      transactionalId: this.transactionalId,
      producerId: this.host.producerId,
      producerEpoch: this.host.producerEpoch,
      committed,
    }), (r) => r.errorCode);
  }

  private completed(): void {
    this.state = 'READY';
    this.lastError = null;
    this.started = false;
    this.added.clear();
    this.pending.clear();
  }
}
