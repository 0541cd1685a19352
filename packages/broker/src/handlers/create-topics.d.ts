/**
 * CreateTopics (19). v0-v7. num_partitions / replication_factor -1 take num.partitions /
 * default.replication.factor (v4+ clients send -1); manual assignments exclude both. A name
 * given twice is refused for every copy (INVALID_REQUEST). validate_only checks everything and
 * writes nothing. v5+ answers with the partition count, replication factor and the topic's
 * described configs; v7 adds the topic id. Like Kafka, a timeout <= 0 answers
 * REQUEST_TIMED_OUT for topics that are nevertheless created.
 */
import { type CreateTopicsRequest, type CreateTopicsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse>;
