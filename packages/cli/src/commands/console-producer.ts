/**
 * kafka-console-producer: one record per line of stdin, parsed as Kafka's LineMessageReader
 * does (parse.key/key.separator, parse.headers/headers.delimiter/headers.separator/
 * headers.key.separator, null.marker, ignore.error).
 */
import { createInterface } from 'node:readline';
import { type Message, Producer } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { bootstrapList, describeError, type Io, loadProperties, parseKeyValues, producerOptions, type Tool, ToolError } from '../tool.js';

export const consoleProducerSpec: ToolSpec = {
  name: 'kafka-console-producer',
  summary: 'This tool helps to read data from standard input and publish it to Kafka.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: server to connect to', description: 'REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.' },
    { name: 'topic', kind: 'value', metavar: 'String: topic', description: 'REQUIRED: The topic id to produce messages to.' },
    { name: 'batch-size', kind: 'value', metavar: 'Integer: size', default: '16384', description: 'Number of messages to send in a single batch if they are not being sent synchronously. please note that this option will be replaced if max-partition-memory-bytes is also set' },
    { name: 'compression-codec', kind: 'optional', metavar: 'String: compression-codec', description: "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, then it defaults to 'gzip'" },
    { name: 'line-reader', kind: 'value', metavar: 'String: reader_class', description: 'The class name of the class to use for reading lines from standard in (only the default line reader is available).' },
    { name: 'max-block-ms', kind: 'value', metavar: 'Long: max block on send', default: '60000', description: 'The max time that the producer will block for during a send request.' },
    { name: 'max-memory-bytes', kind: 'value', metavar: 'Long: total memory in bytes', default: '33554432', description: 'The total memory used by the producer to buffer records waiting to be sent to the server.' },
    { name: 'max-partition-memory-bytes', kind: 'value', metavar: 'Integer: memory in bytes per partition', description: 'The buffer size allocated for a partition (batch.size).' },
    { name: 'message-send-max-retries', kind: 'value', metavar: 'Integer', default: '3', description: 'Brokers can fail receiving the message for multiple reasons; this is the number of retries before the producer gives up and drops this message.' },
    { name: 'metadata-expiry-ms', kind: 'value', metavar: 'Long: metadata expiration interval', default: '300000', description: 'The period of time in milliseconds after which we force a refresh of metadata even if we haven\'t seen any leadership changes.' },
    { name: 'producer-property', aliases: ['command-property'], kind: 'value', repeatable: true, metavar: 'String: producer_prop', description: 'A mechanism to pass user-defined properties in the form key=value to the producer.' },
    { name: 'producer.config', aliases: ['command-config'], kind: 'value', metavar: 'String: config file', description: 'Producer config properties file. Note that [producer-property] takes precedence over this config.' },
    { name: 'property', aliases: ['reader-property'], kind: 'value', repeatable: true, metavar: 'String: prop', description: 'A mechanism to pass user-defined properties in the form key=value to the message reader: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error.' },
    { name: 'reader-config', kind: 'value', metavar: 'String: config file', description: 'Config properties file for the message reader. Note that [property] takes precedence over this config.' },
    { name: 'request-required-acks', kind: 'value', metavar: 'String: request required acks', default: '-1', description: 'The required `acks` of the producer requests' },
    { name: 'request-timeout-ms', kind: 'value', metavar: 'Integer: request timeout ms', default: '1500', description: 'The ack timeout of the producer requests. Value must be non-negative and non-zero.' },
    { name: 'retry-backoff-ms', kind: 'value', metavar: 'Long', default: '100', description: 'Before each retry, the producer refreshes the metadata of relevant topics.' },
    { name: 'socket-buffer-size', kind: 'value', metavar: 'Integer: size', default: '102400', description: 'The size of the tcp RECV size (accepted, not used).' },
    { name: 'sync', kind: 'flag', description: 'If set message send requests to the brokers are synchronously, one at a time as they arrive.' },
    { name: 'timeout', kind: 'value', metavar: 'Long: timeout_ms', default: '1000', description: "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms. This is the option to control `linger.ms` in producer configs." },
  ],
};

