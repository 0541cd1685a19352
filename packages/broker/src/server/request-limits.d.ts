import type { BrokerServices } from '../handlers/types.js';
/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP. */
export declare const MAX_RECORDS_PER_USER_OP = 10000;
export declare const EXCESSIVELY_LARGE_BATCH = "Unable to perform excessively large batch operation.";
/**
 * Array elements one request may decode, across all its arrays. Far above what clients send
 * (a Metadata request naming 100,000 topics, a Fetch of 50,000 partitions), and low enough
 * that the decoded objects of one request stay within ~100 MB and tens of milliseconds.
 */
export declare const MAX_REQUEST_ELEMENTS = 1000000;
/** The response refusing a decoded request that exceeds a limit, or null when it is within them. */
export declare function refuseOverLimit(apiKey: number, request: unknown, version: number, broker: BrokerServices): unknown;
