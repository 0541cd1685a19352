export * from './errors.js';
export { MemoryStorageEngine, MemoryLog } from './memory-engine.js';
export { FileStorageEngine, FileLog } from './file-engine.js';
export { RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT, CLEAN_SHUTDOWN_FILE } from './checkpoint.js';
export { segmentFileName } from './segment.js';
export { LogCleaner, CLEANER_OFFSET_CHECKPOINT } from './log-cleaner.js';
//# sourceMappingURL=index.js.map