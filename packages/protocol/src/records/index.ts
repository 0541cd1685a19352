export * from './batch-header.js';
export * from './crc32c.js';
export * from './compression.js';
export * from './record-batch.js';
export * from './control-record.js';
export * from './legacy.js';
