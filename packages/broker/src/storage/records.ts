/**
 * The record-batch helpers storage uses, in one place.
 * TEMPORARY: @samsa/protocol/records (records/index.ts) and its crc32c do not exist yet; this
 * re-exports the header layout by relative path and a crc32c placeholder that throws. Replace the
 * body with `export * from '@samsa/protocol/records';` once helper B's files land.
 */
export * from '../../../protocol/src/records/batch-header.js';

export function crc32c(_data: Uint8Array): number {
  throw new Error('crc32c is not available yet (waiting for @samsa/protocol/records)');
}
