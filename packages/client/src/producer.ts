/**
 * The producer: records are appended to a per-partition open batch (encoded as they come),
 * batches ship when full (batch.size) or after linger.ms, one Produce request per leader with
 * up to max.in.flight.requests.per.connection outstanding. Idempotence (default on, as Kafka
 * 3+) stamps producer id, epoch and per-partition sequences; retries keep order by resending a
 * partition's batches one at a time, in sequence order, until the first succeeds. With a
 * transactional.id the producer is transactional (transaction-manager.ts): a partition's batches
 * wait until AddPartitionsToTxn has added it to the open transaction.
 */
import { apiByName, BATCH_HEADER_SIZE, CompressionType, decodeRecordBatchHeader, decodeRecords, KafkaError } from '@samsa/protocol';
import { BatchBuilder, BufferPool, recordSize, restampBatch, type HeaderInput } from './batch-builder.js';
import { Cluster, type ClusterOptions, METADATA_REFRESH_CODES, sleep } from './cluster.js';
import { resolveOptions } from './config.js';
import { ClientError, ClientErrorCode, ClosedError, isRetriable } from './errors.js';
import { defaultPartition, StickyPartitioner } from './partitioner.js';
import { type ConsumerGroupMetadata, FENCING_CODES, type TransactionalOffset, TransactionManager, type TransactionState } from './transaction-manager.js';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
const CODECS: Record<CompressionName, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export type Bytes = Buffer | string | null | undefined;

export interface Message {
  key?: Bytes;
  value: Bytes;
  headers?: Record<string, Bytes> | Array<{ key: string; value: Bytes }>;
  partition?: number;
  /** Milliseconds since the epoch (number or bigint); defaults to now. */
  timestamp?: number | bigint;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1n with acks=0. */
  offset: bigint;
  timestamp: bigint;
}

export type Partitioner = (topic: string, key: Buffer | null, numPartitions: number) => number | undefined;

export interface ProducerOptions extends ClusterOptions {
  /** 0, 1 or -1/'all' (default -1). */
  acks?: 0 | 1 | -1 | 'all';
  /** linger.ms (default 5, as Kafka 4). */
  lingerMs?: number;
  /** batch.size in bytes (default 16384). */
  batchSize?: number;
  compression?: CompressionName;
  /** enable.idempotence (default true; needs acks=all). */
  idempotent?: boolean;
  /** max.in.flight.requests.per.connection (default 5; at most 5 with idempotence). */
  maxInFlight?: number;
  /** retries (default effectively unbounded; delivery.timeout.ms is the limit). */
  retries?: number;
  /** delivery.timeout.ms (default 120000). */
  deliveryTimeoutMs?: number;
  /** max.request.size (default 1048576). */
  maxRequestSize?: number;
  /**
   * max.block.ms (default 60000): how long send()/produce() wait for topic metadata and for
   * room in buffer.memory before failing with ERR_SAMSA_BUFFER_EXHAUSTED / METADATA_TIMEOUT.
   */
  maxBlockMs?: number;
  /**
   * buffer.memory in bytes (default 33554432): the bound on records buffered and in flight.
   * When full, produce() returns a promise to await (resolved once the record is buffered) and
   * send() waits; both fail after max.block.ms.
   */
  bufferMemory?: number;
  /** Overrides the default (murmur2 / sticky) choice; return undefined to fall back. */
  partitioner?: Partitioner;
  /**
   * transactional.id: makes the producer transactional (idempotent, acks=all). Call
   * initTransactions() once, then beginTransaction() / send... / commitTransaction() or
   * abortTransaction(). A newer producer with the same id fences this one (PRODUCER_FENCED).
   */
  transactionalId?: string;
  /** transaction.timeout.ms (default 60000): the coordinator aborts a transaction open longer. */
  transactionTimeoutMs?: number;
}

/** A delivered batch: the offset of its i-th record (-1n with acks=0) and the LogAppendTime, if any (-1n). */
interface BatchResult {
  offsetOf(index: number): bigint;
  logAppendTime: bigint;
}

interface Waiter {
  resolve(r: BatchResult): void;
  reject(e: Error): void;
}

/** A closed batch on its way to the broker. */
interface ProducerBatch {
  topic: string;
  partition: number;
  buf: Buffer;
  count: number;
  baseSequence: number;
  createdAt: number;
  attempts: number;
  waiters: Waiter[];
  /** Set when the fast path had a record in it; errors go to onError. */
  baseTimestamp: number;
  /** Bytes of buffer.memory this batch holds until it completes or fails. */
  reserved: number;
  /** The builder's buffer, returned to the pool once the broker has acknowledged the batch (null: not pooled). */
  backing: Buffer | null;
  /**
   * A send failed in a way that leaves it open whether the leader appended it (lost connection,
   * REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND). Retrying under the same epoch and
   * sequence is safe (the broker deduplicates); restamping it under a bumped epoch is not.
   */
  outcomeUnknown?: boolean;
}

interface OpenBatch {
  builder: BatchBuilder;
  reserved: number;
  waiters: Waiter[];
  deadline: number;
  closing: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  open: OpenBatch | null;
  /** Closed batches, in sequence order, not yet in flight. */
  ready: ProducerBatch[];
  /** Closing (compressing) batches, kept in order with a counter. */
  closing: number;
  inFlight: number;
  /** After a retriable failure: one request at a time until a success (keeps order). */
  resendInOrder: boolean;
  nextSequence: number;
  /** Earliest time the next attempt may go (retry.backoff.ms). */
  backoffUntil: number;
}

const INT32_MAX = 0x7fffffff;

