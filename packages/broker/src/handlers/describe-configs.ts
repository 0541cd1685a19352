/**
 * DescribeConfigs (32). v0-v4. TOPIC (2) and BROKER (4) resources; all configs or the named
 * keys (unknown keys are left out). A BROKER resource is this node's id (every config, with
 * its source) or '' (the cluster-wide dynamic defaults only). v0 reports is_default; v1+
 * the config source and, when asked, synonyms; v3+ the config type and documentation (null:
 * Samsa does not ship Kafka's config docs). Sensitive values are never returned.
 */
import { ApiKey, ErrorCode, type DescribeConfigsRequest, type DescribeConfigsResponse } from '@samsa/protocol';
import { ConfigSource } from '../config/config-def.js';
import { TopicConfig, type DescribedConfig } from '../config/topic-config.js';
import { AclOperation } from '../security/authorize.js';
import { brokerEntity, describeBroker, requireConfigAccess, requireTopic, RESOURCE_BROKER, RESOURCE_TOPIC, ResourceError, toResourceError } from './config-resources.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';

type ResourceResult = DescribeConfigsResponse['results'][number];
type Resource = DescribeConfigsRequest['resources'][number];

function describeResource(broker: BrokerServices, r: Resource, includeSynonyms: boolean): DescribedConfig[] {
  if (r.resourceType === RESOURCE_TOPIC) {
    requireTopic(broker, r.resourceName);
    const image = broker.metadata.topic(r.resourceName)!;
    return new TopicConfig(broker.config, image.configs).describe(r.configurationKeys, includeSynonyms);
  }
  if (r.resourceType === RESOURCE_BROKER) return describeBroker(broker, brokerEntity(r.resourceName, broker.nodeId), r.configurationKeys, includeSynonyms);
  throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${r.resourceType}`);
}

function handle(ctx: RequestContext, req: DescribeConfigsRequest, version: number): DescribeConfigsResponse {
  const includeSynonyms = version >= 1 && req.includeSynonyms === true;
  const results: ResourceResult[] = req.resources.map((r) => {
    try {
      requireConfigAccess(ctx, AclOperation.DESCRIBE_CONFIGS, r);
      const configs = describeResource(ctx.broker, r, includeSynonyms).map((c) => {
        const entry: ResourceResult['configs'][number] = { name: c.name, value: c.isSensitive ? null : c.value, readOnly: c.readOnly, isSensitive: c.isSensitive };
        if (version === 0) {
          entry.isDefault = c.source === ConfigSource.DEFAULT_CONFIG;
        } else {
          entry.configSource = c.source;
          entry.synonyms = includeSynonyms ? c.synonyms.map((s) => ({ name: s.name, value: c.isSensitive ? null : s.value, source: s.source })) : [];
        }
        if (version >= 3) {
          entry.configType = c.configType;
          entry.documentation = null;
        }
        return entry;
      });
      return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs };
    } catch (e) {
      const err = toResourceError(e);
      if (err.code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.log.error(`Error describing configs of resource ${r.resourceType}/${r.resourceName}`, e);
      const message = err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? null : err.errorMessage;
      return { errorCode: err.code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
