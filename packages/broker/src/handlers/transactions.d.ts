/**
 * The transaction APIs (Kafka's KafkaApis handlers for them): AddPartitionsToTxn (24, v0-v5),
 * AddOffsetsToTxn (25, v0-v4), EndTxn (26, v0-v4), WriteTxnMarkers (27, v0-v1), TxnOffsetCommit
 * (28, v0-v4), DescribeTransactions (65, v0), ListTransactions (66, v0-v1). The work is the
 * transaction coordinator's (coordinator/transaction); these translate requests and responses.
 *
 * EndTxn v5 (transaction protocol version 2, an epoch bump per transaction) is not advertised;
 * clients then use the version-1 protocol, as they do against a Kafka without transaction.version 2.
 */
import { type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse, type DescribeTransactionsRequest, type DescribeTransactionsResponse, type EndTxnRequest, type EndTxnResponse, type ListTransactionsRequest, type ListTransactionsResponse, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '@samsa/protocol';
import type { BrokerTransactionCoordinator } from '../coordinator/transaction/broker-transaction-coordinator.js';
import type { ApiHandler, RequestContext } from './types.js';
export declare function transactionCoordinator(ctx: RequestContext): BrokerTransactionCoordinator;
export declare const addPartitionsToTxnHandler: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>;
export declare const addOffsetsToTxnHandler: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>;
export declare const endTxnHandler: ApiHandler<EndTxnRequest, EndTxnResponse>;
export declare const txnOffsetCommitHandler: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>;
export declare const writeTxnMarkersHandler: ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>;
export declare const describeTransactionsHandler: ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>;
export declare const listTransactionsHandler: ApiHandler<ListTransactionsRequest, ListTransactionsResponse>;
