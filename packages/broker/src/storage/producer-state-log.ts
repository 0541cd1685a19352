/**
 * Wires a ProducerStateManager to a PartitionLog through the log's observer hooks:
 * - at open: load the newest snapshot <= log end offset from the partition directory, then replay
 *   the batches from there (or from the log start) to the log end;
 * - on every append (client, replication or cleaner output): replay the appended batch headers;
 * - at a segment roll (written in the background) and at a clean close: write a snapshot at the
 *   log end offset;
 * - after a truncation (replication): rebuild from the snapshots and batches that remain.
 * Validation stays with the caller: before `log.append` of a client batch, call
 * `state.checkAndPrepare(producerBatchHeaderOf(batch))` and skip the append on a duplicate.
 */
import { batchBaseOffset, batchLastOffset, batchSize, BATCH_HEADER_SIZE } from '@samsa/protocol/records';
import type { LogObserver, PartitionLog } from './partition-log.js';
import { deleteSnapshotsAfter, ProducerStateManager, type ProducerStateManagerOptions } from './producer-state.js';
import { AbortedTxnIndex } from './txn-index.js';

const REPLAY_READ_BYTES = 1 << 20;

export interface AttachedProducerState {
  state: ProducerStateManager;
  /** Aborted transactions of the log (its `.txnindex` files), fed by the markers the state sees. */
  abortedTxns: AbortedTxnIndex;
  /** Stops following the log (does not write a snapshot). */
  detach(): void;
}

export function attachProducerState(log: PartitionLog, opts: ProducerStateManagerOptions): AttachedProducerState {
  const state = new ProducerStateManager(opts);
  let dir = log.dir;
  const abortedTxns = new AbortedTxnIndex(dir);
  state.onTxnCompleted = (txn) => {
    if (!txn.isAborted) return;
    const lastStableOffset = state.firstUnstableOffset() ?? txn.lastOffset + 1n;
    abortedTxns.append({ producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset }, log.logEndOffsetMetadata.segmentBaseOffset);
  };
  rebuildFromLog(state, log);
  const observer: LogObserver = {
    onAppend: (batches) => state.replayBuffer(batches),
    // A follower cut its divergent tail: the producers' last batches must come from what is left,
    // or a retry of a batch that was cut would be answered as a duplicate and lost.
    onTruncate: (end) => {
      abortedTxns.truncateTo(end);
      rebuildFromLog(state, log);
    },
    onLogStartOffsetChange: (start) => abortedTxns.dropBefore(start),
    onRoll: (newBaseOffset) => {
      // Inside a produce: the file is written off the event loop.
      if (dir !== null) void state.takeSnapshotInBackground(dir, newBaseOffset);
    },
    onClose: (logEndOffset) => {
      if (dir !== null) state.takeSnapshot(dir, logEndOffset);
    },
    onDirChange: (next) => {
      dir = next;
      abortedTxns.relocate(next);
      if (next !== null) state.takeSnapshot(next, log.logEndOffset);
    },
  };
  log.addObserver(observer);
  return { state, abortedTxns, detach: () => log.removeObserver(observer) };
}

/** Loads the newest usable snapshot and replays the log after it. */
export function rebuildFromLog(state: ProducerStateManager, log: PartitionLog): void {
  const end = log.logEndOffset;
  // Snapshots past the log end describe data lost to a truncation (torn tail, follower
  // truncation): once the log grows past them again they would be wrong.
  const snapshotOffset = log.dir === null ? null : state.loadLatestSnapshot(log.dir, end, deleteSnapshotsAfter(log.dir, end));
  // A snapshot older than the log start still holds producers whose data was deleted (Kafka keeps
  // them too); the log itself can only be replayed from its start.
  let offset = snapshotOffset === null || snapshotOffset < log.logStartOffset ? log.logStartOffset : snapshotOffset;
  while (offset < end) {
    const { records } = log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true });
    if (records.length === 0) break;
    let pos = 0;
    let next = offset;
    while (pos + BATCH_HEADER_SIZE <= records.length) {
      const size = batchSize(records, pos);
      if (pos + size > records.length) break;
      // read() starts at the batch containing `offset`; batches before it are already applied
      if (batchBaseOffset(records, pos) >= offset) state.replay(records, pos);
      const after = batchLastOffset(records, pos) + 1n;
      if (after > next) next = after;
      pos += size;
    }
    if (next <= offset) break;
    offset = next;
  }
}
