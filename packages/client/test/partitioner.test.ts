import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { startBroker } from '@samsa/broker/testkit';
import { Admin } from '../src/admin.js';
import { defaultPartition, murmur2, StickyPartitioner, toPositive } from '../src/partitioner.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

/** Random keys of every length 0..40 (all tail cases of murmur2), ASCII and binary. */
function randomKeys(n: number, seedBytes = randomBytes(n * 41)): Buffer[] {
  const keys: Buffer[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const len = i % 41;
    keys.push(seedBytes.subarray(pos, pos + len));
    pos += len;
  }
  return keys;
}

describe('murmur2 / default partitioner', () => {
  it('matches known Java values', () => {
    // Kafka's UtilsTest.testMurmur2 vectors (signed ints)
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [s, h] of cases) assert.equal(murmur2(Buffer.from(s)), h, s);
    const bytes = Buffer.from([97, 98, 99, 100, 101, 102, 103, 104]); // 'abcdefgh'
    assert.equal(murmur2(bytes), murmur2(Buffer.from('abcdefgh')));
    assert.equal(toPositive(-1), 0x7fffffff);
  });

  it('puts 5000 random keys where kafkajs (Java-compatible DefaultPartitioner) puts them', () => {
    const kjsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: Buffer | string) => number;
    const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => (a: unknown) => number } };
    for (const numPartitions of [1, 3, 7, 12, 100]) {
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: numPartitions }, (_, i) => ({ partitionId: i, leader: 0 }));
      for (const key of randomKeys(1000)) {
        if (key.length === 0) continue; // kafkajs treats an empty key as no key
        assert.equal(murmur2(key), kjsMurmur2(key) | 0);
        assert.equal(defaultPartition(key, numPartitions), partitioner({ topic: 't', partitionMetadata, message: { key } }), key.toString('hex'));
      }
    }
  });

  it('puts keys where librdkafka (kcat -X partitioner=murmur2_random) puts them', async () => {
    const broker = await startBroker();
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    try {
      const topic = 'kcat-murmur2';
      const numPartitions = 7;
      await admin.createTopics({ topics: [{ topic, numPartitions }] });
      // printable keys without the delimiter, 1..30 chars
      const keys = Array.from({ length: 300 }, (_, i) => randomBytes(1 + (i % 30)).toString('base64').replace(/[=:\n]/g, 'x'));
      const input = keys.map((k, i) => `${k}:${i}`).join('\n') + '\n';
      const brokers = `127.0.0.1:${broker.port}`;
      const producer = run('kcat', ['-P', '-b', brokers, '-t', topic, '-K:', '-X', 'partitioner=murmur2_random', '-X', 'api.version.request=true'], { timeout: 30000 });
      producer.child.stdin!.end(input);
      await producer;
      const { stdout } = await run('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\t%p\n'], { timeout: 30000 });
      const landed = new Map(stdout.trim().split('\n').map((l) => l.split('\t') as [string, string]));
      assert.equal(landed.size, new Set(keys).size);
      for (const k of keys) assert.equal(Number(landed.get(k)), defaultPartition(k, numPartitions), k);
    } finally {
      await admin.close();
      await broker.stop();
    }
  });
});

describe('sticky partitioner (null keys)', () => {
  it('stays on one partition until batch.size bytes, then switches to another', () => {
    const sticky = new StickyPartitioner(1000);
    const available = [0, 1, 2, 3];
    const first = sticky.partition('t', 4, available);
    for (let i = 0; i < 9; i++) {
      assert.equal(sticky.partition('t', 4, available), first);
      sticky.onAppend('t', first, 100, 4, available);
    }
    sticky.onAppend('t', first, 100, 4, available);
    const second = sticky.partition('t', 4, available);
    assert.notEqual(second, first);
    assert.ok(available.includes(second));
  });

  it('only picks partitions with a leader when some have one', () => {
    const sticky = new StickyPartitioner(10);
    for (let i = 0; i < 50; i++) {
      const p = sticky.partition('t', 4, [2]);
      assert.equal(p, 2);
      sticky.onAppend('t', p, 100, 4, [2]);
    }
  });
});
