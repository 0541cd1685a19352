import { type ApiVersionsResponse } from '@samsa/protocol';
import { type ApiHandler, type BrokerServices, type NoResponse } from '../handlers/types.js';
import type { Logger } from '../util/log.js';
import { type Connection, type Dispatcher, type DispatchResult } from './connection.js';
/** Published once per completed request when someone subscribes (cheap otherwise). */
export declare const requestChannel: import("diagnostics_channel").Channel<unknown, unknown>;
export interface RequestEvent {
    apiKey: number;
    apiName: string;
    apiVersion: number;
    correlationId: number;
    clientId: string | null;
    listenerName: string;
    connectionId: string;
    durationMs: number;
    /** false for acks=0 produce. */
    responded: boolean;
}
export declare class RequestRouter implements Dispatcher {
    readonly handlers: readonly ApiHandler[];
    private readonly services;
    private readonly listenerName;
    private readonly log;
    private readonly byKey;
    constructor(handlers: readonly ApiHandler[], services: BrokerServices, listenerName: string, log: Logger);
    dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
    private respond;
    /** KIP-511: a v0 response with UNSUPPORTED_VERSION and every API we serve. */
    private unsupportedApiVersions;
}
/** The ApiVersions entries, derived from the handler list so it never advertises what is not served. */
export declare function apiVersionsList(handlers: readonly ApiHandler[]): ApiVersionsResponse['apiKeys'];
export type { NoResponse };
