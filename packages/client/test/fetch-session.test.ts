import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '@samsa/broker/testkit';
import { ApiKey } from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { Consumer } from '../src/consumer.js';
import { Producer } from '../src/producer.js';

interface FetchReq {
  replicaId?: number;
  sessionId?: number;
  sessionEpoch?: number;
  topics: Array<{ partitions: unknown[] }>;
  forgottenTopicsData?: Array<{ partitions: unknown[] }>;
}

interface SeenFetch {
  sessionId: number;
  sessionEpoch: number;
  partitions: number;
  forgotten: number;
}

test('the consumer fetches in a session (KIP-227): one full fetch, then incremental ones sending only what changed', async () => {
  const tb = await startBroker();
  const fetch = tb.broker.handlers.find((h) => h.apiKey === ApiKey.Fetch)! as unknown as { handle: (ctx: unknown, req: FetchReq, version: unknown) => unknown };
  const original = fetch.handle;
  const seen: SeenFetch[] = [];
  fetch.handle = function (this: unknown, ctx: unknown, req: FetchReq, version: unknown) {
    if ((req.replicaId ?? -1) < 0) {
      seen.push({
        sessionId: req.sessionId ?? 0,
        sessionEpoch: req.sessionEpoch ?? -1,
        partitions: req.topics.reduce((n, t) => n + t.partitions.length, 0),
        forgotten: (req.forgottenTopicsData ?? []).reduce((n, t) => n + t.partitions.length, 0),
      });
    }
    return original.call(this, ctx, req, version);
  };
  const admin = new Admin({ bootstrapServers: tb.bootstrap });
  const producer = new Producer({ bootstrapServers: tb.bootstrap });
  const consumer = new Consumer({ bootstrapServers: tb.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
  try {
    await admin.createTopics({ topics: [{ topic: 'sessions', numPartitions: 4 }] });
    await producer.send({ topic: 'sessions', messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 'sessions', partition })));
    let n = 0;
    const deadline = Date.now() + 10000;
    while (n < 40 && Date.now() < deadline) for (const b of await consumer.poll(200)) n += b.messages.length;
    assert.equal(n, 40);
    await consumer.poll(200); // idle long polls: nothing changed, nothing to send
    await consumer.poll(200);
    const first = seen[0]!;
    assert.deepEqual([first.sessionId, first.sessionEpoch, first.partitions], [0, 0, 4], 'a full fetch that opens a session');
    const later = seen.slice(1);
    assert.ok(later.length >= 2);
    const id = later[0]!.sessionId;
    assert.ok(id > 0, 'the broker granted a session');
    later.forEach((f, i) => {
      assert.equal(f.sessionId, id);
      assert.equal(f.sessionEpoch, i + 1, 'epochs count up from 1');
    });
    assert.ok(later.some((f) => f.partitions === 0), 'an idle fetch sends no partitions');
    // pausing a partition forgets it from the session
    consumer.pause([{ topic: 'sessions', partition: 0 }]);
    const before = seen.length;
    await consumer.poll(200);
    assert.ok(seen.slice(before).some((f) => f.forgotten === 1));
  } finally {
    fetch.handle = original;
    await consumer.close();
    await producer.close();
    await admin.close();
    await tb.stop();
  }
});
