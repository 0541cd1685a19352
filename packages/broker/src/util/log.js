const rank = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
function pad(n, w = 2) {
    return String(n).padStart(w, '0');
}
export function formatTimestamp(ms) {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}
function defaultThreshold() {
    const env = process.env['SAMSA_LOG_LEVEL'] ?? process.env['SAMSA_LOG'];
    if (env !== undefined && env !== '') {
        const lvl = env.toUpperCase();
        return lvl in rank ? rank[lvl] : rank.INFO;
    }
    // node:test sets NODE_TEST_CONTEXT in test processes: keep test output clean.
    return process.env['NODE_TEST_CONTEXT'] !== undefined ? Infinity : rank.INFO;
}
export class Logger {
    component;
    sink;
    threshold;
    constructor(component, sink = (line) => process.stderr.write(line + '\n'), threshold) {
        this.component = component;
        this.sink = sink;
        this.threshold = threshold ?? defaultThreshold();
    }
    /** Shared by a rate-limited logger and its children. */
    limiter = null;
    child(component) {
        const c = new Logger(component, this.sink, this.threshold);
        c.limiter = this.limiter;
        return c;
    }
    /**
     * A logger (and its children) that writes at most `burst` lines at once and `perSecond`
     * lines a second after that; what it drops is counted and reported in one line when it
     * writes again. For lines any client can trigger (malformed requests, closed connections).
     */
    rateLimited(perSecond, burst = perSecond, now = Date.now) {
        const c = new Logger(this.component, this.sink, this.threshold);
        // At DEBUG an operator asked for every line.
        if (this.threshold > rank.DEBUG)
            c.limiter = new RateLimiter(perSecond, burst, now);
        return c;
    }
    /** @internal the summary line of a rate limiter. */
    writeRaw(level, msg) {
        this.sink(`[${formatTimestamp(Date.now())}] ${level} ${msg} (${this.component})`);
    }
    enabled(level) {
        return rank[level] >= this.threshold;
    }
    log(level, msg, err) {
        if (rank[level] < this.threshold)
            return;
        if (this.limiter !== null && !this.limiter.admit(this))
            return;
        let line = `[${formatTimestamp(Date.now())}] ${level} ${escapeLogText(msg)} (${this.component})`;
        if (err !== undefined)
            line += `\n${(err instanceof Error ? (err.stack ?? err.message) : String(err)).split('\n').map(escapeLogText).join('\n')}`;
        this.sink(line);
    }
    trace(msg) { this.log('TRACE', msg); }
    debug(msg) { this.log('DEBUG', msg); }
    info(msg) { this.log('INFO', msg); }
    warn(msg, err) { this.log('WARN', msg, err); }
    error(msg, err) { this.log('ERROR', msg, err); }
}
/** Control characters, terminal escapes and lone surrogates as visible escapes: one log line stays one line. */
export function escapeLogText(s) {
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/.test(s) ? s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, escapeChar) : s;
}
function escapeChar(c) {
    switch (c) {
        case '\n': return '\\n';
        case '\r': return '\\r';
        case '\t': return '\\t';
    }
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
/** A token bucket; dropped lines are counted and reported once the bucket refills. */
class RateLimiter {
    perSecond;
    burst;
    now;
    tokens;
    last;
    dropped = 0;
    droppedSince = 0;
    constructor(perSecond, burst, now) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.now = now;
        this.tokens = burst;
        this.last = now();
    }
    admit(logger) {
        const t = this.now();
        this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
        this.last = t;
        if (this.tokens < 1) {
            if (this.dropped++ === 0)
                this.droppedSince = t;
            return false;
        }
        this.tokens -= 1;
        if (this.dropped > 0) {
            logger.writeRaw('WARN', `Suppressed ${this.dropped} log line(s) in the last ${((t - this.droppedSince) / 1000).toFixed(1)} s (at most ${this.perSecond} a second are written)`);
            this.dropped = 0;
        }
        return true;
    }
}
export function createLogger(component, opts) {
    return new Logger(component, opts?.sink, opts?.level === undefined ? undefined : rank[opts.level]);
}
//# sourceMappingURL=log.js.map