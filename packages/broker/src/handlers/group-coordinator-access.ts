/** How the group APIs reach the group coordinator (null when the broker runs without one). */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import type { BrokerGroupCoordinator } from '../coordinator/group/broker-group-coordinator.js';
import type { RequestInfo } from '../coordinator/group/group-metadata-manager.js';
import type { RequestContext } from './types.js';

export function groupCoordinator(ctx: RequestContext): BrokerGroupCoordinator {
  const c = ctx.broker.groupCoordinator;
  if (c === null || c === undefined) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no group coordinator');
  return c;
}

export function requestInfo(ctx: RequestContext): RequestInfo {
  return { clientId: ctx.header.clientId ?? '', clientHost: `/${ctx.connection.socket.remoteAddress ?? ''}`, apiVersion: ctx.apiVersion };
}
