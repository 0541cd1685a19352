/** Pure-JS CRC32C (slicing-by-8 tables): the baseline bench/codecs.ts compares @node-rs/crc32 with. */
const TABLE = new Int32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let k = 1; k < 8; k++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[k * 256 + n] = c;
  }
}

export function crc32cSlicingBy8(buf: Uint8Array, previous = 0): number {
  const T = TABLE;
  let c = ~previous;
  let i = 0;
  const n = buf.length;
  const end8 = n - (n & 7);
  for (; i < end8; i += 8) {
    const a = (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) ^ c;
    c = T[1792 + (a & 0xff)]! ^ T[1536 + ((a >>> 8) & 0xff)]! ^ T[1280 + ((a >>> 16) & 0xff)]! ^ T[1024 + (a >>> 24)]!
      ^ T[768 + buf[i + 4]!]! ^ T[512 + buf[i + 5]!]! ^ T[256 + buf[i + 6]!]! ^ T[buf[i + 7]!]!;
  }
  for (; i < n; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
