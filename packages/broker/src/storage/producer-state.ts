/**
 * Idempotent producer state of one partition (Kafka's ProducerStateManager / ProducerAppendInfo /
 * ProducerStateEntry). For each producer id: its epoch, the metadata of its last 5 batches (for
 * duplicate detection), its last timestamp, coordinator epoch and the first offset of its open
 * transaction.
 *
 * How it is used (producer-state-log.ts does the log-following part through PartitionLog observers):
 * - append (produce, origin client): for the single batch of a v3+ produce request call
 *   `checkAndPrepare(producerBatchHeaderOf(batch))`. `duplicate` -> do not append, answer with
 *   the original offsets. `append` -> append; the state then learns the batch from the log
 *   (observer -> `replayBuffer`), or directly via `onAppended(header, baseOffset, lastOffset)`.
 *   Errors are thrown before anything is written. Batches without a producer id (-1) skip all
 *   checks.
 * - follower / coordinator appends (already validated): no check, only the update.
 * - roll and close: `takeSnapshot(dir, nextOffset)` where nextOffset is the log end offset (the
 *   new segment's base offset at a roll). Writes `<20-digit offset>.snapshot`, keeps the newest 2.
 * - recovery: `loadLatestSnapshot(dir, recoveryPoint)` returns the snapshot's offset (or null, then
 *   replay from the log start); then `replay(batch)` / `replayBuffer(bytes)` for every batch from
 *   that offset to the log end, in order.
 * - truncation (log truncated to `offset`): `truncateAndReload(dir, logStartOffset, offset)`, then
 *   replay from the returned offset as at recovery.
 * - periodically (producer.id.expiration.check.interval.ms, 10 min in Kafka):
 *   `removeExpiredProducers()`.
 * - DescribeProducers: `activeProducers()`.
 *
 * Unknown producers: as Kafka >= 2.5 (KIP-360), a producer id without state is accepted with any
 * sequence: its state may have been lost to retention, DeleteRecords or expiry, and the producer
 * cannot be told apart from a new one. UNKNOWN_PRODUCER_ID is therefore never raised here.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
  batchRecordCount,
  batchSize,
  crc32c,
  decodeEndTxnMarker,
  decodeRecordBatch,
} from '@samsa/protocol/records';

export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;
const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
const NO_SEQUENCE = -1;

// ---------------------------------------------------------------------------------------------
// Errors (named after Kafka's error codes)

/**
 * Like the StorageError classes of errors.ts, these carry a `kind` (named after Kafka's error
 * code) and no numeric code: the server maps kinds to Kafka codes in one place.
 */
export type ProducerStateErrorKind =
  | 'out-of-order-sequence-number'
  | 'invalid-producer-epoch'
  | 'unknown-producer-id'
  | 'invalid-txn-state';

export abstract class ProducerStateError extends Error {
  abstract readonly kind: ProducerStateErrorKind;
}

/** Kafka: OUT_OF_ORDER_SEQUENCE_NUMBER. */
export class OutOfOrderSequenceError extends ProducerStateError {
  override readonly name = 'OutOfOrderSequenceError';
  readonly kind = 'out-of-order-sequence-number' as const;
}

/** Kafka: INVALID_PRODUCER_EPOCH. The batch's epoch is older than the producer's current one. */
export class InvalidProducerEpochError extends ProducerStateError {
  override readonly name = 'InvalidProducerEpochError';
  readonly kind = 'invalid-producer-epoch' as const;
}

/**
 * Kafka: UNKNOWN_PRODUCER_ID. Kept for the error table; Kafka >= 2.5 no longer returns it from the
 * append path and neither do we (see the file comment).
 */
export class UnknownProducerIdError extends ProducerStateError {
  override readonly name = 'UnknownProducerIdError';
  readonly kind = 'unknown-producer-id' as const;
}

/** Kafka: INVALID_TXN_STATE. A non-transactional batch while the producer has a transaction open. */
export class InvalidTxnStateError extends ProducerStateError {
  override readonly name = 'InvalidTxnStateError';
  readonly kind = 'invalid-txn-state' as const;
}

