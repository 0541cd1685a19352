/**
 * What a new user trips over first: a mistyped option, a topic that does not exist, a tight
 * produce() loop, oversized batches, and stopping a consumer mid-stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { KafkaError } from '@samsa/protocol';
import { Admin } from '../src/admin.js';
import { closestOption, resolveOptions } from '../src/config.js';
import { Consumer, type ConsumedMessage } from '../src/consumer.js';
import { ClientError, ClientErrorCode } from '../src/errors.js';
import { Producer } from '../src/producer.js';

let broker: TestBroker;
let admin: Admin;
before(async () => {
  broker = await startBroker({ config: { 'auto.create.topics.enable': 'false' } });
  admin = new Admin({ bootstrapServers: broker.bootstrap });
});
after(async () => {
  await admin.close();
  await broker.stop();
});

function configError(fn: () => unknown, mention: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.CONFIG && mention.test(e.message));
}

describe('strict configuration', () => {
  it('an unknown option names the closest valid one; Kafka property names are accepted and typed', () => {
    configError(() => new Producer({ bootstrapServers: 'localhost:1', linger: 5 } as never), /unknown option "linger": did you mean lingerMs \(linger\.ms\)/);
    configError(() => new Consumer({ bootstrapServers: 'localhost:1', autoOffsetRest: 'earliest' } as never), /did you mean autoOffsetReset/);
    configError(() => new Consumer({ bootstrapServers: 'localhost:1', 'group.idd': 'g' } as never), /did you mean groupId \(group\.id\)/);
    configError(() => new Producer({ bootstrapServers: 'localhost:1', lingerMs: '5ms' as never }), /lingerMs must be a non-negative integer, got "5ms"/);
    configError(() => new Consumer({ bootstrapServers: 'localhost:1', autoOffsetReset: 'first' as never }), /one of earliest, latest, none/);
    configError(() => new Producer({ bootstrapServers: 'localhost:1', lingerMs: 5, 'linger.ms': 7 }), /given twice/);
    configError(() => new Producer({} as never), /bootstrap\.servers/);
    const p = new Producer({ 'bootstrap.servers': 'localhost:1', 'linger.ms': '7', 'batch.size': 1000, acks: 'all', 'enable.idempotence': 'false', 'compression.type': 'gzip', 'buffer.memory': '1048576', 'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer' });
    assert.equal(p.lingerMs, 7);
    assert.equal(p.batchSize, 1000);
    assert.equal(p.acks, -1);
    assert.equal(p.bufferMemory, 1048576);
    const c = new Consumer({ 'bootstrap.servers': 'localhost:1', 'group.id': 'g', 'auto.offset.reset': 'earliest', 'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RoundRobinAssignor' });
    assert.equal(c.groupId, 'g');
    // One set of names for every client kind, as a Java config file: an Admin takes a consumer's options.
    assert.doesNotThrow(() => new Admin({ bootstrapServers: 'localhost:1', groupId: 'g', fetchMaxWaitMs: 200 } as never));
    assert.equal(closestOption('fetchMaxWait').name, 'fetchMaxWaitMs');
    assert.deepEqual(resolveOptions({ 'bootstrap.servers': 'a:1', 'enable.auto.commit': 'false' }), { bootstrapServers: 'a:1', enableAutoCommit: false });
  });
});

describe('errors users can act on', () => {
  it('send() to a missing topic fails within 5 s with UNKNOWN_TOPIC_OR_PARTITION naming it', async () => {
    const producer = new Producer({ bootstrapServers: broker.bootstrap });
    try {
      const t0 = Date.now();
      await assert.rejects(producer.send({ topic: 'no-such-topic', messages: [{ value: 'x' }] }), (e: unknown) => {
        assert.ok(e instanceof KafkaError, String(e));
        assert.equal(e.code, 3);
        assert.equal(e.errorName, 'UNKNOWN_TOPIC_OR_PARTITION');
        assert.equal(e.retriable, true);
        assert.match(e.message, /no-such-topic/);
        return true;
      });
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      // the fast path reports the same through flush()
      producer.produce('no-such-topic-2', 'x');
      await assert.rejects(producer.flush(), (e: unknown) => e instanceof KafkaError && e.code === 3 && /no-such-topic-2/.test(e.message));
      assert.ok(Date.now() - t0 < 10000);
    } finally {
      await producer.close();
    }
  });
});

describe('producer memory bound', () => {
  it('buffer.memory holds under a tight produce() loop that awaits what produce() returns', async () => {
    const topic = 'bounded';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const bufferMemory = 256 * 1024;
    const producer = new Producer({ bootstrapServers: broker.bootstrap, bufferMemory, batchSize: 16384, lingerMs: 0 });
    await producer.connect();
    // Once the topic's metadata is known the bound is exact (records produced before that are
    // counted by size and may take up to one partly filled batch per partition more).
    await producer.send({ topic, messages: [{ value: 'first' }] });
    const value = Buffer.alloc(1000, 'v');
    let maxBuffered = 0;
    let waited = 0;
    const N = 20000;
    try {
      for (let i = 0; i < N; i++) {
        const w = producer.produce(topic, value, `k${i}`);
        if (w !== undefined) {
          waited++;
          await w;
        }
        if (producer.bufferedBytes > maxBuffered) maxBuffered = producer.bufferedBytes;
      }
      await producer.flush();
      assert.ok(waited > 0, 'a 20 MB loop must hit a 256 KiB bound');
      assert.ok(maxBuffered <= bufferMemory, `buffered ${maxBuffered} > ${bufferMemory}`);
      assert.equal(producer.bufferedBytes, 0);
      const offsets = await admin.listOffsets([0, 1, 2, 3].map((partition) => ({ topic, partition, spec: 'latest' as const })));
      assert.equal(offsets.reduce((n, o) => n + Number(o.offset), 0), N + 1);
    } finally {
      await producer.close();
    }
  });

  it('fails with BUFFER_EXHAUSTED after max.block.ms when nothing drains, and refuses to queue past the bound', async () => {
    const lone = await startBroker();
    const producer = new Producer({ bootstrapServers: lone.bootstrap, bufferMemory: 32 * 1024, batchSize: 16384, maxBlockMs: 300, lingerMs: 0, deliveryTimeoutMs: 60000, requestTimeoutMs: 60000, idempotent: false });
    try {
      const loneAdmin = new Admin({ bootstrapServers: lone.bootstrap });
      await loneAdmin.createTopics({ topics: [{ topic: 'stuck', numPartitions: 1 }] });
      await loneAdmin.close();
      await producer.connect();
      await producer.send({ topic: 'stuck', messages: [{ value: 'warm' }] });
      await lone.stop(); // nothing will be acknowledged now
      const value = Buffer.alloc(20000, 'x');
      let blocked: Promise<void> | undefined;
      for (let i = 0; i < 10 && blocked === undefined; i++) blocked = producer.produce('stuck', value);
      assert.ok(blocked !== undefined, 'produce() returns a promise once buffer.memory is full');
      const t0 = Date.now();
      assert.throws(() => {
        for (let i = 0; i < 10; i++) void producer.produce('stuck', value);
      }, (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.BUFFER_EXHAUSTED);
      await assert.rejects(blocked, (e: unknown) => e instanceof ClientError && e.code === ClientErrorCode.BUFFER_EXHAUSTED && /max blocking time 300 ms/.test(e.message));
      assert.ok(Date.now() - t0 >= 250);
    } finally {
      await producer.close({ timeoutMs: 0 });
    }
  });

  it('splits a batch the broker refuses as MESSAGE_TOO_LARGE and keeps every offset', async () => {
    const topic = 'small-messages';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configs: { 'max.message.bytes': '3000' } }] });
    const producer = new Producer({ bootstrapServers: broker.bootstrap, batchSize: 64 * 1024, lingerMs: 20 });
    try {
      const meta = await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ value: `${i}:`.padEnd(500, 'x') })) });
      assert.deepEqual(meta.map((m) => m.offset), Array.from({ length: 40 }, (_, i) => BigInt(i)));
      const c = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
      c.assign([{ topic, partition: 0 }]);
      const got: string[] = [];
      const deadline = Date.now() + 10000;
      while (got.length < 40 && Date.now() < deadline) for (const b of await c.poll(500)) for (const m of b.messages) got.push(m.value!.toString().split(':')[0]!);
      await c.close();
      assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => String(i)));
    } finally {
      await producer.close();
    }
  });
});

describe('stopping a consumer', () => {
  const topic = 'stoppable';
  const total = 4 * 200;
  before(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const p = new Producer({ bootstrapServers: broker.bootstrap });
    for (let part = 0; part < 4; part++) await p.send({ topic, messages: Array.from({ length: 200 }, (_, i) => ({ value: `${part}-${i}`, partition: part })) });
    await p.close();
  });

  async function drain(c: Consumer, seen: string[]): Promise<void> {
    const deadline = Date.now() + 10000;
    while (seen.length < total && Date.now() < deadline) for (const b of await c.poll(300)) for (const m of b.messages) seen.push(`${m.partition}@${m.offset}`);
  }

  it('stop() ends run() after the current batch; the rest is fetched again, nothing lost or repeated', async () => {
    const c = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', maxPartitionFetchBytes: 2048 });
    c.assign([0, 1, 2, 3].map((partition) => ({ topic, partition })));
    const seen: string[] = [];
    let batches = 0;
    let stopped: Promise<void> | undefined;
    try {
      await c.run({
        eachBatch: async (b) => {
          batches++;
          for (const m of b.messages) seen.push(`${m.partition}@${m.offset}`);
          stopped = c.stop();
        },
      });
      await stopped;
      assert.equal(batches, 1, 'no batch after stop()');
      await drain(c, seen);
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total, 'no record twice');
    } finally {
      await c.close();
    }
  });

  it('break out of for await rewinds to the first record the loop did not see', async () => {
    const c = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest' });
    c.assign([0, 1, 2, 3].map((partition) => ({ topic, partition })));
    const seen: string[] = [];
    try {
      for await (const m of c as AsyncIterable<ConsumedMessage>) {
        seen.push(`${m.partition}@${m.offset}`);
        if (seen.length === 10) break;
      }
      await drain(c, seen);
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
    } finally {
      await c.close();
    }
  });
});
