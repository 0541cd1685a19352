/**
 * One member of a consumer group (kafkajs 2.2, classic protocol, roundrobin assignor) as a child
 * process, so a test can SIGKILL it. Same output as py/group_member.py: one JSON object per line
 * (assigned / record / committed / commit_error); commits each record synchronously after
 * processing it (autoCommit off), with metadata when one is given.
 *
 * usage: kafkajs-member.js BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_TIMEOUT_MS MAX_LIFETIME_S [METADATA]
 */
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, group, topic, clientId, sessionTimeoutArg, lifetimeArg, metadata] = process.argv.slice(2) as [string, string, string, string, string, string, string | undefined];
const emit = (o: object): void => {
  process.stdout.write(JSON.stringify(o) + '\n');
};

const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
const consumer = kafka.consumer({
  groupId: group, sessionTimeout: Number(sessionTimeoutArg), heartbeatInterval: 300, rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 100, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  emit({ e: 'assigned', member: e.payload.memberId, partitions: [...((e.payload.memberAssignment[topic] ?? []) as number[])].sort((a, b) => a - b) });
});
consumer.on(consumer.events.CRASH, (e) => process.stderr.write(`crash: ${String(e.payload.error)}\n`));

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await consumer.disconnect().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
setTimeout(() => void stop(), Number(lifetimeArg) * 1000).unref();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    const o = Number(message.offset);
    emit({ e: 'record', p: partition, o, v: message.value!.toString() });
    try {
      await consumer.commitOffsets([{ topic, partition, offset: String(o + 1), ...(metadata !== undefined ? { metadata } : {}) }]);
      emit({ e: 'committed', p: partition, o: o + 1, metadata: metadata ?? null });
    } catch (err) {
      emit({ e: 'commit_error', error: String(err) });
    }
  },
});
