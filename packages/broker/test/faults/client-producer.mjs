// The fault suite's @samsa/client writer: an idempotent acks=all producer of unique values with
// known keys, printing the same JSON events as workload.py's producer (plain JS, run as its own
// process: the broker's tests do not depend on the client package).
// Usage: node client-producer.mjs BOOTSTRAP TOPIC WRITER KEYS SECONDS
import { createProducer } from '@samsa/client';

const [bootstrap, topic, writer, keys, seconds] = process.argv.slice(2);
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const producer = createProducer({ bootstrapServers: bootstrap, acks: 'all', idempotent: true, lingerMs: 5, deliveryTimeoutMs: 45000, metadataMaxAgeMs: 2000, requestTimeoutMs: 5000 });

const end = Date.now() + Number(seconds) * 1000;
const pending = [];
let seq = 0;
while (Date.now() < end) {
  // Values are unique across writers; the sequence orders them within a key.
  const k = `k${seq % Number(keys)}`;
  const v = `${writer}-${seq}`;
  const sent = Date.now();
  seq++;
  pending.push(producer.send({ topic, messages: [{ key: k, value: v }] }).then(
    ([md]) => emit({ t: 'ack', k, v, p: md.partition, o: Number(md.offset), sent, ts: Date.now() }),
    (e) => emit({ t: 'err', k, v, error: String(e?.message ?? e), sent, ts: Date.now() }),
  ));
  await new Promise((r) => setTimeout(r, 20));
}
await Promise.all(pending);
emit({ t: 'done', sent: seq });
await producer.close();
process.exit(0);
