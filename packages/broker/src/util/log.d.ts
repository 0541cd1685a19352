/**
 * Kafka-style log lines on stderr: `[2026-11-22 10:00:00,123] INFO message (component)`.
 * Quiet under `node --test` unless SAMSA_LOG (or SAMSA_LOG_LEVEL) is set. Messages are
 * escaped (a client id or topic name can carry control characters and terminal escapes), and
 * a logger can be rate-limited for lines that clients can trigger at will.
 */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export declare function formatTimestamp(ms: number): string;
export type LogSink = (line: string) => void;
export declare class Logger {
    readonly component: string;
    private sink;
    private threshold;
    constructor(component: string, sink?: LogSink, threshold?: number);
    /** Shared by a rate-limited logger and its children. */
    private limiter;
    child(component: string): Logger;
    /**
     * A logger (and its children) that writes at most `burst` lines at once and `perSecond`
     * lines a second after that; what it drops is counted and reported in one line when it
     * writes again. For lines any client can trigger (malformed requests, closed connections).
     */
    rateLimited(perSecond: number, burst?: number, now?: () => number): Logger;
    /** @internal the summary line of a rate limiter. */
    writeRaw(level: LogLevel, msg: string): void;
    enabled(level: LogLevel): boolean;
    log(level: LogLevel, msg: string, err?: unknown): void;
    trace(msg: string): void;
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string, err?: unknown): void;
    error(msg: string, err?: unknown): void;
}
/** Control characters, terminal escapes and lone surrogates as visible escapes: one log line stays one line. */
export declare function escapeLogText(s: string): string;
export declare function createLogger(component: string, opts?: {
    sink?: LogSink;
    level?: LogLevel;
}): Logger;
