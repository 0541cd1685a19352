import type { BrokerGroupCoordinator } from '../coordinator/group/broker-group-coordinator.js';
import type { RequestInfo } from '../coordinator/group/group-metadata-manager.js';
import type { RequestContext } from './types.js';
export declare function groupCoordinator(ctx: RequestContext): BrokerGroupCoordinator;
export declare function requestInfo(ctx: RequestContext): RequestInfo;
