/**
 * The broker's idempotent-producer support: producer id allocation (InitProducerId), the
 * per-partition producer state (storage/producer-state.ts, attached to each log with
 * attachProducerState) and the produce-path hook that checks sequences and answers duplicates.
 *
 * State is attached to every hosted log by `track` (at startup and on each metadata change, so
 * recovery happens before a log's first request; `stateOf` attaches any other log on first use)
 * and follows the log
 * through its observers: appends update it, rolls and clean closes write snapshots, and a
 * reopened log rebuilds from its newest snapshot plus the batches after it.
 *
 * Everything on the produce path is synchronous: checkAndPrepare, log.append and the observer
 * that records the batch run without yielding, so two retries of one batch cannot both pass.
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { batchProducerId } from '@samsa/protocol/records';
import type { PartitionAppendHook } from '../handlers/types.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { AppendInfo, LogObserver, PartitionLog } from '../storage/partition-log.js';
import { attachProducerState, type AttachedProducerState } from '../storage/producer-state-log.js';
import { producerBatchHeaderOf, type ActiveProducer, type ProducerStateManager } from '../storage/producer-state.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { ProducerIdManager } from './producer-id-manager.js';

export interface ProducerManagerOptions {
  store: MetadataStore;
  brokerId: number;
  clock: Clock;
  /** producer.id.expiration.ms */
  producerIdExpirationMs: number;
  /** producer.id.expiration.check.interval.ms */
  expirationCheckIntervalMs: number;
  log: Logger;
}

interface Attached extends AttachedProducerState {
  closeWatcher: LogObserver;
}

export class ProducerManager implements PartitionAppendHook {
  readonly supportsTransactions = true;
  readonly producerIds: ProducerIdManager;
  private readonly attached = new Map<PartitionLog, Attached>();
  private expiryTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly opts: ProducerManagerOptions) {
    this.producerIds = new ProducerIdManager(opts.store, opts.brokerId);
  }

  /** The producer state of a log, attaching (and rebuilding it from the log) on first use. */
  stateOf(log: PartitionLog): ProducerStateManager {
    return this.attach(log).state;
  }

  attach(log: PartitionLog): AttachedProducerState {
    const existing = this.attached.get(log);
    if (existing !== undefined) return existing;
    const clock = this.opts.clock;
    const a = attachProducerState(log, { maxProducerIdExpirationMs: this.opts.producerIdExpirationMs, now: () => clock.now() });
    // Registered after attachProducerState's observer, so the close snapshot is written first. A
    // closed log forgets its state here; if it is reopened, the state is rebuilt from disk.
    const closeWatcher: LogObserver = {
      onClose: () => {
        this.attached.delete(log);
        a.detach();
        log.removeObserver(closeWatcher);
      },
    };
    log.addObserver(closeWatcher);
    const entry: Attached = { ...a, closeWatcher };
    this.attached.set(log, entry);
    return entry;
  }

  /**
   * Follows the set of hosted logs (startup and every metadata change): attaches state to new
   * logs, so recovery happens before their first request, and forgets logs no longer hosted.
   */
  track(logs: Iterable<PartitionLog | undefined>): void {
    const hosted = new Set<PartitionLog>();
    for (const log of logs) {
      if (log === undefined) continue;
      hosted.add(log);
      if (this.attached.has(log)) continue;
      try {
        this.attach(log);
      } catch (e) {
        this.opts.log.error(`Failed to load producer state of ${log.topic}-${log.partition}`, e);
      }
    }
    for (const [log, a] of this.attached) {
      if (hosted.has(log)) continue;
      this.attached.delete(log);
      a.detach();
      log.removeObserver(a.closeWatcher);
    }
  }

  get attachedLogCount(): number {
    return this.attached.size;
  }

  // ---- PartitionAppendHook -------------------------------------------------------------------

  beforeAppend(log: PartitionLog, batch: Buffer, _ctx: { transactionalId: string | null }): AppendInfo | null {
    const producerId = batchProducerId(batch);
    if (producerId < 0n) return null; // not an idempotent producer
    const h = producerBatchHeaderOf(batch);
    if (h.baseSequence < 0) {
      // Kafka's LogValidator: an idempotent batch must carry a sequence.
      throw new KafkaError(ErrorCode.INVALID_RECORD, `Invalid sequence number ${h.baseSequence} in record batch with producerId ${producerId}`);
    }
    const result = this.stateOf(log).checkAndPrepare(h);
    if (result.kind === 'append') return null; // the log observer records the batch once appended
    // A retry of a batch already in the log: the original offsets, nothing written (as
    // UnifiedLog.append, log append time = the stored batch's timestamp).
    return {
      baseOffset: result.firstOffset,
      lastOffset: result.lastOffset,
      logAppendTime: result.timestamp,
      logStartOffset: log.logStartOffset,
      recordCount: h.recordCount,
    };
  }

  hasOngoingTransaction(log: PartitionLog, producerId: bigint): boolean {
    return (this.attach(log).state.lastEntry(producerId)?.currentTxnFirstOffset ?? -1n) >= 0n;
  }

  firstUnstableOffset(log: PartitionLog): bigint | null {
    return this.attach(log).state.firstUnstableOffset();
  }

  abortedTransactions(log: PartitionLog, fetchOffset: bigint, upperBoundOffset: bigint): Array<{ producerId: bigint; firstOffset: bigint }> {
    return this.attach(log).abortedTxns.collect(fetchOffset, upperBoundOffset);
  }

  // ---- DescribeProducers ---------------------------------------------------------------------

  activeProducers(log: PartitionLog): ActiveProducer[] {
    return this.stateOf(log).activeProducers();
  }

  // ---- expiry (producer.id.expiration.check.interval.ms, on the broker clock) -----------------

  start(): void {
    this.stopped = false;
    this.scheduleExpiry();
  }

  private scheduleExpiry(): void {
    this.expiryTimer = this.opts.clock.setTimeout(() => {
      this.expiryTimer = null;
      if (this.stopped) return;
      this.removeExpiredProducers();
      this.scheduleExpiry();
    }, this.opts.expirationCheckIntervalMs);
  }

  /** Drops producers idle for producer.id.expiration.ms in every attached log; returns how many. */
  removeExpiredProducers(): number {
    const nowMs = this.opts.clock.now();
    let removed = 0;
    for (const [log, a] of this.attached) {
      try {
        removed += a.state.removeExpiredProducers(nowMs);
      } catch (e) {
        this.opts.log.error(`Producer expiry failed for ${log.topic}-${log.partition}`, e);
      }
    }
    return removed;
  }

  stop(): void {
    this.stopped = true;
    if (this.expiryTimer !== null) this.opts.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}
