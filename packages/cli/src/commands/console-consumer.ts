/**
 * kafka-console-consumer: prints records as Kafka's DefaultMessageFormatter does (print.key,
 * print.timestamp, print.partition, print.offset, print.headers, separators, null.literal) and
 * "Processed a total of N messages" on stderr at exit. With --group it is a group member and
 * commits what it printed; with --partition it reads that partition from --offset; with neither
 * it joins a generated group console-consumer-NNNNN, as Kafka's does, and commits nothing.
 */
import { Admin, Consumer, type ConsumedMessage } from '@samsa/client';
import { type ParsedArgs, type ToolSpec, UsageError } from '../args.js';
import { bootstrapList, consumerOptions, describeError, type Io, loadProperties, parseKeyValues, type Tool, ToolError } from '../tool.js';
import { includeList } from './topics.js';

export const consoleConsumerSpec: ToolSpec = {
  name: 'kafka-console-consumer',
  summary: 'This tool helps to read data from Kafka topics and outputs it to standard output.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: server to connect to', description: 'REQUIRED: The server(s) to connect to.' },
    { name: 'topic', kind: 'value', metavar: 'String: topic', description: 'The topic to consume on.' },
    { name: 'include', aliases: ['whitelist'], kind: 'value', metavar: 'String: Java regex (String)', description: 'Regular expression specifying list of topics to include for consumption.' },
    { name: 'partition', kind: 'value', metavar: 'Integer: partition', description: 'The partition to consume from. Consumption starts from the end of the partition unless \'--offset\' is specified.' },
    { name: 'offset', kind: 'value', metavar: 'String: consume offset', default: 'latest', description: "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end" },
    { name: 'consumer-property', aliases: ['command-property'], kind: 'value', repeatable: true, metavar: 'String: consumer_prop', description: 'A mechanism to pass user-defined properties in the form key=value to the consumer.' },
    { name: 'consumer.config', aliases: ['command-config'], kind: 'value', metavar: 'String: config file', description: 'Consumer config properties file. Note that [consumer-property] takes precedence over this config.' },
    { name: 'formatter', kind: 'value', metavar: 'String: class', default: 'org.apache.kafka.tools.consumer.DefaultMessageFormatter', description: 'The name of a class to use for formatting Kafka messages for display (DefaultMessageFormatter or NoOpMessageFormatter).' },
    { name: 'property', aliases: ['formatter-property'], kind: 'value', repeatable: true, metavar: 'String: prop', description: 'The properties to initialize the message formatter: print.timestamp, print.key, print.offset, print.partition, print.headers, print.value, key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer, headers.deserializer.' },
    { name: 'formatter-config', kind: 'value', metavar: 'String: config file', description: 'Config properties file to initialize the message formatter.' },
    { name: 'from-beginning', kind: 'flag', description: 'If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.' },
    { name: 'max-messages', kind: 'value', metavar: 'Integer: num_messages', description: 'The maximum number of messages to consume before exiting. If not set, consumption is continual.' },
    { name: 'timeout-ms', kind: 'value', metavar: 'Long: timeout_ms', description: 'If specified, exit if no message is available for consumption for the specified interval.' },
    { name: 'skip-message-on-error', kind: 'flag', description: 'If there is an error when processing a message, skip it instead of halt.' },
    { name: 'key-deserializer', kind: 'value', metavar: 'String: deserializer for keys', description: 'The name of the class to use for deserializing keys.' },
    { name: 'value-deserializer', kind: 'value', metavar: 'String: deserializer for values', description: 'The name of the class to use for deserializing values.' },
    { name: 'enable-systest-events', kind: 'flag', description: 'Log lifecycle events of the consumer in addition to logging consumed messages (accepted, not used).' },
    { name: 'isolation-level', kind: 'value', metavar: 'String', default: 'read_uncommitted', description: 'Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.' },
    { name: 'group', kind: 'value', metavar: 'String: consumer group id', description: 'The consumer group id of the consumer.' },
  ],
};

type Deserialize = (b: Buffer) => Buffer | string;

