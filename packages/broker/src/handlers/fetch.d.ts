/**
 * Fetch (1). v4-v17: v4 is the first version with record batch v2 only responses (v0-v3 would
 * need down-conversion to magic 0/1, which Kafka 4 dropped too). Topic ids from v13, sessions
 * (KIP-227) from v7, read_committed stops at the last stable offset (= high watermark while
 * there are no transactions). A fetch that finds fewer than min_bytes waits in the purgatory
 * until appends bring enough bytes or max_wait_ms passes, then reads again. Records go into
 * the response by reference.
 */
import { type FetchRequest, type FetchResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const READ_COMMITTED = 1;
export declare const fetchHandler: ApiHandler<FetchRequest, FetchResponse>;
