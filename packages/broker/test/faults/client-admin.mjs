// The fault suite's cluster lookups with @samsa/client's admin, one JSON line each.
// Usage: node client-admin.mjs BOOTSTRAP txn-coordinator TRANSACTIONAL_ID
//          the broker that coordinates the transactional id (FindCoordinator key type 1 and
//          DescribeTransactions) once a transaction of it is open (Ongoing), or after 20 s
//          whatever state it has
//        node client-admin.mjs BOOTSTRAP leaders TOPIC
//          each partition's leader
import { createAdmin } from '@samsa/client';

const [bootstrap, mode, name] = process.argv.slice(2);
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const admin = createAdmin({ bootstrapServers: bootstrap, requestTimeoutMs: 5000 });
try {
  if (mode === 'txn-coordinator') {
    const deadline = Date.now() + 20000;
    for (;;) {
      let d;
      try {
        [d] = await admin.describeTransactions([name]);
      } catch (e) {
        // Not yet initialised (TRANSACTIONAL_ID_NOT_FOUND) or the coordinator is moving.
        if (Date.now() > deadline) throw e;
      }
      if (d !== undefined && (d.state === 'Ongoing' || Date.now() > deadline)) {
        emit({ t: 'coordinator', id: d.coordinatorId, state: d.state, partitions: d.topicPartitions.length });
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } else if (mode === 'leaders') {
    const [d] = await admin.describeTopics({ topics: [name] });
    emit({ t: 'leaders', leaders: Object.fromEntries(d.partitions.map((p) => [p.partition, p.leader])) });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  emit({ t: 'error', error: String(e?.message ?? e) });
}
await admin.close();
process.exit(0);
