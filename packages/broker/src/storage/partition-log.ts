/**
 * The storage contract the broker's handlers use. One PartitionLog per topic-partition, one
 * StorageEngine per broker (file engine in production, memory engine for tests and embedding).
 * Both engines pass the same conformance suite (test/storage/conformance.ts).
 *
 * Data is kept as Kafka RecordBatch v2 bytes exactly as produced, with offsets assigned in
 * place; the log never decodes records on the append or read path.
 *
 * Buffers returned by read() are views the caller must not modify (the memory engine returns
 * its stored bytes). Failures are the typed errors of errors.ts, mapped to Kafka codes by the
 * server. Offsets and timestamps are exact up to 2^53 inside the engines.
 */

import type { ReadBufferPool } from './read-buffers.js';

export interface LogConfig {
  /** segment.bytes */
  segmentBytes: number;
  /** segment.ms (roll even if not full) */
  segmentMs: number;
  /** retention.ms; -1 = unlimited */
  retentionMs: number;
  /** retention.bytes per partition; -1 = unlimited */
  retentionBytes: number;
  /** segment.index.bytes: max size of an offset/time index file */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes of log between index entries */
  indexIntervalBytes: number;
  /** flush.messages; Long.MAX = rely on the OS */
  flushMessages: number;
  /** flush.ms */
  flushMs: number;
  /** cleanup.policy: 'delete' | 'compact' | 'compact,delete' */
  cleanupPolicy: string;
  /** delete.retention.ms: how long tombstones survive compaction */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms */
  minCompactionLagMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** file.delete.delay.ms */
  fileDeleteDelayMs: number;
  /** message.timestamp.type: 'CreateTime' | 'LogAppendTime' */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** max.message.bytes */
  maxMessageBytes: number;
}

export interface AppendOptions {
  leaderEpoch: number;
  nowMs: number;
  /**
   * 'client' (default): assign offsets and the leader epoch in place, stamp LogAppendTime.
   * 'replication': the batches already carry offsets (a follower copying its leader, or a
   * cleaner output): stored unchanged; the first base offset must be >= logEndOffset (gaps allowed).
   */
  origin?: 'client' | 'replication';
  /**
   * The caller leaves `batches` unchanged (and does not reuse their memory) until the engine's
   * durability barrier after this append has passed: the file engine may then write from them
   * without a copy. The connection keeps Produce frames that long.
   */
  callerKeepsBatches?: boolean;
}

export interface AppendInfo {
  baseOffset: bigint;
  lastOffset: bigint;
  /** log append time if the topic uses LogAppendTime, else -1n */
  logAppendTime: bigint;
  logStartOffset: bigint;
  recordCount: number;
}

export interface ReadInfo {
  /** Whole batches, concatenated as on disk; empty Buffer when nothing is available. */
  records: Buffer;
  logStartOffset: bigint;
  logEndOffset: bigint;
}

/**
 * An offset with where it sits in the log (Kafka's LogOffsetMetadata): the base offset of the
 * segment holding it and its byte position there, or -1n/-1 when unknown (an offset not on a
 * segment boundary that was never resolved). The log end offset's metadata is always known.
 */
export interface LogOffsetMetadata {
  readonly messageOffset: bigint;
  readonly segmentBaseOffset: bigint;
  readonly relativePositionInSegment: number;
}

export const UNKNOWN_SEGMENT_BASE = -1n;

export function offsetOnlyMetadata(offset: bigint): LogOffsetMetadata {
  return { messageOffset: offset, segmentBaseOffset: UNKNOWN_SEGMENT_BASE, relativePositionInSegment: -1 };
}

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface SegmentInfo {
  baseOffset: bigint;
  sizeBytes: number;
  /** largest timestamp in the segment (-1n if empty) */
  maxTimestamp: bigint;
}

/** Bytes a log read off the event loop for a read about to run (prepareRead); memory held until released. */
export interface PreparedRead {
  /** Bytes held (what the read off the event loop brought in). */
  readonly bytes: number;
  release(): void;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  /** The log end offset with its segment and position (the high watermark is the Partition's, not the log's). */
  readonly logEndOffsetMetadata: LogOffsetMetadata;
  readonly sizeBytes: number;

  /**
   * Appends one or more validated v2 batches (already CRC-checked by the caller). Assigns
   * offsets in place, stamps log append time when configured, indexes, rolls segments.
   */
  append(batches: Buffer, opts: AppendOptions): AppendInfo;

  /**
   * Reads whole batches starting at the batch containing `offset`, up to `maxBytes` (at least
   * one batch when `minOneBatch`), never past `maxOffset` (exclusive; the Partition passes its
   * high watermark or last stable offset).
   * Throws OffsetOutOfRangeError (errors.ts) when offset is outside [logStartOffset, logEndOffset];
   * reading at logEndOffset returns no records. Reads may span segments.
   */
  read(offset: bigint, maxBytes: number, opts: { minOneBatch: boolean; maxOffset?: bigint }): ReadInfo;

  /**
   * Optional (file engine): before a fetch's read(offset, maxBytes, { minOneBatch }), reads
   * what it may need of the file that may not be in the page cache off the event loop; a Promise
   * when that must be waited for, null when the read can run now without waiting for the disk.
   * The read then copies those bytes from memory until the PreparedRead is released (release it
   * once the read ran). Reads are correct without it, only possibly blocking on the disk.
   */
  prepareRead?(offset: bigint, maxBytes: number, minOneBatch: boolean): Promise<PreparedRead> | null;

