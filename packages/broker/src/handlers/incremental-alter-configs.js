/**
 * IncrementalAlterConfigs (44). v0-v1. Per key: SET (0), DELETE (1, back to the default),
 * APPEND (2) and SUBTRACT (3) for list configs such as cleanup.policy (starting from the
 * current value, default included, as Kafka does). A key named twice or a null value for
 * anything but DELETE is INVALID_REQUEST. TOPIC changes are validated (INVALID_CONFIG),
 * persisted and applied to the logs at once; BROKER changes accept dynamic broker configs for
 * this node or the cluster default ('') and refuse read-only ones (INVALID_REQUEST).
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { brokerConfigDef } from '../config/broker-config.js';
import { topicConfigDef } from '../config/topic-config.js';
import { brokerEntity, replaceBrokerConfigs, replaceTopicConfigs, requireTopic, RESOURCE_BROKER, RESOURCE_TOPIC, ResourceError, alterEachResource, topicConfigValue, } from './config-resources.js';
export const OP_SET = 0;
export const OP_DELETE = 1;
export const OP_APPEND = 2;
export const OP_SUBTRACT = 3;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];
function splitList(v) {
    return v === null || v.trim() === '' ? [] : v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}
/** Applies the operations to `current` (the override set); `valueOf` gives a key's current effective value. */
function applyOps(r, current, isList, valueOf, validationCode) {
    const next = new Map(current);
    for (const c of r.configs) {
        switch (c.configOperation) {
            case OP_SET:
                next.set(c.name, c.value);
                break;
            case OP_DELETE:
                next.delete(c.name);
                break;
            case OP_APPEND:
            case OP_SUBTRACT: {
                if (!isList(c.name))
                    throw new ResourceError(validationCode, `Can't ${OP_NAMES[c.configOperation]} to key ${c.name} because its type is not LIST.`);
                const base = splitList(next.get(c.name) ?? valueOf(c.name));
                const items = splitList(c.value);
                const out = c.configOperation === OP_APPEND ? [...base, ...items.filter((x) => !base.includes(x))] : base.filter((x) => !items.includes(x));
                next.set(c.name, out.join(','));
                break;
            }
            default:
                throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation}`);
        }
    }
    return next;
}
async function alter(broker, r, validateOnly) {
    const seen = new Set();
    const dups = new Set();
    for (const c of r.configs)
        (seen.has(c.name) ? dups : seen).add(c.name);
    if (dups.size > 0)
        throw new ResourceError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys : ${[...dups].join(',')}`);
    const nulls = r.configs.filter((c) => c.value === null && c.configOperation !== OP_DELETE).map((c) => `${OP_NAMES[c.configOperation] ?? c.configOperation}:${c.name}`);
    if (nulls.length > 0)
        throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(',')}`);
    if (r.resourceType === RESOURCE_TOPIC) {
        requireTopic(broker, r.resourceName);
        const current = new Map(broker.metadata.topic(r.resourceName).configs);
        const next = applyOps(r, current, (n) => topicConfigDef(n)?.type === 'list', (n) => topicConfigValue(broker, r.resourceName, n), ErrorCode.INVALID_CONFIG);
        return replaceTopicConfigs(broker, r.resourceName, next, validateOnly);
    }
    if (r.resourceType === RESOURCE_BROKER) {
        const entity = brokerEntity(r.resourceName, broker.nodeId);
        const current = new Map(await broker.topics.brokerConfigOverrides(entity));
        const next = applyOps(r, current, (n) => brokerConfigDef(n)?.type === 'list', (n) => (brokerConfigDef(n) !== undefined ? broker.config.text(n) : null), ErrorCode.INVALID_REQUEST);
        return replaceBrokerConfigs(broker, entity, next, validateOnly);
    }
    throw new ResourceError(ErrorCode.INVALID_REQUEST, `AlterConfigs is only supported for topics and brokers, but resource type is ${r.resourceType}`);
}
async function handle(ctx, req, _version) {
    return { throttleTimeMs: 0, responses: await alterEachResource(ctx, req.resources, req.validateOnly, alter) };
}
export const incrementalAlterConfigsHandler = {
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    handle,
};
//# sourceMappingURL=incremental-alter-configs.js.map