/**
 * DescribeGroups (15). v0-v5. State, protocol and members of each group; member metadata and
 * assignment only for Stable groups (as Kafka). v3+ authorized operations (not computed:
 * INT32_MIN, "not requested"), v4+ group.instance.id.
 */
import { type DescribeGroupsRequest, type DescribeGroupsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse>;
