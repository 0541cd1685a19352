/** How the group APIs reach the group coordinator (null when the broker runs without one). */
import { ErrorCode, KafkaError } from '@samsa/protocol';
export function groupCoordinator(ctx) {
    const c = ctx.broker.groupCoordinator;
    if (c === null || c === undefined)
        throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'no group coordinator');
    return c;
}
export function requestInfo(ctx) {
    return { clientId: ctx.header.clientId ?? '', clientHost: `/${ctx.connection.socket.remoteAddress ?? ''}`, apiVersion: ctx.apiVersion };
}
//# sourceMappingURL=group-coordinator-access.js.map