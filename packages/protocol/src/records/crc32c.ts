import { createRequire } from 'node:module';

/**
 * Checksums of the record formats, from @node-rs/crc32 (SIMD/hardware CRC; prebuilt for every
 * mainstream platform, so no JS fallback is kept: bench/codecs.ts compares it with a pure-JS
 * slicing-by-8 table, which is 4-5x slower on 16 KiB batches).
 */
const native = createRequire(import.meta.url)('@node-rs/crc32') as {
  crc32c(input: Uint8Array, initialState?: number): number;
  crc32(input: Uint8Array, initialState?: number): number;
};

/** CRC32C (Castagnoli), as RecordBatch v2 uses. `previous` continues an earlier checksum. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return native.crc32c(data, previous) >>> 0;
}

/** CRC32 (IEEE 802.3, zlib's), as legacy message sets (magic 0 and 1) use. */
export function crc32(data: Uint8Array, previous = 0): number {
  return native.crc32(data, previous) >>> 0;
}
