// Test helpers: build a log of v2 batches with given keys/values, read it back.
import {
  CompressionType,
  createRecordBatch,
  decodeRecordBatch,
  encodeRecordBatch,
  toDecodedRecords,
  verifyBatchCrc,
  type RecordBatchInput,
} from '@samsa/protocol/records';

export interface Put {
  key: string | null;
  /** null = tombstone */
  value: string | null;
  timestamp?: bigint;
}

export interface BuildOptions {
  compression?: CompressionType;
  producerId?: bigint;
  producerEpoch?: number;
  timestamp?: bigint;
}

/** One batch per group of puts; offsets continue from `firstOffset`. */
export function buildLog(groups: Put[][], opts: BuildOptions = {}, firstOffset = 0n): Buffer[] {
  const out: Buffer[] = [];
  let offset = firstOffset;
  let seq = 0;
  for (const g of groups) {
    if (g.length === 0) continue;
    const input: RecordBatchInput = createRecordBatch(
      g.map((p) => ({
        key: p.key === null ? null : Buffer.from(p.key),
        value: p.value === null ? null : Buffer.from(p.value),
        timestamp: p.timestamp ?? opts.timestamp ?? 1_000n,
      })),
      {
        baseOffset: offset,
        compression: opts.compression ?? CompressionType.None,
        producerId: opts.producerId ?? -1n,
        producerEpoch: opts.producerId === undefined ? -1 : (opts.producerEpoch ?? 0),
        baseSequence: opts.producerId === undefined ? -1 : seq,
        now: 1_000n,
      },
    );
    out.push(encodeRecordBatch(input));
    offset += BigInt(g.length);
    seq += g.length;
  }
  return out;
}

export interface ReadRecord {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
}

/** Every record of the batches, checking each batch's CRC. */
export function readLog(batches: readonly Buffer[]): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const b of batches) {
    if (!verifyBatchCrc(b)) throw new Error('bad CRC in output batch');
    const batch = decodeRecordBatch(b);
    for (const r of toDecodedRecords(batch)) {
      out.push({
        offset: r.offset,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        timestamp: r.timestamp,
      });
    }
  }
  return out;
}

/** Last-wins map and the offset of each key's last record. */
export function lastWins(records: readonly ReadRecord[]): { values: Map<string, string | null>; offsets: Set<bigint> } {
  const values = new Map<string, string | null>();
  const last = new Map<string, bigint>();
  for (const r of records) {
    if (r.key === null) continue;
    values.set(r.key, r.value);
    last.set(r.key, r.offset);
  }
  return { values, offsets: new Set(last.values()) };
}
