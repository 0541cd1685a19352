import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { FrameReader } from '@samsa/network';
import { Consumer } from '../src/consumer.js';
import { Producer } from '../src/producer.js';
import { Admin } from '../src/admin.js';
import { ClientErrorCode } from '../src/errors.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker.stop();
});

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
  } finally {
    await admin.close();
  }
}

/** Reads n messages with a bounded wait. */
async function take(consumer: Consumer, n: number, timeoutMs = 10000) {
  const out = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) {
    for (const b of await consumer.poll(200)) out.push(...b.messages);
  }
  return out;
}

describe('consumer (manual assignment)', () => {
  it('records kept from earlier fetches keep their bytes while later Fetch responses reuse the response memory', async () => {
    const fc = (await import('fast-check')).default;
    const topic = 'c-reuse';
    await createTopic(topic, 1);
    // Random keys and values, 2-3 MiB in all: a dozen Fetch responses of up to 200 KB, each large enough to be read into a recycled arena.
    const sent = fc.sample(fc.record({ key: fc.uint8Array({ minLength: 1, maxLength: 64 }), value: fc.uint8Array({ minLength: 20_000, maxLength: 60_000 }) }), { numRuns: 60, seed: 19 })
      .map((r) => ({ key: Buffer.from(r.key), value: Buffer.from(r.value) }));
    const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 0 });
    await producer.send({ topic, messages: sent.map((m) => ({ ...m, partition: 0 })) });
    await producer.close();
    let recycled = 0;
    const recycle = FrameReader.prototype.recycle;
    FrameReader.prototype.recycle = function (this: FrameReader, frame: Buffer) {
      recycled++;
      recycle.call(this, frame);
    };
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxPartitionFetchBytes: 200_000 });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      const kept = [];
      const deadline = Date.now() + 20_000;
      for await (const m of consumer) {
        kept.push(m);
        if (kept.length === sent.length || Date.now() > deadline) break;
      }
      assert.equal(kept.length, sent.length);
      assert.ok(recycled >= 5, `response memory recycled ${recycled} times`);
      kept.forEach((m, i) => {
        assert.ok(m.key!.equals(sent[i]!.key), `key of record ${i}`);
        assert.ok(m.value!.equals(sent[i]!.value), `value of record ${i}`);
      });
    } finally {
      FrameReader.prototype.recycle = recycle;
      await consumer.close();
    }
  });


  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`reads back what the producer wrote (${compression}), keys, headers, offsets, timestamps`, async () => {
      const topic = `c-${compression}`;
      await createTopic(topic, 2);
      const producer = new Producer({ bootstrapServers: broker.bootstrap, compression, lingerMs: 2 });
      const ts = 1_700_000_000_000;
      const sent = await producer.send({
        topic,
        messages: Array.from({ length: 200 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}`.repeat(5), headers: { h: `x${i}` }, partition: i % 2, timestamp: ts + i })),
      });
      await producer.close();
      assert.equal(sent.length, 200);
      const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
      try {
        consumer.assign([{ topic, partition: 0 }, { topic, partition: 1 }]);
        const got = await take(consumer, 200);
        assert.equal(got.length, 200);
        for (const p of [0, 1]) {
          const mine = got.filter((m) => m.partition === p);
          assert.deepEqual(mine.map((m) => m.offset), Array.from({ length: 100 }, (_, i) => BigInt(i)));
          for (const m of mine) {
            const i = Number(m.key!.toString().slice(4));
            assert.equal(i % 2, p);
            assert.equal(m.value!.toString(), `value-${i}`.repeat(5));
            assert.equal(m.timestamp, BigInt(ts + i));
            assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString()]), [['h', `x${i}`]]);
          }
        }
      } finally {
        await consumer.close();
      }
    });
  }

  it('seeks, pauses/resumes and reports position; latest skips old records', async () => {
    const topic = 'c-seek';
    await createTopic(topic, 1);
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, fetchMaxWaitMs: 100 });
    try {
      const tp = { topic, partition: 0 };
      consumer.assign([tp]);
      assert.equal(await consumer.position(tp), 10n); // auto.offset.reset=latest
      consumer.seek({ ...tp, offset: 7n });
      const got = await take(consumer, 3);
      assert.deepEqual(got.map((m) => m.value!.toString()), ['m7', 'm8', 'm9']);
      assert.equal(await consumer.position(tp), 10n);
      consumer.pause([tp]);
      await producer.send({ topic, messages: [{ value: 'm10' }] });
      assert.equal((await consumer.poll(300)).length, 0, 'paused partition returns nothing');
      consumer.resume([tp]);
      const more = await take(consumer, 1);
      assert.equal(more[0]!.value!.toString(), 'm10');
      assert.equal(more[0]!.offset, 10n);
      consumer.seekToBeginning([tp]);
      assert.equal(await consumer.position(tp), 0n);
    } finally {
      await consumer.close();
      await producer.close();
    }
  });

  it('async iterator yields messages in offset order, long poll wakes on new data', async () => {
    const topic = 'c-iter';
    await createTopic(topic, 1);
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 2000 });
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      const started = Date.now();
      // Produce once the consumer's fetch waits in the broker's purgatory: the append must wake it.
      const sent = (async () => {
        while (broker.broker.purgatory.size === 0) {
          assert.ok(Date.now() - started < 10_000, 'the consumer never parked a fetch');
          await new Promise((r) => setTimeout(r, 5));
        }
        await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `it${i}` })) });
      })();
      const seen: string[] = [];
      for await (const m of consumer) {
        seen.push(m.value!.toString());
        if (seen.length === 5) break;
        if (Date.now() - started > 10000) break;
      }
      await sent;
      assert.deepEqual(seen, ['it0', 'it1', 'it2', 'it3', 'it4']);
      assert.ok(Date.now() - started < 2000, 'long poll completed by the append, not by fetch.max.wait.ms');
    } finally {
      await consumer.close();
      await producer.close();
    }
  });

  it('run({ eachMessage }) processes and stop() ends it', async () => {
    const topic = 'c-run';
    await createTopic(topic, 1);
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${i}` })) });
    await producer.close();
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
    consumer.assign([{ topic, partition: 0 }]);
    const seen: string[] = [];
    const timer = setTimeout(() => consumer.stop(), 10000);
    await consumer.run({
      eachMessage: (m) => {
        seen.push(m.value!.toString());
        if (seen.length === 20) consumer.stop();
      },
    });
    clearTimeout(timer);
    await consumer.close();
    assert.equal(seen.length, 20);
    assert.equal(seen[19], 'r19');
  });

  it('auto.offset.reset=none without a committed offset fails with NO_OFFSET', async () => {
    const topic = 'c-reset-none';
    await createTopic(topic, 1);
    const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'none' });
    try {
      consumer.assign([{ topic, partition: 0 }]);
      await assert.rejects(consumer.poll(100), (e: Error & { code?: string }) => e.code === ClientErrorCode.NO_OFFSET);
    } finally {
      await consumer.close();
    }
  });
});
