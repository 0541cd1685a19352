/**
 * IncrementalAlterConfigs (44). v0-v1. Per key: SET (0), DELETE (1, back to the default),
 * APPEND (2) and SUBTRACT (3) for list configs such as cleanup.policy (starting from the
 * current value, default included, as Kafka does). A key named twice or a null value for
 * anything but DELETE is INVALID_REQUEST. TOPIC changes are validated (INVALID_CONFIG),
 * persisted and applied to the logs at once; BROKER changes accept dynamic broker configs for
 * this node or the cluster default ('') and refuse read-only ones (INVALID_REQUEST).
 */
import { type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const OP_SET = 0;
export declare const OP_DELETE = 1;
export declare const OP_APPEND = 2;
export declare const OP_SUBTRACT = 3;
export declare const incrementalAlterConfigsHandler: ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>;
