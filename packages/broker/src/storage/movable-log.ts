/**
 * The log a Partition holds: a delegate to the engine's log of the partition, so that
 * AlterReplicaLogDirs can replace that log with its copy in another log directory while the
 * partition keeps serving (Kafka's Partition swapping in its future log). The swap happens in
 * one event-loop turn, so no append or read sees half of it; the observers (producer state,
 * the leader epoch cache) move to the new log and learn its directory.
 */
import type {
  AppendInfo,
  AppendOptions,
  LogConfig,
  LogObserver,
  LogOffsetMetadata,
  PartitionLog,
  ReadInfo,
  SegmentInfo,
  TimestampOffset,
} from './partition-log.js';

export class MovableLog implements PartitionLog {
  private target: PartitionLog;
  private readonly observers: LogObserver[] = [];

  constructor(target: PartitionLog) {
    this.target = target;
  }

  /** The engine's log this delegate currently forwards to. */
  get current(): PartitionLog {
    return this.target;
  }

  /** Forwards to `next` from now on; the observers follow it and learn its directory. */
  swap(next: PartitionLog): void {
    for (const o of this.observers) {
      this.target.removeObserver(o);
      next.addObserver(o);
    }
    this.target = next;
    for (const o of this.observers) o.onDirChange?.(next.dir);
  }

  get topic(): string {
    return this.target.topic;
  }
  get partition(): number {
    return this.target.partition;
  }
  get logStartOffset(): bigint {
    return this.target.logStartOffset;
  }
  get logEndOffset(): bigint {
    return this.target.logEndOffset;
  }
  get logEndOffsetMetadata(): LogOffsetMetadata {
    return this.target.logEndOffsetMetadata;
  }
  get sizeBytes(): number {
    return this.target.sizeBytes;
  }
  get dir(): string | null {
    return this.target.dir;
  }

  append(batches: Buffer, opts: AppendOptions): AppendInfo {
    return this.target.append(batches, opts);
  }
  read(offset: bigint, maxBytes: number, opts: { minOneBatch: boolean; maxOffset?: bigint }): ReadInfo {
    return this.target.read(offset, maxBytes, opts);
  }
  prepareRead(offset: bigint, maxBytes: number): Promise<void> | null {
    return this.target.prepareRead?.(offset, maxBytes) ?? null;
  }
  offsetForTimestamp(timestamp: bigint): TimestampOffset | null {
    return this.target.offsetForTimestamp(timestamp);
  }
  offsetOfMaxTimestamp(): TimestampOffset | null {
    return this.target.offsetOfMaxTimestamp();
  }
  deleteRecordsBefore(offset: bigint): bigint {
    return this.target.deleteRecordsBefore(offset);
  }
  truncateTo(offset: bigint): void {
    this.target.truncateTo(offset);
  }
  truncateFullyAndStartAt(offset: bigint): void {
    this.target.truncateFullyAndStartAt(offset);
  }
  replaceSegments(baseOffsets: bigint[], batches: readonly Buffer[]): void {
    this.target.replaceSegments(baseOffsets, batches);
  }
  applyRetention(nowMs: number): void {
    this.target.applyRetention(nowMs);
  }
  updateConfig(config: LogConfig): void {
    this.target.updateConfig(config);
  }
  segments(): SegmentInfo[] {
    return this.target.segments();
  }
  flush(): void {
    this.target.flush();
  }
  close(): void {
    this.target.close();
  }
  addObserver(observer: LogObserver): void {
    this.observers.push(observer);
    this.target.addObserver(observer);
  }
  removeObserver(observer: LogObserver): void {
    const i = this.observers.indexOf(observer);
    if (i >= 0) this.observers.splice(i, 1);
    this.target.removeObserver(observer);
  }
}
