/**
 * Streams throughput: a stateless map (mapValues) and a count (groupBy + count, persistent store
 * with changelog), each over N records already in a 4-partition input topic, timed from start()
 * until the output topic holds one record per input record. The broker runs in this process
 * (memory storage), so the figures include its CPU. The count runs again under
 * processing.guarantee=exactly_once_v2 and at_least_once, both timed until the group has
 * committed every input offset (under EOS the output end also counts transaction markers).
 *   node packages/streams/dist/bench/throughput.js [records=200000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '@samsa/broker/testkit';
import { createAdmin, createProducer } from '@samsa/client';
import { KafkaStreams, Serdes, StreamsBuilder, type Topology } from '../src/index.js';

const N = Number(process.argv[2] ?? 200_000);
const S = Serdes.String();
const broker = await startBroker();
const admin = createAdmin({ bootstrapServers: broker.bootstrap });
await admin.createTopics({ topics: [{ topic: 'bench-in', numPartitions: 4 }, { topic: 'map-out', numPartitions: 4 }, { topic: 'count-out', numPartitions: 4 }] });
const producer = createProducer({ bootstrapServers: broker.bootstrap, lingerMs: 5, batchSize: 262144 });
await producer.connect();
const value = 'x'.repeat(90);
for (let i = 0; i < N; i += 10_000) {
  await producer.send({ topic: 'bench-in', messages: Array.from({ length: Math.min(10_000, N - i) }, (_, j) => ({ key: `k${(i + j) % 1000}`, value: `${value}${i + j}` })) });
}
await producer.close();

async function outputCount(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

async function committedInput(group: string): Promise<number> {
  return (await admin.listConsumerGroupOffsets(group)).filter((o) => o.topic === 'bench-in').reduce((n, o) => n + Number(o.offset), 0);
}

async function run(name: string, app: string, topology: Topology, out: string, guarantee?: string): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
  const streams = new KafkaStreams(topology, { 'application.id': app, 'bootstrap.servers': broker.bootstrap, 'state.dir': stateDir, ...(guarantee !== undefined ? { 'processing.guarantee': guarantee } : {}) });
  const t0 = process.hrtime.bigint();
  await streams.start();
  const done = guarantee === undefined ? async () => (await outputCount(out)) >= N : async () => (await committedInput(app)) >= N;
  while (!(await done())) await new Promise((r) => setTimeout(r, 20));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await streams.close();
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`${name.padEnd(28)} ${N} records in ${s.toFixed(2)} s = ${Math.round(N / s).toLocaleString('en-US')} records/s`);
}

console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${N} records of ~100 bytes, 4 partitions, 1000 keys`);
const map = new StreamsBuilder();
map.stream<string, string>('bench-in', { keySerde: S, valueSerde: S }).mapValues((v) => v.toUpperCase()).to('map-out', { keySerde: S, valueSerde: S });
await run('stateless mapValues', 'bench-map', map.build(), 'map-out');
const count = new StreamsBuilder();
count.stream<string, string>('bench-in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'bench-counts' }).toStream().to('count-out', { keySerde: S, valueSerde: Serdes.Long() });
await run('count (LMDB store + changelog)', 'bench-count', count.build(), 'count-out');
const countMem = new StreamsBuilder();
countMem.stream<string, string>('bench-in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'bench-counts', storeType: 'in_memory' }).toStream().to('count-out-mem', { keySerde: S, valueSerde: Serdes.Long() });
await admin.createTopics({ topics: [{ topic: 'count-out-mem', numPartitions: 4 }] });
await run('count (in-memory store + changelog)', 'bench-count-mem', countMem.build(), 'count-out-mem');
for (const guarantee of ['at_least_once', 'exactly_once_v2']) {
  const g = new StreamsBuilder();
  g.stream<string, string>('bench-in', { keySerde: S, valueSerde: S }).groupByKey().count({ storeName: 'bench-counts' }).toStream().to(`count-out-${guarantee}`, { keySerde: S, valueSerde: Serdes.Long() });
  await admin.createTopics({ topics: [{ topic: `count-out-${guarantee}`, numPartitions: 4 }] });
  await run(`count, ${guarantee}, to commit`, `bench-count-${guarantee.replace(/_/g, '-')}`, g.build(), `count-out-${guarantee}`, guarantee);
}
await admin.close();
await broker.stop();
