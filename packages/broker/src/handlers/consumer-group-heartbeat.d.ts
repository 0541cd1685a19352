/**
 * ConsumerGroupHeartbeat (68). v0-v1 (KIP-848). Joins (epoch 0), heartbeats and leaves (epoch -1,
 * static -2) a consumer group whose assignment the coordinator computes (assignors "uniform",
 * "range"). v1: the client generates its member id. Regex subscriptions are refused
 * (INVALID_REQUEST).
 */
import { type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const consumerGroupHeartbeatHandler: ApiHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>;
