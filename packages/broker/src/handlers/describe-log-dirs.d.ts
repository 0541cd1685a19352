import { type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
/** Kafka's DescribeLogDirsResponse.UNKNOWN_VOLUME_BYTES. */
export declare const UNKNOWN_VOLUME_BYTES = -1n;
export declare const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>;
