/**
 * DeleteTopics (20). v0-v6. v0-v5 name topics; v6 names each topic by name or by id (not
 * both). Deleting a topic removes it from the metadata; the partition registry then deletes
 * its logs. delete.topic.enable=false answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before
 * v3, which predates that code), as Kafka does.
 */
import { type DeleteTopicsRequest, type DeleteTopicsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse>;
