// The fault suite's @samsa/client consumer group: polls the topic and commits the offsets it has
// processed every 20 records, printing the same JSON events as workload.py's consumer.
// Usage: node client-consumer.mjs BOOTSTRAP TOPIC GROUP SECONDS
import { createConsumer } from '@samsa/client';

const [bootstrap, topic, group, seconds] = process.argv.slice(2);
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const consumer = createConsumer({
  bootstrapServers: bootstrap, groupId: group, autoOffsetReset: 'earliest', enableAutoCommit: false,
  sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, requestTimeoutMs: 5000, metadataMaxAgeMs: 2000,
});
consumer.subscribe([topic]);
const end = Date.now() + Number(seconds) * 1000;
/** Next offset to process, per partition: what a commit records. */
const next = new Map();
let sinceCommit = 0;
while (Date.now() < end) {
  let batches = [];
  try {
    batches = await consumer.poll(200);
  } catch (e) {
    emit({ t: 'poll-err', error: String(e?.message ?? e), ts: Date.now() });
    await new Promise((r) => setTimeout(r, 200));
    continue;
  }
  for (const b of batches) {
    if (b.messages.length === 0) continue;
    next.set(b.partition, b.messages[b.messages.length - 1].offset + 1n);
    sinceCommit += b.messages.length;
  }
  if (sinceCommit >= 20) {
    sinceCommit = 0;
    const offsets = [...next].map(([partition, offset]) => ({ topic, partition, offset }));
    try {
      await consumer.commitSync(offsets);
      for (const o of offsets) emit({ t: 'commit', p: o.partition, o: Number(o.offset), ts: Date.now() });
    } catch (e) {
      emit({ t: 'commit-err', error: String(e?.message ?? e), ts: Date.now() });
    }
  }
}
await consumer.close().catch(() => undefined);
emit({ t: 'done' });
process.exit(0);
