/**
 * kafka-consumer-perf-test: a group member consumes --messages records and prints
 * ConsumerPerformance's header and result line (or a line per --reporting-interval with
 * --show-detailed-stats), numbers formatted as Kafka formats them.
 */
import { Consumer } from '@samsa/client';
import { type ToolSpec, UsageError } from '../args.js';
import { fixed, perfDate } from '../format.js';
import { bootstrapList, consumerOptions, describeError, type Io, loadProperties, parseKeyValues, type Tool, ToolError } from '../tool.js';
import { includeList } from './topics.js';

export const consumerPerfSpec: ToolSpec = {
  name: 'kafka-consumer-perf-test',
  summary: 'This tool is used to verify the consumer performance.',
  options: [
    { name: 'bootstrap-server', aliases: ['broker-list'], kind: 'value', metavar: 'String: server to connect to', description: 'REQUIRED: The server(s) to connect to.' },
    { name: 'topic', kind: 'value', metavar: 'String: topic', description: 'The topic to consume from.' },
    { name: 'include', kind: 'value', metavar: 'String: Java regex (String)', description: 'Regular expression specifying list of topics to include for consumption.' },
    { name: 'group', kind: 'value', metavar: 'String: gid', description: 'The group id to consume on. (default: perf-consumer-<random>)' },
    { name: 'fetch-size', kind: 'value', metavar: 'Integer: size', default: '1048576', description: 'The amount of data to fetch in a single request.' },
    { name: 'from-latest', kind: 'flag', description: 'If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.' },
    { name: 'socket-buffer-size', kind: 'value', metavar: 'Integer: size', default: '2097152', description: 'The size of the tcp RECV size (accepted, not used).' },
    { name: 'consumer.config', aliases: ['command-config'], kind: 'value', metavar: 'String: config file', description: 'Consumer config properties file.' },
    { name: 'command-property', kind: 'value', repeatable: true, metavar: 'String: prop', description: 'Consumer properties in the form key=value.' },
    { name: 'print-metrics', kind: 'flag', description: 'Print out the metrics (not available: accepted and ignored).' },
    { name: 'show-detailed-stats', kind: 'flag', description: 'If set, stats are reported for each reporting interval as configured by reporting-interval' },
    { name: 'timeout', kind: 'optional', metavar: 'Long: milliseconds', default: '10000', description: 'The maximum allowed time in milliseconds between returned records.' },
    { name: 'messages', kind: 'value', metavar: 'Long: count', description: 'REQUIRED: The number of messages to consume.' },
    { name: 'reporting-interval', kind: 'value', metavar: 'Long: interval_ms', default: '5000', description: 'Interval in milliseconds at which to print progress info.' },
    { name: 'date-format', kind: 'value', metavar: 'String: date format', default: 'yyyy-MM-dd HH:mm:ss:SSS', description: 'The date format to use for formatting the time field (only the default format is available).' },
    { name: 'hide-header', kind: 'flag', description: 'If set, skips printing the header for the stats' },
  ],
};

function printHeader(detailed: boolean, io: Io): void {
  const extra = ', rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
  io.out(detailed ? `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${extra}\n` : `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${extra}\n`);
}

