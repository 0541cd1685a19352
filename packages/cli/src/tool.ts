/**
 * What every command-line tool shares: its option table, the runner that turns usage errors
 * into Kafka-style messages and exit codes, the I/O it writes to (process streams, or buffers in
 * tests), and the client settings built from --bootstrap-server and properties.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ClusterOptions, ConsumerOptions, ProducerOptions } from '@samsa/client';
import { KafkaError } from '@samsa/client';
import { kafkaExceptionText } from './kafka-exceptions.js';
import { formatUsage, HelpRequested, parseArgs, type ParsedArgs, type ToolSpec, UsageError, VersionRequested } from './args.js';
import { SECURITY_KEYS, securityOptions } from './security-props.js';

export const SAMSA_VERSION = '0.1.0';

export interface Io {
  out(s: string | Uint8Array): void;
  err(s: string): void;
  stdin: Readable;
  /** Resolves on SIGINT/SIGTERM (tools that run until stopped await it). */
  stopSignal: Promise<void>;
}

export interface Tool {
  spec: ToolSpec;
  /** Returns the exit code (0 when undefined). */
  run(args: ParsedArgs, io: Io): Promise<number | void>;
}

/** An error whose message is the whole story (no stack), as Kafka's TerseException. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function processIo(): Io {
  // `tool | head`: a closed pipe ends the tool quietly, as it ends Kafka's
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  let stopSignal: Promise<void> | null = null;
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    get stdin() {
      return process.stdin;
    },
    // handlers are installed only for tools that wait for the signal; the others die by it
    get stopSignal() {
      stopSignal ??= new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return stopSignal;
    },
  };
}

/** Parses, runs, and maps errors to Kafka's output and exit codes. */
export async function runTool(tool: Tool, argv: readonly string[], io: Io): Promise<number> {
  let args: ParsedArgs;
  try {
    if (argv.length === 0) throw new HelpRequested(tool.spec.summary);
    args = parseArgs(tool.spec, argv);
  } catch (e) {
    return reportUsage(tool, e, io, argv.length === 0);
  }
  try {
    return (await tool.run(args, io)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof HelpRequested) return reportUsage(tool, e, io, false);
    if (e instanceof ToolError) {
      io.err(`${e.message}\n`);
      return e.exitCode;
    }
    io.err(`Error: ${describeError(e)}\n`);
    if (process.env.SAMSA_DEBUG) io.err(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}

function reportUsage(tool: Tool, e: unknown, io: Io, noArgs: boolean): number {
  if (e instanceof VersionRequested) {
    io.out(`${SAMSA_VERSION} (Samsa)\n`);
    return 0;
  }
  if (e instanceof HelpRequested) {
    // Kafka prints the usage to stderr; no arguments at all is an error, --help is not
    io.err(formatUsage(tool.spec));
    return noArgs ? 1 : 0;
  }
  if (e instanceof UsageError) {
    io.err(`${e.message}\n${formatUsage(tool.spec)}`);
    return 1;
  }
  throw e;
}

/** An error's message, with AggregateError's parts and the cause of connection failures. */
export function describeError(e: unknown): string {
  if (e instanceof AggregateError) return e.errors.map((x) => describeError(x)).join('; ');
  if (e instanceof KafkaError) return kafkaExceptionText(e);
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const head = e.message;
    return cause instanceof Error && !head.includes(cause.message) ? `${head} (${cause.message})` : head;
  }
  return String(e);
}

// ---- client settings ----------------------------------------------------------------------

/** "host1:9092, host2:9092" as tutorials write it: trimmed, empties dropped. */
export function bootstrapList(s: string): string[] {
  const list = s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.length === 0) throw new UsageError(`No valid broker addresses in '${s}'`);
  for (const a of list) if (!/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(a)) throw new UsageError(`Invalid url in bootstrap.servers: ${a}`);
  return list;
}

/** Java .properties: `k=v`, `k: v`, `k v`, # and ! comments, backslash continuations and escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    const unescape = (s: string): string => s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => (c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    if (m === null) out.set(unescape(line), '');
    else out.set(unescape(m[1]!), unescape(m[2]!));
  }
  return out;
}

export function loadProperties(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ToolError(`Unable to read properties file ${path}: ${(e as Error).message}`);
  }
  return parseProperties(text);
}

/** `k=v` arguments (value may contain '='; a missing value is ''), as CommandLineUtils.parseKeyValueArgs. */
export function parseKeyValues(args: readonly string[], into = new Map<string, string>()): Map<string, string> {
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq < 0) into.set(a, '');
    else into.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return into;
}

