/**
 * acks=all waits here (Kafka's DelayedProduce): each partition of the request is done when
 * the high watermark passes its last appended offset, when this broker stops leading it, or
 * when the request times out. It waits in a purgatory keyed by partition, woken by
 * high-watermark moves and leadership changes, so nothing blocks the event loop.
 */
import { ErrorCode } from '@samsa/protocol';
import type { DelayedOperation } from '../server/purgatory.js';
import type { PartitionReplica } from './partition-replica.js';

export interface PendingAck {
  readonly replica: PartitionReplica;
  /** The offset the high watermark must reach: last appended offset + 1. */
  readonly requiredOffset: bigint;
  /** The leader epoch of the append; a new epoch means the append may be gone. */
  readonly leaderEpoch: number;
  readonly minInsyncReplicas: number;
  /** Filled when decided: the partition's error code (NONE when acknowledged). */
  errorCode: number | null;
}

/** Decides a pending partition if it can be decided now (Kafka's Partition.checkEnoughReplicasReachOffset). */
export function checkPendingAck(p: PendingAck): void {
  if (p.errorCode !== null) return;
  const r = p.replica;
  if (!r.isLeader || r.leaderEpoch !== p.leaderEpoch) {
    p.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return;
  }
  if (r.highWatermark < p.requiredOffset) return;
  p.errorCode = r.isr.length < p.minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE;
}

export class DelayedProduce implements DelayedOperation {
  constructor(private readonly pending: readonly PendingAck[], private readonly onComplete: (timedOut: boolean) => void) {}

  /** True when every partition is decided. */
  tryComplete(): boolean {
    let done = true;
    for (const p of this.pending) {
      checkPendingAck(p);
      if (p.errorCode === null) done = false;
    }
    return done;
  }

  onUpdate(): boolean {
    return this.tryComplete();
  }

  complete(reason: 'satisfied' | 'expired' | 'shutdown'): void {
    this.tryComplete();
    for (const p of this.pending) {
      if (p.errorCode === null) p.errorCode = reason === 'shutdown' ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.REQUEST_TIMED_OUT;
    }
    this.onComplete(reason === 'expired');
  }
}