/** A snapshot file that fails its version, size or CRC check. Loading skips (and deletes) it. */
export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
}

// ---------------------------------------------------------------------------------------------
// Sequence arithmetic (int32 that wraps to 0 after Integer.MAX_VALUE, as DefaultRecordBatch)

export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

// ---------------------------------------------------------------------------------------------
// State

/** The producer-related fields of a v2 batch header. */
export interface ProducerBatchHeader {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** baseSequence + lastOffsetDelta, wrapping at int32 max (see `lastSequenceOf`). */
  lastSequence: number;
  isTransactional: boolean;
  recordCount: number;
  maxTimestamp: bigint;
}

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
  timestamp: bigint;
}

export interface ProducerStateEntry {
  producerId: bigint;
  producerEpoch: number;
  /** oldest first, at most NUM_BATCHES_TO_RETAIN */
  batches: BatchMetadata[];
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  /** -1n when no transaction is open */
  currentTxnFirstOffset: bigint;
}

export type CheckResult =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: bigint; lastOffset: bigint; timestamp: bigint };

/** What DescribeProducers returns per producer. */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  currentTxnStartOffset: bigint;
}

/** An end-transaction marker (the value of a control record), for `onAppended` of control batches. */
export interface EndTxnMarker {
  /** 0 = ABORT, 1 = COMMIT */
  type: number;
  coordinatorEpoch: number;
}

/** A transaction whose marker reached the log (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** offset of the marker */
  lastOffset: bigint;
  isAborted: boolean;
}

export interface ProducerStateManagerOptions {
  /** producer.id.expiration.ms */
  maxProducerIdExpirationMs: number;
  now: () => number;
}

export const lastSequenceOf = (baseSequence: number, lastOffsetDelta: number): number =>
  baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta);

/** Reads the producer fields from a batch's header bytes. */
export function producerBatchHeaderOf(buf: Buffer, pos = 0): ProducerBatchHeader {
  const baseSequence = batchBaseSequence(buf, pos);
  return {
    producerId: batchProducerId(buf, pos),
    producerEpoch: batchProducerEpoch(buf, pos),
    baseSequence,
    lastSequence: lastSequenceOf(baseSequence, batchLastOffsetDelta(buf, pos)),
    isTransactional: (batchAttributes(buf, pos) & ATTR_TRANSACTIONAL) !== 0,
    recordCount: batchRecordCount(buf, pos),
    maxTimestamp: batchMaxTimestamp(buf, pos),
  };
}

function emptyEntry(producerId: bigint): ProducerStateEntry {
  return {
    producerId,
    producerEpoch: NO_PRODUCER_EPOCH,
    batches: [],
    lastTimestamp: -1n,
    coordinatorEpoch: -1,
    currentTxnFirstOffset: -1n,
  };
}

