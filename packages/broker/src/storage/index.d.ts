export type { AppendInfo, AppendOptions, LogConfig, LogObserver, LogOffsetMetadata, PartitionLog, ReadInfo, SegmentInfo, StorageEngine, TimestampOffset, } from './partition-log.js';
export * from './errors.js';
export { MemoryStorageEngine, MemoryLog, type MemoryEngineOptions } from './memory-engine.js';
export type { RecordsDecompressor } from './batch-util.js';
export { FileStorageEngine, FileLog, type FileEngineOptions, type LogLoadState } from './file-engine.js';
export { RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT, CLEAN_SHUTDOWN_FILE } from './checkpoint.js';
export { segmentFileName } from './segment.js';
export { LogCleaner, CLEANER_OFFSET_CHECKPOINT, type LogCleanerOptions, type LogCleanerStats, type CleaningResult, type CleanableLog } from './log-cleaner.js';
