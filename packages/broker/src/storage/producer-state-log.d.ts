import type { PartitionLog } from './partition-log.js';
import { ProducerStateManager, type ProducerStateManagerOptions } from './producer-state.js';
import { AbortedTxnIndex } from './txn-index.js';
export interface AttachedProducerState {
    state: ProducerStateManager;
    /** Aborted transactions of the log (its `.txnindex` files), fed by the markers the state sees. */
    abortedTxns: AbortedTxnIndex;
    /** Stops following the log (does not write a snapshot). */
    detach(): void;
}
export declare function attachProducerState(log: PartitionLog, opts: ProducerStateManagerOptions): AttachedProducerState;
/** Loads the newest usable snapshot and replays the log after it. */
export declare function rebuildFromLog(state: ProducerStateManager, log: PartitionLog): void;
