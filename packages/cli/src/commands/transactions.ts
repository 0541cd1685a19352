/**
 * kafka-transactions: list, describe, describe-producers, find-hanging and abort, with Kafka's
 * sub-commands, flags and tables (ToolsUtils.prettyPrintTable: each column padded to its widest
 * cell, then a tab).
 */
import { Admin } from '@samsa/client';
import type { ToolSpec } from '../args.js';
import { bootstrapList, clusterOptions, describeError, loadProperties, type Tool, ToolError } from '../tool.js';

const COMMANDS = ['list', 'describe', 'describe-producers', 'find-hanging', 'abort'] as const;

export const transactionsSpec: ToolSpec = {
  name: 'kafka-transactions',
  summary: 'This tool is used to analyze the transactional state of producers in the cluster. It can be used to detect and recover from hanging transactions.',
  subcommands: COMMANDS,
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'host:port', description: 'REQUIRED: hostname and port for the broker to connect to, in the form `host:port` (multiple comma-separated entries can be given)' },
    { name: 'command-config', kind: 'value', metavar: 'FILE', description: 'property file containing configs to be passed to admin client' },
    { name: 'transactional-id', kind: 'value', description: 'transactional id (describe)' },
    { name: 'topic', kind: 'value', description: 'topic name' },
    { name: 'partition', kind: 'value', description: 'partition number' },
    { name: 'broker-id', kind: 'value', description: 'broker id (describe-producers, find-hanging)' },
    { name: 'duration-filter', kind: 'value', description: 'Duration (in millis) to filter by: if < 0, all transactions will be returned; otherwise, only transactions running longer than this duration will be returned (list)' },
    { name: 'max-transaction-timeout', kind: 'value', default: '15', description: 'maximum transaction timeout in minutes to limit the scope of the search (find-hanging; 15 minutes by default)' },
    { name: 'start-offset', kind: 'value', description: 'start offset of the transaction to abort (abort)' },
    { name: 'producer-id', kind: 'value', description: 'producer id (abort, with --producer-epoch and --coordinator-epoch)' },
    { name: 'producer-epoch', kind: 'value', description: 'producer epoch (abort)' },
    { name: 'coordinator-epoch', kind: 'value', description: 'coordinator epoch (abort)' },
  ],
};

/** Kafka's ToolsUtils.prettyPrintTable. */
export function prettyPrintTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((v, i) => v.padEnd(widths[i]!) + '\t').join('') + '\n';
  return line(headers) + rows.map(line).join('');
}

const PRODUCER_HEADERS = ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'];
const HANGING_HEADERS = ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'];

