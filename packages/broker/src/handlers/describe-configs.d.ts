/**
 * DescribeConfigs (32). v0-v4. TOPIC (2) and BROKER (4) resources; all configs or the named
 * keys (unknown keys are left out). A BROKER resource is this node's id (every config, with
 * its source) or '' (the cluster-wide dynamic defaults only). v0 reports is_default; v1+
 * the config source and, when asked, synonyms; v3+ the config type and documentation (null:
 * Samsa does not ship Kafka's config docs). Sensitive values are never returned.
 */
import { type DescribeConfigsRequest, type DescribeConfigsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>;
