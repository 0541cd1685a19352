// The DSL and Processor API on TopologyTestDriver (no broker): results checked against values
// computed by hand, with out-of-order and late records.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Consumed, Grouped, JoinWindows, Materialized, Produced, type Processor, type ProcessorContext, type KeyValueStore, Serdes, SessionWindows, SlidingWindows, Stores, StreamsBuilder, Suppressed, TimeWindows, Topology, TopologyTestDriver, timeWindowedSerde, type Windowed, wordCountTopology } from '../src/index.js';

const S = Serdes.String();
const L = Serdes.Long();

test('WordCount counts words across lines, through the repartition topic', async () => {
  const driver = new TopologyTestDriver(wordCountTopology(), { 'application.id': 'streams-wordcount' });
  const input = driver.createInputTopic('streams-plaintext-input', S, S);
  const output = driver.createOutputTopic('streams-wordcount-output', S, L);
  input.pipeInput(null, 'all streams lead to kafka');
  input.pipeInput(null, 'hello kafka streams');
  assert.deepEqual(output.readKeyValuesToList(), [
    ['all', 1], ['streams', 1], ['lead', 1], ['to', 1], ['kafka', 1],
    ['hello', 1], ['kafka', 2], ['streams', 2],
  ]);
  assert.equal(driver.getKeyValueStore<string, number>('counts-store')!.get('kafka'), 2);
  await driver.close();
});

test('stateless operators: filter, filterNot, map, mapValues, flatMap, selectKey, split, merge, peek, foreach', async () => {
  const b = new StreamsBuilder();
  const src = b.stream<string, string>('in', { keySerde: S, valueSerde: S });
  const seen: string[] = [];
  const branches = src.peek((k) => seen.push(k)).split('b-')
    .branch((_k, v) => v.startsWith('a'), { name: 'a' })
    .branch((_k, v) => v.startsWith('b'), { name: 'b', withFunction: (s) => s.mapValues((v) => v.toUpperCase()) })
    .defaultBranch({ name: 'rest' });
  branches['b-a']!.merge(branches['b-b']!).to('ab');
  branches['b-rest']!.filter((_k, v) => v.length > 1).filterNot((_k, v) => v === 'zz').map((k, v) => [v, k]).to('rest');
  src.flatMap((k, v) => [...v].map((c): [string, string] => [`${k}${c}`, c])).selectKey((k) => k.toUpperCase()).to('chars');
  const fe: string[] = [];
  src.foreach((k, v) => fe.push(`${k}=${v}`));
  const d = new TopologyTestDriver(b.build(), { 'default.key.serde': 'org.apache.kafka.common.serialization.Serdes$StringSerde', 'default.value.serde': 'org.apache.kafka.common.serialization.Serdes$StringSerde' });
  const input = d.createInputTopic('in', S, S);
  for (const [k, v] of [['1', 'apple'], ['2', 'banana'], ['3', 'c'], ['4', 'zz'], ['5', 'kiwi']]) input.pipeInput(k!, v!);
  assert.deepEqual(d.createOutputTopic('ab', S, S).readKeyValuesToList(), [['1', 'apple'], ['2', 'BANANA']]);
  assert.deepEqual(d.createOutputTopic('rest', S, S).readKeyValuesToList(), [['kiwi', '5']]);
  assert.deepEqual(d.createOutputTopic('chars', S, S).readKeyValuesToList().slice(0, 3), [['1A', 'a'], ['1P', 'p'], ['1P', 'p']]);
  assert.deepEqual(seen, ['1', '2', '3', '4', '5']);
  assert.equal(fe.length, 5);
  await d.close();
});

