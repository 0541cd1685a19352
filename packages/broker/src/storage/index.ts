export type {
  AppendInfo,
  AppendOptions,
  LogConfig,
  LogObserver,
  PartitionLog,
  ReadInfo,
  SegmentInfo,
  StorageEngine,
  TimestampOffset,
} from './partition-log.js';
export * from './errors.js';
export { MemoryStorageEngine, MemoryLog, type MemoryEngineOptions } from './memory-engine.js';
export type { RecordsDecompressor } from './batch-util.js';
