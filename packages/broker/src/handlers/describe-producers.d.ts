/**
 * DescribeProducers (61), v0: the active idempotent/transactional producers of each requested
 * partition (producer id, epoch, last sequence, last timestamp, coordinator epoch, open
 * transaction start), as kafka-transactions.sh describe-producers shows them. A partition this
 * broker does not host is UNKNOWN_TOPIC_OR_PARTITION (Kafka answers NOT_LEADER_OR_FOLLOWER only
 * for partitions that exist elsewhere; on a single node there are none).
 */
import { type DescribeProducersRequest, type DescribeProducersResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const describeProducersHandler: ApiHandler<DescribeProducersRequest, DescribeProducersResponse>;