test('Processor API: store, stream-time and wall-clock punctuators', async () => {
  const topology = new Topology();
  const fired: string[] = [];
  topology.addSource('src', 'in', { keySerde: S, valueSerde: S });
  topology.addProcessor('sum', (): Processor<string, string> => {
    let ctx!: ProcessorContext;
    let store!: KeyValueStore<string, number>;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore('sums');
        c.schedule(10, 'STREAM_TIME', (t) => {
          fired.push(`stream@${t}`);
          for (const { key, value } of store.all()) ctx.forward({ key, value, timestamp: t });
        });
        c.schedule(1000, 'WALL_CLOCK_TIME', (t) => fired.push(`wall@${t}`));
      },
      process(r) {
        store.put(r.key, (store.get(r.key) ?? 0) + Number(r.value));
      },
    };
  }, 'src');
  topology.addStateStore(Stores.keyValueStoreBuilder('sums', S, L, { type: 'in_memory' }), 'sum');
  topology.addSink('out', 'sums-out', { keySerde: S, valueSerde: L }, 'sum');
  const d = new TopologyTestDriver(topology, {}, 0);
  const input = d.createInputTopic('in', S, S);
  input.pipeInput('a', '1', 5); // first record: punctuation at stream time 5, after processing it
  input.pipeInput('a', '2', 9);
  input.pipeInput('b', '4', 3); // out of order: stream time stays 9
  input.pipeInput('a', '3', 16); // 16 >= 15: fires once
  assert.deepEqual(d.createOutputTopic('sums-out', S, L).readKeyValuesToList(), [['a', 1], ['a', 6], ['b', 4]]);
  d.advanceWallClockTime(999);
  d.advanceWallClockTime(1);
  d.advanceWallClockTime(2500);
  assert.deepEqual(fired, ['stream@5', 'stream@16', 'wall@1000', 'wall@3500']);
  await d.close();
});

test('tumbling and hopping windows with grace: late records dropped, out-of-order ones counted', async () => {
  const b = new StreamsBuilder();
  const grouped = b.stream<string, string>('in', { keySerde: S, valueSerde: S }).groupByKey();
  const ws = timeWindowedSerde(S, 10);
  grouped.windowedBy(TimeWindows.ofSizeAndGrace(10, 5)).count({ storeName: 'tumbling' }).toStream().to('tumbling-out', { keySerde: ws, valueSerde: L });
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5)).count({ storeName: 'hopping' }).toStream().to('hopping-out', { keySerde: ws, valueSerde: L });
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('in', S, S);
  // times: 1, 12, 8 (out of order, window [0,10) still open: 12 - 5 < 10), 16, 3 (late: stream time 16, [0,10) closed at 15)
  for (const t of [1, 12, 8, 16, 3]) input.pipeInput('k', 'v', t);
  const tumbling = d.createOutputTopic('tumbling-out', ws, L).readKeyValuesToList().map(([k, v]) => `${k!.window.start}:${v}`);
  assert.deepEqual(tumbling, ['0:1', '10:1', '0:2', '10:2']);
  const store = d.getWindowStore<string, number>('tumbling')!;
  // retention is size + grace (15): at stream time 16 the window at 0 has expired from the store
  assert.deepEqual([...store.fetchRange('k', 0, 100)].map((e) => [e.windowStart, e.value]), [[10, 2]]);
  // hopping [s, s+10) every 5, no grace: 1 -> {0}; 12 -> {5,10}; 8 -> {5} ([0,10) closed at stream time 12); 16 -> {10,15}; 3 -> dropped
  const hopping = d.createOutputTopic('hopping-out', ws, L).readKeyValuesToList().map(([k, v]) => `${k!.window.start}:${v}`);
  assert.deepEqual(hopping, ['0:1', '5:1', '10:1', '5:2', '10:2', '15:1']);
  await d.close();
});

test('suppress(untilWindowCloses) emits each window once, when stream time passes end + grace', async () => {
  const b = new StreamsBuilder();
  const ws = timeWindowedSerde(S, 10);
  b.stream<string, string>('in', { keySerde: S, valueSerde: S }).groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10, 2)).count()
    .suppress(Suppressed.untilWindowCloses()).toStream().to('final', { keySerde: ws, valueSerde: L });
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('in', S, S);
  const out = d.createOutputTopic('final', ws, L);
  input.pipeInput('a', 'x', 2);
  input.pipeInput('b', 'x', 5);
  input.pipeInput('a', 'x', 11); // stream time 11: [0,10) closes at 12
  assert.equal(out.isEmpty(), true);
  input.pipeInput('a', 'x', 9); // out of order, still within grace
  input.pipeInput('b', 'x', 12); // closes [0,10)
  assert.deepEqual(out.readKeyValuesToList().map(([k, v]) => `${k!.key}@${k!.window.start}-${k!.window.end}=${v}`), ['a@0-10=2', 'b@0-10=1']);
  input.pipeInput('a', 'x', 3); // late: dropped by the aggregation
  input.pipeInput('z', 'x', 30);
  assert.deepEqual(out.readKeyValuesToList().map(([k, v]) => `${k!.key}@${k!.window.start}=${v}`), ['a@10=1', 'b@10=1']);
  await d.close();
});

