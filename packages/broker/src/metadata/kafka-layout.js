/**
 * Kafka's ZooKeeper-era metadata layout and JSON (kafka.zk.ZkData in Kafka 3.x), used for every
 * store engine so `zookeeper-shell ... ls /brokers/ids` and old `kafka-topics --zookeeper` see
 * what a Kafka user expects. Each topic's assignment is one key; each partition's state
 * (leader, leader epoch, ISR, controller epoch) is its own key, so an ISR change never rewrites
 * the topic.
 */
import { base64ToUuid, uuidToBase64 } from './uuid.js';
export const Paths = {
    brokerIds: '/brokers/ids',
    broker: (id) => `/brokers/ids/${id}`,
    topics: '/brokers/topics',
    topic: (t) => `/brokers/topics/${t}`,
    partitionState: (t, p) => `/brokers/topics/${t}/partitions/${p}/state`,
    controller: '/controller',
    controllerEpoch: '/controller_epoch',
    topicConfigs: '/config/topics',
    topicConfig: (t) => `/config/topics/${t}`,
    brokerConfig: (entity) => `/config/brokers/${entity === '' ? '<default>' : entity}`,
    deleteTopics: '/admin/delete_topics',
    deleteTopic: (t) => `/admin/delete_topics/${t}`,
    clusterId: '/cluster/id',
};
export function parseKey(key) {
    const parts = key.split('/').filter((p) => p !== '');
    if (parts[0] === 'brokers' && parts[1] === 'ids' && parts.length === 3)
        return { kind: 'broker', id: Number(parts[2]) };
    if (parts[0] === 'brokers' && parts[1] === 'topics' && parts.length === 3)
        return { kind: 'topic', topic: parts[2] };
    if (parts[0] === 'brokers' && parts[1] === 'topics' && parts.length === 6 && parts[3] === 'partitions' && parts[5] === 'state') {
        return { kind: 'partitionState', topic: parts[2], partition: Number(parts[4]) };
    }
    if (parts[0] === 'config' && parts[1] === 'topics' && parts.length === 3)
        return { kind: 'topicConfig', topic: parts[2] };
    if (parts[0] === 'config' && parts[1] === 'brokers' && parts.length === 3)
        return { kind: 'brokerConfig', entity: parts[2] };
    if (parts[0] === 'controller' && parts.length === 1)
        return { kind: 'controller' };
    if (parts[0] === 'admin' && parts[1] === 'delete_topics' && parts.length === 3)
        return { kind: 'deleteTopic', topic: parts[2] };
    return { kind: 'other' };
}
/** BrokerIdZNode v5 JSON. */
export function encodeBroker(b, nowMs) {
    const json = {
        features: {},
        listener_security_protocol_map: Object.fromEntries(b.endpoints.map((e) => [e.listener, e.securityProtocol])),
        endpoints: b.endpoints.map((e) => `${e.listener}://${e.host}:${e.port}`),
        jmx_port: -1,
        port: b.port,
        host: b.host,
        version: 5,
        timestamp: String(nowMs),
    };
    if (b.rack !== null)
        json['rack'] = b.rack;
    return JSON.stringify(json);
}
export function decodeBroker(id, value) {
    const j = JSON.parse(value);
    const endpoints = (j.endpoints ?? []).map((e) => {
        const m = /^([^:]+):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(e);
        const listener = m?.[1] ?? 'PLAINTEXT';
        return { listener, securityProtocol: j.listener_security_protocol_map?.[listener] ?? listener, host: m?.[2] ?? '', port: Number(m?.[3] ?? -1) };
    });
    const first = endpoints[0];
    return { id, host: j.host ?? first?.host ?? '', port: j.port ?? first?.port ?? -1, rack: j.rack ?? null, endpoints };
}
/** TopicZNode v3 JSON. */
export function encodeTopic(t) {
    return JSON.stringify({
        partitions: Object.fromEntries(t.partitions.map((r, i) => [String(i), r])),
        topic_id: uuidToBase64(t.id),
        adding_replicas: {},
        removing_replicas: {},
        version: 3,
    });
}
export function decodeTopic(value) {
    const j = JSON.parse(value);
    const parts = Object.entries(j.partitions ?? {}).map(([p, r]) => [Number(p), r]).sort((a, b) => a[0] - b[0]);
    return { id: j.topic_id !== undefined ? base64ToUuid(j.topic_id) : '', partitions: parts.map(([, r]) => r) };
}
/** TopicPartitionStateZNode JSON (version 1). */
export function encodePartitionState(s) {
    return JSON.stringify({ controller_epoch: s.controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr });
}
export function decodePartitionState(value) {
    const j = JSON.parse(value);
    return { leader: j.leader, leaderEpoch: j.leader_epoch, isr: j.isr, controllerEpoch: j.controller_epoch };
}
/** ConfigEntityZNode JSON. */
export function encodeConfig(configs) {
    return JSON.stringify({ version: 1, config: configs });
}
export function decodeConfig(value) {
    return JSON.parse(value).config ?? {};
}
/** ControllerZNode JSON. */
export function encodeController(brokerId, nowMs) {
    return JSON.stringify({ version: 1, brokerid: brokerId, timestamp: String(nowMs) });
}
export function decodeController(value) {
    return JSON.parse(value).brokerid ?? -1;
}
/** ClusterIdZNode JSON. */
export function encodeClusterId(id) {
    return JSON.stringify({ version: '1', id });
}
export function decodeClusterId(value) {
    return JSON.parse(value).id;
}
//# sourceMappingURL=kafka-layout.js.map