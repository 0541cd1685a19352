/**
 * AlterReplicaLogDirs: moving a replica between the log directories of this broker (Kafka's
 * ReplicaManager.alterReplicaLogDirs with its ReplicaAlterLogDirsThread).
 *
 * A move creates the future log `<topic>-<partition>.<uniqueId>-future` in the destination dir
 * and copies the partition's log into it, batch by batch with their offsets, while the
 * partition keeps taking produce and serving fetch. The copy is throttled by
 * replica.alter.log.dirs.io.max.bytes.per.second (read at every step, so a dynamic change
 * applies at once). Once the future log has caught up and its writes are in the file, the
 * tail still missing is copied and the future log replaces the current one in the same
 * event-loop turn (FileStorageEngine.completeMove): no append falls between.
 *
 * A future log found at startup resumes its move when its partition opens; one whose current
 * log is gone is promoted by the engine.
 */
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@samsa/protocol';
import type { BrokerConfig } from '../config/broker-config.js';
import type { FileLog, FileStorageEngine } from '../storage/file-engine.js';
import { MovableLog } from '../storage/movable-log.js';
import type { LogConfig, LogObserver } from '../storage/partition-log.js';
import { partitionKey } from '../storage/checkpoint.js';
import type { Logger } from '../util/log.js';
import type { Partition } from './partition.js';

export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';

/** Most bytes copied in one step (the copy yields to produce and fetch between steps). */
const MAX_STEP_BYTES = 1024 * 1024;
const MIN_STEP_BYTES = 16 * 1024;
/** A tail at most this far behind (or one throttle step) is copied in the swap's turn (synchronous, not throttled). */
const FINAL_TAIL_BYTES = 256 * 1024;

interface Move {
  readonly topic: string;
  readonly partition: number;
  readonly logDir: string;
  readonly future: FileLog;
  readonly log: MovableLog;
  readonly config: () => LogConfig;
  /** Cuts the future log when the current one is truncated (a follower's divergent tail), at once. */
  readonly observer: LogObserver;
  cancelled: boolean;
}

/** What DescribeLogDirs reports of a future replica. */
export interface FutureReplicaInfo {
  logDir: string;
  sizeBytes: number;
  /** The current log's end minus the future log's end. */
  offsetLag: bigint;
}

export class LogDirMover {
  private readonly moves = new Map<string, Move>();
  /** Bytes copied and since when, for the rate (reset when the configured rate changes). */
  private window = { startMs: Date.now(), bytes: 0, rate: 0 };

  constructor(
    private readonly engine: FileStorageEngine,
    private readonly brokerConfig: BrokerConfig,
    private readonly logger: Logger,
    /** After a swap (the high watermarks are checkpointed in the new dir at once). */
    private readonly onMoved: () => void = () => {},
  ) {}

