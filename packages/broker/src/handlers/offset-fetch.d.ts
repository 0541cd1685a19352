/**
 * OffsetFetch (9). v0-v9. v0-v7 one group; v2+ null topics = every committed offset and a
 * group-level error code (v0-v1 put group errors on each partition); v5+ leader epochs; v7+
 * require_stable; v8+ several groups per request, each with its own topics and error.
 */
import { type OffsetFetchRequest, type OffsetFetchResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponse>;
