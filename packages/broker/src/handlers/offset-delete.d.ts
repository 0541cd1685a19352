/**
 * OffsetDelete (47). v0. Deletes committed offsets of a group for topics it no longer consumes
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for non-consumer groups with members;
 * UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
 */
import { type OffsetDeleteRequest, type OffsetDeleteResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse>;
