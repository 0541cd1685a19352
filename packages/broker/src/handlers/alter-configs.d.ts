/**
 * AlterConfigs (33). v0-v2. The legacy form: the given entries replace the resource's whole
 * override set (anything not named returns to its default). TOPIC (2): validated as topic
 * configs (INVALID_CONFIG), persisted and applied to the partitions' logs at once. BROKER (4):
 * this node's id or '' (cluster default); only dynamic broker configs are accepted
 * (INVALID_REQUEST otherwise, as Kafka). validate_only checks and changes nothing.
 */
import { type AlterConfigsRequest, type AlterConfigsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponse>;
