/**
 * AlterConfigs (33). v0-v2. The legacy form: the given entries replace the resource's whole
 * override set (anything not named returns to its default). TOPIC (2): validated as topic
 * configs (INVALID_CONFIG), persisted and applied to the partitions' logs at once. BROKER (4):
 * this node's id or '' (cluster default); only dynamic broker configs are accepted
 * (INVALID_REQUEST otherwise, as Kafka). validate_only checks and changes nothing.
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { brokerEntity, replaceBrokerConfigs, replaceTopicConfigs, RESOURCE_BROKER, RESOURCE_TOPIC, ResourceError, alterEachResource } from './config-resources.js';
async function alter(broker, r, validateOnly) {
    const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
    if (nulls.length > 0)
        throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(',')}`);
    const configs = new Map(r.configs.map((c) => [c.name, c.value]));
    if (r.resourceType === RESOURCE_TOPIC)
        return replaceTopicConfigs(broker, r.resourceName, configs, validateOnly);
    if (r.resourceType === RESOURCE_BROKER)
        return replaceBrokerConfigs(broker, brokerEntity(r.resourceName, broker.nodeId), configs, validateOnly);
    throw new ResourceError(ErrorCode.INVALID_REQUEST, `AlterConfigs is only supported for topics and brokers, but resource type is ${r.resourceType}`);
}
async function handle(ctx, req, _version) {
    return { throttleTimeMs: 0, responses: await alterEachResource(ctx, req.resources, req.validateOnly, alter) };
}
export const alterConfigsHandler = {
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    handle,
};
//# sourceMappingURL=alter-configs.js.map