function intProp(props: Map<string, string>, key: string): number | undefined {
  const v = props.get(key);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new ToolError(`Invalid value ${v} for configuration ${key}: Not a number of type INT`);
  return n;
}

function boolProp(props: Map<string, string>, key: string): boolean | undefined {
  const v = props.get(key)?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new ToolError(`Invalid value ${props.get(key)} for configuration ${key}: Expected value to be either true or false`);
  return v === 'true';
}

const COMMON_CLIENT_KEYS = new Set(['bootstrap.servers', 'client.id', 'request.timeout.ms', 'socket.connection.setup.timeout.ms', 'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'metadata.max.age.ms', 'retry.backoff.ms', ...SECURITY_KEYS]);
const IGNORED_KEYS = new Set(['key.serializer', 'value.serializer', 'key.deserializer', 'value.deserializer', 'check.crcs', 'receive.buffer.bytes', 'send.buffer.bytes', 'buffer.memory', 'partitioner.class', 'interceptor.classes', 'default.api.timeout.ms', 'exclude.internal.topics']);
const PRODUCER_KEYS = new Set(['acks', 'linger.ms', 'batch.size', 'compression.type', 'enable.idempotence', 'max.in.flight.requests.per.connection', 'retries', 'delivery.timeout.ms', 'max.request.size', 'max.block.ms', 'transactional.id']);
const CONSUMER_KEYS = new Set(['group.id', 'group.instance.id', 'auto.offset.reset', 'enable.auto.commit', 'auto.commit.interval.ms', 'session.timeout.ms', 'heartbeat.interval.ms', 'max.poll.interval.ms', 'fetch.min.bytes', 'fetch.max.wait.ms', 'fetch.max.bytes', 'max.partition.fetch.bytes', 'isolation.level', 'partition.assignment.strategy', 'group.protocol', 'max.poll.records', 'allow.auto.create.topics']);

/** Warns, as Kafka's clients do, about properties this client does not know. */
function warnUnknown(props: Map<string, string>, known: Set<string>, io: Io): void {
  for (const k of props.keys()) {
    if (!COMMON_CLIENT_KEYS.has(k) && !IGNORED_KEYS.has(k) && !known.has(k)) io.err(`WARN The configuration '${k}' was supplied but isn't a known config.\n`);
  }
}

export function clusterOptions(bootstrap: string[], props: Map<string, string>, defaultClientId: string): ClusterOptions {
  const o: ClusterOptions = { bootstrapServers: bootstrap, clientId: props.get('client.id') ?? defaultClientId };
  const rt = intProp(props, 'request.timeout.ms');
  if (rt !== undefined) o.requestTimeoutMs = rt;
  const ct = intProp(props, 'socket.connection.setup.timeout.ms');
  if (ct !== undefined) o.connectTimeoutMs = ct;
  const rb = intProp(props, 'reconnect.backoff.ms');
  if (rb !== undefined) o.reconnectBackoffMs = rb;
  const rbm = intProp(props, 'reconnect.backoff.max.ms');
  if (rbm !== undefined) o.reconnectBackoffMaxMs = rbm;
  const ma = intProp(props, 'metadata.max.age.ms');
  if (ma !== undefined) o.metadataMaxAgeMs = ma;
  const rtb = intProp(props, 'retry.backoff.ms');
  if (rtb !== undefined) o.retryBackoffMs = rtb;
  Object.assign(o, securityOptions(props));
  return o;
}

export function producerOptions(bootstrap: string[], props: Map<string, string>, defaultClientId: string, io: Io): ProducerOptions {
  warnUnknown(props, PRODUCER_KEYS, io);
  const o: ProducerOptions = clusterOptions(bootstrap, props, defaultClientId);
  const acks = props.get('acks')?.trim();
  if (acks !== undefined) {
    if (acks === 'all' || acks === '-1') o.acks = -1;
    else if (acks === '0' || acks === '1') o.acks = Number(acks) as 0 | 1;
    else throw new ToolError(`Invalid value ${acks} for configuration acks: String must be one of: all, -1, 0, 1`);
  }
  const linger = intProp(props, 'linger.ms');
  if (linger !== undefined) o.lingerMs = linger;
  const bs = intProp(props, 'batch.size');
  if (bs !== undefined) o.batchSize = bs;
  const ct = props.get('compression.type')?.trim().toLowerCase();
  if (ct !== undefined) {
    if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(ct)) throw new ToolError(`Invalid value ${ct} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`);
    o.compression = ct as ProducerOptions['compression'];
  }
  const idem = boolProp(props, 'enable.idempotence');
  if (idem !== undefined) o.idempotent = idem;
  const mif = intProp(props, 'max.in.flight.requests.per.connection');
  if (mif !== undefined) o.maxInFlight = mif;
  const retries = intProp(props, 'retries');
  if (retries !== undefined) o.retries = retries;
  const dt = intProp(props, 'delivery.timeout.ms');
  if (dt !== undefined) o.deliveryTimeoutMs = dt;
  const mrs = intProp(props, 'max.request.size');
  if (mrs !== undefined) o.maxRequestSize = mrs;
  const mb = intProp(props, 'max.block.ms');
  if (mb !== undefined) o.maxBlockMs = mb;
  if (props.has('transactional.id')) throw new ToolError('transactional.id: transactions are not supported by the Samsa client yet');
  return o;
}

export function consumerOptions(bootstrap: string[], props: Map<string, string>, defaultClientId: string, io: Io): ConsumerOptions {
  warnUnknown(props, CONSUMER_KEYS, io);
  const o: ConsumerOptions = clusterOptions(bootstrap, props, defaultClientId);
  const gid = props.get('group.id');
  if (gid !== undefined && gid !== '') o.groupId = gid;
  const gii = props.get('group.instance.id');
  if (gii !== undefined && gii !== '') o.groupInstanceId = gii;
  const aor = props.get('auto.offset.reset')?.trim();
  if (aor !== undefined) {
    if (aor !== 'earliest' && aor !== 'latest' && aor !== 'none') throw new ToolError(`Invalid value ${aor} for configuration auto.offset.reset: String must be one of: latest, earliest, none`);
    o.autoOffsetReset = aor;
  }
  const eac = boolProp(props, 'enable.auto.commit');
  if (eac !== undefined) o.enableAutoCommit = eac;
  const nums: Array<[string, keyof ConsumerOptions]> = [
    ['auto.commit.interval.ms', 'autoCommitIntervalMs'],
    ['session.timeout.ms', 'sessionTimeoutMs'],
    ['heartbeat.interval.ms', 'heartbeatIntervalMs'],
    ['max.poll.interval.ms', 'maxPollIntervalMs'],
    ['fetch.min.bytes', 'fetchMinBytes'],
    ['fetch.max.wait.ms', 'fetchMaxWaitMs'],
    ['fetch.max.bytes', 'fetchMaxBytes'],
    ['max.partition.fetch.bytes', 'maxPartitionFetchBytes'],
  ];
  for (const [k, f] of nums) {
    const v = intProp(props, k);
    if (v !== undefined) (o as unknown as Record<string, unknown>)[f] = v;
  }
  const il = props.get('isolation.level')?.trim();
  if (il !== undefined) {
    if (il !== 'read_committed' && il !== 'read_uncommitted') throw new ToolError(`Invalid value ${il} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
    o.isolationLevel = il;
  }
  const pas = props.get('partition.assignment.strategy');
  if (pas !== undefined) {
    o.assignors = pas.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
      const short = s.replace(/^org\.apache\.kafka\.clients\.consumer\./, '');
      const known: Record<string, string> = { RangeAssignor: 'range', RoundRobinAssignor: 'roundrobin', CooperativeStickyAssignor: 'cooperative-sticky', StickyAssignor: 'cooperative-sticky' };
      return known[short] ?? s;
    });
  }
  const gp = props.get('group.protocol')?.trim().toLowerCase();
  if (gp !== undefined) o.groupProtocol = gp as 'classic' | 'consumer';
  return o;
}

/** Runs a tool as a process: exits with its code once stdout/stderr have drained. */
export async function runAsProcess(run: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await run();
  } catch (e) {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    code = 1;
  }
  // lingering sockets or timers must not keep a finished tool alive
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  await new Promise<void>((r) => process.stderr.write('', () => r()));
  process.exit(code);
}
