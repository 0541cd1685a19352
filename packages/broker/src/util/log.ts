/**
 * Kafka-style log lines on stderr: `[2026-11-22 10:00:00,123] INFO message (component)`.
 * Quiet under `node --test` unless SAMSA_LOG (or SAMSA_LOG_LEVEL) is set.
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
  ) {
    this.threshold = threshold ?? defaultThreshold();
  }

  child(component: string): Logger {
    return new Logger(component, this.sink, this.threshold);
  }

  enabled(level: LogLevel): boolean {
    return rank[level] >= this.threshold;
  }

  log(level: LogLevel, msg: string, err?: unknown): void {
    if (rank[level] < this.threshold) return;
    let line = `[${formatTimestamp(Date.now())}] ${level} ${msg} (${this.component})`;
    if (err !== undefined) line += `\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    this.sink(line);
  }

  trace(msg: string): void { this.log('TRACE', msg); }
  debug(msg: string): void { this.log('DEBUG', msg); }
  info(msg: string): void { this.log('INFO', msg); }
  warn(msg: string, err?: unknown): void { this.log('WARN', msg, err); }
  error(msg: string, err?: unknown): void { this.log('ERROR', msg, err); }
}

export function createLogger(component: string, opts?: { sink?: LogSink; level?: LogLevel }): Logger {
  return new Logger(component, opts?.sink, opts?.level === undefined ? undefined : rank[opts.level]);
}