const lastBatch = (e: ProducerStateEntry): BatchMetadata | undefined => e.batches[e.batches.length - 1];

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  private readonly expirationMs: number;
  private readonly now: () => number;
  /** Offset after the last batch applied (Kafka's mapEndOffset). */
  private mapEndOffset = 0n;
  /** Told of every transaction a marker completes (the aborted-transaction index listens). */
  onTxnCompleted: ((txn: CompletedTxn) => void) | null = null;

  constructor(opts: ProducerStateManagerOptions) {
    this.expirationMs = opts.maxProducerIdExpirationMs;
    this.now = opts.now;
  }

  get producerIdCount(): number {
    return this.producers.size;
  }

  /** Offset after the last batch applied to this state. */
  get endOffset(): bigint {
    return this.mapEndOffset;
  }

  lastEntry(producerId: bigint): Readonly<ProducerStateEntry> | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Validates a client batch against the producer's state, without changing it. Duplicate
   * detection comes first (as UnifiedLog.analyzeAndValidateProducerState), then the epoch and
   * sequence checks of ProducerAppendInfo.
   */
  checkAndPrepare(h: ProducerBatchHeader): CheckResult {
    if (h.producerId === NO_PRODUCER_ID) return APPEND;
    const entry = this.producers.get(h.producerId);
    if (entry === undefined) return APPEND; // unknown producer: any epoch and sequence
    if (h.producerEpoch === entry.producerEpoch) {
      for (const b of entry.batches) {
        if (b.firstSeq === h.baseSequence && b.lastSeq === h.lastSequence) {
          return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset, timestamp: b.timestamp };
        }
      }
    }
    if (h.producerEpoch < entry.producerEpoch) {
      throw new InvalidProducerEpochError(
        `epoch ${h.producerEpoch} of producer ${h.producerId} is older than the current epoch ${entry.producerEpoch}`,
      );
    }
    if (h.producerEpoch !== entry.producerEpoch) {
      // A bumped epoch restarts sequences at 0 (unless the entry only came from a marker or an
      // emptied state without an epoch).
      if (h.baseSequence !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new OutOfOrderSequenceError(
          `producer ${h.producerId} started epoch ${h.producerEpoch} at sequence ${h.baseSequence}, expected 0`,
        );
      }
    } else {
      const last = lastBatch(entry);
      const currentLastSeq = last === undefined ? NO_SEQUENCE : last.lastSeq;
      if (!inSequence(currentLastSeq, h.baseSequence)) {
        throw new OutOfOrderSequenceError(
          `producer ${h.producerId} epoch ${h.producerEpoch}: sequence ${h.baseSequence} does not follow ${currentLastSeq}`,
        );
      }
    }
    if (entry.currentTxnFirstOffset >= 0n && !h.isTransactional) {
      throw new InvalidTxnStateError(`producer ${h.producerId} has an open transaction; got a non-transactional batch`);
    }
    return APPEND;
  }

  /**
   * Records a batch that is now in the log (client, follower or replay). `marker` is given for
   * control batches (transaction markers); data batches leave it undefined.
   */
  onAppended(h: ProducerBatchHeader, baseOffset: bigint, lastOffset: bigint, marker?: EndTxnMarker): void {
    if (lastOffset + 1n > this.mapEndOffset) this.mapEndOffset = lastOffset + 1n;
    if (h.producerId === NO_PRODUCER_ID) return;
    let entry = this.producers.get(h.producerId);
    if (entry === undefined) {
      entry = emptyEntry(h.producerId);
      this.producers.set(h.producerId, entry);
    }
    if (h.producerEpoch !== entry.producerEpoch) {
      entry.producerEpoch = h.producerEpoch;
      entry.batches = [];
    }
    if (marker !== undefined) {
      entry.coordinatorEpoch = marker.coordinatorEpoch;
      const firstOffset = entry.currentTxnFirstOffset;
      entry.currentTxnFirstOffset = -1n;
      if (firstOffset >= 0n) this.onTxnCompleted?.({ producerId: h.producerId, firstOffset, lastOffset: baseOffset, isAborted: marker.type === 0 });
      entry.lastTimestamp = h.maxTimestamp;
      return;
    }
    if (entry.batches.length === NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    entry.batches.push({
      firstSeq: h.baseSequence,
      lastSeq: h.lastSequence,
      firstOffset: baseOffset,
      lastOffset,
      timestamp: h.maxTimestamp,
    });
    entry.lastTimestamp = h.maxTimestamp;
    if (h.isTransactional && entry.currentTxnFirstOffset < 0n) entry.currentTxnFirstOffset = baseOffset;
  }

  /** Applies one batch read back from the log (recovery): no validation, as Kafka's replication origin. */
  replay(buf: Buffer, pos = 0): void {
    const h = producerBatchHeaderOf(buf, pos);
    const base = batchBaseOffset(buf, pos);
    const last = base + BigInt(batchLastOffsetDelta(buf, pos));
    let marker: EndTxnMarker | undefined;
    if ((batchAttributes(buf, pos) & ATTR_CONTROL) !== 0) {
      marker = readEndTxnMarker(buf, pos);
      // An empty control batch (left by the cleaner) or another control record type only moves
      // the end offset.
      if (marker === undefined) {
        if (last + 1n > this.mapEndOffset) this.mapEndOffset = last + 1n;
        return;
      }
    }
    this.onAppended(h, base, last, marker);
  }

  /** Replays every whole batch in `bytes` (concatenated batches, as in a segment). */
  replayBuffer(bytes: Buffer): void {
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= bytes.length) {
      const size = batchSize(bytes, pos);
      if (pos + size > bytes.length) break;
      this.replay(bytes, pos);
      pos += size;
    }
  }

  /**
   * The first offset of the oldest open transaction (Kafka's firstUnstableOffset), or null when
   * none is open: the last stable offset cannot pass it.
   */
  firstUnstableOffset(): bigint | null {
    let first: bigint | null = null;
    for (const e of this.producers.values()) {
      if (e.currentTxnFirstOffset >= 0n && (first === null || e.currentTxnFirstOffset < first)) first = e.currentTxnFirstOffset;
    }
    return first;
  }

  /** Drops producers idle for producer.id.expiration.ms (never one with an open transaction). */
  removeExpiredProducers(nowMs = this.now()): number {
    let removed = 0;
    for (const [id, e] of this.producers) {
      if (this.isExpired(e, nowMs)) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  private isExpired(e: ProducerStateEntry, nowMs: number): boolean {
    return e.currentTxnFirstOffset < 0n && nowMs - Number(e.lastTimestamp) >= this.expirationMs;
  }

  activeProducers(): ActiveProducer[] {
    const out: ActiveProducer[] = [];
    for (const e of this.producers.values()) {
      const last = lastBatch(e);
      out.push({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: last === undefined ? NO_SEQUENCE : last.lastSeq,
        lastTimestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset,
      });
    }
    return out;
  }

  /**
   * Producer id -> offset of its last data batch (-1n if its last record is a marker) and epoch:
   * what the cleaner needs to keep each active producer's last batch (see cleaner.ts).
   */
  lastDataOffsets(): Map<bigint, { lastOffset: bigint; producerEpoch: number }> {
    const out = new Map<bigint, { lastOffset: bigint; producerEpoch: number }>();
    for (const e of this.producers.values()) {
      out.set(e.producerId, { lastOffset: lastBatch(e)?.lastOffset ?? -1n, producerEpoch: e.producerEpoch });
    }
    return out;
  }

  /** Forgets everything (log deleted or truncated to nothing); the next append lands at `offset`. */
  truncateFullyAndStartAt(dir: string, offset: bigint): void {
    this.producers.clear();
    this.mapEndOffset = offset;
    for (const s of listSnapshots(dir)) rmSync(join(dir, s.file), { force: true });
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Writes `<offset>.snapshot` (Kafka's format) with the state up to `offset` (exclusive), then
   * keeps only the newest `keep` snapshots. Kafka stores only each producer's last batch, so after
   * a restart duplicates are detected for that batch only, as in Kafka.
   */
  takeSnapshot(dir: string, offset: bigint, keep = 2): string {
    const bytes = encodeSnapshot([...this.producers.values()]);
    return writeSnapshotSync(dir, offset, bytes, keep);
  }

  /**
   * takeSnapshot with the file written off the event loop (a segment roll happens inside a
   * produce): the state is encoded now, the write, fsync and rename run on the thread pool, one
   * snapshot after the other. A snapshot lost to a crash only means a longer replay at startup.
   */
  takeSnapshotInBackground(dir: string, offset: bigint, keep = 2): Promise<void> {
    const bytes = encodeSnapshot([...this.producers.values()]);
    this.snapshotWrites = this.snapshotWrites.then(() => writeSnapshot(dir, offset, bytes, keep)).catch(() => {});
    return this.snapshotWrites;
  }

  private snapshotWrites: Promise<void> = Promise.resolve();

  /**
   * Replaces the state with the newest valid snapshot at or below `upToOffset`. Corrupt snapshots
   * are deleted and the next older one is tried. Producers already expired are not loaded.
   * Returns the snapshot's offset (replay the log from there), or null (replay from the log start).
   */
  loadLatestSnapshot(dir: string, upToOffset: bigint, snapshots = listSnapshots(dir)): bigint | null {
    this.producers.clear();
    const candidates = snapshots.filter((s) => s.offset <= upToOffset).reverse();
    for (const s of candidates) {
      const path = join(dir, s.file);
      let entries: ProducerStateEntry[];
      try {
        entries = decodeSnapshot(readFileSync(path));
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError)) throw err;
        rmSync(path, { force: true });
        continue;
      }
      const nowMs = this.now();
      for (const e of entries) if (!this.isExpired(e, nowMs)) this.producers.set(e.producerId, e);
      this.mapEndOffset = s.offset;
      return s.offset;
    }
    this.mapEndOffset = 0n;
    return null;
  }

  /**
   * The log was truncated to [logStartOffset, logEndOffset): deletes snapshots outside that range
   * and reloads from the newest remaining one. Returns the offset to replay from (null = the log
   * start).
   */
  truncateAndReload(dir: string, logStartOffset: bigint, logEndOffset: bigint): bigint | null {
    deleteSnapshotsAfter(dir, logEndOffset);
    if (logEndOffset === this.mapEndOffset) return logEndOffset;
    const from = this.loadLatestSnapshot(dir, logEndOffset);
    if (from === null) this.mapEndOffset = logStartOffset;
    return from;
  }
}

const APPEND: CheckResult = Object.freeze({ kind: 'append' });

// ---------------------------------------------------------------------------------------------
// Snapshot files: version int16 (1), crc uint32 (CRC32C of everything after it), then an int32
// count and entries of producerId int64, epoch int16, lastSequence int32, lastOffset int64,
// offsetDelta int32, timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset int64.

const SNAPSHOT_VERSION = 1;
const SNAPSHOT_CRC_OFFSET = 2;
const SNAPSHOT_ENTRIES_OFFSET = 6;
const SNAPSHOT_ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
export const SNAPSHOT_SUFFIX = '.snapshot';

export const snapshotFileName = (offset: bigint): string => `${offset.toString().padStart(20, '0')}${SNAPSHOT_SUFFIX}`;

export function listSnapshots(dir: string): Array<{ offset: bigint; file: string }> {
  const out: Array<{ offset: bigint; file: string }> = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const file of names) {
    if (!file.endsWith(SNAPSHOT_SUFFIX)) continue;
    const stem = file.slice(0, -SNAPSHOT_SUFFIX.length);
    if (!/^\d+$/.test(stem)) continue;
    out.push({ offset: BigInt(stem), file });
  }
  return out.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

/** Deletes snapshots with offset > `offset` (after a log truncation). */
export function deleteSnapshotsAfter(dir: string, offset: bigint): Array<{ offset: bigint; file: string }> {
  const kept: Array<{ offset: bigint; file: string }> = [];
  for (const s of listSnapshots(dir)) {
    if (s.offset > offset) rmSync(join(dir, s.file), { force: true });
    else kept.push(s);
  }
  return kept;
}

export function encodeSnapshot(entries: ProducerStateEntry[]): Buffer {
  const buf = Buffer.alloc(SNAPSHOT_ENTRIES_OFFSET + 4 + entries.length * SNAPSHOT_ENTRY_SIZE);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  let p = SNAPSHOT_ENTRIES_OFFSET;
  buf.writeInt32BE(entries.length, p);
  p += 4;
  for (const e of entries) {
    const last = lastBatch(e);
    p = buf.writeBigInt64BE(e.producerId, p);
    p = buf.writeInt16BE(e.producerEpoch, p);
    p = buf.writeInt32BE(last?.lastSeq ?? NO_SEQUENCE, p);
    p = buf.writeBigInt64BE(last?.lastOffset ?? -1n, p);
    p = buf.writeInt32BE(last === undefined ? 0 : Number(last.lastOffset - last.firstOffset), p);
    p = buf.writeBigInt64BE(e.lastTimestamp, p);
    p = buf.writeInt32BE(e.coordinatorEpoch, p);
    p = buf.writeBigInt64BE(e.currentTxnFirstOffset, p);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET)), SNAPSHOT_CRC_OFFSET);
  return buf;
}

