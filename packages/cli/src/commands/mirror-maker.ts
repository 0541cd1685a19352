/**
 * kafka-mirror-maker: the legacy MirrorMaker (kafka.tools.MirrorMaker), a consumer → producer
 * loop between two clusters. `--num.streams` consumers share the consumer config's group and
 * subscribe to the topics matching `--include` (or the older `--whitelist`: a Java regex, commas
 * read as `|`, internal topics left out); each record goes to the same topic on the target with
 * its key, value, headers and timestamp (the partition chosen by the producer's partitioner, as
 * Kafka's default message handler). Offsets are committed every `--offset.commit.interval.ms`
 * and on shutdown, and only for records the producer has acknowledged (acks=all and one request
 * in flight by default), so nothing is lost when the tool stops or dies. With
 * `--abort.on.send.failure true` (the default) a failed send stops the tool without committing.
 */
import { Admin, Consumer, type ConsumedMessage, Producer } from '@samsa/client';
import type { ToolSpec } from '../args.js';
import { REMOVED_OPTIONS, UsageError } from '../args.js';
import { bootstrapList, consumerOptions, describeError, type Io, loadProperties, producerOptions, type Tool, ToolError } from '../tool.js';

const { whitelist: _whitelist, 'new-consumer': _newConsumer, ...removed } = REMOVED_OPTIONS;

export const mirrorMakerSpec: ToolSpec = {
  name: 'kafka-mirror-maker',
  summary: 'This tool helps to continuously copy data between two Kafka clusters.',
  removed,
  options: [
    { name: 'consumer.config', kind: 'value', metavar: 'config file', description: 'Embedded consumer config for consuming from the source cluster.' },
    { name: 'new.consumer', kind: 'flag', description: 'DEPRECATED Use new consumer in mirror maker (this is the default so this option will be removed in a future version).' },
    { name: 'producer.config', kind: 'value', metavar: 'config file', description: 'Embedded producer config.' },
    { name: 'num.streams', kind: 'value', metavar: 'Number of threads', default: '1', description: 'Number of consumption streams.' },
    { name: 'whitelist', kind: 'value', metavar: 'Java regex (String)', description: 'DEPRECATED, use --include instead; ignored if --include specified. List of included topics to mirror.' },
    { name: 'include', kind: 'value', metavar: 'Java regex (String)', description: 'List of included topics to mirror.' },
    { name: 'offset.commit.interval.ms', kind: 'value', metavar: 'offset commit interval in millisecond', default: '60000', description: 'Offset commit interval in ms.' },
    { name: 'consumer.rebalance.listener', kind: 'value', metavar: 'A custom rebalance listener of type ConsumerRebalanceListener', description: 'The consumer rebalance listener to use for mirror maker consumer.' },
    { name: 'rebalance.listener.args', kind: 'value', metavar: 'Arguments passed to custom rebalance listener constructor as a string.', description: 'Arguments used by custom rebalance listener for mirror maker consumer.' },
    { name: 'message.handler', kind: 'value', metavar: 'A custom message handler of type MirrorMakerMessageHandler', description: 'Message handler which will process every record in-between consumer and producer.' },
    { name: 'message.handler.args', kind: 'value', metavar: 'Arguments passed to message handler constructor.', description: 'Arguments used by custom message handler for mirror maker.' },
    { name: 'abort.on.send.failure', kind: 'value', metavar: 'Stop the entire mirror maker when a send failure occurs', default: 'true', description: 'Configure the mirror maker to exit on a failed send.' },
  ],
};

/** Kafka's IncludeList: commas are alternatives, spaces and surrounding quotes dropped; matched against whole names. */
export function includeListPattern(raw: string): RegExp {
  const re = raw.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${re})$`);
  } catch {
    throw new ToolError(`Invalid expression syntax: ${raw}`);
  }
}

const log = (io: Io, s: string): void => io.err(`[${new Date().toISOString()}] INFO ${s} (kafka.tools.MirrorMaker$)\n`);

/** One consumption stream: poll, send, remember what the target acknowledged, commit it periodically. */
class MirrorMakerStream {
  /** Next offset to commit per partition: one past the last record the producer acknowledged. */
  private readonly acked = new Map<string, { topic: string; partition: number; offset: bigint }>();
  private lastCommit = Date.now();
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(readonly name: string, private readonly consumer: Consumer, private readonly producer: Producer, private readonly commitIntervalMs: number, private readonly io: Io) {}

  /** Subscribes to the matching topics now and at every metadata refresh (pattern subscription). */
  async subscribe(admin: Admin, pattern: RegExp, refreshMs: number): Promise<void> {
    const subscribed = new Set<string>();
    const refresh = async (): Promise<void> => {
      const fresh = (await admin.listTopics()).filter((t) => !t.startsWith('__') && pattern.test(t) && !subscribed.has(t));
      for (const t of fresh) subscribed.add(t);
      if (fresh.length > 0) this.consumer.subscribe(fresh);
    };
    await refresh();
    this.refreshTimer = setInterval(() => void refresh().catch(() => {}), refreshMs);
    this.refreshTimer.unref();
  }

  /** Runs until `stopped()`; throws a send failure. */
  async run(stopped: () => boolean): Promise<void> {
    log(this.io, `Starting mirror maker thread ${this.name}`);
    while (!stopped()) {
      const batches = await this.consumer.poll(1000);
      const byTopic = new Map<string, ConsumedMessage[]>();
      for (const b of batches) for (const m of b.messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      // the producer keeps each partition's order; the offsets count only once the target acknowledged
      await Promise.all(
        [...byTopic].map(async ([topic, messages]) => {
          await this.producer.send({ topic, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers.map((h) => ({ key: h.key, value: h.value })), ...(m.timestamp >= 0n ? { timestamp: m.timestamp } : {}) })) });
          for (const m of messages) this.acked.set(`${m.topic}-${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1n });
        }),
      );
      if (Date.now() - this.lastCommit >= this.commitIntervalMs) await this.commit();
    }
  }

  async commit(): Promise<void> {
    this.lastCommit = Date.now();
    if (this.acked.size === 0) return;
    const offsets = [...this.acked.values()];
    this.acked.clear();
    try {
      await this.consumer.commitSync(offsets);
    } catch (e) {
      this.io.err(`WARN Offset commit failed: ${describeError(e)}\n`);
    }
  }

  /** Ends a poll in progress (shutdown). */
  wake(): Promise<void> {
    return this.consumer.stop();
  }

  async close(): Promise<void> {
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    await this.consumer.close().catch(() => {});
  }
}