export const transactionsTool: Tool = {
  spec: transactionsSpec,
  async run(a, io) {
    a.checkRequired('bootstrap-server');
    const command = a.value('command');
    if (command === undefined) throw new ToolError(`A sub-command is required: one of ${COMMANDS.join(', ')}`);
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    const fail = (what: string, e: unknown): never => {
      throw new ToolError(`${what}: ${describeError(e)}`);
    };
    try {
      switch (command) {
        case 'list': {
          const duration = a.long('duration-filter');
          const listings = await admin.listTransactions(duration !== undefined ? { durationMs: duration } : {}).catch((e) => fail('Failed to list transactions', e));
          io.out(prettyPrintTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], listings.map((l) => [l.transactionalId, String(l.coordinatorId), String(l.producerId), l.state])));
          return 0;
        }
        case 'describe': {
          const id = a.required('transactional-id');
          const [d] = await admin.describeTransactions([id]).catch((e) => fail(`Failed to describe transaction state of transactional-id \`${id}\``, e));
          const start = d!.transactionStartTimeMs;
          io.out(prettyPrintTable(
            ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
            [[String(d!.coordinatorId), id, String(d!.producerId), String(d!.producerEpoch), d!.state, String(d!.transactionTimeoutMs),
              start === null ? 'None' : String(start), start === null ? 'None' : String(BigInt(Date.now()) - start), d!.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(',')]],
          ));
          return 0;
        }
        case 'describe-producers': {
          const topic = a.required('topic');
          const partition = a.int('partition');
          if (partition === undefined) throw new ToolError('--partition is required');
          const brokerId = a.int('broker-id');
          const producers = await admin.describeProducers(topic, partition, brokerId).catch((e) =>
            fail(`Failed to describe producers for partition ${topic}-${partition} on ${brokerId === undefined ? 'leader' : `broker ${brokerId}`}`, e));
          io.out(prettyPrintTable(PRODUCER_HEADERS, producers.map((p) => [String(p.producerId), String(p.producerEpoch), p.coordinatorEpoch === null ? 'None' : String(p.coordinatorEpoch),
            String(p.lastSequence), String(p.lastTimestamp), p.currentTransactionStartOffset === null ? 'None' : String(p.currentTransactionStartOffset)])));
          return 0;
        }
        case 'find-hanging': {
          const topic = a.value('topic');
          const partition = a.int('partition');
          if (topic === undefined && !a.has('broker-id')) throw new ToolError('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
          if (partition !== undefined && topic === undefined) throw new ToolError('The --partition argument requires --topic to be provided');
          const maxTimeoutMs = BigInt(a.int('max-transaction-timeout') ?? 15) * 60_000n;
          const brokerId = a.int('broker-id');
          const topics = topic !== undefined ? [topic] : await admin.listTopics({ includeInternal: true });
          const described = await admin.describeTopics({ topics });
          const now = BigInt(Date.now());
          const open: Array<{ topic: string; partition: number; p: Awaited<ReturnType<Admin['describeProducers']>>[number] }> = [];
          for (const t of described) {
            for (const p of t.partitions) {
              if (partition !== undefined && p.partition !== partition) continue;
              if (brokerId !== undefined && !p.replicas.includes(brokerId)) continue;
              for (const s of await admin.describeProducers(t.name, p.partition, brokerId)) {
                // Only transactions open longer than the largest possible timeout can be hanging.
                if (s.currentTransactionStartOffset !== null && now - s.lastTimestamp >= maxTimeoutMs) open.push({ topic: t.name, partition: p.partition, p: s });
              }
            }
          }
          // A transaction its coordinator still tracks on that partition is not hanging.
          const listings = open.length === 0 ? [] : await admin.listTransactions({ producerIds: [...new Set(open.map((o) => o.p.producerId))] });
          const descriptions = listings.length === 0 ? [] : await admin.describeTransactions(listings.map((l) => l.transactionalId));
          const hanging = open.filter((o) => {
            const l = listings.find((x) => x.producerId === o.p.producerId);
            const d = l === undefined ? undefined : descriptions.find((x) => x.transactionalId === l.transactionalId);
            return d === undefined || !d.topicPartitions.some((tp) => tp.topic === o.topic && tp.partition === o.partition);
          });
          io.out(prettyPrintTable(HANGING_HEADERS, hanging.map((o) => [o.topic, String(o.partition), String(o.p.producerId), String(o.p.producerEpoch), String(o.p.coordinatorEpoch ?? -1),
            String(o.p.currentTransactionStartOffset ?? -1), String(o.p.lastTimestamp), String((now - o.p.lastTimestamp) / 60_000n)])));
          return 0;
        }
        case 'abort': {
          const topic = a.required('topic');
          const partition = a.int('partition');
          if (partition === undefined) throw new ToolError('--partition is required');
          const startOffset = a.long('start-offset');
          let spec: { topic: string; partition: number; producerId: bigint; producerEpoch: number; coordinatorEpoch: number };
          if (startOffset !== undefined) {
            const producers = await admin.describeProducers(topic, partition);
            const found = producers.find((p) => p.currentTransactionStartOffset === startOffset);
            if (found === undefined) throw new ToolError(`Could not find any open transactions starting at offset ${startOffset} on partition ${topic}-${partition}`);
            spec = { topic, partition, producerId: found.producerId, producerEpoch: found.producerEpoch, coordinatorEpoch: Math.max(0, found.coordinatorEpoch ?? 0) };
          } else {
            const producerId = a.long('producer-id');
            const producerEpoch = a.int('producer-epoch');
            const coordinatorEpoch = a.int('coordinator-epoch');
            if (producerId === undefined || producerEpoch === undefined || coordinatorEpoch === undefined) throw new ToolError('Either --start-offset, or --producer-id, --producer-epoch and --coordinator-epoch are required');
            spec = { topic, partition, producerId, producerEpoch, coordinatorEpoch: Math.max(0, coordinatorEpoch) };
          }
          await admin.abortTransaction(spec).catch((e) => fail(`Failed to abort transaction ${JSON.stringify({ ...spec, producerId: String(spec.producerId) })}`, e));
          return 0;
        }
        default:
          throw new ToolError(`Unknown sub-command ${command}`);
      }
    } finally {
      await admin.close();
    }
  },
};