  /** ListOffsets by timestamp: the first offset whose timestamp >= ts, or null. */
  offsetForTimestamp(timestamp: bigint): TimestampOffset | null;
  /** ListOffsets MAX_TIMESTAMP: the offset of the record with the largest timestamp. */
  offsetOfMaxTimestamp(): TimestampOffset | null;

  /**
   * DeleteRecords: moves the log start offset forward (never back) and deletes segments wholly
   * below it; returns the new log start offset. Throws OffsetOutOfRangeError when offset is past
   * the log end (the Partition refuses offsets past its high watermark before calling this).
   */
  deleteRecordsBefore(offset: bigint): bigint;

  /**
   * Replication: removes every batch with lastOffset >= offset (a batch straddling `offset`
   * goes whole, so the new log end may be below `offset`); segments past it are deleted.
   * No-op when offset >= logEndOffset. (Kafka's UnifiedLog.truncateTo)
   */
  truncateTo(offset: bigint): void;
  /** Replication: deletes everything and restarts the log, empty, at `offset` (log start = log end = offset). */
  truncateFullyAndStartAt(offset: bigint): void;

  /**
   * Log compaction: replaces consecutive non-active segments (given by base offset) with one
   * segment holding `batches` (whole v2 batches keeping their offsets, increasing, inside the
   * replaced range; possibly none). The new segment keeps the first base offset. The file engine
   * follows Kafka's .cleaned -> .swap -> rename sequence, so a crash leaves the old segments or
   * the new one, never a mix.
   */
  replaceSegments(baseOffsets: bigint[], batches: readonly Buffer[]): void;

  /** Applies retention (time and size) and deletes whole segments before the log start. */
  applyRetention(nowMs: number): void;

  updateConfig(config: LogConfig): void;
  segments(): SegmentInfo[];
  flush(): void;
  close(): void;

  /** The partition directory (file engine), null for the memory engine. Producer-state snapshots live here. */
  readonly dir: string | null;
  /** Registers an observer of appends, rolls, log-start moves and close. */
  addObserver(observer: LogObserver): void;
  removeObserver(observer: LogObserver): void;
}

/**
 * Hooks for state that follows the log (producer state, later the transaction index). Called
 * synchronously, after the log changed; an observer that throws does not undo the change.
 * Recovery happens inside openLog, before any observer exists: an observer rebuilds itself by
 * reading the log (e.g. producer state loads its snapshot from `dir` and replays read() from the
 * snapshot offset to logEndOffset).
 */
export interface LogObserver {
  /** Batches were written: `batches` are the appended bytes (offsets assigned) and `info` their offsets. */
  onAppend?(batches: Buffer, info: AppendInfo): void;
  /** The active segment was rolled: a new segment starts at `newBaseOffset` (the log end offset). */
  onRoll?(newBaseOffset: bigint): void;
  /** The log was truncated (replication) and now ends at `logEndOffset`. */
  onTruncate?(logEndOffset: bigint): void;
  /** The log start offset moved (retention, DeleteRecords; backwards only by truncateFullyAndStartAt). */
  onLogStartOffsetChange?(logStartOffset: bigint): void;
  /** The log is about to be closed cleanly, with this log end offset. */
  onClose?(logEndOffset: bigint): void;
  /**
   * The partition's log moved to another log directory (AlterReplicaLogDirs): `dir` is the new
   * partition directory. State kept in files beside the log (snapshots, indexes) follows it.
   */
  onDirChange?(dir: string | null): void;
}

export interface StorageEngine {
  readonly kind: 'file' | 'memory';
  /**
   * Opens (creating if needed, recovering if present) the log of a topic-partition. Opening a
   * log that is already open returns the same instance with `config` applied.
   */
  openLog(topic: string, partition: number, config: LogConfig): PartitionLog;
  /** Logs found at startup (file engine: the log.dirs contents). */
  existingLogs(): Array<{ topic: string; partition: number }>;
  deleteLog(topic: string, partition: number): void;
  /**
   * The durable first step of a deletion that needs no free space: the log is closed, its data
   * removed and a `<topic>-<partition>.<uniqueId>-delete` marker left (file engine) until
   * purgeDeletedLogs(). Returns the marker (null: none was needed).
   */
  retireLog(topic: string, partition: number, uniqueId: string): string | null;
  /** Removes the markers retireLog left, and those of deletions a crash interrupted, until `stop()`; true when none is left. */
  purgeDeletedLogs(stop?: () => boolean): boolean;
  /** Deletions a crash interrupted, found at startup (their markers): finished by the broker. */
  readonly deletedAtStartup: ReadonlyArray<{ topic: string; partition: number; uniqueId: string }>;
  /** Bytes of records a log holds, without opening it (0 for an unknown log). */
  logBytesOnDisk(topic: string, partition: number): number;
  /** log.dirs for DescribeLogDirs. */
  readonly logDirs: string[];
  /** This engine's pooled read buffers (reads return leases of them; release after the socket write). */
  readonly readBuffers: ReadBufferPool;
  /**
   * Passed before a response acknowledging appends leaves: they must be readable after a crash
   * of this process (in the page cache; fsynced when a flush policy says so). null when they
   * are, a Promise resolving (null, or the Error of a failed write) when they will be, or the
   * Error of a write that failed in this event-loop turn.
   */
  durabilityBarrier(): Error | null | Promise<Error | null>;
  /** Resolves when no append is staged or being written (shutdown). */
  whenWritesDone(): Promise<void>;
  close(): void;
}
