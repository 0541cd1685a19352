/**
 * KIP-890 part 1 (transaction.partition.verification.enable) as partition leaders and the group
 * coordinator see it: what one request's verification found, and what its client is told. The
 * asking itself is BrokerTransactionCoordinator.verifyAppends; the check at append time is
 * Partition.checkVerificationGuard.
 */
import { ErrorCode } from '@samsa/protocol';

/** One request's verification: failures by `topic:partition`, and the guard each verified append must carry. */
export interface AppendVerification {
  failed: Map<string, number>;
  guards: Map<string, object>;
}

/**
 * What a client sees of a failed verification (Kafka's transactionSupportedOperation): a
 * partition missing from the transaction is TRANSACTION_ABORTABLE for request versions that know
 * that code (Produce v11+, TxnOffsetCommit v4+), INVALID_TXN_STATE for older ones.
 */
export function verificationErrorFor(code: number, abortableSupported: boolean): number {
  return code === ErrorCode.TRANSACTION_ABORTABLE && !abortableSupported ? ErrorCode.INVALID_TXN_STATE : code;
}