export const consumerPerfTool: Tool = {
  spec: consumerPerfSpec,
  async run(a, io) {
    a.checkRequired('messages');
    a.checkOneOf('topic', 'include');
    a.checkRequired('bootstrap-server');
    const interval = Number(a.long('reporting-interval')!);
    if (interval <= 0) throw new UsageError('Reporting interval must be greater than 0.');
    const fmt = a.required('date-format');
    if (fmt !== 'yyyy-MM-dd HH:mm:ss:SSS') throw new UsageError('Only the default --date-format (yyyy-MM-dd HH:mm:ss:SSS) is available');
    const numMessages = Number(a.long('messages')!);
    const timeoutMs = Number(a.long('timeout') ?? 10000n);
    const detailed = a.has('show-detailed-stats');
    const props = a.has('consumer.config') ? loadProperties(a.required('consumer.config')) : new Map<string, string>();
    parseKeyValues(a.values('command-property'), props);
    props.set('group.id', a.value('group') ?? props.get('group.id') ?? `perf-consumer-${Math.floor(Math.random() * 100000)}`);
    props.set('max.partition.fetch.bytes', a.required('fetch-size'));
    props.set('auto.offset.reset', a.has('from-latest') ? 'latest' : 'earliest');
    if (!props.has('client.id')) props.set('client.id', 'perf-consumer-client');
    const bootstrap = bootstrapList(a.required('bootstrap-server'));

    if (!a.has('hide-header')) printHeader(detailed, io);
    const consumer = new Consumer(consumerOptions(bootstrap, props, 'perf-consumer-client', io));
    // rebalance time: from the start (or a revocation) until partitions are assigned again
    let joinTimeMs = 0;
    let joinTimeInRound = 0;
    let joinStart = Date.now();
    let assigned = 0;
    consumer.onAssigned = (tps) => {
      if (assigned === 0) {
        const elapsed = Date.now() - joinStart;
        joinTimeMs += elapsed;
        joinTimeInRound += elapsed;
      }
      for (const [, ps] of tps) assigned += ps.length;
    };
    consumer.onRevoked = (tps) => {
      for (const [, ps] of tps) assigned -= ps.length;
      if (assigned <= 0) {
        assigned = 0;
        joinStart = Date.now();
      }
    };
    let messagesRead = 0;
    let bytesRead = 0;
    const startMs = Date.now();
    try {
      let topics: string[];
      if (a.has('topic')) topics = [a.required('topic')];
      else {
        await consumer.connect();
        const re = includeList(a.required('include'));
        topics = (await consumer.cluster.fetchMetadata(null, false)).topics.map((t) => t.name ?? '').filter((t) => t !== '' && re.test(t));
        if (topics.length === 0) throw new ToolError(`No topic matches --include ${a.required('include')}`);
      }
      consumer.subscribe(topics);
      let lastBytes = 0;
      let lastMessages = 0;
      let now = Date.now();
      let lastReport = now;
      let lastConsumed = now;
      while (messagesRead < numMessages && now - lastConsumed <= timeoutMs) {
        const batches = await consumer.poll(100);
        now = Date.now();
        if (batches.length > 0) lastConsumed = now;
        for (const b of batches) {
          for (const m of b.messages) {
            messagesRead++;
            if (m.key !== null) bytesRead += m.key.length;
            if (m.value !== null) bytesRead += m.value.length;
            if (now - lastReport >= interval) {
              if (detailed) {
                const elapsed = now - lastReport;
                const totalMb = bytesRead / (1024 * 1024);
                const intervalMb = (bytesRead - lastBytes) / (1024 * 1024);
                const fetchTime = now - lastReport - joinTimeInRound;
                const fetchMbSec = fetchTime <= 0 ? 0 : (1000.0 * intervalMb) / fetchTime;
                const fetchMsgSec = fetchTime <= 0 ? 0 : (1000.0 * (messagesRead - lastMessages)) / fetchTime;
                io.out(`${perfDate(now)}, 0, ${fixed(totalMb, 4)}, ${fixed((1000.0 * intervalMb) / elapsed, 4)}, ${messagesRead}, ${fixed(((messagesRead - lastMessages) / elapsed) * 1000.0, 4)}, ${joinTimeInRound}, ${fetchTime}, ${fixed(fetchMbSec, 4)}, ${fixed(fetchMsgSec, 4)}\n`);
              }
              joinTimeInRound = 0;
              lastReport = now;
              lastMessages = messagesRead;
              lastBytes = bytesRead;
            }
            if (messagesRead >= numMessages) break;
          }
          if (messagesRead >= numMessages) break;
        }
      }
      if (messagesRead < numMessages) io.out(`WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`);
    } catch (e) {
      if (e instanceof ToolError) throw e;
      io.err(`${describeError(e)}\n`);
      await consumer.close().catch(() => {});
      return 1;
    }
    const endMs = Date.now();
    await consumer.close().catch(() => {});
    if (!detailed) {
      const elapsedSec = (endMs - startMs) / 1000.0;
      const fetchTimeMs = endMs - startMs - joinTimeMs;
      const totalMb = bytesRead / (1024 * 1024);
      io.out(`${perfDate(startMs)}, ${perfDate(endMs)}, ${fixed(totalMb, 4)}, ${fixed(totalMb / elapsedSec, 4)}, ${messagesRead}, ${fixed(messagesRead / elapsedSec, 4)}, ${joinTimeMs}, ${fetchTimeMs}, ${fixed(totalMb / (fetchTimeMs / 1000.0), 4)}, ${fixed(messagesRead / (fetchTimeMs / 1000.0), 4)}\n`);
    }
    return 0;
  },
};
