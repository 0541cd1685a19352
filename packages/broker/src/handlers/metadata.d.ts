/**
 * Metadata (3). v0-v12. Topics by name, or by id from v10; null (v1+) or empty (v0) = all
 * topics. Unknown topics are auto-created when auto.create.topics.enable and the request
 * allows it (always before v4); like Kafka, the reply for a topic created by this request is
 * LEADER_NOT_AVAILABLE and the client asks again.
 */
import { type MetadataRequest, type MetadataResponse } from '@samsa/protocol';
import type { BrokerImage } from '../metadata/image.js';
import type { ApiHandler, BrokerServices } from './types.js';
/** Kafka sends this when authorized operations were not requested. */
export declare const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Without an authorizer every topic operation is allowed: READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS. */
export declare const ALL_TOPIC_OPERATIONS: number;
/** CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE. */
export declare const ALL_CLUSTER_OPERATIONS: number;
/** A broker's address on the listener the request came in on (Kafka answers per listener). */
export declare function brokerEndpoint(broker: BrokerServices, b: BrokerImage, listenerName: string): {
    host: string;
    port: number;
};
export declare const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse>;