export const mirrorMakerTool: Tool = {
  spec: mirrorMakerSpec,
  async run(a, io) {
    a.checkRequired('consumer.config', 'producer.config');
    if (!a.has('include') && !a.has('whitelist')) throw new ToolError('include list must be specified');
    for (const custom of ['consumer.rebalance.listener', 'message.handler']) {
      if (a.has(custom)) throw new ToolError(`--${custom} takes a Java class; custom ${custom === 'message.handler' ? 'message handlers' : 'rebalance listeners'} are not supported by Samsa's kafka-mirror-maker`);
    }
    const abortOnSendFailure = a.required('abort.on.send.failure').trim().toLowerCase() === 'true';
    const commitIntervalMs = a.int('offset.commit.interval.ms')!;
    const numStreams = a.int('num.streams')!;
    if (numStreams < 1) throw new UsageError(`Invalid value ${numStreams} for option num.streams: must be at least 1`);
    const pattern = includeListPattern(a.has('include') ? a.required('include') : a.required('whitelist'));

    const consumerProps = loadProperties(a.required('consumer.config'));
    const producerProps = loadProperties(a.required('producer.config'));
    if (!consumerProps.has('partition.assignment.strategy')) {
      io.err("WARNING: The default partition assignment strategy of the mirror maker will change from 'range' to 'roundrobin' in an upcoming release (so that better load balancing can be achieved). If you prefer to make this switch in advance of that release add the following to the corresponding config: 'partition.assignment.strategy=org.apache.kafka.clients.consumer.RoundRobinAssignor'\n");
    }
    const groupId = consumerProps.get('group.id');
    if (groupId === undefined || groupId === '') throw new ToolError('To use the group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.');
    // no data loss defaults, as Kafka's
    const setDefault = (props: Map<string, string>, key: string, value: string): void => {
      if (!props.has(key)) props.set(key, value);
      else if (props.get(key) !== value) log(io, `Property ${key} is overridden to ${props.get(key)} - data loss or message reordering is possible.`);
    };
    setDefault(consumerProps, 'enable.auto.commit', 'false');
    setDefault(producerProps, 'acks', 'all');
    setDefault(producerProps, 'max.in.flight.requests.per.connection', '1');
    producerProps.delete('producer.type');
    const consumerBootstrap = bootstrapList(consumerProps.get('bootstrap.servers') ?? '');
    const producerBootstrap = bootstrapList(producerProps.get('bootstrap.servers') ?? '');

    log(io, 'Starting mirror maker');
    const producer = new Producer(producerOptions(producerBootstrap, producerProps, 'mirror-maker-producer', io));
    const admin = new Admin(consumerOptions(consumerBootstrap, new Map([...consumerProps].filter(([k]) => !['group.id', 'enable.auto.commit', 'auto.offset.reset'].includes(k))), `${groupId}-admin`, io));
    const streams = Array.from({ length: numStreams }, (_, i) => {
      const props = new Map(consumerProps);
      props.set('client.id', `${groupId}-${i}`);
      return new MirrorMakerStream(`mirrormaker-thread-${i}`, new Consumer(consumerOptions(consumerBootstrap, props, `${groupId}-${i}`, io)), producer, commitIntervalMs, io);
    });
    let stopping = false;
    let failure: unknown = null;
    const refreshMs = Number(consumerProps.get('metadata.max.age.ms') ?? 300000);
    const stop = io.stopSignal.then(() => {
      log(io, 'Start clean shutdown.');
      stopping = true;
    });
    try {
      for (const s of streams) await s.subscribe(admin, pattern, refreshMs);
      const running = streams.map((s) =>
        s.run(() => stopping).catch((e: unknown) => {
          failure ??= e;
          stopping = true;
        }),
      );
      await Promise.race([stop, Promise.all(running)]);
      log(io, 'Shutting down consumer threads.');
      await Promise.all(streams.map((s) => s.wake()));
      await Promise.all(running);
      if (failure !== null && abortOnSendFailure) {
        log(io, 'Exiting on send failure, skip committing offsets.');
      } else {
        for (const s of streams) await s.commit();
      }
    } finally {
      for (const s of streams) await s.close();
      log(io, 'Closing producer.');
      await producer.close().catch(() => {});
      await admin.close().catch(() => {});
    }
    if (failure !== null) {
      io.err(`ERROR Mirror maker thread failure due to ${describeError(failure)}\n`);
      return abortOnSendFailure ? 1 : 0;
    }
    log(io, 'Kafka mirror maker shutdown successfully');
    return 0;
  },
};
