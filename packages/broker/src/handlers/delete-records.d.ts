/**
 * DeleteRecords (21). v0-v2. Moves each partition's log start offset up to the requested
 * offset (-1 = the high watermark); whole segments below it are deleted. An offset past the
 * high watermark (or below -1) is OFFSET_OUT_OF_RANGE. The answer carries the new low
 * watermark (the log start offset, on a single node). Internal topics are refused and a
 * compact-only topic is a POLICY_VIOLATION, as in Kafka.
 */
import { type DeleteRecordsRequest, type DeleteRecordsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
/** DeleteRecords' "up to the high watermark". */
export declare const HIGH_WATERMARK_OFFSET = -1n;
export declare const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse>;
