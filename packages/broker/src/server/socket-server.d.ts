import type { Listener } from '../config/broker-config.js';
import type { Logger } from '../util/log.js';
import { Connection, type ConnectionOptions, type Dispatcher } from './connection.js';
export declare class SocketServer {
    readonly listener: Listener;
    private readonly dispatcher;
    private readonly opts;
    private readonly log;
    private server;
    private readonly connections;
    private boundPort;
    /**
     * What connections log (closes for malformed requests, their reasons) any client can
     * trigger at will: at most 10 lines a second after a burst of 100, the rest counted.
     */
    private readonly connectionLog;
    constructor(listener: Listener, dispatcher: Dispatcher, opts: ConnectionOptions & {
        backlog?: number;
        maxConnections?: number;
        maxConnectionsPerIp?: number;
    }, log: Logger);
    /** The port actually bound (differs from the configured one when that was 0). */
    get port(): number;
    get connectionCount(): number;
    /** Open connections (for tests and metrics). */
    allConnections(): ReadonlySet<Connection>;
    start(): Promise<void>;
    /** Open connections by remote address (max.connections.per.ip). */
    private readonly perIp;
    private accept;
    /** Stops accepting; closes connections after up to graceMs for in-flight responses. */
    stop(graceMs?: number): Promise<void>;
}