export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < SNAPSHOT_ENTRIES_OFFSET + 4) throw new CorruptSnapshotError(`snapshot too short (${buf.length} bytes)`);
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw new CorruptSnapshotError(`unknown snapshot version ${version}`);
  const stored = buf.readUInt32BE(SNAPSHOT_CRC_OFFSET);
  const computed = crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET));
  if (stored !== computed) throw new CorruptSnapshotError(`snapshot CRC mismatch: stored ${stored}, computed ${computed}`);
  const count = buf.readInt32BE(SNAPSHOT_ENTRIES_OFFSET);
  if (count < 0 || buf.length !== SNAPSHOT_ENTRIES_OFFSET + 4 + count * SNAPSHOT_ENTRY_SIZE) {
    throw new CorruptSnapshotError(`snapshot size ${buf.length} does not match ${count} entries`);
  }
  const entries: ProducerStateEntry[] = [];
  let p = SNAPSHOT_ENTRIES_OFFSET + 4;
  for (let i = 0; i < count; i++) {
    const producerId = buf.readBigInt64BE(p);
    const producerEpoch = buf.readInt16BE(p + 8);
    const lastSeq = buf.readInt32BE(p + 10);
    const lastOffset = buf.readBigInt64BE(p + 14);
    const offsetDelta = buf.readInt32BE(p + 22);
    const timestamp = buf.readBigInt64BE(p + 26);
    const coordinatorEpoch = buf.readInt32BE(p + 34);
    const currentTxnFirstOffset = buf.readBigInt64BE(p + 38);
    p += SNAPSHOT_ENTRY_SIZE;
    const batches: BatchMetadata[] =
      lastOffset >= 0n
        ? [{
            firstSeq: decrementSequence(lastSeq, offsetDelta),
            lastSeq,
            firstOffset: lastOffset - BigInt(offsetDelta),
            lastOffset,
            timestamp,
          }]
        : [];
    entries.push({
      producerId,
      producerEpoch,
      batches,
      lastTimestamp: timestamp,
      coordinatorEpoch,
      currentTxnFirstOffset: currentTxnFirstOffset >= 0n ? currentTxnFirstOffset : -1n,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Control batches: decoded only on replay (they are tiny and rare); the first record of a
// transaction marker batch is the COMMIT/ABORT marker.

function readEndTxnMarker(buf: Buffer, pos: number): EndTxnMarker | undefined {
  if (batchRecordCount(buf, pos) < 1) return undefined;
  try {
    const batch = decodeRecordBatch(buf.subarray(pos, pos + batchSize(buf, pos)), 0, { verifyCrc: false });
    const first = batch.records[0];
    return first === undefined ? undefined : (decodeEndTxnMarker(first) ?? undefined);
  } catch (err) {
    // not a marker we can read (ProtocolDecodeError; checked by name to keep to @samsa/protocol/records)
    if ((err as Error).name === 'ProtocolDecodeError') return undefined;
    throw err;
  }
}

/** Writes `<offset>.snapshot` durably (tmp, fsync, rename) and keeps the newest `keep`. */
function writeSnapshotSync(dir: string, offset: bigint, bytes: Buffer, keep: number): string {
  const file = join(dir, snapshotFileName(offset));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  pruneSnapshots(dir, keep);
  return file;
}

/** writeSnapshotSync on the thread pool. */
async function writeSnapshot(dir: string, offset: bigint, bytes: Buffer, keep: number): Promise<void> {
  const file = join(dir, snapshotFileName(offset));
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  pruneSnapshots(dir, keep);
}

function pruneSnapshots(dir: string, keep: number): void {
  const all = listSnapshots(dir);
  for (const s of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(dir, s.file), { force: true });
}
