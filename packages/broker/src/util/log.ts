/**
 * Kafka-style log lines on stderr: `[2026-11-22 10:00:00,123] INFO message (component)`.
 * Quiet under `node --test` unless SAMSA_LOG (or SAMSA_LOG_LEVEL) is set. Messages are
 * escaped (a client id or topic name can carry control characters and terminal escapes), and
 * a logger can be rate-limited for lines that clients can trigger at will.
 */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const rank: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

function defaultThreshold(): number {
  const env = process.env['SAMSA_LOG_LEVEL'] ?? process.env['SAMSA_LOG'];
  if (env !== undefined && env !== '') {
    const lvl = env.toUpperCase() as LogLevel;
    return lvl in rank ? rank[lvl] : rank.INFO;
  }
  // node:test sets NODE_TEST_CONTEXT in test processes: keep test output clean.
  return process.env['NODE_TEST_CONTEXT'] !== undefined ? Infinity : rank.INFO;
}

export type LogSink = (line: string) => void;

export class Logger {
  private threshold: number;
  constructor(
    readonly component: string,
    private sink: LogSink = (line) => process.stderr.write(line + '\n'),
    threshold?: number,
    /** The clock rate limiters read (a test injects its own to step time). */
    private readonly now: () => number = Date.now,
  ) {
    this.threshold = threshold ?? defaultThreshold();
  }

  /** Shared by a rate-limited logger and its children. */
  private limiter: RateLimiter | null = null;

  child(component: string): Logger {
    const c = new Logger(component, this.sink, this.threshold, this.now);
    c.limiter = this.limiter;
    return c;
  }

  /**
   * A logger (and its children) that writes at most `burst` lines at once and `perSecond`
   * lines a second after that; what it drops is counted and reported in one line when it
   * writes again. For lines any client can trigger (malformed requests, closed connections).
   */
  rateLimited(perSecond: number, burst = perSecond, now: () => number = this.now): Logger {
    const c = new Logger(this.component, this.sink, this.threshold, now);
    // At DEBUG an operator asked for every line.
    if (this.threshold > rank.DEBUG) c.limiter = new RateLimiter(perSecond, burst, now);
    return c;
  }

  /** @internal the summary line of a rate limiter. */
  writeRaw(level: LogLevel, msg: string): void {
    this.sink(`[${formatTimestamp(Date.now())}] ${level} ${msg} (${this.component})`);
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= this.threshold;
  }

  log(level: LogLevel, msg: string, err?: unknown): void {
    if (rank[level] < this.threshold) return;
    if (this.limiter !== null && !this.limiter.admit(this)) return;
    let line = `[${formatTimestamp(Date.now())}] ${level} ${escapeLogText(msg)} (${this.component})`;
    if (err !== undefined) line += `\n${(err instanceof Error ? (err.stack ?? err.message) : String(err)).split('\n').map(escapeLogText).join('\n')}`;
    this.sink(line);
  }

  trace(msg: string): void { this.log('TRACE', msg); }
  debug(msg: string): void { this.log('DEBUG', msg); }
  info(msg: string): void { this.log('INFO', msg); }
  warn(msg: string, err?: unknown): void { this.log('WARN', msg, err); }
  error(msg: string, err?: unknown): void { this.log('ERROR', msg, err); }
}

/** Control characters, terminal escapes and lone surrogates as visible escapes: one log line stays one line. */
export function escapeLogText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/.test(s) ? s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, escapeChar) : s;
}

function escapeChar(c: string): string {
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
  private tokens: number;
  private last: number;
  private dropped = 0;
  private droppedSince = 0;

  constructor(private readonly perSecond: number, private readonly burst: number, private readonly now: () => number) {
    this.tokens = burst;
    this.last = now();
  }

  admit(logger: Logger): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    if (this.tokens < 1) {
      if (this.dropped++ === 0) this.droppedSince = t;
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

export function createLogger(component: string, opts?: { sink?: LogSink; level?: LogLevel; now?: () => number }): Logger {
  return new Logger(component, opts?.sink, opts?.level === undefined ? undefined : rank[opts.level], opts?.now);
}