test('session windows merge on out-of-order records and retract the merged sessions', async () => {
  const b = new StreamsBuilder();
  const rows: string[] = [];
  b.stream<string, string>('in', { keySerde: S, valueSerde: S }).groupByKey()
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(5, 10)).count({ storeName: 'sessions' })
    .toStream().foreach((k: Windowed<string>, v) => rows.push(`${k.key}[${k.window.start},${k.window.end}]=${v}`));
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('in', S, S);
  input.pipeInput('u', 'click', 0);
  input.pipeInput('u', 'click', 10); // gap 10 > 5: new session
  input.pipeInput('u', 'click', 5); // bridges both: merged into [0,10] with 3
  assert.deepEqual(rows, ['u[0,0]=1', 'u[10,10]=1', 'u[0,0]=null', 'u[10,10]=null', 'u[0,10]=3']);
  assert.deepEqual([...d.getSessionStore<string, number>('sessions')!.all()].map((e) => `${e.key.window.start}-${e.key.window.end}:${e.value}`), ['0-10:3']);
  await d.close();
});

test('sliding windows: one window per record end, plus right windows, computed by hand', async () => {
  const b = new StreamsBuilder();
  const latest = new Map<string, number>();
  b.stream<string, number>('in', { keySerde: S, valueSerde: L }).groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10, 100)).aggregate(() => 0, (_k, v, agg) => agg + v, { valueSerde: L })
    .toStream().foreach((k, v) => latest.set(`${k.window.start}-${k.window.end}`, v!));
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('in', S, L);
  input.pipeInput('k', 1, 10);
  input.pipeInput('k', 2, 15);
  input.pipeInput('k', 4, 8); // out of order
  // windows [t-10, t] for each t: [0,10]={8,10}=5, [5,15]={8,10,15}=7; 8 is earlier than 10, so
  // its window is [0,10] too; right windows just after a record with later records within 10:
  // [9,19]={10,15}=3, [11,21]={15}=2
  assert.equal(latest.get('0-10'), 5);
  assert.equal(latest.get('5-15'), 7);
  assert.equal(latest.get('9-19'), 3);
  assert.equal(latest.get('11-21'), 2);
  assert.deepEqual([...latest.keys()].sort(), ['0-10', '11-21', '5-15', '9-19']);
  await d.close();
});

test('stream-table, table-table and windowed stream-stream joins, with out-of-order records', async () => {
  const b = new StreamsBuilder();
  const users = b.table<string, string>('users', { keySerde: S, valueSerde: S }, { storeName: 'users-store' });
  const plans = b.table<string, string>('plans', { keySerde: S, valueSerde: S });
  const clicks = b.stream<string, string>('clicks', { keySerde: S, valueSerde: S });
  clicks.join(users, (c, u) => `${c} by ${u}`).to('enriched', { keySerde: S, valueSerde: S });
  clicks.leftJoin(users, (c, u) => `${c} by ${u ?? '?'}`).to('enriched-left', { keySerde: S, valueSerde: S });
  users.join(plans, (u, p) => `${u}:${p}`).toStream().to('user-plans', { keySerde: S, valueSerde: S });
  users.leftJoin(plans, (u, p) => `${u}:${p ?? 'none'}`).filter((_k, v) => !v.endsWith('gold')).toStream().to('left-plans', { keySerde: S, valueSerde: S });
  const views = b.stream<string, string>('views', { keySerde: S, valueSerde: S });
  clicks.join(views, (c, v) => `${c}+${v}`, JoinWindows.ofTimeDifferenceAndGrace(5, 20)).to('click-views', { keySerde: S, valueSerde: S });
  const d = new TopologyTestDriver(b.build());
  const u = d.createInputTopic('users', S, S);
  const p = d.createInputTopic('plans', S, S);
  const c = d.createInputTopic('clicks', S, S);
  const v = d.createInputTopic('views', S, S);
  c.pipeInput('1', 'c0', 1); // no user yet: inner join drops it, left join emits '?'
  u.pipeInput('1', 'ann', 2);
  c.pipeInput('1', 'c1', 3);
  p.pipeInput('1', 'gold', 4);
  u.pipeInput('1', 'anne', 5); // update: the table join re-emits
  p.pipeInput('1', null, 6); // delete: inner join retracts (null), left join keeps the user
  assert.deepEqual(d.createOutputTopic('enriched', S, S).readKeyValuesToList(), [['1', 'c1 by ann']]);
  assert.deepEqual(d.createOutputTopic('enriched-left', S, S).readKeyValuesToList(), [['1', 'c0 by ?'], ['1', 'c1 by ann']]);
  assert.deepEqual(d.createOutputTopic('user-plans', S, S).readKeyValuesToList(), [['1', 'ann:gold'], ['1', 'anne:gold'], ['1', null]]);
  assert.deepEqual(d.createOutputTopic('left-plans', S, S).readKeyValuesToList(), [['1', 'ann:none'], ['1', null], ['1', 'anne:none']]);
  // stream-stream: clicks at 1 and 3 (from above); views out of order
  v.pipeInput('1', 'v9', 9); // joins c1@3? |9-3| = 6 > 5: no; c0@1: no
  v.pipeInput('1', 'v2', 2); // joins c0@1 and c1@3
  c.pipeInput('1', 'c7', 7); // joins v9 (|2|) and v2 (|5|)
  v.pipeInput('1', 'v-late', -100 + 100); // t=0: joins c0@1 (|1|) and c1@3 (|3|)
  const joined = d.createOutputTopic('click-views', S, S).readRecordsToList().map((r) => `${r.value}@${r.timestamp}`);
  assert.deepEqual(joined, ['c0+v2@2', 'c1+v2@3', 'c7+v2@7', 'c7+v9@9', 'c0+v-late@1', 'c1+v-late@3']);
  await d.close();
});

