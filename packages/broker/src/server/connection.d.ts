/**
 * One client connection: frames in, responses out. Requests may complete out of order (async
 * handlers, long polls), but responses are written strictly in request order, as Kafka
 * clients require. Backpressure: reading pauses while too many requests are in flight or the
 * socket holds too many unsent bytes, and resumes on drain.
 */
import type { Socket } from 'node:net';
import type { LeasedReads } from '../storage/read-buffers.js';
import type { Logger } from '../util/log.js';
/** Thrown by a dispatcher to close the connection (Kafka closes on unsupported versions and bad frames). */
export declare class CloseConnection extends Error {
    readonly name = "CloseConnection";
}
/** What a dispatch produces: the framed response, or null when the request gets none (acks=0). */
export type DispatchResult = Buffer[] | null;
export interface Dispatcher {
    dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult>;
}
export interface ConnectionOptions {
    maxFrameBytes: number;
    /** connections.max.idle.ms; <= 0 disables. */
    idleMs: number;
    /** Pause reading above this many unanswered requests (queued.max.requests-ish). */
    maxInFlight: number;
    /** Pause reading while the socket buffers more than this many bytes of responses. */
    writeHighWater: number;
    /**
     * Passed before responses leave: appends they acknowledge must be readable after a crash of
     * this process (the storage engine's staged writes). null when they are, a Promise of the
     * same when they will be, or the Error of a lost write.
     */
    durabilityBarrier: () => Error | null | Promise<Error | null>;
    /** The pool whose leased reads responses carry (released once the kernel has copied them). */
    readBuffers: LeasedReads;
}
export declare class Connection {
    readonly socket: Socket;
    readonly listenerName: string;
    private readonly dispatcher;
    private readonly opts;
    private readonly log;
    private readonly onClose;
    readonly id: string;
    readonly remote: string;
    /** Set from the first request header; for logs and quotas. */
    clientId: string | null;
    clientSoftwareName: string | null;
    clientSoftwareVersion: string | null;
    private readonly decoder;
    private readonly slots;
    private paused;
    private closed;
    private readonly onDataBound;
    private readonly onFrameBound;
    constructor(socket: Socket, listenerName: string, dispatcher: Dispatcher, opts: ConnectionOptions, log: Logger, onClose: (c: Connection) => void);
    /** Requests received and not yet answered (including ones awaiting earlier responses). */
    get inFlight(): number;
    get isClosed(): boolean;
    get isPaused(): boolean;
    close(reason?: string): void;
    /** Closes after the responses already queued are written (shutdown). */
    closeGracefully(): void;
    private endWhenIdle;
    private backlog;
    private finish;
    private onData;
    private outQueue;
    /** The batch waiting for a barrier (sent by close() if the connection closes meanwhile). */
    private pendingBatch;
    private outBytes;
    private drainScheduled;
    private barrierPending;
    private readonly drainBound;
    private queueResponse;
    private takeOutQueue;
    private drain;
    private writeBatch;
    private writeChunks;
    /** Ends the socket of a gracefully closing connection once nothing is left to answer. */
    private maybeEnd;
    /**
     * A staged append could not be written: the queued responses may acknowledge it, so they are
     * dropped with the connection (the client retries; the failed segment answers
     * KAFKA_STORAGE_ERROR from then on) rather than sent as a false acknowledgement.
     */
    private abortUnwritten;
    private onFrame;
    private frameBuffer;
    private frameBufferBusy;
    private readonly allocateFrame;
    private process;
    private failed;
    private complete;
    private checkPressure;
    private maybeResume;
}