/** Kafka's built-in deserializers by class name (the simple name is accepted too). */
function deserializer(name: string | undefined): Deserialize | null {
  if (name === undefined) return null;
  const simple = name.replace(/^org\.apache\.kafka\.common\.serialization\./, '');
  const need = (b: Buffer, n: number, cls: string): void => {
    if (b.length !== n) throw new Error(`Size of data received by ${cls} is not ${n}`);
  };
  switch (simple) {
    case 'StringDeserializer':
    case 'ByteArrayDeserializer':
    case 'BytesDeserializer':
    case 'ByteBufferDeserializer':
      return (b) => b;
    case 'LongDeserializer':
      return (b) => (need(b, 8, 'LongDeserializer'), b.readBigInt64BE().toString());
    case 'IntegerDeserializer':
      return (b) => (need(b, 4, 'IntegerDeserializer'), String(b.readInt32BE()));
    case 'ShortDeserializer':
      return (b) => (need(b, 2, 'ShortDeserializer'), String(b.readInt16BE()));
    case 'DoubleDeserializer':
      return (b) => (need(b, 8, 'DoubleDeserializer'), javaDouble(b.readDoubleBE()));
    case 'FloatDeserializer':
      return (b) => (need(b, 4, 'FloatDeserializer'), javaDouble(b.readFloatBE()));
    case 'UUIDDeserializer':
      return (b) => b.toString('utf8');
    case 'VoidDeserializer':
      return () => 'null';
    default:
      throw new ToolError(`Unable to instantiate a deserializer from ${name}: only Kafka's built-in deserializers are available`);
  }
}

const javaDouble = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(x));

export interface FormatterConfig {
  printTimestamp: boolean;
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  keySeparator: string;
  lineSeparator: string;
  headersSeparator: string;
  nullLiteral: string;
  key: Deserialize | null;
  value: Deserialize | null;
  headers: Deserialize | null;
}

export function formatterConfig(props: Map<string, string>): FormatterConfig {
  const bool = (k: string, d: boolean): boolean => (props.has(k) ? props.get(k)!.trim().toLowerCase() === 'true' : d);
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printValue: bool('print.value', true),
    printPartition: bool('print.partition', false),
    printOffset: bool('print.offset', false),
    printHeaders: bool('print.headers', false),
    keySeparator: props.get('key.separator') ?? '\t',
    lineSeparator: props.get('line.separator') ?? '\n',
    headersSeparator: props.get('headers.separator') ?? ',',
    nullLiteral: props.get('null.literal') ?? 'null',
    key: deserializer(props.get('key.deserializer')),
    value: deserializer(props.get('value.deserializer')),
    headers: deserializer(props.get('headers.deserializer')),
  };
}