export interface LineReaderConfig {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: string;
  headersKeySeparator: string;
  ignoreError: boolean;
  nullMarker: string | null;
}

export function lineReaderConfig(props: Map<string, string>): LineReaderConfig {
  const bool = (k: string): boolean => props.get(k)?.trim().toLowerCase() === 'true';
  const c: LineReaderConfig = {
    parseKey: bool('parse.key'),
    keySeparator: props.get('key.separator') ?? '\t',
    parseHeaders: bool('parse.headers'),
    headersDelimiter: props.get('headers.delimiter') ?? '\t',
    headersSeparator: props.get('headers.separator') ?? ',',
    headersKeySeparator: props.get('headers.key.separator') ?? ':',
    ignoreError: bool('ignore.error'),
    nullMarker: props.get('null.marker') ?? null,
  };
  const distinct: Array<[string, string, string, string]> = [
    ['headers.delimiter', c.headersDelimiter, 'headers.separator', c.headersSeparator],
    ['headers.delimiter', c.headersDelimiter, 'headers.key.separator', c.headersKeySeparator],
    ['headers.separator', c.headersSeparator, 'headers.key.separator', c.headersKeySeparator],
  ];
  for (const [an, av, bn, bv] of distinct) if (av === bv) throw new ToolError(`${an} and ${bn} may not be equal`);
  if (c.nullMarker !== null) {
    for (const [n, v] of [['key.separator', c.keySeparator], ['headers.separator', c.headersSeparator], ['headers.delimiter', c.headersDelimiter], ['headers.key.separator', c.headersKeySeparator]] as const) {
      if (v === c.nullMarker) throw new ToolError(`null.marker and ${n} may not be equal`);
    }
  }
  return c;
}

/** One stdin line as a record (LineMessageReader's rules); throws ToolError on a malformed line. */
export function parseLine(c: LineReaderConfig, line: string, lineNumber: number): Message {
  const cut = (enabled: boolean, start: number, sep: string, what: string): string | null => {
    if (!enabled) return null;
    const i = line.indexOf(sep, start);
    if (i === -1) {
      if (c.ignoreError) return null;
      throw new ToolError(`No ${what} found on line number ${lineNumber}: '${line}'`);
    }
    return line.slice(start, i);
  };
  const headers = cut(c.parseHeaders, 0, c.headersDelimiter, 'headers delimiter');
  const headerOffset = headers === null ? 0 : headers.length + c.headersDelimiter.length;
  const key = cut(c.parseKey, headerOffset, c.keySeparator, 'key separator');
  const keyOffset = key === null ? 0 : key.length + c.keySeparator.length;
  const value = line.slice(headerOffset + keyOffset);
  const msg: Message = {
    key: key !== null && key !== c.nullMarker ? key : null,
    value: value !== c.nullMarker ? value : null,
  };
  if (headers !== null && headers !== c.nullMarker) {
    msg.headers = headers.split(c.headersSeparator).map((pair) => {
      const i = pair.indexOf(c.headersKeySeparator);
      if (i === -1) {
        if (c.ignoreError) return { key: pair, value: null };
        throw new ToolError(`No header key separator found in pair '${pair}' on line number ${lineNumber}`);
      }
      const hk = pair.slice(0, i);
      if (hk === c.nullMarker) throw new ToolError(`Header keys should not be equal to the null marker '${c.nullMarker}' as they can't be null`);
      const hv = pair.slice(i + c.headersKeySeparator.length);
      return { key: hk, value: hv === c.nullMarker ? null : hv };
    });
  }
  return msg;
}

