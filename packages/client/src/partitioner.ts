/**
 * Kafka's default partitioning (the Java client's BuiltInPartitioner): keyed records go to
 * toPositive(murmur2(key)) % numPartitions; records without a key stick to one partition until
 * batch.size bytes have gone to it, then move on (KIP-480 / KIP-794).
 */

const M = 0x5bd1e995;

/** Kafka's Utils.murmur2 (seed 0x9747b28c), as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a serialized key. */
export function defaultPartition(key: Uint8Array | string, numPartitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return toPositive(murmur2(bytes)) % numPartitions;
}

/**
 * Sticky choice for records without a key: one partition per topic until `batchSize` bytes
 * were appended to it, then a random other partition, preferring ones with a leader.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, { partition: number; bytes: number }>();

  constructor(private readonly batchSize: number) {}

  partition(topic: string, numPartitions: number, available: readonly number[]): number {
    let s = this.current.get(topic);
    if (s === undefined || s.partition >= numPartitions) {
      s = { partition: this.pick(numPartitions, available, -1), bytes: 0 };
      this.current.set(topic, s);
    }
    return s.partition;
  }

  /** Records that `bytes` went to the sticky partition; switches once a batch's worth went there. */
  onAppend(topic: string, partition: number, bytes: number, numPartitions: number, available: readonly number[]): void {
    const s = this.current.get(topic);
    if (s === undefined || s.partition !== partition) return;
    s.bytes += bytes;
    if (s.bytes >= this.batchSize) {
      s.partition = this.pick(numPartitions, available, s.partition);
      s.bytes = 0;
    }
  }

  private pick(numPartitions: number, available: readonly number[], previous: number): number {
    const pool = available.length > 0 ? available : Array.from({ length: numPartitions }, (_, i) => i);
    if (pool.length === 1) return pool[0]!;
    for (;;) {
      const p = pool[Math.floor(Math.random() * pool.length)]!;
      if (p !== previous) return p;
    }
  }
}
