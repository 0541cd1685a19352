export declare const Paths: {
    readonly brokerIds: '/brokers/ids';
    readonly broker: (id: number) => string;
    readonly topics: '/brokers/topics';
    readonly topic: (t: string) => string;
    readonly partitionState: (t: string, p: number) => string;
    readonly controller: '/controller';
    readonly controllerEpoch: '/controller_epoch';
    readonly topicConfigs: '/config/topics';
    readonly topicConfig: (t: string) => string;
    readonly brokerConfig: (entity: string) => string;
    readonly deleteTopics: '/admin/delete_topics';
    readonly deleteTopic: (t: string) => string;
    readonly clusterId: '/cluster/id';
};
/** What a key under the metadata root is, parsed from its path. */
export type ParsedKey = {
    kind: 'broker';
    id: number;
} | {
    kind: 'topic';
    topic: string;
} | {
    kind: 'partitionState';
    topic: string;
    partition: number;
} | {
    kind: 'topicConfig';
    topic: string;
} | {
    kind: 'controller';
} | {
    kind: 'deleteTopic';
    topic: string;
} | {
    kind: 'brokerConfig';
    entity: string;
} | {
    kind: 'other';
};
export declare function parseKey(key: string): ParsedKey;
export interface BrokerRegistration {
    id: number;
    host: string;
    port: number;
    rack: string | null;
    /** listener name -> host:port */
    endpoints: Array<{
        listener: string;
        securityProtocol: string;
        host: string;
        port: number;
    }>;
}
/** BrokerIdZNode v5 JSON. */
export declare function encodeBroker(b: BrokerRegistration, nowMs: number): string;
export declare function decodeBroker(id: number, value: string): BrokerRegistration;
export interface TopicAssignment {
    /** Dashed-hex topic id. */
    id: string;
    /** partition -> replicas (preferred leader first). */
    partitions: number[][];
}
/** TopicZNode v3 JSON. */
export declare function encodeTopic(t: TopicAssignment): string;
export declare function decodeTopic(value: string): TopicAssignment;
export interface PartitionState {
    leader: number;
    leaderEpoch: number;
    isr: number[];
    controllerEpoch: number;
}
/** TopicPartitionStateZNode JSON (version 1). */
export declare function encodePartitionState(s: PartitionState): string;
export declare function decodePartitionState(value: string): PartitionState;
/** ConfigEntityZNode JSON. */
export declare function encodeConfig(configs: Record<string, string>): string;
export declare function decodeConfig(value: string): Record<string, string>;
/** ControllerZNode JSON. */
export declare function encodeController(brokerId: number, nowMs: number): string;
export declare function decodeController(value: string): number;
/** ClusterIdZNode JSON. */
export declare function encodeClusterId(id: string): string;
export declare function decodeClusterId(value: string): string;
