/**
 * ConsumerGroupDescribe (69). v0. Epochs, assignor, and each member's current and target
 * assignment of KIP-848 groups; GROUP_ID_NOT_FOUND for other ids.
 */
import { type ConsumerGroupDescribeRequest, type ConsumerGroupDescribeResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const consumerGroupDescribeHandler: ApiHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>;