/** One record as DefaultMessageFormatter writes it (bytes, so binary values pass through). */
export function formatRecord(c: FormatterConfig, m: ConsumedMessage): Buffer {
  const parts: Array<Buffer | string> = [];
  const bytes = (b: Buffer | null, d: Deserialize | null): Buffer | string => {
    const nonNull = b ?? Buffer.from(c.nullLiteral);
    return d === null ? nonNull : d(nonNull);
  };
  const sep = (more: boolean): void => void parts.push(more ? c.keySeparator : c.lineSeparator);
  if (c.printTimestamp) {
    parts.push(m.timestampType === undefined && m.timestamp < 0n ? 'NO_TIMESTAMP' : `${m.timestampType === 1 ? 'LogAppendTime' : 'CreateTime'}:${m.timestamp}`);
    sep(c.printPartition || c.printOffset || c.printHeaders || c.printKey || c.printValue);
  }
  if (c.printPartition) {
    parts.push(`Partition:${m.partition}`);
    sep(c.printOffset || c.printHeaders || c.printKey || c.printValue);
  }
  if (c.printOffset) {
    parts.push(`Offset:${m.offset}`);
    sep(c.printHeaders || c.printKey || c.printValue);
  }
  if (c.printHeaders) {
    if (m.headers.length === 0) parts.push('NO_HEADERS');
    m.headers.forEach((h, i) => {
      parts.push(`${h.key}:`, bytes(h.value, c.headers));
      if (i < m.headers.length - 1) parts.push(c.headersSeparator);
    });
    sep(c.printKey || c.printValue);
  }
  if (c.printKey) {
    parts.push(bytes(m.key, c.key));
    sep(c.printValue);
  }
  if (c.printValue) parts.push(bytes(m.value, c.value), c.lineSeparator);
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

function checkArgs(a: ParsedArgs, groupIds: Set<string>): void {
  a.checkOneOf('topic', 'include');
  if (a.has('partition')) {
    if (!a.has('topic')) throw new UsageError('The topic is required when partition is specified.');
    if (a.has('from-beginning') && a.has('offset')) throw new UsageError('Options from-beginning and offset cannot be specified together.');
  } else if (a.has('offset')) throw new UsageError('The partition is required when offset is specified.');
  a.checkRequired('bootstrap-server');
  if (groupIds.size > 1) {
    throw new UsageError(`The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groupIds].map((g) => `'${g}'`).join(', ')}`);
  }
  if (groupIds.size > 0 && a.has('partition')) throw new UsageError('Options group and partition cannot be specified together.');
  const il = a.value('isolation-level');
  if (il !== 'read_committed' && il !== 'read_uncommitted') throw new UsageError(`Invalid value ${il} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`);
}

/** --offset: 'earliest' | 'latest' | a non-negative number. */
function parseOffset(a: ParsedArgs): 'earliest' | 'latest' | bigint {
  if (a.has('offset')) {
    const v = a.required('offset');
    const l = v.toLowerCase();
    if (l === 'earliest' || l === 'latest') return l;
    if (/^\d+$/.test(v.trim())) return BigInt(v.trim());
    throw new UsageError(`The provided offset value '${v}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`);
  }
  return a.has('from-beginning') ? 'earliest' : 'latest';
}

export const consoleConsumerTool: Tool = {
  spec: consoleConsumerSpec,
  async run(a, io) {
    const fileProps = a.has('consumer.config') ? loadProperties(a.required('consumer.config')) : new Map<string, string>();
    const extra = parseKeyValues(a.values('consumer-property'));
    const groupIds = new Set<string>();
    if (a.has('group')) groupIds.add(a.required('group'));
    if (fileProps.has('group.id')) groupIds.add(fileProps.get('group.id')!);
    if (extra.has('group.id')) groupIds.add(extra.get('group.id')!);
    checkArgs(a, groupIds);
    const formatterName = a.required('formatter');
    const noop = /NoOpMessageFormatter$/.test(formatterName);
    if (!noop && !/DefaultMessageFormatter$/.test(formatterName)) throw new UsageError(`Unsupported formatter ${formatterName}: DefaultMessageFormatter and NoOpMessageFormatter are available`);
    const fmtProps = a.has('formatter-config') ? loadProperties(a.required('formatter-config')) : new Map<string, string>();
    if (a.has('key-deserializer')) fmtProps.set('key.deserializer', a.required('key-deserializer'));
    if (a.has('value-deserializer')) fmtProps.set('value.deserializer', a.required('value-deserializer'));
    parseKeyValues(a.values('property'), fmtProps);
    let fmt: FormatterConfig;
    try {
      fmt = formatterConfig(fmtProps);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }

    const props = new Map([...fileProps, ...extra]);
    if (props.has('auto.offset.reset')) {
      const v = props.get('auto.offset.reset')!;
      if (a.has('from-beginning') && v !== 'earliest') throw new ToolError(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${v}', please remove one option`);
    } else props.set('auto.offset.reset', a.has('from-beginning') ? 'earliest' : 'latest');
    if (a.has('isolation-level') || !props.has('isolation.level')) props.set('isolation.level', a.required('isolation-level'));
    // Without --group (and without --partition) Kafka's console consumer joins a throwaway
    // group console-consumer-NNNNN and, unless told otherwise, commits nothing for it.
    const groupPassed = groupIds.size > 0;
    const group = groupPassed ? [...groupIds][0]! : a.has('partition') ? null : `console-consumer-${Math.floor(Math.random() * 100_000)}`;
    if (group !== null) props.set('group.id', group);
    // commits are made here, of what was printed; the client's auto-commit would also commit
    // records fetched but not printed (after --max-messages)
    const autoCommit = props.get('enable.auto.commit')?.trim().toLowerCase();
    const commit = group !== null && (groupPassed ? autoCommit !== 'false' : autoCommit === 'true');
    props.set('enable.auto.commit', 'false');
    const bootstrap = bootstrapList(a.required('bootstrap-server'));
    const maxMessages = a.int('max-messages') ?? -1;
    const timeoutArg = a.long('timeout-ms');
    const timeoutMs = timeoutArg === undefined || timeoutArg < 0n ? Infinity : Number(timeoutArg);
    const offset = parseOffset(a);

    const consumer = new Consumer(consumerOptions(bootstrap, props, 'console-consumer', io));
    let processed = 0;
    let stopped = false;
    let exitCode = 0;
    const stop = io.stopSignal.then(() => {
      stopped = true;
    });
    const printed = new Map<string, { topic: string; partition: number; offset: bigint }>();
    let uncommitted = false;
    const commitPrinted = async (): Promise<void> => {
      if (!commit || !uncommitted) return;
      uncommitted = false;
      await consumer.commitSync([...printed.values()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset + 1n }))).catch((e: unknown) => {
        io.err(`WARN Offset commit failed: ${describeError(e)}\n`);
      });
    };
    try {
      await consumer.connect();
      const topics = a.has('topic') ? [a.required('topic')] : await matchingTopics(bootstrap, props, a.required('include'));
      if (a.has('partition')) {
        const tp = { topic: topics[0]!, partition: a.int('partition')! };
        consumer.assign([tp]);
        if (offset === 'earliest') consumer.seekToBeginning([tp]);
        else if (offset === 'latest') consumer.seekToEnd([tp]);
        else consumer.seek({ ...tp, offset });
      } else {
        consumer.subscribe(topics);
      }
      let lastMessageAt = Date.now();
      while (!stopped && (maxMessages < 0 || processed < maxMessages)) {
        const left = timeoutMs - (Date.now() - lastMessageAt);
        if (left <= 0) {
          io.err(`ERROR Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException\n`);
          break;
        }
        const polled = consumer.poll(Math.min(left, 1000));
        polled.catch(() => {}); // when the stop signal wins the race, close() ends this poll
        const batches = await Promise.race([polled, stop.then(() => [])]);
        const chunks: Buffer[] = [];
        for (const b of batches) {
          for (const m of b.messages) {
            if (maxMessages >= 0 && processed >= maxMessages) break;
            lastMessageAt = Date.now();
            try {
              if (!noop) chunks.push(formatRecord(fmt, m));
            } catch (e) {
              io.err(`ERROR Error processing message, ${a.has('skip-message-on-error') ? 'skipping it' : 'terminating consumer process'}: ${describeError(e)}\n`);
              if (!a.has('skip-message-on-error')) {
                exitCode = 1;
                stopped = true;
                break;
              }
            }
            processed++;
            printed.set(`${m.topic}\u0000${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset });
            uncommitted = true;
          }
          if (stopped) break;
        }
        if (chunks.length > 0) io.out(Buffer.concat(chunks));
        await commitPrinted();
      }
    } catch (e) {
      io.err(`ERROR Unknown error when running consumer: ${describeError(e)}\n`);
      exitCode = 1;
    } finally {
      await commitPrinted();
      await consumer.close().catch(() => {});
      io.err(`Processed a total of ${processed} messages\n`);
    }
    return exitCode;
  },
};

/** --include: the topics whose names match now (no later additions). */
async function matchingTopics(bootstrap: string[], props: Map<string, string>, pattern: string): Promise<string[]> {
  const re = includeList(pattern);
  const admin = new Admin({ bootstrapServers: bootstrap, clientId: props.get('client.id') ?? 'console-consumer' });
  try {
    const topics = (await admin.listTopics({ includeInternal: false })).filter((t) => re.test(t));
    if (topics.length === 0) throw new ToolError(`No topic matches --include ${pattern}`);
    return topics;
  } finally {
    await admin.close();
  }
}
