/**
 * ListOffsets (2). v0-v10. Special timestamps: -1 latest (the high watermark, or the last
 * stable offset for read_committed), -2 earliest, -3 max timestamp (v7+), -4 earliest local
 * (v8+, = earliest without tiered storage), -5 earliest pending upload (v9+, none here).
 * v0 answers with the old offsets array.
 */
import { type ListOffsetsRequest, type ListOffsetsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const LATEST_TIMESTAMP = -1n;
export declare const EARLIEST_TIMESTAMP = -2n;
export declare const MAX_TIMESTAMP = -3n;
export declare const EARLIEST_LOCAL_TIMESTAMP = -4n;
export declare const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -5n;
export declare const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse>;
