/**
 * FindCoordinator (10). v0-v6. v0-v3 one key, v4+ a batch of keys (coordinatorKeys). Key type 0
 * = GROUP: the leader of the group's `__consumer_offsets` partition; key type 1 = TRANSACTION:
 * the leader of the transactional id's `__transaction_state` partition (either topic is created
 * on first use, as Kafka does); other key types (2 = SHARE) are INVALID_REQUEST.
 */
import { type FindCoordinatorRequest, type FindCoordinatorResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>;