function toBuffer(b: Bytes): Buffer | null {
  if (b === null || b === undefined) return null;
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

function toHeaders(h: Message['headers']): HeaderInput[] | undefined {
  if (h === undefined) return undefined;
  if (Array.isArray(h)) return h.map((x) => ({ key: x.key, value: toBuffer(x.value) }));
  return Object.entries(h).map(([key, value]) => ({ key, value: toBuffer(value) }));
}

export class Producer {
  readonly cluster: Cluster;
  readonly acks: number;
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly compression: CompressionType;
  readonly maxInFlight: number;
  readonly retries: number;
  readonly deliveryTimeoutMs: number;
  readonly maxRequestSize: number;
  readonly maxBlockMs: number;
  readonly bufferMemory: number;
  /** Bytes of buffer.memory held by open, queued and in-flight batches. */
  private buffered = 0;

  /** Bytes of buffer.memory in use (Kafka's buffer.memory minus buffer-available-bytes). */
  get bufferedBytes(): number {
    return this.buffered;
  }
  /** produce()/send() calls waiting for room in buffer.memory, in call order. */
  private readonly blocked: Array<{ bytes: number; resume(): void; fail(e: Error): void }> = [];
  private blockedBytes = 0;
  private idempotenceRequested: boolean | undefined;
  /** Whether this producer writes idempotently (known after connect). */
  idempotent = false;
  producerId = -1n;
  producerEpoch = -1;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly sticky: StickyPartitioner;
  private readonly pool: BufferPool;
  private readonly customPartitioner: Partitioner | undefined;
  private readonly inFlightByNode = new Map<number, number>();
  private lingerTimer: NodeJS.Timeout | null = null;
  private lingerAt = Infinity;
  private drainScheduled = false;
  private flushing = 0;
  private bumpPending = false;
  private connected: Promise<void> | null = null;
  private closed = false;
  private pendingRecords = 0;
  private idleWaiters: Array<() => void> = [];
  /** Errors of fast-path (produce) records, thrown by the next flush(). */
  private fastPathErrors: Error[] = [];
  /** Records waiting for topic metadata (fast path). */
  private readonly awaitingMetadata = new Map<string, Array<{ fn: () => void; onFail: () => void }>>();
  /** The transaction state machine (null: not transactional). */
  private readonly txn: TransactionManager | null = null;
  onError: ((err: Error) => void) | undefined;

  constructor(options: ProducerOptions) {
    const opts = resolveOptions(options);
    this.cluster = new Cluster(opts);
    const acks = opts.acks === 'all' ? -1 : opts.acks ?? -1;
    if (acks !== 0 && acks !== 1 && acks !== -1) throw new ClientError(ClientErrorCode.CONFIG, `acks must be 0, 1 or -1/all, got ${String(opts.acks)}`);
    this.acks = acks;
    this.lingerMs = opts.lingerMs ?? 5;
    this.batchSize = opts.batchSize ?? 16384;
    const codec = CODECS[opts.compression ?? 'none'];
    if (codec === undefined) throw new ClientError(ClientErrorCode.CONFIG, `unknown compression ${String(opts.compression)}`);
    this.compression = codec;
    this.maxInFlight = opts.maxInFlight ?? 5;
    this.retries = opts.retries ?? INT32_MAX;
    this.deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 120000;
    this.maxRequestSize = opts.maxRequestSize ?? 1048576;
    this.maxBlockMs = opts.maxBlockMs ?? 60000;
    this.bufferMemory = opts.bufferMemory ?? 33554432;
    this.customPartitioner = opts.partitioner;
    this.idempotenceRequested = opts.idempotent;
    if (opts.idempotent === true) {
      if (acks !== -1) throw new ClientError(ClientErrorCode.CONFIG, 'enable.idempotence requires acks=all');
      if (this.maxInFlight > 5) throw new ClientError(ClientErrorCode.CONFIG, 'enable.idempotence requires max.in.flight.requests.per.connection <= 5');
    }
    if (opts.transactionalId !== undefined) {
      if (opts.transactionalId === '') throw new ClientError(ClientErrorCode.CONFIG, 'transactional.id must not be empty');
      if (opts.idempotent === false) throw new ClientError(ClientErrorCode.CONFIG, 'Cannot set a transactional.id without also enabling idempotence (enable.idempotence=false)');
      if (acks !== -1) throw new ClientError(ClientErrorCode.CONFIG, 'a transactional producer needs acks=all (-1)');
      if (this.maxInFlight > 5) throw new ClientError(ClientErrorCode.CONFIG, 'a transactional producer needs max.in.flight.requests.per.connection <= 5');
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const producer = this;
      const host = {
        get producerId(): bigint {
          return producer.producerId;
        },
        get producerEpoch(): number {
          return producer.producerEpoch;
        },
        setProducer: (id: bigint, epoch: number) => this.setProducer(id, epoch),
        partitionsAdded: () => this.scheduleDrain(),
        failPartition: (topic: string, partition: number, err: Error) => this.failPartition(topic, partition, err),
      };
      this.txn = new TransactionManager(this.cluster, opts.transactionalId, opts.transactionTimeoutMs ?? 60000, this.maxBlockMs, host);
    }
    this.sticky = new StickyPartitioner(this.batchSize);
    this.pool = new BufferPool(Math.max(this.batchSize, BATCH_HEADER_SIZE + 64), Math.max(4, Math.floor(this.bufferMemory / this.batchSize)));
  }

  /** Connects, fetches metadata and (with idempotence) a producer id. */
  connect(): Promise<void> {
    if (this.connected === null) {
      this.connected = this.doConnect();
      this.connected.catch(() => {
        this.connected = null;
      });
    }
    return this.connected;
  }

  private async doConnect(): Promise<void> {
    await this.cluster.connect();
    if (this.txn !== null) {
      if (!(await this.cluster.supports(apiByName.InitProducerId)) || !(await this.cluster.supports(apiByName.EndTxn))) {
        throw new ClientError(ClientErrorCode.UNSUPPORTED_API, 'transactional.id is set but the broker does not serve transactions (InitProducerId, EndTxn)');
      }
      this.idempotent = true; // the producer id comes from initTransactions()
      return;
    }
    // Kafka 3+: idempotence is on unless configured off or a conflicting setting (acks) was set.
    const want = this.idempotenceRequested ?? (this.acks === -1 && this.maxInFlight <= 5);
    if (!want) return;
    const supported = await this.cluster.supports(apiByName.InitProducerId);
    if (!supported) {
      if (this.idempotenceRequested === true) {
        throw new ClientError(ClientErrorCode.IDEMPOTENCE_UNAVAILABLE, 'enable.idempotence=true but the broker does not serve InitProducerId (API 22); set idempotent: false to produce without it');
      }
      return; // default-on idempotence falls back to plain produce on such brokers
    }
    await this.initProducerId();
    this.idempotent = true;
  }

  /** InitProducerId; with an existing id and a v3+ broker this bumps the epoch (KIP-360). */
  private async initProducerId(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { response } = await this.cluster.sendAny(apiByName.InitProducerId, (v) => ({
          transactionalId: null,
          transactionTimeoutMs: 60000,
          ...(v >= 3 ? { producerId: this.producerId, producerEpoch: this.producerEpoch } : {}),
        }));
        if (response.errorCode !== 0) throw KafkaError.from(response.errorCode);
        this.producerId = response.producerId;
        this.producerEpoch = response.producerEpoch;
        return;
      } catch (err) {
        if (!isRetriable(err) || attempt >= 10) throw err;
        await sleep(this.cluster.retryBackoffMs);
      }
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('producer');
    this.txn?.ensure('send', 'IN_TRANSACTION');
  }

  // ---- transactions -------------------------------------------------------------------------

  /** The transaction state (null: not a transactional producer). */
  get transactionState(): TransactionState | null {
    return this.txn?.state ?? null;
  }

  private transactions(operation: string): TransactionManager {
    if (this.closed) throw new ClosedError('producer');
    if (this.txn === null) throw new ClientError(ClientErrorCode.TRANSACTION_STATE, `cannot ${operation}: the producer has no transactional.id`);
    return this.txn;
  }

  /**
   * Once, before the first transaction: finds the transaction coordinator and gets the
   * producer id and a new epoch for transactional.id, which fences older producers with the
   * same id and has the coordinator finish a transaction they left open. A timeout may be
   * retried by calling it again.
   */
  async initTransactions(): Promise<void> {
    const txn = this.transactions('initTransactions');
    await this.connect();
    await txn.initTransactions();
  }

  /** Starts a transaction (no request: partitions join it as records are sent to them). */
  beginTransaction(): void {
    this.transactions('beginTransaction').beginTransaction();
  }

  /**
   * Adds a consumer group's offsets to the transaction (consume-transform-produce): they are
   * committed with the transaction's records, or not at all. `group` is the consumer's
   * groupMetadata() (the group's coordinator then fences zombies of an older generation,
   * KIP-447), or just a group id.
   */
  async sendOffsetsToTransaction(offsets: TransactionalOffset[], group: ConsumerGroupMetadata | string): Promise<void> {
    await this.transactions('sendOffsetsToTransaction').sendOffsetsToTransaction(offsets, group);
  }

  /**
   * Flushes, then commits the transaction. Throws if a record failed (the transaction must then
   * be aborted) or the producer was fenced (PRODUCER_FENCED: close it). A timeout may be retried.
   */
  async commitTransaction(): Promise<void> {
    await this.transactions('commitTransaction').commit(() => this.flush());
  }

  /**
   * Aborts the transaction: records not yet sent are dropped (their promises reject with
   * ERR_SAMSA_TRANSACTION_ABORTED), in-flight ones are waited for, then the coordinator writes
   * abort markers. Allowed after an abortable error.
   */
  async abortTransaction(): Promise<void> {
    await this.transactions('abortTransaction').abort(() => this.dropUnsent());
  }

  /** Producer id and epoch from InitProducerId: sequences start again at 0. */
  private setProducer(producerId: bigint, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    for (const s of this.partitions.values()) s.nextSequence = 0;
  }

  /** Fails everything not yet sent and waits for what is in flight (abortTransaction). */
  private async dropUnsent(): Promise<void> {
    const aborted = (): Error => new ClientError(ClientErrorCode.TRANSACTION_ABORTED, 'the transaction was aborted before the record was sent');
    for (;;) {
      let busy = false;
      for (const s of this.partitions.values()) {
        if (s.open !== null) this.dropOpen(s, aborted());
        for (const b of s.ready.splice(0)) {
          if (b.buf.length === 0) {
            s.ready.push(b); // still compressing
            continue;
          }
          this.failBatch(b, aborted());
        }
        if (s.inFlight > 0 || s.closing > 0 || s.ready.length > 0) busy = true;
      }
      if (!busy) break;
      await sleep(5);
    }
    this.fastPathErrors = []; // they belonged to the aborted transaction (onError has seen them)
  }

  /** Fails a partition's open batch (never sent, no sequence number yet). */
  private dropOpen(s: PartitionState, err: Error): void {
    const open = s.open!;
    s.open = null;
    for (const w of open.waiters) w.reject(err);
    this.release(open.reserved);
    this.recordsDone(open.builder.count);
  }

  /** AddPartitionsToTxn failed for a partition: its records fail with that error. */
  private failPartition(topic: string, partition: number, err: Error): void {
    const s = this.partitions.get(`${topic}\u0000${partition}`);
    if (s === undefined) return;
    if (s.open !== null) this.dropOpen(s, err);
    for (const b of s.ready.splice(0)) {
      if (b.buf.length === 0) s.ready.push(b); // compressing: sent nowhere, failed by the next abort
      else this.failBatch(b, err);
    }
  }

  /**
   * Sends records to one topic; resolves once all are acknowledged (per acks) with each
   * record's partition and offset, in order.
   */
  async send(req: { topic: string; messages: Message[] }): Promise<RecordMetadata[]> {
    this.ensureOpen();
    await this.connect();
    const { topic, messages } = req;
    await this.metadataGate(topic);
    const promises: Array<Promise<BatchResult>> = [];
    const placed: Array<{ partition: number; index: number; timestamp: number; p: number }> = [];
    const batchPromises = new Map<Waiter[], { promise: Promise<BatchResult>; idx: number }>();
    for (const m of messages) {
      if (this.isFull()) await this.waitForRoom(approxSize(m));
      const { state, index, timestamp } = this.appendRecord(topic, m);
      const open = state.open!;
      let bp = batchPromises.get(open.waiters);
      if (bp === undefined) {
        const promise = new Promise<BatchResult>((resolve, reject) => open.waiters.push({ resolve, reject }));
        bp = { promise, idx: promises.length };
        promises.push(promise);
        batchPromises.set(open.waiters, bp);
      }
      placed.push({ partition: state.partition, index, timestamp, p: bp.idx });
    }
    const results = await Promise.all(promises);
    return placed.map((x) => {
      const r = results[x.p]!;
      return {
        topic,
        partition: x.partition,
        offset: r.offsetOf(x.index),
        timestamp: r.logAppendTime >= 0n ? r.logAppendTime : BigInt(x.timestamp),
      };
    });
  }

  /** Per topic: settles once the send() calls waiting for the topic's metadata have gone on. */
  private readonly sendGates = new Map<string, Promise<void>>();

  /**
   * Waits for the topic's metadata, behind earlier send() calls that wait for it: a later call
   * that found the metadata first would otherwise take earlier sequences than theirs (reordering
   * the records of a key, which idempotence promises not to do).
   */
  private async metadataGate(topic: string): Promise<void> {
    const earlier = this.sendGates.get(topic);
    if (earlier === undefined && this.cluster.partitionCount(topic) > 0) return;
    const wait = (earlier ?? Promise.resolve()).then(() => (this.cluster.partitionCount(topic) === 0 ? this.cluster.waitForTopics([topic], this.maxBlockMs) : undefined));
    const settled = wait.then(() => {}, () => {});
    this.sendGates.set(topic, settled);
    try {
      await wait;
    } finally {
      if (this.sendGates.get(topic) === settled) this.sendGates.delete(topic);
    }
  }

  /** send() to several topics. */
  async sendBatch(req: { topicMessages: Array<{ topic: string; messages: Message[] }> }): Promise<RecordMetadata[]> {
    const all = await Promise.all(req.topicMessages.map((t) => this.send(t)));
    return all.flat();
  }

  /**
   * The fast path: appends one record without a promise per record. Errors are reported to
   * `onError` and thrown by the next flush(). Returns undefined when the record is buffered;
   * when buffer.memory is full it returns a promise instead, resolved once the record is
   * buffered (rejected with ERR_SAMSA_BUFFER_EXHAUSTED after max.block.ms): await it before
   * producing more, e.g. `const w = producer.produce(t, v); if (w) await w;`. Producing on
   * while a record waits, beyond another buffer.memory's worth, throws ERR_SAMSA_BUFFER_EXHAUSTED.
   */
  produce(topic: string, value: Bytes, key?: Bytes, partition?: number, headers?: Message['headers']): Promise<void> | undefined {
    this.ensureOpen(); // (a transactional producer: only inside a transaction)
    const msg: Message = { value, key, headers };
    if (partition !== undefined) msg.partition = partition;
    if (this.isFull()) {
      const bytes = approxSize(msg);
      if (this.blockedBytes + bytes > this.bufferMemory && this.blocked.length > 0) {
        throw new ClientError(ClientErrorCode.BUFFER_EXHAUSTED, `buffer.memory (${this.bufferMemory} bytes) is full and records already wait for room: await the promise produce() returns before producing more`);
      }
      return this.waitForRoom(bytes).then(() => {
        this.ensureOpen();
        this.produceNow(topic, msg);
      });
    }
    this.produceNow(topic, msg);
    return undefined;
  }

  private produceNow(topic: string, msg: Message): void {
    // Behind records of the topic still waiting for metadata, never ahead of them: a record that
    // went straight into a batch would take an earlier sequence than older ones (reordering).
    if (this.cluster.partitionCount(topic) === 0 || this.connected === null || this.awaitingMetadata.has(topic)) {
      // Records waiting for metadata count against buffer.memory too.
      const bytes = approxSize(msg);
      this.buffered += bytes;
      this.deferUntilMetadata(topic, () => {
        this.release(bytes);
        this.appendFast(topic, msg);
      }, () => this.release(bytes));
    } else this.appendFast(topic, msg);
  }

  /** Whether buffer.memory has no room for another batch (one batch always fits in an empty buffer). */
  private isFull(): boolean {
    return this.blocked.length > 0 || (this.buffered > 0 && this.buffered + this.batchSize > this.bufferMemory);
  }

  /** Waits (FIFO) until a batch's worth of buffer.memory is free, at most max.block.ms. */
  private waitForRoom(bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = {
        bytes,
        resume: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.blocked.indexOf(entry);
        if (i >= 0) {
          this.blocked.splice(i, 1);
          this.blockedBytes -= bytes;
        }
        reject(new ClientError(ClientErrorCode.BUFFER_EXHAUSTED, `failed to allocate memory within the configured max blocking time ${this.maxBlockMs} ms (buffer.memory=${this.bufferMemory}, ${this.bufferedBytes} bytes buffered)`, true));
      }, this.maxBlockMs);
      this.blocked.push(entry);
      this.blockedBytes += bytes;
      this.drain(); // make sure what is buffered is on its way
    });
  }

  /** Returns a batch's bytes to buffer.memory and lets waiting produce()/send() calls go on. */
  private release(bytes: number): void {
    this.buffered -= bytes;
    while (this.blocked.length > 0 && (this.buffered === 0 || this.buffered + this.batchSize <= this.bufferMemory)) {
      const w = this.blocked.shift()!;
      this.blockedBytes -= w.bytes;
      // Each resumed caller appends before the next check: reserve its batch's worth meanwhile.
      w.resume();
      if (this.blocked.length > 0) {
        queueMicrotask(() => this.release(0));
        return;
      }
    }
  }

  private appendFast(topic: string, msg: Message): void {
    try {
      const { state } = this.appendRecord(topic, msg);
      const open = state.open!;
      if (open.waiters.length === 0) open.waiters.push({ resolve: () => {}, reject: (e) => this.reportFastPathError(e) });
    } catch (err) {
      this.reportFastPathError(err as Error);
    }
  }

  private reportFastPathError(err: Error): void {
    if (this.fastPathErrors.length < 100) this.fastPathErrors.push(err);
    this.onError?.(err);
  }

  private deferUntilMetadata(topic: string, fn: () => void, onFail: () => void): void {
    let list = this.awaitingMetadata.get(topic);
    if (list !== undefined) {
      list.push({ fn, onFail });
      return;
    }
    list = [{ fn, onFail }];
    this.awaitingMetadata.set(topic, list);
    this.pendingRecords++;
    void (async () => {
      try {
        await this.connect();
        await this.cluster.waitForTopics([topic], this.maxBlockMs);
      } catch (err) {
        this.reportFastPathError(err as Error);
        for (const f of this.awaitingMetadata.get(topic) ?? []) f.onFail();
        this.awaitingMetadata.delete(topic);
        this.recordsDone(1);
        return;
      }
      const fns = this.awaitingMetadata.get(topic) ?? [];
      this.awaitingMetadata.delete(topic);
      for (const f of fns) f.fn();
      this.recordsDone(1);
    })();
  }

  private choosePartition(topic: string, m: Message, key: Buffer | null, numPartitions: number): number {
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= numPartitions) {
        throw new KafkaError(3, `partition ${m.partition} of ${topic} (${numPartitions} partitions)`);
      }
      return m.partition;
    }
    if (this.customPartitioner !== undefined) {
      const p = this.customPartitioner(topic, key, numPartitions);
      if (p !== undefined) return p;
    }
    if (key !== null) return defaultPartition(key, numPartitions);
    return this.sticky.partition(topic, numPartitions, this.availablePartitions(topic));
  }

  private availablePartitions(topic: string): number[] {
    const t = this.cluster.topic(topic);
    return t === undefined ? [] : t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
  }

  private state(topic: string, partition: number): PartitionState {
    const k = `${topic}\u0000${partition}`;
    let s = this.partitions.get(k);
    if (s === undefined) {
      s = { topic, partition, open: null, ready: [], closing: 0, inFlight: 0, resendInOrder: false, nextSequence: 0, backoffUntil: 0 };
      this.partitions.set(k, s);
    }
    return s;
  }

  private appendRecord(topic: string, m: Message): { state: PartitionState; index: number; timestamp: number } {
    const key = toBuffer(m.key);
    const value = toBuffer(m.value);
    const headers = toHeaders(m.headers);
    const numPartitions = this.cluster.partitionCount(topic);
    if (numPartitions === 0) throw new KafkaError(3, `no metadata for topic ${topic}`);
    const partition = this.choosePartition(topic, m, key, numPartitions);
    const timestamp = m.timestamp === undefined ? Date.now() : Number(m.timestamp);
    const s = this.state(topic, partition);
    this.txn?.onAppend(topic, partition);
    const now = Date.now();
    let size = -1;
    if (s.open !== null) size = s.open.builder.append(timestamp, key, value, headers);
    if (size < 0) {
      if (s.open !== null) this.closeOpen(s);
      const est = recordSize(0, 0, key, value, headers);
      if (est + BATCH_HEADER_SIZE > this.maxRequestSize) throw new ClientError(ClientErrorCode.RECORD_TOO_LARGE, `record of ${est} bytes exceeds max.request.size ${this.maxRequestSize}`);
      s.open = { builder: new BatchBuilder(this.batchSize, now, this.pool), reserved: 0, waiters: [], deadline: now + this.lingerMs, closing: false };
      size = s.open.builder.append(timestamp, key, value, headers);
      s.open.reserved = s.open.builder.capacity;
      this.buffered += s.open.reserved;
      this.armLinger(s.open.deadline);
    }
    this.pendingRecords++;
    const index = s.open!.builder.count - 1;
    if (key === null && m.partition === undefined) this.sticky.onAppend(topic, partition, size, numPartitions, this.availablePartitions(topic));
    // A full batch ships now rather than at linger expiry.
    if (!s.open!.builder.hasRoomFor(64)) this.scheduleDrain();
    return { state: s, index, timestamp };
  }

  private armLinger(deadline: number): void {
    if (this.lingerMs <= 0) {
      this.scheduleDrain();
      return;
    }
    if (this.lingerTimer !== null && this.lingerAt <= deadline) return;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.lingerAt = deadline;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      this.lingerAt = Infinity;
      this.drain();
    }, Math.max(0, deadline - Date.now()));
  }

  /** Closes the open batch of a partition: sequence assigned now, encoding finishes async. */
  private closeOpen(s: PartitionState): void {
    const open = s.open;
    if (open === null) return;
    s.open = null;
    const builder = open.builder;
    const baseSequence = this.idempotent ? s.nextSequence : -1;
    if (this.idempotent) s.nextSequence = (s.nextSequence + builder.count) % (INT32_MAX + 1);
    const batch: ProducerBatch = {
      topic: s.topic,
      partition: s.partition,
      buf: Buffer.alloc(0),
      count: builder.count,
      baseSequence,
      createdAt: builder.createdAt,
      attempts: 0,
      waiters: open.waiters,
      baseTimestamp: builder.baseTimestamp,
      reserved: open.reserved,
      backing: null,
    };
    // Keep order: the batch takes its place in `ready` now; compression fills in buf.
    s.ready.push(batch);
    this.encodeInPlace(s, batch, builder, this.compression);
  }

  /** Closes (compresses, stamps) a builder into a batch already in `s.ready`; drains when done. */
  private encodeInPlace(s: PartitionState, batch: ProducerBatch, builder: BatchBuilder, compression: CompressionType): void {
    s.closing++;
    const pid = this.idempotent ? this.producerId : -1n;
    const epoch = this.idempotent ? this.producerEpoch : -1;
    builder.close(compression, pid, epoch, batch.baseSequence, this.txn !== null).then(
      (buf) => {
        batch.buf = buf;
        // A compressed batch has its own buffer: the builder's goes back now. An uncompressed
        // one is a view of it, returned once acknowledged (acks=0: never, the write may be queued).
        if (compression !== CompressionType.None) this.pool.give(builder.backing);
        else if (this.acks !== 0) batch.backing = builder.backing;
        s.closing--;
        this.scheduleDrain();
      },
      (err: Error) => {
        s.closing--;
        s.ready.splice(s.ready.indexOf(batch), 1);
        this.failBatch(batch, err);
        this.scheduleDrain();
      },
    );
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Closes batches whose linger expired (or all, when flushing) and sends what can go. */
  private drain(): void {
    if (this.bumpPending) return;
    const now = Date.now();
    let nextDeadline = Infinity;
    const byNode = new Map<number, PartitionState[]>();
    let needMetadata = false;
    for (const s of this.partitions.values()) {
      if (s.open !== null) {
        if (this.flushing > 0 || s.open.deadline <= now || !s.open.builder.hasRoomFor(64) || this.closed) this.closeOpen(s);
        else nextDeadline = Math.min(nextDeadline, s.open.deadline);
      }
      if (s.ready.length === 0) continue;
      const head = s.ready[0]!;
      if (head.buf.length === 0) continue; // still compressing
      if (now - head.createdAt > this.deliveryTimeoutMs) {
        this.expire(s);
        continue;
      }
      if (s.backoffUntil > now) {
        nextDeadline = Math.min(nextDeadline, s.backoffUntil);
        continue;
      }
      if (s.resendInOrder && s.inFlight > 0) continue;
      if (this.idempotent && s.inFlight >= 5) continue;
      if (this.txn !== null && !this.txn.canSend(s.topic, s.partition)) continue; // AddPartitionsToTxn first
      const leader = this.cluster.leaderOf(s.topic, s.partition);
      if (leader < 0) {
        needMetadata = true;
        s.backoffUntil = now + this.cluster.retryBackoffMs;
        nextDeadline = Math.min(nextDeadline, s.backoffUntil);
        continue;
      }
      let list = byNode.get(leader);
      if (list === undefined) byNode.set(leader, (list = []));
      list.push(s);
    }
    if (needMetadata) this.cluster.refreshMetadata().catch(() => {});
    for (const [node, states] of byNode) this.sendToNode(node, states);
    if (nextDeadline !== Infinity) this.armLinger(nextDeadline);
  }

  private expire(s: PartitionState): void {
    const now = Date.now();
    while (s.ready.length > 0 && s.ready[0]!.buf.length > 0 && now - s.ready[0]!.createdAt > this.deliveryTimeoutMs) {
      const b = s.ready.shift()!;
      this.failBatch(b, new ClientError(ClientErrorCode.DELIVERY_TIMEOUT, `${b.count} record(s) for ${b.topic}-${b.partition} not delivered within delivery.timeout.ms=${this.deliveryTimeoutMs}`));
    }
  }

  private sendToNode(node: number, states: PartitionState[]): void {
    let inFlight = this.inFlightByNode.get(node) ?? 0;
    while (inFlight < this.maxInFlight) {
      const batches: ProducerBatch[] = [];
      let bytes = 0;
      for (const s of states) {
        if (s.ready.length === 0) continue;
        const head = s.ready[0]!;
        if (head.buf.length === 0 || (s.resendInOrder && s.inFlight > 0) || (this.idempotent && s.inFlight >= 5)) continue;
        if (bytes > 0 && bytes + head.buf.length > this.maxRequestSize) continue;
        s.ready.shift();
        s.inFlight++;
        batches.push(head);
        bytes += head.buf.length;
      }
      if (batches.length === 0) return;
      inFlight++;
      this.inFlightByNode.set(node, inFlight);
      void this.produceRequest(node, batches).finally(() => {
        this.inFlightByNode.set(node, (this.inFlightByNode.get(node) ?? 1) - 1);
        this.scheduleDrain();
      });
    }
  }

  private async produceRequest(node: number, batches: ProducerBatch[]): Promise<void> {
    const byTopic = new Map<string, ProducerBatch[]>();
    for (const b of batches) {
      b.attempts++;
      let l = byTopic.get(b.topic);
      if (l === undefined) byTopic.set(b.topic, (l = []));
      l.push(b);
    }
    const topicData = [...byTopic].map(([name, bs]) => ({ name, partitionData: bs.map((b) => ({ index: b.partition, records: b.buf })) }));
    const noResponse = this.acks === 0;
    let response;
    try {
      const conn = this.cluster.broker(node);
      const res = await conn.send(apiByName.Produce, () => ({ transactionalId: this.txn?.transactionalId ?? null, acks: this.acks, timeoutMs: this.cluster.connectionOptions.requestTimeoutMs, topicData }), { noResponse });
      response = res.response;
    } catch (err) {
      for (const b of batches) this.onBatchError(b, err as Error, true);
      return;
    }
    if (noResponse) {
      for (const b of batches) this.completeBatch(b, -1n, -1n);
      return;
    }
    const results = new Map<string, { errorCode: number; baseOffset: bigint; logAppendTimeMs: bigint; errorMessage: string | null }>();
    for (const t of response.responses) {
      for (const p of t.partitionResponses) {
        results.set(`${t.name}\u0000${p.index}`, { errorCode: p.errorCode, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs ?? -1n, errorMessage: p.errorMessage ?? null });
      }
    }
    for (const b of batches) {
      const r = results.get(`${b.topic}\u0000${b.partition}`);
      if (r === undefined) {
        this.onBatchError(b, new KafkaError(-1, `no response for ${b.topic}-${b.partition}`), false);
      } else if (r.errorCode === 0 || r.errorCode === 46 /* DUPLICATE_SEQUENCE_NUMBER: already written */) {
        this.completeBatch(b, r.baseOffset, r.logAppendTimeMs);
      } else {
        this.onBatchError(b, KafkaError.from(r.errorCode, r.errorMessage), false);
      }
    }
  }

  private completeBatch(b: ProducerBatch, baseOffset: bigint, logAppendTime: bigint): void {
    if (b.backing !== null) this.pool.give(b.backing);
    b.backing = null;
    const s = this.state(b.topic, b.partition);
    s.inFlight--;
    s.resendInOrder = false;
    const result: BatchResult = { offsetOf: (i) => (baseOffset < 0n ? -1n : baseOffset + BigInt(i)), logAppendTime };
    for (const w of b.waiters) w.resolve(result);
    this.release(b.reserved);
    this.recordsDone(b.count);
  }

  private failBatch(b: ProducerBatch, err: Error): void {
    // In a transaction a lost batch leaves a sequence gap: the transaction can only be aborted.
    if (this.txn !== null && b.baseSequence >= 0) this.txn.onBatchFailed(err);
    for (const w of b.waiters) w.reject(err);
    this.release(b.reserved);
    this.recordsDone(b.count);
  }

  private onBatchError(b: ProducerBatch, err: Error, connectionLevel: boolean): void {
    const s = this.state(b.topic, b.partition);
    s.inFlight--;
    const code = err instanceof KafkaError ? err.code : null;
    if (connectionLevel || code === 7 /* REQUEST_TIMED_OUT */ || code === 20 /* NOT_ENOUGH_REPLICAS_AFTER_APPEND */) b.outcomeUnknown = true;
    const expired = Date.now() - b.createdAt > this.deliveryTimeoutMs;
    // A later batch of a partition whose earlier batch is being retried gets OUT_OF_ORDER_SEQUENCE:
    // that is not a real gap, it goes back in line behind the earlier one.
    const earlierPending = s.ready.some((x) => this.idempotent && seqBefore(x.baseSequence, b.baseSequence));
    const retriable = (isRetriable(err) || (code === 45 && earlierPending)) && b.attempts <= this.retries && !expired && !this.closed;
    if (code !== null && METADATA_REFRESH_CODES.has(code)) this.cluster.refreshMetadata().catch(() => {});
    if (connectionLevel) this.cluster.refreshMetadata().catch(() => {});
    if (retriable) {
      this.requeue(s, b);
      return;
    }
    if (code === 10 /* MESSAGE_TOO_LARGE */ && b.count > 1 && !expired && !this.closed) {
      this.split(s, b);
      return;
    }
    if (this.txn !== null) {
      // Fenced: fatal. Anything else failed the transaction; abortTransaction() bumps the epoch.
      this.failBatch(b, code !== null && FENCING_CODES.has(code) ? KafkaError.from(code, `producer ${this.producerId} epoch ${this.producerEpoch} of transactional.id ${this.txn.transactionalId} was fenced by a newer instance`) : err);
      return;
    }
    if (this.idempotent && (code === 45 || code === 59 /* UNKNOWN_PRODUCER_ID */ || code === 47 /* INVALID_PRODUCER_EPOCH */)) {
      if (code === 59 && b.attempts <= this.retries && !expired) {
        // The broker lost our producer state (e.g. retention): new epoch, resend (KIP-360).
        this.requeue(s, b);
        this.bumpEpoch();
        return;
      }
      this.bumpEpoch();
    }
    this.failBatch(b, expired && !(err instanceof ClientError) ? new ClientError(ClientErrorCode.DELIVERY_TIMEOUT, `delivery.timeout.ms expired: ${err.message}`, false, { cause: err }) : err);
  }

  /**
   * MESSAGE_TOO_LARGE for a batch of several records: as Kafka's producer, split it in two
   * (same sequence range, so later batches keep theirs) and send the halves in its place.
   */
  private split(s: PartitionState, b: ProducerBatch): void {
    const header = decodeRecordBatchHeader(b.buf, 0, { verifyCrc: false });
    const records = decodeRecords(header);
    const half = Math.ceil(records.length / 2);
    const base = Number(header.baseTimestamp);
    const parts = [records.slice(0, half), records.slice(half)];
    const halves = parts.map((part, i): ProducerBatch => {
      return { ...b, buf: Buffer.alloc(0), count: part.length, baseSequence: b.baseSequence < 0 ? -1 : (b.baseSequence + i * half) % (INT32_MAX + 1), attempts: 0, waiters: [], reserved: i === 0 ? b.reserved : 0, backing: null };
    });
    const results: Array<BatchResult | null> = [null, null];
    let failed = false;
    halves.forEach((h, i) => {
      h.waiters.push({
        resolve: (r) => {
          results[i] = r;
          if (results[0] === null || results[1] === null) return;
          const [r0, r1] = results as [BatchResult, BatchResult];
          const joined: BatchResult = { offsetOf: (k) => (k < half ? r0.offsetOf(k) : r1.offsetOf(k - half)), logAppendTime: r0.logAppendTime };
          for (const w of b.waiters) w.resolve(joined);
        },
        reject: (e) => {
          if (failed) return;
          failed = true;
          for (const w of b.waiters) w.reject(e);
        },
      });
    });
    // The halves' record counts add up to b's: pending-record accounting stays as it was.
    s.resendInOrder = true;
    const later = s.ready.findIndex((x) => !seqBefore(x.baseSequence, b.baseSequence));
    const at = later < 0 ? s.ready.length : later;
    s.ready.splice(at, 0, ...halves);
    halves.forEach((h, i) => {
      const builder = new BatchBuilder(this.batchSize, b.createdAt, this.pool);
      for (const r of parts[i]!) builder.append(base + r.timestampDelta, r.key, r.value, r.headers);
      this.encodeInPlace(s, h, builder, header.compression);
    });
    // The halves copied the records: b's buffer is free.
    if (b.backing !== null) this.pool.give(b.backing);
    b.backing = null;
  }

  private requeue(s: PartitionState, b: ProducerBatch): void {
    s.resendInOrder = true;
    s.backoffUntil = Date.now() + this.cluster.retryBackoffMs;
    // keep the ready list in sequence order (non-idempotent: retried batch goes first)
    let i = 0;
    if (this.idempotent) while (i < s.ready.length && s.ready[i]!.buf.length > 0 && seqBefore(s.ready[i]!.baseSequence, b.baseSequence)) i++;
    s.ready.splice(i, 0, b);
    this.armLinger(s.backoffUntil);
  }

  /**
   * KIP-360: once nothing is in flight, get a bumped epoch (or a new id) and restamp every
   * queued batch with sequences from 0.
   */
  private bumpEpoch(): void {
    if (this.bumpPending) return;
    this.bumpPending = true;
    void (async () => {
      while ([...this.partitions.values()].some((s) => s.inFlight > 0 || s.closing > 0)) await sleep(5);
      try {
        await this.initProducerId();
      } catch (err) {
        this.bumpPending = false;
        for (const s of this.partitions.values()) for (const b of s.ready.splice(0)) this.failBatch(b, err as Error);
        return;
      }
      for (const s of this.partitions.values()) {
        // A batch the old epoch may already have written must not be written again under the new
        // one (it would be a duplicate the broker cannot recognise): it fails, as Kafka's producer
        // fails a batch with an unresolved sequence when it bumps the epoch.
        const unresolved = s.ready.filter((b) => b.outcomeUnknown === true);
        if (unresolved.length > 0) {
          s.ready = s.ready.filter((b) => b.outcomeUnknown !== true);
          for (const b of unresolved) {
            this.failBatch(b, new ClientError(ClientErrorCode.DELIVERY_TIMEOUT, `${b.topic}-${b.partition}: the outcome of a batch of ${b.count} record(s) is unknown (it may have been written) and the producer epoch was bumped, so it is not resent`));
          }
        }
        let seq = 0;
        for (const b of s.ready) {
          b.baseSequence = seq;
          restampBatch(b.buf, this.producerId, this.producerEpoch, seq);
          seq += b.count;
        }
        s.nextSequence = seq;
        s.resendInOrder = false;
      }
      this.bumpPending = false;
      this.scheduleDrain();
    })();
  }

  private recordsDone(n: number): void {
    this.pendingRecords -= n;
    if (this.pendingRecords <= 0) {
      this.pendingRecords = 0;
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Sends everything buffered now and waits until all records are acknowledged or failed. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      while (this.pendingRecords > 0) {
        const idle = new Promise<void>((r) => this.idleWaiters.push(r));
        this.drain();
        await idle;
      }
    } finally {
      this.flushing--;
    }
    if (this.fastPathErrors.length > 0) {
      const errs = this.fastPathErrors;
      this.fastPathErrors = [];
      throw errs.length === 1 ? errs[0]! : new AggregateError(errs, `${errs.length} record(s) failed`);
    }
  }

  /**
   * Flushes (waiting at most `timeoutMs`, default unbounded as Kafka's close()), then closes
   * connections; records still unacknowledged then fail with ERR_SAMSA_CLOSED.
   */
  async close(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    try {
      if (this.connected !== null) {
        const flushed = this.flush().catch(() => {});
        if (opts.timeoutMs === undefined) await flushed;
        else {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([flushed, new Promise<void>((r) => (timer = setTimeout(r, opts.timeoutMs)))]);
          clearTimeout(timer);
        }
      }
    } finally {
      this.closed = true;
      for (const w of this.blocked.splice(0)) w.fail(new ClosedError('producer'));
      for (const st of this.partitions.values()) for (const b of st.ready.splice(0)) this.failBatch(b, new ClosedError('producer'));
      if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
      this.cluster.close();
    }
  }
}

/** Sequence order with int32 wrap-around. */
function seqBefore(a: number, b: number): boolean {
  if (a < 0 || b < 0) return false;
  const d = (b - a + 0x80000000) % 0x80000000;
  return d > 0 && d < 0x40000000;
}

/** Rough encoded size of a record, for buffer.memory accounting of callers waiting for room. */
function approxSize(m: Message): number {
  const len = (b: Bytes): number => (b === null || b === undefined ? 0 : typeof b === 'string' ? b.length : b.length);
  return 16 + len(m.key) + len(m.value);
}

export function createProducer(opts: ProducerOptions): Producer {
  return new Producer(opts);
}