  /**
   * Kafka's ReplicaManager.alterReplicaLogDirs for one partition. `partition` is the hosted
   * replica (undefined: not hosted yet; the dir is remembered for when it is created).
   */
  alter(topic: string, partitionIndex: number, path: string, partition: Partition | undefined, known: boolean, config: () => LogConfig): number {
    const logDir = this.engine.findLogDir(path);
    if (logDir === undefined) return ErrorCode.LOG_DIR_NOT_FOUND;
    if (!this.engine.isLogDirOnline(logDir)) return ErrorCode.KAFKA_STORAGE_ERROR;
    const key = partitionKey(topic, partitionIndex);
    const running = this.moves.get(key);
    if (running !== undefined && running.logDir !== logDir) this.cancel(topic, partitionIndex);
    else if (running !== undefined) return ErrorCode.NONE;
    if (partition === undefined) {
      if (!known) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      this.engine.setPreferredLogDir(topic, partitionIndex, logDir);
      return ErrorCode.REPLICA_NOT_AVAILABLE;
    }
    if (!(partition.log instanceof MovableLog) || this.engine.logDirOf(topic, partitionIndex) === logDir) return ErrorCode.NONE;
    try {
      this.start(partition.log, topic, partitionIndex, logDir, config);
    } catch (e) {
      this.logger.error(`Could not create the future log of ${topic}-${partitionIndex} in ${logDir}`, e);
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
    return ErrorCode.NONE;
  }

  /** A partition opened: a future log left by an interrupted move resumes (one beside its current log in the same dir is dropped). */
  partitionOpened(partition: Partition, config: () => LogConfig): void {
    const found = this.engine.takeFutureLogDir(partition.topic, partition.partition);
    if (found === undefined || !(partition.log instanceof MovableLog)) return;
    if (this.engine.logDirOf(partition.topic, partition.partition) === found.logDir) {
      rmSync(found.path, { recursive: true, force: true });
      return;
    }
    this.logger.info(`Resuming the move of ${partition.topic}-${partition.partition} to ${found.logDir} from ${found.path}`);
    try {
      this.start(partition.log, partition.topic, partition.partition, found.logDir, config, found);
    } catch (e) {
      this.logger.error(`Could not resume the move of ${partition.topic}-${partition.partition} to ${found.logDir}; the partition stays where it is`, e);
    }
  }

  private start(log: MovableLog, topic: string, partition: number, logDir: string, config: () => LogConfig, existing?: { logDir: string; path: string }): void {
    const future = this.engine.openFutureLog(topic, partition, logDir, futureConfig(config()), log.logStartOffset, existing);
    const observer: LogObserver = {
      onTruncate: (end) => {
        if (!future.isClosed && future.logEndOffset > end) future.truncateTo(end);
      },
    };
    const move: Move = { topic, partition, logDir, future, log, config, observer, cancelled: false };
    this.moves.set(partitionKey(topic, partition), move);
    log.addObserver(observer);
    this.logger.info(`Moving ${topic}-${partition} from ${log.dir === null ? '?' : log.dir} to ${future.dir}`);
    void this.run(move).catch((e: unknown) => {
      this.logger.error(`The move of ${topic}-${partition} to ${logDir} failed; the partition stays where it was`, e);
      this.drop(move);
    });
  }

  /** Stops a move and deletes its future log (the partition is deleted, or goes to another dir). */
  cancel(topic: string, partition: number): void {
    const move = this.moves.get(partitionKey(topic, partition));
    if (move !== undefined) this.drop(move);
  }

  private drop(move: Move): void {
    move.cancelled = true;
    move.log.removeObserver(move.observer);
    const key = partitionKey(move.topic, move.partition);
    if (this.moves.get(key) === move) this.moves.delete(key);
    if (!move.future.isClosed) {
      try {
        this.engine.deleteFutureLog(move.future);
      } catch (e) {
        this.logger.warn(`Could not delete the future log ${move.future.dir}: ${(e as Error).message}`);
      }
    }
  }

  future(topic: string, partition: number): FutureReplicaInfo | undefined {
    const move = this.moves.get(partitionKey(topic, partition));
    if (move === undefined) return undefined;
    const lag = move.log.logEndOffset - move.future.logEndOffset;
    return { logDir: move.logDir, sizeBytes: move.future.sizeBytes, offsetLag: lag > 0n ? lag : 0n };
  }

  /** Stops every move; future logs stay on disk and resume after a restart, as Kafka's do. */
  close(): void {
    for (const move of this.moves.values()) {
      move.cancelled = true;
      move.log.removeObserver(move.observer);
      try {
        move.future.close();
      } catch (e) {
        this.logger.warn(`Could not close the future log ${move.future.dir}: ${(e as Error).message}`);
      }
    }
    this.moves.clear();
  }

  private async run(move: Move): Promise<void> {
    const { future, log } = move;
    for (;;) {
      if (move.cancelled) return;
      const current = log.current as FileLog;
      this.align(future, current);
      const tail = Math.max(FINAL_TAIL_BYTES, this.stepBytes());
      if (future.logEndOffset >= current.logEndOffset || current.sizeBytes - future.sizeBytes <= tail) {
        // Nothing of the future log may be in flight when it closes in the swap.
        await future.whenWritten();
        if (move.cancelled) return;
        const now = log.current as FileLog;
        this.align(future, now);
        if (now.sizeBytes - future.sizeBytes <= tail) {
          this.copy(future, now, Number.MAX_SAFE_INTEGER);
          this.finish(move, now);
          return;
        }
        continue;
      }
      const step = this.stepBytes();
      const copied = this.copy(future, current, step);
      await this.throttle(copied);
    }
  }

  /** Keeps the future log within the current one: retention moved the start, or a follower truncated. */
  private align(future: FileLog, current: FileLog): void {
    if (future.logEndOffset > current.logEndOffset) future.truncateTo(current.logEndOffset);
    if (future.logEndOffset < current.logStartOffset) future.truncateFullyAndStartAt(current.logStartOffset);
    else if (future.logStartOffset < current.logStartOffset) future.deleteRecordsBefore(current.logStartOffset);
  }

  /** Copies whole batches from `current` at the future's log end, up to `maxBytes`; returns bytes copied. */
  private copy(future: FileLog, current: FileLog, maxBytes: number): number {
    let copied = 0;
    while (copied < maxBytes && future.logEndOffset < current.logEndOffset) {
      const { records } = current.read(future.logEndOffset, Math.min(MAX_STEP_BYTES, maxBytes - copied), { minOneBatch: true });
      if (records.length === 0) break;
      future.append(records, { leaderEpoch: -1, nowMs: Date.now(), origin: 'replication' });
      this.engine.readBuffers.release(records);
      copied += records.length;
    }
    return copied;
  }

  private finish(move: Move, current: FileLog): void {
    const key = partitionKey(move.topic, move.partition);
    this.moves.delete(key);
    move.log.removeObserver(move.observer);
    this.engine.completeMove(current, move.future, move.logDir, move.config(), (moved) => move.log.swap(moved));
    this.logger.info(`The log of ${move.topic}-${move.partition} moved to ${move.logDir}`);
    try {
      this.onMoved();
    } catch (e) {
      this.logger.warn(`Could not checkpoint high watermarks after moving ${move.topic}-${move.partition}: ${(e as Error).message}`);
    }
  }

  private rate(): number {
    const r = Number(this.brokerConfig.long(ALTER_LOG_DIRS_RATE));
    return r > 0 ? r : Number.MAX_SAFE_INTEGER;
  }

  private stepBytes(): number {
    return Math.max(MIN_STEP_BYTES, Math.min(MAX_STEP_BYTES, Math.floor(this.rate() / 20)));
  }

  /** Waits until the bytes copied are within the rate (shared by every move, as Kafka's quota). */
  private async throttle(bytes: number): Promise<void> {
    const rate = this.rate();
    const now = Date.now();
    // A new rate, or a pause (no move running): the budget starts again from now, no burst.
    if (rate !== this.window.rate || now - (this.window.startMs + (this.window.bytes / rate) * 1000) > 1000) this.window = { startMs: now, bytes: 0, rate };
    this.window.bytes += bytes;
    const dueMs = this.window.startMs + (this.window.bytes / rate) * 1000;
    if (dueMs > now) await sleep(dueMs - now);
    else await new Promise((r) => setImmediate(r));
  }
}

/** The future log takes no fsync requests of its own: the swap writes it whole. */
function futureConfig(config: LogConfig): LogConfig {
  return { ...config, flushMessages: Number.MAX_SAFE_INTEGER, flushMs: Number.MAX_SAFE_INTEGER };
}