function producerProps(a: ParsedArgs): Map<string, string> {
  const props = a.has('producer.config') ? loadProperties(a.required('producer.config')) : new Map<string, string>();
  // the tool's own options fill in what the config file and --producer-property leave unset
  const extra = parseKeyValues(a.values('producer-property'));
  const setDefault = (k: string, option: string, v: string | undefined): void => {
    if (v === undefined) return;
    if (a.has(option) || !props.has(k)) props.set(k, v);
  };
  const codec = a.has('compression-codec') ? a.value('compression-codec') ?? 'gzip' : undefined;
  setDefault('compression.type', 'compression-codec', codec);
  setDefault('acks', 'request-required-acks', a.value('request-required-acks'));
  setDefault('request.timeout.ms', 'request-timeout-ms', a.value('request-timeout-ms'));
  setDefault('linger.ms', 'timeout', a.has('sync') ? '0' : a.value('timeout'));
  setDefault('batch.size', 'max-partition-memory-bytes', a.value('max-partition-memory-bytes') ?? a.value('batch-size'));
  setDefault('max.block.ms', 'max-block-ms', a.value('max-block-ms'));
  setDefault('retry.backoff.ms', 'retry-backoff-ms', a.value('retry-backoff-ms'));
  setDefault('metadata.max.age.ms', 'metadata-expiry-ms', a.value('metadata-expiry-ms'));
  if (a.has('message-send-max-retries')) props.set('retries', a.required('message-send-max-retries'));
  for (const [k, v] of extra) props.set(k, v);
  return props;
}

export const consoleProducerTool: Tool = {
  spec: consoleProducerSpec,
  async run(a, io) {
    a.checkRequired('topic');
    if (!a.has('bootstrap-server')) throw new UsageError('Missing required argument "[bootstrap-server]"');
    const lr = a.value('line-reader');
    if (lr !== undefined && !/LineMessageReader$/.test(lr)) throw new ToolError(`Unsupported --line-reader ${lr}: only the default line reader is available`);
    const topic = a.required('topic');
    const readerProps = a.has('reader-config') ? loadProperties(a.required('reader-config')) : new Map<string, string>();
    parseKeyValues(a.values('property'), readerProps);
    const reader = lineReaderConfig(readerProps);
    const props = producerProps(a);
    const producer = new Producer(producerOptions(bootstrapList(a.required('bootstrap-server')), props, 'console-producer', io));
    let failed = 0;
    const pending = new Set<Promise<unknown>>();
    const send = (m: Message): Promise<unknown> => {
      const bytes = (x: unknown): string => (x === null || x === undefined ? 'null' : `${Buffer.byteLength(x as string)} bytes`);
      const p = producer.send({ topic, messages: [m] }).catch((e: unknown) => {
        failed++;
        io.err(`ERROR Error when sending message to topic ${topic} with key: ${bytes(m.key)}, value: ${bytes(m.value)} with error: ${describeError(e)}\n`);
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
      return p;
    };
    const prompt = (io.stdin as { isTTY?: boolean }).isTTY === true;
    let lineNumber = 0;
    let rl: ReturnType<typeof createInterface> | null = null;
    try {
      await producer.connect();
      if (prompt) io.out('>');
      // created only now: readline drops lines emitted before its iterator exists
      rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
      for await (const line of rl) {
        lineNumber++;
        const m = parseLine(reader, line, lineNumber);
        if (a.has('sync')) await send(m);
        else void send(m);
        // bounded memory: wait when too many records are outstanding (buffer.memory)
        if (pending.size >= 10000) await Promise.race(pending);
        if (prompt) io.out('>');
      }
      // end of input: send what lingers now, as KafkaProducer.close() does (after a tick, so
      // every send() has appended its record)
      await new Promise((r) => setImmediate(r));
      await producer.flush().catch(() => {});
      await Promise.all(pending);
    } finally {
      rl?.close();
      await producer.close();
    }
    return failed > 0 ? 1 : 0;
  },
};
