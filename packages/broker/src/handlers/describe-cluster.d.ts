/**
 * DescribeCluster (60). v0-v1. The cluster id, the controller and the brokers with their
 * advertised address for the listener the request came in on. v1 adds the endpoint type:
 * brokers answer only for BROKER (1); CONTROLLER (2) is UNSUPPORTED_ENDPOINT_TYPE, as Kafka
 * brokers answer it. Cluster authorized operations only when asked for.
 */
import { type DescribeClusterRequest, type DescribeClusterResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const ENDPOINT_TYPE_BROKER = 1;
export declare const ENDPOINT_TYPE_CONTROLLER = 2;
export declare const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse>;