test('stream-stream left and outer joins emit unmatched records once their window closes', async () => {
  const b = new StreamsBuilder();
  const l = b.stream<string, string>('l', { keySerde: S, valueSerde: S });
  const r = b.stream<string, string>('r', { keySerde: S, valueSerde: S });
  const windows = JoinWindows.ofTimeDifferenceAndGrace(5, 0);
  l.leftJoin(r, (a, x) => `${a}+${x}`, windows).to('left-out', { keySerde: S, valueSerde: S });
  l.outerJoin(r, (a, x) => `${a}+${x}`, windows).to('outer-out', { keySerde: S, valueSerde: S });
  const d = new TopologyTestDriver(b.build());
  const li = d.createInputTopic('l', S, S);
  const ri = d.createInputTopic('r', S, S);
  li.pipeInput('k1', 'A', 0);
  ri.pipeInput('k1', 'a', 3); // joins A
  li.pipeInput('k1', 'B', 10); // no partner in [5,15]: held
  ri.pipeInput('k2', 'b', 20); // held (outer join only)
  li.pipeInput('k2', 'late', 12); // out of order and late: its window closed at 12+5 < stream time 20
  li.pipeInput('k6', 'C', 16); // out of order, window still open: held
  li.pipeInput('k3', 'D', 30); // stream time 30 closes B (10+5), C (16+5) and b (20+5)
  li.pipeInput('k4', 'E', 31);
  ri.pipeInput('k4', 'e', 33); // E found a partner before its window closed: never emitted alone
  li.pipeInput('k5', 'F', 50); // closes D
  const read = (t: string): string[] => d.createOutputTopic(t, S, S).readRecordsToList().map((x) => `${x.value}@${x.timestamp}`);
  assert.deepEqual(read('left-out'), ['A+a@3', 'B+null@10', 'C+null@16', 'E+e@33', 'D+null@30']);
  assert.deepEqual(read('outer-out'), ['A+a@3', 'B+null@10', 'C+null@16', 'null+b@20', 'E+e@33', 'D+null@30']);
  await d.close();
});

test('deserialization errors fail the task, or skip the record with LogAndContinueExceptionHandler', async () => {
  const build = (): Topology => {
    const b = new StreamsBuilder();
    b.stream<string, number>('nums', { keySerde: S, valueSerde: L }).mapValues((v) => v * 2).to('doubled', { keySerde: S, valueSerde: L });
    return b.build();
  };
  const raw = Serdes.ByteArray();
  const failing = new TopologyTestDriver(build());
  assert.throws(() => failing.createInputTopic('nums', S, raw).pipeInput('k', Buffer.from([1, 2, 3])), /Size of data received by LongDeserializer is not 8.*LogAndFailExceptionHandler/);
  await failing.close();
  const skipping = new TopologyTestDriver(build(), { 'default.deserialization.exception.handler': 'org.apache.kafka.streams.errors.LogAndContinueExceptionHandler' });
  const input = skipping.createInputTopic('nums', S, raw);
  input.pipeInput('bad', Buffer.from([1, 2, 3]));
  input.pipeInput('good', L.serialize('', 21));
  assert.deepEqual(skipping.createOutputTopic('doubled', S, L).readKeyValuesToList(), [['good', 42]]);
  await skipping.close();
});

test('KTable.groupBy: count and reduce subtract the old value and add the new one', async () => {
  const b = new StreamsBuilder();
  const regions = b.table<string, string>('user-regions', { keySerde: S, valueSerde: S });
  regions.groupBy((user, region) => [region, user], { keySerde: S, valueSerde: S }).count({ storeName: 'users-per-region' }).toStream().to('region-counts', { keySerde: S, valueSerde: L });
  const scores = b.table<string, number>('scores', { keySerde: S, valueSerde: L });
  scores.groupBy((_u, score) => ['all', score], { keySerde: S, valueSerde: L }).reduce((a, v) => a + v, (a, v) => a - v).toStream().to('total', { keySerde: S, valueSerde: L });
  const d = new TopologyTestDriver(b.build());
  const r = d.createInputTopic('user-regions', S, S);
  r.pipeInput('u1', 'eu');
  r.pipeInput('u2', 'eu');
  r.pipeInput('u3', 'us');
  r.pipeInput('u1', 'us'); // moves: eu loses one, us gains one
  r.pipeInput('u2', null); // deleted: eu loses one
  assert.deepEqual(d.createOutputTopic('region-counts', S, L).readKeyValuesToList(), [['eu', 1], ['eu', 2], ['us', 1], ['eu', 1], ['us', 2], ['eu', 0]]);
  assert.equal(d.getKeyValueStore<string, number>('users-per-region')!.get('us'), 2);
  const sc = d.createInputTopic('scores', S, L);
  sc.pipeInput('u1', 10);
  sc.pipeInput('u2', 5);
  sc.pipeInput('u1', 7);
  assert.deepEqual(d.createOutputTopic('total', S, L).readKeyValuesToList().map(([, v]) => v), [10, 15, 5, 12]);
  await d.close();
});

test('to() with a topic extractor, and the Consumed/Produced/Grouped/Materialized helpers', async () => {
  const b = new StreamsBuilder();
  const events = b.stream('events', Consumed.with(S, S));
  events.to((_k, v) => `events-${v.split(':')[0]}`, Produced.with(S, S));
  events.groupBy((_k, v) => v.split(':')[0]!, Grouped.with(S, S)).count(Materialized.as('per-kind'));
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('events', S, S);
  input.pipeInput('1', 'click:a');
  input.pipeInput('2', 'view:b');
  input.pipeInput('3', 'click:c');
  assert.deepEqual(d.createOutputTopic('events-click', S, S).readKeyValuesToList(), [['1', 'click:a'], ['3', 'click:c']]);
  assert.deepEqual(d.createOutputTopic('events-view', S, S).readKeyValuesToList(), [['2', 'view:b']]);
  assert.equal(d.getKeyValueStore<string, number>('per-kind')!.get('click'), 2);
  await d.close();
});

test("the README's windowed example: per-minute counts emitted once each minute closes", async () => {
  const b = new StreamsBuilder();
  b.stream<string, string>('clicks', { keySerde: S, valueSerde: S })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(60_000, 10_000))
    .count({ storeName: 'clicks-per-minute' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((w, n) => [`${w.key}@${w.window.start}`, n])
    .to('click-counts', { keySerde: S, valueSerde: Serdes.Long() });
  const d = new TopologyTestDriver(b.build());
  const input = d.createInputTopic('clicks', S, S);
  for (const t of [1_000, 30_000, 59_000, 65_000, 55_000, 71_000]) input.pipeInput('page', 'x', t); // 55s: late but within grace
  assert.deepEqual(d.createOutputTopic('click-counts', S, L).readKeyValuesToList(), [['page@0', 4]]);
  await d.close();
});
